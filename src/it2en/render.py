"""Article → output text, one writer per format, picked from ``WRITERS`` by name.

Writers never re-parse: they walk the Article's blocks and put frames, translations and
separators back. ``text`` is the input's own layout; ``markdown`` adds Markdown markers by
block kind; ``json`` is the schema in DESIGN.md; ``bilingual`` pairs each Italian block with
its English, for review; ``review`` is one self-contained HTML page to review and correct the
translation in a browser (its CSS and JS, package data in ``review/``, are inlined).
"""

from __future__ import annotations

import functools
import html
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import PurePath
from typing import Callable, Iterable

from it2en.article import DEFAULT_REVIEW_BELOW, INFORMATIONAL_FLAGS, Article, Block, BlockKind, Segment, needs_review
from it2en.fidelity.checks import FLAG_DESCRIPTIONS


@dataclass(frozen=True)
class OutputMeta:
    """What a writer needs besides the article: the model that translated it, and (review page)
    the confidence under which a sentence needs review."""

    model_name: str = "identity"
    model_revision: str = ""
    review_below: float = DEFAULT_REVIEW_BELOW


def _newline(article: Article) -> str:
    for block in article.blocks:
        for text in (block.separator, *(s.gap for s in block.segments)):
            match = re.search(r"\r\n|\n|\r", text)
            if match:
                return match.group(0)
    return "\n"


def _block_text(block: Block) -> str:
    return block.output_prefix + block.target + block.suffix


def render_text(article: Article, meta: OutputMeta) -> str | bytes:
    """The input's layout, character for character, with the translated words (a ``.docx`` or
    ``.odt``: the document's bytes)."""
    if article.format != "text":  # Markdown, HTML, Word, OpenDocument: written back in their own format
        from it2en.formats import render

        return render(article)
    return article.leading + "".join(_block_text(b) + b.separator for b in article.blocks)


_MARKDOWN_PREFIX = {
    BlockKind.HEADLINE: "# ",
    BlockKind.HEADING: "## ",
    BlockKind.QUOTE: "> ",
}
_HAS_MARKDOWN = re.compile(r"^[ \t]*(#{1,6}[ \t]|>|[-*+][ \t]|\d{1,3}[.)][ \t])")
_LINE_BREAK = re.compile(r"[ \t]*(\r\n|\n|\r)")


def render_markdown(article: Article, meta: OutputMeta) -> str:
    """Markdown: headline ``#``, headings ``##``, quotes ``>``, standfirst in bold, line breaks kept.

    Markdown input is already Markdown: it is written back as it came. HTML input gives the
    plain sentences of each block, marked by kind.
    """
    if article.format == "markdown":
        return render_text(article, meta)
    newline = _newline(article)
    parts = []
    for index, block in enumerate(article.blocks):
        text = _block_text(block).strip()
        if article.format != "text":
            text = " ".join(s.target if s.target is not None else s.source for s in block.segments if s.source)
        if not text:
            continue
        if article.format != "text" or not _HAS_MARKDOWN.match(block.prefix):
            marker = _MARKDOWN_PREFIX.get(block.kind, "")
            if block.kind is BlockKind.STANDFIRST and not block.prefix.endswith(("**", "__")):
                text = f"**{text}**"
            if marker == "> ":
                text = _LINE_BREAK.sub(lambda m: m.group(1) + "> ", text)
            else:
                text = _LINE_BREAK.sub(lambda m: "  " + m.group(1), text)  # a Markdown hard break
            text = marker + text
        both_items = index > 0 and block.kind is article.blocks[index - 1].kind is BlockKind.LIST_ITEM
        if parts:
            parts.append(newline if both_items else newline * 2)
        parts.append(text)
    return _without_objects(article, "".join(parts) + (newline if parts else ""))


def _without_objects(article: Article, text: str) -> str:
    """A Word or OpenDocument article's plain sentences without the private-use characters that
    stand for inline objects (a footnote reference, an image) and formatting."""
    if article.format in ("docx", "odt"):
        from it2en.formats.office import strip_tokens

        return strip_tokens(text)
    return text


def render_bilingual(article: Article, meta: OutputMeta) -> str:
    """Each block's Italian as a Markdown quotation, then its English: readable raw or rendered."""
    newline = _newline(article)
    parts = []
    for block in article.blocks:
        english = _block_text(block).strip()
        italian = (block.prefix + block.source + block.suffix).strip()
        if article.format != "text":  # Markdown, HTML: the plain sentences, without the markup
            english = " ".join(s.target if s.target is not None else s.source for s in block.segments if s.source)
            italian = " ".join(s.source for s in block.segments if s.source)
        if not english:
            continue
        if any(s.translatable for s in block.segments):
            quoted = newline.join("> " + line.strip() for line in _LINE_BREAK.split(italian)[::2])
            parts.append(quoted + newline + newline + english)
        else:
            parts.append(english)
    return _without_objects(article, (newline * 2).join(parts) + (newline if parts else ""))


def article_dict(article: Article, meta: OutputMeta | None = None) -> dict:
    """The JSON shape of DESIGN.md; without ``meta`` (``inspect``), no targets and no model."""
    data: dict = {"source": article.name}
    if article.format != "text":
        data["format"] = article.format
    if meta is not None:
        data["model"] = {"name": meta.model_name, "revision": meta.model_revision}
    blocks = []
    for block in article.blocks:
        entry = {"kind": block.kind.value, "prefix": block.output_prefix if meta else block.prefix,
                 "suffix": block.suffix, "source": block.source}
        if getattr(block, "inside", False):
            entry["inside"] = True  # a title or alt text: written inside the markup of the block before
        if meta is not None:
            entry["target"] = block.target
        segments = []
        for segment in block.segments:
            if not segment.source:
                continue
            item = {"source": segment.source, "translate": segment.translatable}
            if meta is not None:
                # Markdown/HTML: the plain translation, which the markup offsets refer to
                plain = segment.target if segment.target is not None else segment.source
                item["target"] = segment.output if article.format == "text" else plain
                item["flags"] = list(segment.flags)
                if segment.translatable:
                    item["origin"] = segment.origin  # model, memory, human; null: kept as it is
                    item["confidence"] = segment.confidence  # 0-1; 1: human; null: kept, or not scored
                    item["it2en_target"] = item["target"]  # what it2en wrote: tells an edit apart
            if segment.split:
                item["split"] = True
            if segment.markup:
                item["markup"] = [_markup_dict(m, meta is not None) for m in segment.markup]
            if segment.verbatim:
                item["verbatim"] = [list(span) for span in segment.verbatim]
            if segment.conversions:
                item["numbers"] = [{"source": s, "english": e} for s, e in segment.conversions]
            if segment.glossary:
                item["glossary"] = [{"it": it, "en": en} for it, en in segment.glossary]
            segments.append(item)
        entry["segments"] = segments
        blocks.append(entry)
    data["blocks"] = blocks
    if article.kept_as_written:
        data["kept_as_written"] = [{"line": line, "text": words} for line, words in article.kept_as_written]
    return data


def _markup_dict(element, translated: bool) -> dict:
    """An inline element: its offsets in the plain ``source`` (and ``target``), its markup."""
    entry = {"kind": element.kind, "start": element.start, "end": element.end,
             "opening": element.opening, "closing": element.closing}
    if translated:
        entry["target_start"], entry["target_end"] = element.target_start, element.target_end
    return entry


def render_json(article: Article, meta: OutputMeta) -> str:
    return json.dumps(article_dict(article, meta), ensure_ascii=False) + "\n"


# ----------------------------------------------------------------------------- review page

REVIEW_INDEX = "review-index.html"
"""The index page ``-d DIR -f review`` writes in DIR; no article's page (``*.en.review.html``) can
take its name."""

FLAG_WORDS: dict[str, str] = {
    **FLAG_DESCRIPTIONS,
    "markup_moved": "an emphasis or link could not be placed on the words matching the Italian's: "
                    "check which words it wraps in the output",
    "kept_as_written": "its markup could not be matched exactly, so it was kept in Italian",
    "split": "a piece of a sentence too long for the model, translated on its own: read it with the next",
    "kept_english": "the source was already English and was kept as it is",
    "retried": "the first translation failed a check; this is the better of two attempts",
}
"""What each flag means for the person reviewing the sentence."""


@functools.cache
def _asset(name: str) -> str:
    return resources.files("it2en").joinpath("review", name).read_text(encoding="utf-8")


def _review_segments(article: Article) -> Iterable[tuple[Block, int, Segment]]:
    """Every segment with text, numbered as the page's rows are (``#s-N``)."""
    index = 0
    for block in article.blocks:
        for segment in block.segments:
            if segment.source:
                index += 1
                yield block, index, segment


def _shade(segment: Segment, below: float) -> str:
    """``low`` under the review threshold, ``mid`` in the lower half above it, else nothing."""
    if segment.confidence is None or segment.target is None:
        return ""
    if segment.confidence < below:
        return "low"
    return "mid" if segment.confidence < (below + 1) / 2 else ""


def _headline(article: Article) -> tuple[str, str]:
    """The article's headline in English and in Italian (its name when it has none)."""
    for block in article.blocks:
        if block.kind is BlockKind.HEADLINE and any(s.source for s in block.segments):
            return (" ".join(_plain_target(s) for s in block.segments if s.source),
                    " ".join(s.source for s in block.segments if s.source))
    return article.name, ""


def _plain_target(segment: Segment) -> str:
    """The translation as prose (no markup), or the source where nothing was translated."""
    return segment.target if segment.target is not None else segment.source


def _flag_notes(segment: Segment) -> str:
    words = [f'<li class="{"info" if flag in INFORMATIONAL_FLAGS else "flag"}"><b>{html.escape(flag.replace("_", " "))}</b>: '
             f"{html.escape(FLAG_WORDS.get(flag, flag))}</li>" for flag in segment.flags]
    if segment.confidence is not None and segment.target is not None:
        words.append(f'<li class="confidence">confidence {segment.confidence:.0%}</li>')
    return f'<ul class="notes">{"".join(words)}</ul>' if words else ""


def _json_for_script(data) -> str:
    """JSON safe inside ``<script>``: no ``</script>`` or ``<!--`` can end it early."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _page(title: str, body: str, *, script: str = "") -> str:
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="generator" content="it2en">\n<title>{html.escape(title)}</title>\n'
            f"<style>\n{_asset('page.css')}</style>\n</head>\n<body>\n{body}{script}</body>\n</html>\n")


def render_review(article: Article, meta: OutputMeta) -> str:
    """One HTML page: each block's sentences, Italian beside English, shaded by confidence, flags
    in words, every translation editable; "Save corrections" downloads them as JSON that
    ``it2en memory import`` takes as human entries (``target`` against ``it2en_target``)."""
    below = meta.review_below
    english, italian = _headline(article)
    rows, blocks, total, pending = [], [], 0, 0
    current_block = None
    for block, index, segment in _review_segments(article):
        if block is not current_block:
            if current_block is not None:
                rows.append("</section>\n")
            current_block = block
            kind = block.kind.value
            label = "" if block.kind is BlockKind.PARAGRAPH else kind.replace("_", " ")
            rows.append(f'<section class="block kind-{kind}"><div class="kind">{label}</div>\n')
            blocks.append({"kind": kind, "source": " ".join(s.source for s in block.segments if s.source),
                           "segments": []})
        total += 1
        review = segment.translatable and needs_review(segment, below)
        pending += review
        shown = _plain_target(segment)
        classes = " ".join(c for c in ("seg", "review" if review else "", _shade(segment, below)) if c)
        source = f'<p class="it" lang="it">{html.escape(segment.source)}</p>'
        if segment.translatable and segment.target is not None:
            target = (f'<textarea lang="en" rows="1" spellcheck="true" data-index="{index}" '
                      f'aria-label="English of sentence {index}">{html.escape(shown)}</textarea>')
        else:
            target = f'<p class="kept" lang="it">{html.escape(shown)}</p>'
        rows.append(f'<div class="{classes}" id="s-{index}" tabindex="-1">{source}'
                    f'<div class="en">{target}{_flag_notes(segment)}</div></div>\n')
        blocks[-1]["segments"].append({"index": index, "source": segment.source,
                                       "translate": segment.translatable, "target": shown,
                                       "it2en_target": shown})
    if current_block is not None:
        rows.append("</section>\n")
    stem = PurePath(article.name).stem if article.name not in ("-", "") else "article"
    data = {"source": article.name, "format": article.format,
            "model": {"name": meta.model_name, "revision": meta.model_revision},
            "corrections_file": f"{stem}.corrections.json", "blocks": blocks}
    model = html.escape(meta.model_name + (f" ({meta.model_revision[:10]})" if meta.model_revision else ""))
    body = f"""<div class="bar" role="toolbar" aria-label="Review">
<span class="counter" id="counter" aria-live="polite">{pending} of {total} need review</span>
<label><input type="checkbox" id="only-review"> <span class="long">Only what needs review</span><span class="short">Needs review</span></label>
<button type="button" id="previous" aria-label="Previous sentence that needs review" title="Previous sentence that needs review (k, Alt+↑)">↑<span class="long"> Previous</span></button>
<button type="button" id="next" aria-label="Next sentence that needs review" title="Next sentence that needs review (j, Alt+↓)">↓<span class="long"> Next</span></button>
<button type="button" id="save" class="primary" aria-label="Save corrections" title="Download the corrections for it2en memory import (Ctrl+S)">Save<span class="long"> corrections</span></button>
</div>
<header class="intro">
<h1>{html.escape(english)}</h1>
{f'<p class="original" lang="it">{html.escape(italian)}</p>' if italian else ''}
<p class="meta">{html.escape(article.name)} · translated by {model} · a sentence needs review when it is flagged or its confidence is under {below:.0%}</p>
<p class="legend"><span class="flag">flagged</span><span class="low">confidence under {below:.0%}</span><span class="mid">under {(below + 1) / 2:.0%}</span><span class="edited">edited</span></p>
<p class="keys"><span class="keys-hint"><kbd>j</kbd>/<kbd>k</kbd> or <kbd>Alt</kbd>+<kbd>↓</kbd>/<kbd>↑</kbd> next/previous to review · <kbd>Enter</kbd> edit · <kbd>Esc</kbd> stop editing · <kbd>f</kbd> filter · <kbd>Ctrl</kbd>+<kbd>S</kbd> save · </span>then <code>it2en memory import {html.escape(data["corrections_file"])}</code></p>
</header>
<main>
<div class="columns" aria-hidden="true"><span>Italian</span><span>English</span></div>
{"".join(rows)}<p class="empty-filter">No sentence needs review.</p>
</main>
"""
    script = (f'<script type="application/json" id="it2en-data">{_json_for_script(data)}</script>\n'
              f"<script>\n{_asset('page.js')}</script>\n")
    return _page(f"Review: {english}", body, script=script)


def _index_notes(segment: Segment) -> str:
    """`` (too long, 34%)``: a sentence's flags and confidence, in brief."""
    notes = [flag.replace("_", " ") for flag in segment.flags]
    if segment.confidence is not None:
        notes.append(f"{segment.confidence:.0%}")
    return f' <span class="flags">({html.escape(", ".join(notes))})</span>' if notes else ""


def render_review_index(pages: Iterable[tuple[str, Article | None]], meta: OutputMeta) -> str:
    """The index of a batch's review pages: each article (``href`` relative to the index), and
    its sentences that need review, each a link to its row. An article None was not translated
    in this run (its page was kept)."""
    items = []
    for href, article in pages:
        link = html.escape(href, quote=True)
        if article is None:
            items.append(f'<li><h2><a href="{link}">{html.escape(href)}</a></h2>'
                         '<p class="count">kept from an earlier run</p></li>')
            continue
        english, _ = _headline(article)
        rows = [(index, segment) for _, index, segment in _review_segments(article)]
        pending = [(index, segment) for index, segment in rows
                   if segment.translatable and needs_review(segment, meta.review_below)]
        sentences = "".join(
            f'<li value="{index}"><a href="{link}#s-{index}">{html.escape(_plain_target(segment))}</a>'
            + _index_notes(segment) + "</li>" for index, segment in pending)
        items.append(f'<li><h2><a href="{link}">{html.escape(english)}</a></h2>'
                     f'<p class="count">{len(pending)} of {len(rows)} sentences need review · {html.escape(href)}</p>'
                     + (f"<ol>{sentences}</ol>" if sentences else "") + "</li>")
    body = (f'<header class="intro"><h1>Review: {len(items)} articles</h1>'
            f'<p class="meta">translated by {html.escape(meta.model_name)} · a sentence needs review when it is '
            f"flagged or its confidence is under {meta.review_below:.0%}</p></header>\n"
            f'<main><ul class="articles">\n{chr(10).join(items)}\n</ul></main>\n')
    return _page("Review: articles", body)


@dataclass(frozen=True)
class Writer:
    render: Callable[[Article, OutputMeta], str]
    suffix: str | None
    """The output file's suffix after ``.en``; None keeps the input's own suffix (text)."""

    def output_name(self, input_path: PurePath) -> str:
        suffix = self.suffix if self.suffix is not None else (input_path.suffix or ".txt")
        return f"{input_path.stem}.en{suffix}"


WRITERS: dict[str, Writer] = {
    "text": Writer(render_text, None),
    "markdown": Writer(render_markdown, ".md"),
    "json": Writer(render_json, ".json"),
    "bilingual": Writer(render_bilingual, ".bilingual.md"),
    "review": Writer(render_review, ".review.html"),
}
