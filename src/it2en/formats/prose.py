"""Prose runs of Markdown and HTML → sentence segments; segments → the source edited in place.

A format module (``markdown.py``, ``html.py``) finds the runs of prose in its source and
describes each run as :class:`Item` s in source order: text, a soft line break, a hard line
break, a verbatim piece (inline code, an image, an autolink, a tag without text) and the
opening and closing markup of the inline elements that wrap words. This module turns a run
into segments whose ``source`` is the plain sentence the model sees, with the inline elements
as :class:`~it2en.article.InlineMarkup` offsets into it, and each segment's exact source text in
``Segment.raw``. Nothing is re-serialised: rendering writes the source bytes back, replacing
only the segments whose translation differs, and re-wraps a hard-wrapped paragraph that changed.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from it2en.article import Article, Block, BlockKind, InlineMarkup, Segment
from it2en.fidelity.checks import is_translatable
from it2en.fidelity.placeholders import TEMPLATE_TAG
from it2en.sentences import split_sentences

TEXT, SOFT, HARD, VERBATIM, OPEN, CLOSE = "text", "soft", "hard", "verbatim", "open", "close"
_NEWLINES = re.compile(r"\r\n|\r|\n")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


@dataclass
class Item:
    """One piece of a prose run: its kind, its span ``[start, end)`` in the source, its plain text."""

    kind: str
    start: int
    end: int
    plain: str = ""
    """What the model sees: the text (entities and escapes decoded), ``" "`` for a soft break;
    for a CLOSE item, the markup to write after a translation when not its source text."""
    element: str = ""
    """For OPEN/CLOSE: the element's kind (``emphasis``, ``strong``, ``link``, ``html``…)."""
    partner: int = -1
    """For OPEN/CLOSE: the index of the matching CLOSE/OPEN item in the run."""


@dataclass
class MarkupBlock(Block):
    """A block of a Markdown or HTML article: how to write its translation back."""

    width: int = 0
    """The longest source line of a hard-wrapped block (0: not wrapped); translations re-wrap to it."""
    column: int = 0
    """Where the block's text starts on its first line."""
    continuation: str = ""
    """The verbatim start of a wrapped block's next lines: indentation, ``> `` of a quotation."""
    quoting: str = ""
    """How a front matter value is written: ``yaml-plain``, ``yaml-double``, ``toml-double``…"""
    forbidden_starts: re.Pattern | None = None
    """Words a wrapped line must not start with (they would open a Markdown block)."""
    switches: list[tuple[int, int, str]] = field(default_factory=list)
    """Spans of ``separator`` replaced once the article is translated (``lang: it`` → ``en``)."""
    format: str = ""
    """The markup the block's text is written in when not the article's (HTML inside Markdown)."""
    embedded: list[tuple[Segment, int, str, MarkupBlock]] = field(default_factory=list)
    """Prose inside the markup of this block's segments (a link's title, an image's alt inside a
    sentence): the segment, the offset in its source as written of that prose with one character
    on each side (its quotes or brackets: so it is found in its markup and nowhere else, not in a
    link's destination), that anchored text, and the block that translates the prose."""
    inside: bool = False
    """A block whose prose lives inside another block's markup: written there, never on its own."""


@dataclass
class Unit:
    """One run of prose found in a source: its kind, its span, its segments, how it is written."""

    kind: BlockKind
    start: int
    end: int
    segments: list[Segment]
    wrapped: bool = False
    quoting: str = ""
    forbidden_starts: re.Pattern | None = None
    format: str = ""
    """The markup the unit's text is written in when not the article's (HTML inside Markdown)."""
    inner: list[Unit] = field(default_factory=list)
    """Prose inside this unit's markup (a link's title, an image's alt inside a sentence):
    translated as a block of its own, written back into that markup."""


@dataclass
class MarkupArticle(Article):
    """An Article parsed from Markdown or HTML; ``leading`` holds what precedes the first block."""

    leading_switches: list[tuple[int, int, str]] = field(default_factory=list)


def segments_of_run(source: str, items: list[Item]) -> tuple[list[Segment], int, int]:
    """The segments of one prose run, and the source span ``[start, end)`` they cover.

    Sentences are split on the plain text, one line group (between hard breaks) at a time; a
    sentence boundary inside an inline element or a verbatim piece is not taken, so every
    element lies inside one segment. The text between two segments is the first one's gap.
    """
    items = _normalised(_template_tags_verbatim(source, items))
    spans: list[tuple[int, int, Segment]] = []
    group: list[int] = []
    for index, item in enumerate(items):
        if item.kind == HARD:
            spans.extend(_group_segments(source, items, group))
            group = []
        else:
            group.append(index)
    spans.extend(_group_segments(source, items, group))
    segments = []
    for number, (start, end, segment) in enumerate(spans):
        following = spans[number + 1][0] if number + 1 < len(spans) else end
        segment.gap = source[end:following]
        segments.append(segment)
    if not spans:
        return [], 0, 0
    return segments, spans[0][0], spans[-1][1]


def _template_tags_verbatim(source: str, items: list[Item]) -> list[Item]:
    """Liquid, Hugo and Jinja tags (``{{ … }}``, ``{% … %}``, ``{# … #}``, ``{{< … >}}``, a whole
    ``{% comment %}…{% endcomment %}``) inside plain text made verbatim pieces."""
    result: list[Item] = []
    for item in items:
        exact = item.kind == TEXT and source[item.start:item.end] == item.plain
        if not exact or "{" not in item.plain:
            result.append(item)
            continue
        cursor = 0
        for match in TEMPLATE_TAG.finditer(item.plain):
            if match.start() > cursor:
                result.append(Item(TEXT, item.start + cursor, item.start + match.start(), item.plain[cursor:match.start()]))
            result.append(Item(VERBATIM, item.start + match.start(), item.start + match.end()))
            cursor = match.end()
        if cursor < len(item.plain):
            result.append(Item(TEXT, item.start + cursor, item.end, item.plain[cursor:]))
    if len(result) != len(items):  # partners are indexes: renumber them
        position = {id(item): number for number, item in enumerate(result)}
        for item in result:
            if item.partner >= 0:
                item.partner = position[id(items[item.partner])]
    return result


def _normalised(items: list[Item]) -> list[Item]:
    """The run with an element that wraps no text made one verbatim piece (``<a id=x></a>``,
    ``[](#top)``), and a hard break inside an element taken as a soft one (the element must
    lie inside one segment)."""
    result: list[Item] = []
    renumber: dict[int, int] = {}
    depth = 0
    index = 0
    while index < len(items):
        item = items[index]
        if item.kind == OPEN and item.partner > index and not any(
                i.kind in (TEXT, VERBATIM) and (i.plain.strip() or i.kind == VERBATIM)
                for i in items[index + 1:item.partner]):
            result.append(Item(VERBATIM, item.start, items[item.partner].end))
            index = item.partner + 1
            continue
        if item.kind == OPEN:
            depth += 1
        elif item.kind == CLOSE:
            depth -= 1
        renumber[index] = len(result)
        result.append(Item(SOFT if item.kind == HARD and depth > 0 else item.kind, item.start, item.end,
                           item.plain, item.element, item.partner))
        index += 1
    for item in result:
        if item.partner >= 0:
            item.partner = renumber.get(item.partner, -1)
    return result


def _group_segments(source: str, items: list[Item], indexes: list[int]) -> list[tuple[int, int, Segment]]:
    """Segments of the items between two hard breaks, with their source spans."""
    plain_parts: list[str] = []
    offsets: dict[int, tuple[int, int]] = {}  # item index -> plain [start, end)
    length = 0
    for index in indexes:
        item = items[index]
        if item.kind == VERBATIM:
            text = _NEWLINES.sub(" ", source[item.start:item.end])
        elif item.kind in (TEXT, SOFT):
            text = item.plain if item.kind == TEXT else " "
        else:
            text = ""
        offsets[index] = (length, length + len(text))
        plain_parts.append(text)
        length += len(text)
    plain = "".join(plain_parts)
    body_start = len(plain) - len(plain.lstrip())
    body = plain[body_start:].rstrip()
    if not body:
        return []
    elements = []  # (plain start, plain end, open index, close index)
    verbatim = []
    for index in indexes:
        item = items[index]
        if item.kind == OPEN and item.partner in offsets:
            elements.append((offsets[index][0], offsets[item.partner][0], index, item.partner))
        elif item.kind == VERBATIM:
            verbatim.append(offsets[index])
    elements.sort()
    verbatim.sort()
    spans = sorted([(e[0], e[1]) for e in elements] + verbatim)
    sentences = []  # plain [start, end)
    cursor, reach, swept = body_start, -1, 0
    for sentence, gap in split_sentences(body):
        end = cursor + len(sentence)
        while swept < len(spans) and spans[swept][0] < cursor:  # what starts before this sentence
            reach = max(reach, spans[swept][1])
            swept += 1
        if sentences and reach > sentences[-1][1]:  # a boundary inside an element or a verbatim piece
            sentences[-1] = (sentences[-1][0], end)
        else:
            sentences.append((cursor, end))
        cursor = end + len(gap)
    width_items = [i for i in indexes if offsets[i][1] > offsets[i][0]]
    starts = [offsets[i][0] for i in width_items]
    element_starts = [e[0] for e in elements]
    verbatim_starts = [v[0] for v in verbatim]
    result = []
    for start, end in sentences:
        text = plain[start:end]
        first, last = bisect.bisect_left(element_starts, start), bisect.bisect_right(element_starts, end)
        own = [e for e in elements[first:last] if e[1] <= end and e[0] < e[1]]
        markup = [InlineMarkup(kind=items[o].element, start=s - start, end=e - start,
                               opening=source[items[o].start:items[o].end],
                               closing=items[c].plain or source[items[c].start:items[c].end])
                  for s, e, o, c in sorted(own, key=lambda e: (e[0], -e[1], e[2]))]
        raw_start = _raw_position(source, items, width_items, starts, offsets, start, at_end=False)
        raw_end = _raw_position(source, items, width_items, starts, offsets, end, at_end=True)
        for _, _, opening, closing in own:
            raw_start = min(raw_start, items[opening].start)
            raw_end = max(raw_end, items[closing].end)
        first, last = bisect.bisect_left(verbatim_starts, start), bisect.bisect_right(verbatim_starts, end)
        pieces = [(s - start, e - start) for s, e in verbatim[first:last] if e <= end]
        words = "".join(text[a:b] for a, b in zip([0] + [e for _, e in pieces], [s for s, _ in pieces] + [len(text)]))
        segment = Segment(source=text, translatable=is_translatable(words), markup=markup, verbatim=pieces)
        raw = source[raw_start:raw_end]
        if raw != segment.marked_source:
            segment.raw = raw
        result.append((raw_start, raw_end, segment))
    return result


def _raw_position(source, items, width_items, starts, offsets, position, *, at_end) -> int:
    """The source offset of a plain offset: where its character starts (or the last one ends)."""
    probe = position - 1 if at_end else position
    number = bisect.bisect_right(starts, probe) - 1
    index = width_items[number]
    item = items[index]
    plain_start, plain_end = offsets[index]
    exact = item.kind == TEXT and item.end - item.start == len(item.plain) and (
        source[item.start:item.end] == item.plain)
    if exact:
        return item.start + position - plain_start
    return item.end if at_end else item.start


# ------------------------------------------------------------------------------------ rendering


def article_translated(article: Article) -> bool:
    """True once some segment's translation differs from its source (not the identity engine)."""
    return any(s.target is not None and s.target != s.source for s in article.segments())


def markdown_escape(text: str) -> str:
    """Translated words written into Markdown: characters that would start markup are escaped."""
    return _ENTITY_LIKE.sub("&amp;", _MARKDOWN_SPECIAL.sub(r"\\\1", text))


def html_escape(text: str) -> str:
    """Translated words written into HTML: a ``<`` that would open a tag, an ``&`` that would
    start an entity, are escaped; everything else (UTF-8 letters, quotes) is written as is."""
    return _TAG_LIKE.sub("&lt;", _ENTITY_LIKE.sub("&amp;", text))


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>])")
_ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")
_TAG_LIKE = re.compile(r"<(?=[A-Za-z/!?])")
ESCAPES = {"markdown": markdown_escape, "html": html_escape}


def segment_output(segment: Segment, escape, embedded: list[tuple[int, str, str]] = ()) -> str:
    """A segment as written out: its source as written while unchanged, else its translation
    with the inline markup at the target offsets, the words escaped for the format and the
    verbatim pieces (restored from placeholders) left as they are. ``embedded`` lists the
    translated prose inside its markup: (offset in the source as written, source, translation)."""
    if segment.target is None or segment.target == segment.source:
        written = segment.marked_source
        for offset, text, translation in sorted(embedded, reverse=True):
            if written.startswith(text, offset):
                written = written[:offset] + translation + written[offset + len(text):]
        return written
    target = segment.target
    keep: list[tuple[int, int]] = []
    # a verbatim piece sent unmasked may come back in another case (``</SPAN>``): still markup
    haystack = target.lower() if len(target.lower()) == len(target) else target
    for start, end in segment.verbatim:
        needle = segment.source[start:end].lower() if haystack is not target else segment.source[start:end]
        found = haystack.find(needle)
        while found != -1 and any(a < found + end - start and found < b for a, b in keep):
            found = haystack.find(needle, found + 1)
        if found != -1:
            keep.append((found, found + end - start))
    inserts: list[tuple[int, int, int, str]] = []
    for order, element in enumerate(segment.markup):
        if element.target_start is None or element.target_end is None:
            continue
        inserts.append((element.target_start, 1, order, _with_embedded(element.opening, embedded)))
        inserts.append((element.target_end, 0, -order, _with_embedded(element.closing, embedded)))
    inserts.sort(key=lambda item: (item[0], item[1], item[2]))
    cuts = sorted({0, len(target), *(i[0] for i in inserts), *(k for span in keep for k in span)})
    pieces = []
    for number, cut in enumerate(cuts):
        pieces.extend(piece for position, _, _, piece in inserts if position == cut)
        if number + 1 < len(cuts):
            chunk = target[cut:cuts[number + 1]]
            kept = any(a <= cut and cuts[number + 1] <= b for a, b in keep)
            pieces.append(_with_embedded(chunk, embedded) if kept else escape(chunk))
    return "".join(pieces)


def _with_embedded(markup: str, embedded: list[tuple[int, str, str]]) -> str:
    """A piece of markup (a tag, a link's ``](…)``, an image) with the prose inside it translated."""
    for _, text, translation in embedded:
        markup = markup.replace(text, translation, 1)
    return markup


def render(article: Article) -> str:
    """The source with the translated segments put in place; unchanged text stays byte for byte."""
    translated = article_translated(article)
    parts = [_switched(article.leading, getattr(article, "leading_switches", []), translated)]
    for block in article.blocks:
        if getattr(block, "inside", False):
            continue  # written inside its host's markup
        escape = ESCAPES.get(getattr(block, "format", "") or article.format, lambda text: text)
        parts.append(block.output_prefix)
        parts.append(_block_body(block, escape))
        parts.append(block.suffix)
        parts.append(_switched(block.separator, getattr(block, "switches", []), translated))
    return "".join(parts)


def _switched(text: str, switches: list[tuple[int, int, str]], translated: bool) -> str:
    if not translated or not switches:
        return text
    for start, end, new in sorted(switches, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _block_body(block: Block, escape) -> str:
    quoting = getattr(block, "quoting", "")
    if quoting:  # a front matter value or an attribute: its own quoting, not Markdown escapes
        escape = _unescaped
    pairs = _outputs(block.segments, escape, _embedded_translations(block, escape))
    body = "".join(output + gap for output, gap in pairs)
    if not any(_changed(s) for s in block.segments):
        return body
    if quoting:
        return quote_value(body, quoting)
    if getattr(block, "width", 0):
        return rewrap(block, pairs)
    return body


def _unescaped(text: str) -> str:
    return text


def _changed(segment: Segment) -> bool:
    return segment.target is not None and segment.target != segment.source


def _embedded_translations(block: Block, escape) -> dict[int, list[tuple[int, str, str]]]:
    """id(segment) → the translated prose inside its markup: (offset, anchored source, anchored
    translation), anchored as in ``MarkupBlock.embedded``."""
    found: dict[int, list[tuple[int, str, str]]] = {}
    for segment, offset, anchored, inner in getattr(block, "embedded", ()):
        if any(_changed(s) for s in inner.segments):
            translation = anchored[0] + _block_body(inner, escape) + anchored[-1]
            found.setdefault(id(segment), []).append((offset, anchored, translation))
    return found


def _outputs(segments: list[Segment], escape, embedded: dict | None = None) -> list[tuple[str, str]]:
    """Each segment's output and the gap after it. The pieces of a sentence that the pipeline
    cut for length are written as the whole sentence was (``cut_from``) while none changed."""
    embedded = embedded or {}
    pairs: list[tuple[str, str]] = []
    index = 0
    while index < len(segments):
        whole = getattr(segments[index], "cut_from", None)
        end = index + 1
        while whole is not None and end < len(segments) and segments[end].cut_from is whole:
            end += 1
        if whole is not None and not any(_changed(s) for s in segments[index:end]):
            pairs.append((segment_output(whole, escape, embedded.get(id(whole), [])), whole.gap))
        else:
            pairs.extend((segment_output(s, escape, embedded.get(id(s), embedded.get(id(s.cut_from), []))), s.gap)
                         for s in segments[index:end])
        index = end
    return pairs


_YAML_NEEDS_QUOTES = re.compile(r"^[\s\[\]{}&*!|>'\"%@`#,?:-]|: | #|\s$|^$")


def quote_value(text: str, quoting: str) -> str:
    """A translated front matter value written so that YAML or TOML still reads it as text."""
    if quoting == "yaml-plain":
        if not _YAML_NEEDS_QUOTES.search(text):
            return text
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if quoting in ("yaml-double", "toml-double"):
        return text.replace("\\", "\\\\").replace('"', '\\"')
    if quoting == "yaml-single":
        return text.replace("'", "''")
    if quoting == "toml-single":
        return text.replace("'", "’")
    if quoting.startswith("md-"):  # a Markdown link's or image's title
        closing = {"md-double": '"', "md-single": "'", "md-paren": "()"}[quoting]
        text = text.replace("\\", "\\\\")
        for char in closing:
            text = text.replace(char, "\\" + char)
        return text
    if quoting.startswith("html-"):  # an attribute value
        text = text.replace("&", "&amp;").replace("<", "&lt;")
        if quoting == "html-single":
            return text.replace("'", "&#39;")
        text = text.replace('"', "&quot;")
        return text if quoting == "html-double" else f'"{text}"'
    return text


_SOFT_BREAK = re.compile(r"[ \t]*(?:\r\n|\r|\n)[ \t>]*")
_HARD_GAP = re.compile(r"( {2,}|\\|<br\b[^>]*>)[ \t]*(\r\n|\r|\n)", re.IGNORECASE)
_UNBREAKABLE = re.compile(r"(?:\]\([^)\r\n]*\)|`[^`\r\n]*`|<[^<>\r\n]*>|\S)+")


def rewrap(block: Block, pairs: list[tuple[str, str]]) -> str:
    """A changed hard-wrapped block, its lines filled again up to the block's source width.

    Hard breaks (and the text around them) stay as they are; soft breaks become spaces and the
    words are laid out greedily, never breaking inside a tag, a link destination or a code
    span, and never starting a line with a word that would open a Markdown block.
    """
    newline = (_NEWLINES.search(block.source + block.separator) or re.search("\n", "\n")).group(0)
    runs: list[tuple[str, str]] = []  # (text to fill, verbatim hard break after it)
    run = ""
    for output, gap in pairs:
        hard = _HARD_GAP.search(gap)
        if hard:
            runs.append((run + output + gap[: hard.start()], gap[hard.start():]))
            run = ""
        else:
            run += output + (" " if _NEWLINES.search(gap) else gap)
    runs.append((run, ""))
    forbidden = getattr(block, "forbidden_starts", None)
    width, column = block.width, block.column
    pieces = []
    for text, hard_gap in runs:
        pieces.append(_fill(_SOFT_BREAK.sub(" ", text), width, column, block.continuation, newline, forbidden))
        pieces.append(hard_gap)
        column = len(_NEWLINES.split(hard_gap)[-1])
    return "".join(pieces)


def _fill(text: str, width: int, column: int, continuation: str, newline: str,
          forbidden: re.Pattern | None) -> str:
    body = text.strip()
    if not body:
        return text
    lead, tail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()):]
    lines, current, used = [], "", column + len(lead)
    for word in _UNBREAKABLE.findall(body):
        if not current:
            current = word
        elif used + len(current) + 1 + len(word) <= width or (forbidden is not None and forbidden.match(word)):
            current += " " + word
        else:
            lines.append(current)
            current, used = word, len(continuation)
    lines.append(current)
    return lead + (newline + continuation).join(lines) + tail


def assemble(text: str, units: list[Unit], switches, *, name: str, format: str) -> MarkupArticle:
    """Blocks from the units; the text between two units is the first one's suffix (to its
    line's end) and separator, and the next one's prefix (from its line's start)."""
    article = MarkupArticle(blocks=[], name=name, format=format)
    lines = [(m.start(), m.start() + len(m.group(0).rstrip("\r\n")), m.end()) for m in _LINE.finditer(text)]
    line_starts = [start for start, _, _ in lines]
    previous_end = 0
    holders: list[tuple[int, object]] = []  # (offset where a separator starts, its block or None)
    for unit in units:
        between = text[previous_end:unit.start]
        block = MarkupBlock(kind=unit.kind, prefix="", segments=unit.segments, quoting=unit.quoting,
                            format=unit.format)
        if unit.wrapped:
            _set_wrap(block, text, lines, line_starts, unit)
        head, tail = _split_between(between)
        if article.blocks:
            last = article.blocks[-1]
            suffix, separator = _split_suffix(head)
            last.suffix, last.separator = suffix, separator
            holders.append((previous_end + len(suffix), last))
        else:
            article.leading = head
            holders.append((0, None))
        block.prefix = tail
        article.blocks.append(block)
        previous_end = unit.end
    rest = text[previous_end:]
    if article.blocks:
        suffix, separator = _split_suffix(rest)
        article.blocks[-1].suffix, article.blocks[-1].separator = suffix, separator
        holders.append((previous_end + len(suffix), article.blocks[-1]))
    else:
        article.leading = text
        holders.append((0, None))
    for start, end, new in switches:
        for holder_start, holder in reversed(holders):
            if holder_start <= start:
                relative = (start - holder_start, end - holder_start, new)
                if holder is None:
                    article.leading_switches.append(relative)
                else:
                    holder.switches.append(relative)
                break
    _embed(text, units, article)
    return article


def _embed(text: str, units: list[Unit], article: MarkupArticle) -> None:
    """Each unit's inner prose (a title, an alt inside a sentence) as a block of its own, placed
    after its host's block and written back into the host segment's markup."""
    if not any(unit.inner for unit in units):
        return
    blocks: list[Block] = []
    for unit, block in zip(units, article.blocks, strict=True):  # one block per unit, in order
        blocks.append(block)
        spans = []  # (start, end, segment): where each segment is written in the source
        position = unit.start
        for segment in unit.segments:
            written = len(segment.marked_source)
            spans.append((position, position + written, segment))
            position += written + len(segment.gap)
        for inner in unit.inner:
            start, end = inner.start - 1, inner.end + 1  # with its quotes or brackets
            host = next((span for span in spans if span[0] <= start and end <= span[1]), None)
            if host is None or not any(s.translatable for s in inner.segments):
                continue  # not inside a sentence as written: kept as it is
            hidden = MarkupBlock(kind=inner.kind, prefix="", segments=inner.segments, quoting=inner.quoting,
                                 format=inner.format, inside=True)
            block.embedded.append((host[2], start - host[0], text[start:end], hidden))
            blocks.append(hidden)
    article.blocks = blocks


def _split_between(between: str) -> tuple[str, str]:
    """Text between two units: up to its last line ending, and the next unit's line start."""
    last = max(between.rfind("\n"), between.rfind("\r"))
    return between[: last + 1], between[last + 1:]


def _split_suffix(head: str) -> tuple[str, str]:
    """The rest of a unit's last line (``**``, a table's `` |``), and the line ending onward."""
    match = re.search(r"\r\n|\r|\n", head)
    if not match:
        return head, ""
    return head[: match.start()], head[match.start():]


def _set_wrap(block: MarkupBlock, text: str, lines, line_starts: list[int], unit: Unit) -> None:
    first = bisect.bisect_right(line_starts, unit.start) - 1
    last = bisect.bisect_right(line_starts, max(unit.end - 1, unit.start)) - 1
    if last <= first:
        return
    block.width = max(lines[i][1] - lines[i][0] for i in range(first, last + 1))
    block.column = unit.start - lines[first][0]
    second = lines[first + 1]
    line = text[second[0]:second[1]]
    block.continuation = line[: len(line) - len(line.lstrip(" \t>"))]
    block.forbidden_starts = unit.forbidden_starts
