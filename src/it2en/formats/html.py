"""HTML → Article: the prose of a page or fragment is translated, every tag and byte kept.

The standard library's tolerant ``html.parser`` reads the source as a stream of events
(tags, text, entities, comments), each with its position; nothing is ever fetched (no
entities, stylesheets or images are loaded) and no tree is built, so broken markup, stray
tags and any depth of nesting cost nothing more. Block-level tags (``<p>``, ``<h1>``, ``<li>``,
``<td>``, ``<div>``…) end a run of prose; inline tags (``<a>``, ``<em>``, ``<span>``…) that wrap
words become inline elements; ``<br>`` is a hard break; ``<img>``, ``<code>``, comments and
other tags inside a sentence are verbatim pieces; ``<script>``, ``<style>``, ``<pre>``,
``<textarea>``, ``<svg>`` and ``<math>`` are kept whole. The ``alt``, ``title``, ``aria-label``
and ``placeholder`` attributes of any tag (inside a sentence too: ``<a title>``, ``<img alt>``),
and the ``content`` of ``<meta name="description|og:…|twitter:…">``, are translated too;
``lang="it"`` becomes ``en``.
"""

from __future__ import annotations

import bisect
import html
import re
from html.parser import HTMLParser

from it2en.article import BlockKind
from it2en.formats import prose
from it2en.formats.prose import CLOSE, HARD, OPEN, SOFT, TEXT, VERBATIM, Item, MarkupArticle, Unit

INLINE_TAGS = frozenset(
    "a abbr acronym b bdi bdo big cite data del dfn em font i ins label mark nobr q rb rp rt ruby s "
    "small span strike strong sub sup time tt u var".split())
"""Tags that wrap words inside a sentence: carried over to the translation."""
VERBATIM_INLINE = frozenset("code kbd samp".split())
"""Inline tags kept whole, content included, as one verbatim piece of the sentence."""
VOID_TAGS = frozenset("area base br col embed hr img input link meta param source track wbr".split())
SKIPPED = frozenset("script style pre textarea svg math template noscript head".split())
"""Elements whose content is never prose (``<head>`` but for ``<title>``)."""
TRANSLATED_ATTRIBUTES = frozenset({"alt", "title", "aria-label", "placeholder"})
_META_NAMES = re.compile(r"description\Z|og:(title|description)\Z|twitter:", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
_ITALIAN = re.compile(r"it(?:[-_]it)?\Z", re.IGNORECASE)
_HEADINGS = {f"h{n}" for n in range(1, 7)}


class _Events(HTMLParser):
    """The source as events ``(kind, start, tag or data, attributes)`` in order."""

    def __init__(self, text: str, base: int) -> None:
        super().__init__(convert_charrefs=False)
        self.events: list[tuple[str, int, str, list]] = []
        self.base = base
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def _offset(self) -> int:
        line, column = self.getpos()  # html.parser counts lines by "\n" alone, as done here
        return self.base + self.line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        self.events.append(("start", self._offset(), tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.events.append(("start", self._offset(), tag, attrs))

    def handle_endtag(self, tag):
        self.events.append(("end", self._offset(), tag, []))

    def handle_data(self, data):
        self.events.append(("data", self._offset(), data, []))

    def handle_entityref(self, name):
        self.events.append(("ref", self._offset(), f"&{name};", []))

    def handle_charref(self, name):
        self.events.append(("ref", self._offset(), f"&#{name};", []))

    def handle_comment(self, data):
        self.events.append(("other", self._offset(), "", []))

    handle_decl = handle_pi = unknown_decl = handle_comment


def parse(text: str, *, name: str = "-") -> MarkupArticle:
    """Parse an HTML page or fragment; rendering it unchanged gives ``text`` back byte for byte."""
    units, switches = prose_units(text, 0, len(text))
    return prose.assemble(text, units, switches, name=name, format="html")


def prose_units(text: str, start: int, end: int) -> tuple[list[Unit], list[tuple[int, int, str]]]:
    """The runs of prose of ``text[start:end]`` (a page, or an HTML block inside Markdown) and
    the ``lang`` attribute values to switch."""
    fragment = text[start:end]
    parser = _Events(fragment, start)
    parser.feed(fragment)
    parser.close()
    events = parser.events
    builder = _Builder(text, end)
    for number, event in enumerate(events):
        following = events[number + 1][1] if number + 1 < len(events) else end
        builder.event(event, following)
    builder.flush()
    units = [u for u in builder.units if any(s.translatable for s in u.segments)]
    covered = [(u.start, u.end) for u in units]
    attributes = []
    for attribute in builder.attribute_units:
        host = _inside(attribute.start, covered)
        if host is None:
            attributes.append(attribute)
        else:  # a tag inside a sentence (<a title>, <img alt>): translated into that tag
            attribute.format = "html"
            units[host].inner.append(attribute)
    switches = [s for s in builder.switches if _inside(s[0], covered) is None]
    units = sorted(units + [u for u in attributes if any(s.translatable for s in u.segments)],
                   key=lambda u: u.start)
    _classify(units, builder.title_units)
    for unit in units:
        unit.format = "html"
    return units, switches


def _inside(position: int, spans: list[tuple[int, int]]) -> int | None:
    """The index of the span (sorted, disjoint) that holds ``position``, or None."""
    starts = [s for s, _ in spans]
    index = bisect.bisect_right(starts, position) - 1
    return index if index >= 0 and spans[index][0] <= position < spans[index][1] else None


class _Builder:
    """Turns the event stream into runs of prose (units), attribute units and lang switches."""

    def __init__(self, text: str, end: int) -> None:
        self.text, self.end = text, end
        self.units: list[Unit] = []
        self.attribute_units: list[Unit] = []
        self.switches: list[tuple[int, int, str]] = []
        self.items: list[Item] = []
        self.open_inline: list[tuple[str, int]] = []
        self.blocks: list[str] = []  # the block-level tags open, innermost last
        self.skipping: str = ""  # the element whose content is kept whole
        self.skip_depth = 0
        self.title_open = False
        self.verbatim_inline: tuple[str, int, int] | None = None  # (tag, start, depth)
        self.title_units: set[int] = set()  # ids of the units from <title>

    def event(self, event, following: int) -> None:
        kind, start, value, attrs = event
        end = following
        if kind == "start" and self.verbatim_inline is None and self.skipping in ("", "head"):
            self._attributes(start, end, value, attrs)
        if self.verbatim_inline is not None:
            tag, piece_start, depth = self.verbatim_inline
            if kind == "start" and value == tag:
                self.verbatim_inline = (tag, piece_start, depth + 1)
            elif kind == "end" and value == tag:
                if depth == 1:
                    self.items.append(Item(VERBATIM, piece_start, end))
                    self.verbatim_inline = None
                else:
                    self.verbatim_inline = (tag, piece_start, depth - 1)
            return
        if self.skipping:
            if kind == "start" and value == self.skipping:
                self.skip_depth += 1
            elif kind == "end" and value == self.skipping:
                self.skip_depth -= 1
                if self.skip_depth == 0:
                    self.skipping = ""
            elif self.skipping == "head" and kind == "start" and value == "title":
                self.title_open = True
                self.blocks.append("title")
            elif self.skipping == "head" and kind == "end" and value == "title":
                self.flush()
                self.title_open = False
            elif self.skipping == "head" and self.title_open and kind in ("data", "ref"):
                self._text(kind, start, end, value)
            return
        if kind == "start":
            tag = value
            if tag in SKIPPED:
                self.flush()
                self.skipping, self.skip_depth = tag, 1
                if tag == "head" and "title" in self.blocks:
                    self.blocks.remove("title")
            elif tag == "br":
                self.items.append(Item(HARD, start, end))
            elif tag in VERBATIM_INLINE:
                self.verbatim_inline = (tag, start, 1)
            elif tag in INLINE_TAGS and not self.text[start:end].rstrip().endswith("/>"):
                self.items.append(Item(OPEN, start, end, element="html"))
                self.open_inline.append((tag, len(self.items) - 1))
            elif tag in VOID_TAGS or tag in INLINE_TAGS:
                if tag in ("img", "input", "wbr", "embed", "source", "track", "area") or tag in INLINE_TAGS:
                    self.items.append(Item(VERBATIM, start, end))
                else:
                    self.flush()
            else:
                self.flush()
                self.blocks.append(tag)
        elif kind == "end":
            tag = value
            if tag in INLINE_TAGS:
                self._close_inline(tag, start, end)
            elif tag in VOID_TAGS and tag != "br":
                self.items.append(Item(VERBATIM, start, end))
            elif tag == "br":  # </br> is read as <br> by browsers
                self.items.append(Item(HARD, start, end))
            else:
                self.flush()
                for depth in range(len(self.blocks) - 1, -1, -1):
                    if self.blocks[depth] == tag:
                        del self.blocks[depth:]
                        break
        elif kind in ("data", "ref"):
            self._text(kind, start, end, value)
        else:  # a comment, a declaration, a processing instruction
            self.items.append(Item(VERBATIM, start, end))

    def _text(self, kind: str, start: int, end: int, value: str) -> None:
        if kind == "ref":
            raw = self.text[start:end]
            if raw == value or raw.rstrip(";") == value.rstrip(";"):
                self.items.append(Item(TEXT, start, end, html.unescape(raw)))
            else:
                self.items.append(Item(VERBATIM, start, end))
            return
        data_end = start + len(value)
        if self.text[start:data_end] != value:
            self.items.append(Item(VERBATIM, start, end))
            return
        cursor = 0
        for match in _WHITESPACE.finditer(value):
            if match.start() > cursor:
                self.items.append(Item(TEXT, start + cursor, start + match.start(), value[cursor:match.start()]))
            if match.group(0) == " ":
                self.items.append(Item(TEXT, start + match.start(), start + match.end(), " "))
            else:
                self.items.append(Item(SOFT, start + match.start(), start + match.end()))
            cursor = match.end()
        if cursor < len(value):
            self.items.append(Item(TEXT, start + cursor, data_end, value[cursor:]))
        if end > data_end:
            self.items.append(Item(VERBATIM, data_end, end))

    def _close_inline(self, tag: str, start: int, end: int) -> None:
        for depth in range(len(self.open_inline) - 1, -1, -1):
            if self.open_inline[depth][0] == tag:
                opening = self.open_inline[depth][1]
                for _, unclosed in self.open_inline[depth + 1:]:
                    self.items[unclosed].kind = VERBATIM
                del self.open_inline[depth:]
                self.items.append(Item(CLOSE, start, end, element="html", partner=opening))
                self.items[opening].partner = len(self.items) - 1
                return
        self.items.append(Item(VERBATIM, start, end))  # a stray end tag

    def _attributes(self, start: int, end: int, tag: str, attrs) -> None:
        """Units for the translated attributes of a tag, and ``lang`` values to switch."""
        raw = self.text[start:end]
        head = re.match(r"<[^\s/>]+", raw)
        if not head or not any(k in TRANSLATED_ATTRIBUTES or k in ("content", "lang", "xml:lang") for k, _ in attrs):
            return
        names = {k: v for k, v in attrs}
        meta = tag == "meta" and _META_NAMES.match(names.get("name") or names.get("property") or "")
        for match in _ATTRIBUTE.finditer(raw, head.end()):
            key, value = match.group(1).lower(), match.group(2)
            if value is None:
                continue
            quote = 1 if value[:1] in "\"'" else 0
            style = {'"': "html-double", "'": "html-single"}.get(value[:1], "html-bare")
            value_start, value_end = start + match.start(2) + quote, start + match.end(2) - quote
            if key in ("lang", "xml:lang") and _ITALIAN.match(value.strip("\"'")):
                self.switches.append((value_start, value_end, "en"))
            elif key in TRANSLATED_ATTRIBUTES or (key == "content" and meta):
                plain = html.unescape(self.text[value_start:value_end])
                item = Item(TEXT, value_start, value_end, plain)
                segments, seg_start, seg_end = prose.segments_of_run(self.text, [item])
                if segments:
                    what = (names.get("name") or names.get("property") or "").lower()
                    kind = BlockKind.HEADLINE if what.endswith("title") else (
                        BlockKind.STANDFIRST if what.endswith("description") else BlockKind.PARAGRAPH)
                    self.attribute_units.append(Unit(kind, seg_start, seg_end, segments, quoting=style))

    def flush(self) -> None:
        """End the current run of prose: it becomes a unit if it holds any text."""
        items, self.items = self.items, []
        for _, unclosed in self.open_inline:
            items[unclosed].kind = VERBATIM
        self.open_inline = []
        if self.verbatim_inline is not None:
            self.verbatim_inline = None
        for part in self._apart_from_standalone_tags(items):
            self._unit(part)

    def _unit(self, items: list[Item]) -> None:
        if not any(item.kind == TEXT and item.plain.strip() for item in items):
            return
        segments, start, end = prose.segments_of_run(self.text, items)
        if not segments:
            return
        self.units.append(Unit(self._kind(), start, end, segments,
                               wrapped=any(i.kind == SOFT and "\n" in self.text[i.start:i.end] for i in items)))
        if self.blocks and self.blocks[-1] == "title":
            self.title_units.add(id(self.units[-1]))

    def _apart_from_standalone_tags(self, items: list[Item]) -> list[list[Item]]:
        """The run cut around a tag with a translated attribute (``<img alt>``) that stands on
        its own line of the run (between hard breaks or the run's ends, outside any element):
        it is not part of a sentence, so its attribute can be translated."""
        cuts = [i for i, item in enumerate(items) if item.kind == VERBATIM and self._translated_tag(item)
                and self._standalone(items, i)]
        if not cuts:
            return [items]
        parts, begin = [], 0
        for cut in cuts + [len(items)]:
            part = items[begin:cut]
            for item in part:
                if item.partner >= 0:
                    item.partner -= begin
            parts.append(part)
            begin = cut + 1
        return parts

    def _translated_tag(self, item: Item) -> bool:
        raw = self.text[item.start:item.end]
        return raw.startswith("<") and any(
            re.search(rf"\s{name}\s*=", raw, re.IGNORECASE) for name in TRANSLATED_ATTRIBUTES)

    @staticmethod
    def _standalone(items: list[Item], index: int) -> bool:
        depth = sum(1 if i.kind == OPEN else -1 if i.kind == CLOSE else 0 for i in items[:index])
        if depth:
            return False
        for step in (-1, 1):
            at = index + step
            while 0 <= at < len(items) and (items[at].kind == SOFT or (items[at].kind == TEXT and not items[at].plain.strip())):
                at += step
            if 0 <= at < len(items) and items[at].kind != HARD:
                return False
        return True

    def _kind(self) -> BlockKind:
        inner = self.blocks[-1] if self.blocks else ""
        if inner == "title":
            return BlockKind.HEADLINE
        if inner in _HEADINGS:
            return BlockKind.HEADING if inner != "h1" else BlockKind.HEADLINE
        if "blockquote" in self.blocks:
            return BlockKind.QUOTE
        if inner in ("li", "dt", "dd"):
            return BlockKind.LIST_ITEM
        return BlockKind.PARAGRAPH


def _classify(units: list[Unit], title_units: set[int]) -> None:
    """One headline besides ``<title>``: the first ``<h1>``; a later ``<h1>`` is a heading."""
    seen_h1 = False
    for unit in units:
        if unit.kind is BlockKind.HEADLINE and not unit.quoting and id(unit) not in title_units:
            if seen_h1:
                unit.kind = BlockKind.HEADING
            seen_h1 = True
