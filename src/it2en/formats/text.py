"""Text → Article: find the blocks of an article, their kinds and their verbatim frames.

Plain text and Markdown are read the same way: blank lines separate blocks, a list marker or
a Markdown heading starts a block of its own, and line breaks inside a block are kept. Every
character of the input lands in exactly one place of the Article (see ``article.py``), so the
layout round trip is exact by construction; ``tests/test_structure.py`` checks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from it2en.article import Article, Block, BlockKind, Segment
from it2en.fidelity.checks import is_translatable
from it2en.sentences import split_sentences

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+\Z")
_HEADING = re.compile(r"[ \t]{0,3}#{1,6}[ \t]+")
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*+•–][ \t]+|\d{1,3}[.)][ \t]+)")
_QUOTE_MARKER = re.compile(r"[ \t]{0,3}>[ \t]?")
_INDENT = re.compile(r"[ \t]*")
_LABEL = re.compile(
    r"(?P<label>(?i:disclaimer|avvertenza|avvertenze|avviso|nota|note|n\.b\.|attenzione|warning|"
    r"aggiornamento|update|fonte|fonti|source|foto|photo|leggi anche|"
    r"esclusione di responsabilità))(?P<colon>[ \t]*:[ \t]*)"
)
# Italian labels and their English form; an English label stays as it is.
LABEL_TRANSLATIONS = {
    "avvertenza": "Disclaimer",
    "avvertenze": "Disclaimer",
    "esclusione di responsabilità": "Disclaimer",
    "avviso": "Notice",
    "nota": "Note",
    "attenzione": "Warning",
    "aggiornamento": "Update",
    "fonte": "Source",
    "fonti": "Sources",
    "foto": "Photo",
    "leggi anche": "See also",
}
_DISCLAIMER_LABELS = {"disclaimer", "avvertenza", "avvertenze", "avviso", "esclusione di responsabilità",
                      "nota", "note", "n.b.", "attenzione", "warning"}
_QUOTE_PAIRS = {"“": "”", "«": "»", '"': '"', "„": "“", "‘": "’"}
_BOLD = re.compile(r"(\*\*|__)(?=\S)")
_TRAILING_STAR = re.compile(r"[ \t]*\*+\Z")
# Closing boilerplate of Italian news and blog pages: comment forms, source credits, sharing.
_BOILERPLATE = re.compile(
    r"(?i)^(lascia un commento|lascia una risposta|il tuo indirizzo (e-?mail|di posta) non sarà pubblicato|"
    r"i campi obbligatori sono contrassegnati|fonte( e immagini)?$|fonti$|condividi|"
    r"iscriviti alla (nostra )?newsletter|riproduzione riservata|tutti i diritti riservati|"
    r"©|dal blog di |articoli correlati|potrebbe interessarti|commenti$)"
)
_SENTENCE_END = tuple(".!?…:;")


@dataclass
class _Line:
    """One physical line: its frame before the text, the text, and the whitespace after."""

    lead: str
    text: str
    trail: str
    ending: str


def parse(text: str, *, name: str = "-") -> Article:
    """Split an article into blocks with kinds, frames and sentence segments."""
    lines = [_split_line(m.group(0)) for m in _LINE.finditer(text)]
    article = Article(blocks=[], name=name)
    pending = ""  # verbatim text waiting for a block to own it (blank lines)
    groups: list[list[_Line]] = []
    separators: list[str] = []
    for line in lines:
        if not line.text and not line.lead.strip():
            pending += line.lead + line.trail + line.ending
            continue
        starts_block = (
            not groups
            or pending
            or _HEADING.match(line.lead)
            or _LIST_ITEM.match(line.lead)
            or _HEADING.match(groups[-1][0].lead)
            or (_LIST_ITEM.match(groups[-1][0].lead) and not _QUOTE_MARKER.match(line.lead))
        )
        if starts_block:
            if groups:
                separators[-1] += pending
            else:
                article.leading = pending
            pending = ""
            groups.append([line])
            separators.append("")
        else:
            groups[-1].append(line)
    if groups:
        separators[-1] += pending
    else:
        article.leading = pending
    for group, separator in zip(groups, separators):
        article.blocks.append(_block(group, separator))
    _classify(article.blocks)
    return article


def _split_line(raw: str) -> _Line:
    ending = raw[len(raw.rstrip("\r\n")):]
    body = raw[: len(raw) - len(ending)]
    stripped = body.rstrip()
    trail = body[len(stripped):]
    lead_match = (
        _HEADING.match(stripped)
        or _LIST_ITEM.match(stripped)
        or _QUOTE_MARKER.match(stripped)
        or _INDENT.match(stripped)
    )
    lead = lead_match.group(0)
    return _Line(lead=lead, text=stripped[len(lead):], trail=trail, ending=ending)


def _block(lines: list[_Line], separator: str) -> Block:
    """Build one block: frames from its first and last line, segments from every line."""
    first, last = lines[0], lines[-1]
    prefix = first.lead
    kind = BlockKind.PARAGRAPH
    if _HEADING.match(prefix):
        kind = BlockKind.HEADING
    elif _LIST_ITEM.match(prefix) and prefix.strip():
        kind = BlockKind.LIST_ITEM
    elif _QUOTE_MARKER.match(prefix):
        kind = BlockKind.QUOTE
    texts = [line.text for line in lines]
    label_target = None
    label = _LABEL.match(texts[0])
    if label and len(texts[0]) > label.end():
        word = label.group("label")
        prefix += label.group(0)
        texts[0] = texts[0][label.end():]
        english = LABEL_TRANSLATIONS.get(word.lower())
        if english:
            english = english.upper() if word.isupper() else english
            label_target = first.lead + english + label.group("colon")
        if word.lower() in _DISCLAIMER_LABELS and kind is BlockKind.PARAGRAPH:
            kind = BlockKind.DISCLAIMER
    suffix = last.trail
    bold = _BOLD.match(texts[0])
    marker = bold.group(1) if bold else ""
    if bold and len(texts[-1]) > 2 * len(marker) and texts[-1].endswith(marker) and "\n".join(texts).count(marker) == 2:
        prefix += marker
        texts[0] = texts[0][len(marker):]
        texts[-1] = texts[-1][: -len(marker)]
        suffix = marker + suffix
    star = _TRAILING_STAR.search(texts[-1])
    if star and "*" not in texts[-1][: star.start()] and star.start() > 0:
        texts[-1] = texts[-1][: star.start()]
        suffix = star.group(0) + suffix
    opening = texts[0][:1]
    closing = _QUOTE_PAIRS.get(opening)
    if closing and len(texts[0]) > 1 and texts[-1].endswith(closing) and _whole_quote(texts, opening, closing):
        prefix += opening
        texts[0] = texts[0][1:]
        texts[-1] = texts[-1][: -len(closing)]
        suffix = closing + suffix
        if kind is BlockKind.PARAGRAPH:
            kind = BlockKind.QUOTE
    segments: list[Segment] = []
    for index, (line, text) in enumerate(zip(lines, texts)):
        if index > 0:
            _append_gap(segments, line.lead)
        _add_text_segments(segments, text)
        if index < len(lines) - 1:
            _append_gap(segments, line.trail + line.ending)
    block = Block(kind=kind, prefix=prefix, segments=segments, suffix=suffix,
                  separator=last.ending + separator, label_target=label_target)
    if not segments:  # a frame with nothing inside: keep it verbatim, as one untranslated piece
        block.segments = [Segment(source="", translatable=False)]
    return block


def _whole_quote(texts: list[str], opening: str, closing: str) -> bool:
    """True when one pair of marks encloses the whole block, not two quotes side by side."""
    inner = "\n".join(texts)[1 : -len(closing)]
    if opening == closing:
        return opening not in inner
    return closing not in inner and opening not in inner


def _append_gap(segments: list[Segment], text: str) -> None:
    if not text:
        return
    if segments:
        segments[-1].gap += text
    else:
        segments.append(Segment(source="", gap=text, translatable=False))


def _add_text_segments(segments: list[Segment], text: str) -> None:
    if not text:
        return
    lead = text[: len(text) - len(text.lstrip())]
    _append_gap(segments, lead)
    body = text[len(lead):]
    if not body:
        return
    for sentence, gap in split_sentences(body):
        segments.append(Segment(source=sentence, gap=gap, translatable=is_translatable(sentence)))


def _ends_sentence(text: str) -> bool:
    return text.rstrip(" \t\"'”»’)*").endswith(_SENTENCE_END)


def _classify(blocks: list[Block]) -> None:
    """Give article-level kinds: headline, standfirst, headings, closing boilerplate."""
    body_started = False
    headline_text = None
    for index, block in enumerate(blocks):
        source = block.source.strip()
        words = len(source.split())
        single_line = "\n" not in source and "\r" not in source
        if _BOILERPLATE.match(source) or (block.kind is BlockKind.PARAGRAPH and _is_signature(blocks, index)):
            block.kind = BlockKind.BOILERPLATE
            continue
        if block.kind is not BlockKind.PARAGRAPH and block.kind is not BlockKind.HEADING:
            body_started = True
            continue
        if index == 0 and single_line and words <= 40 and not source.endswith((".", ":", ";")):
            block.kind = BlockKind.HEADLINE
            headline_text = source
            continue
        if headline_text is not None and not body_started and source == headline_text:
            block.kind = BlockKind.HEADLINE
            continue
        if block.kind is BlockKind.HEADING:
            body_started = True
            continue
        if headline_text is not None and not body_started:
            body_started = True
            if words <= 60 and (block.prefix.endswith(("**", "__")) or not source.endswith(".")):
                block.kind = BlockKind.STANDFIRST
                continue
        body_started = True
        if single_line and words <= 15 and not _ends_sentence(source):
            block.kind = BlockKind.HEADING


def _is_signature(blocks: list[Block], index: int) -> bool:
    """The article's last block, short and without final punctuation: a byline or credit."""
    source = blocks[index].source.strip()
    return (
        index == len(blocks) - 1
        and index > 1
        and len(source.split()) <= 10
        and "\n" not in source
        and not _ends_sentence(source)
    )
