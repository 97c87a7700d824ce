"""Article → output text, one writer per format, picked from ``WRITERS`` by name.

Writers never re-parse: they walk the Article's blocks and put frames, translations and
separators back. ``text`` is the input's own layout; ``markdown`` adds Markdown markers by
block kind; ``json`` is the schema in DESIGN.md; ``bilingual`` pairs each Italian block with
its English, for review.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Callable

from it2en.article import Article, Block, BlockKind


@dataclass(frozen=True)
class OutputMeta:
    """What a writer needs besides the article: the model that translated it."""

    model_name: str = "identity"
    model_revision: str = ""


def _newline(article: Article) -> str:
    for block in article.blocks:
        for text in (block.separator, *(s.gap for s in block.segments)):
            match = re.search(r"\r\n|\n|\r", text)
            if match:
                return match.group(0)
    return "\n"


def _block_text(block: Block) -> str:
    return block.output_prefix + block.target + block.suffix


def render_text(article: Article, meta: OutputMeta) -> str:
    """The input's layout, character for character, with the translated words."""
    if article.format != "text":  # Markdown and HTML are written back in their own format
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
    return "".join(parts) + (newline if parts else "")


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
    return (newline * 2).join(parts) + (newline if parts else "")


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
                    item["it2en_target"] = segment.output  # what it2en wrote: tells an edit apart
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
}
