"""Markdown → Article: only the prose is translated, every other byte of the source is kept.

markdown-it-py (CommonMark, tables, strikethrough, footnotes) finds the prose: the inline
content of paragraphs, headings, list items, quotations and table cells, with its source
lines (``token.map``). Each inline content is located in its source lines, and its inline
tokens are matched to the source in order, so that every piece (text, emphasis markers, a
link's ``[`` and ``](destination)``, inline code, an image) has its exact source span. Front
matter (YAML ``---`` or TOML ``+++``) is read line by line: the values of the keys that are
prose become blocks, ``lang: it`` becomes ``en`` once translated, the rest is kept as it is.
Anything that cannot be located exactly (a tab expanded inside a list item, an escaped pipe
in a table cell) is kept verbatim rather than risked.
"""

from __future__ import annotations

import bisect
import functools
import re

from it2en.article import BlockKind
from it2en.fidelity.checks import is_translatable
from it2en.formats import prose
from it2en.formats.prose import CLOSE, HARD, OPEN, SOFT, TEXT, VERBATIM, Item, MarkupArticle, Unit
from it2en.formats.text import _BOILERPLATE, _LABEL, _DISCLAIMER_LABELS

TRANSLATED_KEYS = ("title", "subtitle", "description", "summary", "excerpt")
"""Front matter keys whose values are prose; ``--translate-keys`` adds others."""

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_YAML_ENTRY = re.compile(r"(?P<key>[A-Za-z_][\w-]*)[ \t]*:[ \t]+(?P<value>\S.*?)[ \t]*\Z")
_TOML_ENTRY = re.compile(r"(?P<key>[A-Za-z_][\w-]*)[ \t]*=[ \t]*(?P<value>\S.*?)[ \t]*\Z")
_ITALIAN_LANG = re.compile(r"it(?:[-_]IT)?\Z", re.IGNORECASE)
_ELEMENTS = {"em": "emphasis", "strong": "strong", "s": "strikethrough"}
_VOID_TAGS = frozenset("area base br col embed hr img input link meta source track wbr".split())
_BREAK_TAG = re.compile(r"<br\s*/?>\Z", re.IGNORECASE)
_TAG = re.compile(r"<(/?)([A-Za-z][\w-]*)")
_FORBIDDEN_STARTS = re.compile(r"(?:#{1,6}|[-+*]|\d{1,9}[.)]|=+|-+)\Z|[><]|```|~~~")
"""A word that would open a block (heading, list, quotation, fence, HTML) at a line's start."""


class _Unmapped(Exception):
    """An inline content whose tokens cannot be matched to the source exactly: keep it verbatim."""


@functools.lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin

    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).use(footnote_plugin)
    md.disable("text_join")  # keep escapes and entities as tokens of their own, with their markup
    return md


def parse(text: str, *, name: str = "-", translate_keys: tuple[str, ...] = ()) -> MarkupArticle:
    """Parse a Markdown article; rendering it unchanged gives ``text`` back byte for byte."""
    lines = [(m.start(), m.start() + len(m.group(0).rstrip("\r\n")), m.end()) for m in _LINE.finditer(text)]
    units: list[Unit] = []
    switches: list[tuple[int, int, str]] = []
    body_text = text
    front_end = _front_matter_end(text, lines)
    if front_end:
        units, switches = _front_matter(text, lines[1:front_end - 1], text[: lines[0][1]].strip(),
                                        set(TRANSLATED_KEYS) | set(translate_keys))
        # markdown-it sees blank lines where the front matter was: line numbers stay the same
        body_text = "\n" * front_end + text[lines[front_end - 1][2]:]
    kept: list[tuple[int, str]] = []
    units.extend(_prose_units(text, body_text, lines, kept))
    units.sort(key=lambda unit: unit.start)
    _classify(units)
    article = prose.assemble(text, units, switches, name=name, format="markdown")
    article.kept_as_written = kept
    return article


def _front_matter_end(text: str, lines) -> int:
    """The number of lines of a front matter block at the top (0: none, or never closed)."""
    if not lines:
        return 0
    fence = text[lines[0][0]:lines[0][1]].rstrip()
    closers = {"---": ("---", "..."), "+++": ("+++",)}.get(fence)
    if not closers:
        return 0
    for number, (start, end, _) in enumerate(lines[1:], start=1):
        if text[start:end].rstrip() in closers:
            return number + 1
    return 0


def _front_matter(text: str, lines, fence: str, keys: set[str]):
    """Blocks for the prose values of the front matter, and the ``lang`` values to switch."""
    units, switches = [], []
    entry = _YAML_ENTRY if fence == "---" else _TOML_ENTRY
    for start, end, _ in lines:
        match = entry.match(text, start, end)
        if not match:
            continue
        key, value = match.group("key"), match.group("value")
        value_start, value_end = match.span("value")
        quote = value[0] if value[0] in "\"'" and len(value) >= 2 and value[-1] == value[0] else ""
        if quote and value.startswith('"""'):
            continue
        if key.lower() == "lang" and _ITALIAN_LANG.match(value.strip("\"'")):
            inner = value_start + len(quote), value_end - len(quote)
            switches.append((inner[0], inner[1], "en"))
            continue
        if key.lower() not in keys:
            continue
        if quote:
            value_start, value_end = value_start + 1, value_end - 1
            style = ("yaml-" if fence == "---" else "toml-") + ("double" if quote == '"' else "single")
        elif fence == "---" and value[0] not in "|>&*!%@`{[#":
            comment = value.find(" #")
            if comment != -1:
                value_end = value_start + comment
            style = "yaml-plain"
        else:
            continue
        plain = text[value_start:value_end]
        if "\\" in plain and style.endswith("double"):
            continue  # escapes: keep the value as written rather than guess
        segments, seg_start, seg_end = prose.segments_of_run(text, [Item(TEXT, value_start, value_end, plain)])
        if segments:
            kind = BlockKind.HEADLINE if key.lower() == "title" else (
                BlockKind.STANDFIRST if key.lower() in TRANSLATED_KEYS else BlockKind.PARAGRAPH)
            units.append(Unit(kind, seg_start, seg_end, segments, quoting=style))
    return units, switches


def _prose_units(text: str, body_text: str, lines, kept: list[tuple[int, str]]) -> list[Unit]:
    """The units of the body; inline content that cannot be mapped goes to ``kept`` (line, words)."""
    tokens = _parser().parse(body_text)
    units = []
    containers: list[str] = []
    cursors: dict[int, int] = {}  # line -> where the next table cell is looked for
    for token in tokens:
        if token.nesting == 1:
            containers.append(token.type)
        elif token.nesting == -1:
            if containers:
                containers.pop()
        if token.type == "html_block" and token.map:
            from it2en.formats import html  # raw HTML inside Markdown: its prose is prose too

            last = lines[min(token.map[1], len(lines)) - 1]
            units.extend(html.prose_units(text, lines[token.map[0]][0], last[1])[0])
            continue
        if token.type != "inline" or not token.map or not token.content.strip():
            continue
        parent = containers[-1] if containers else ""
        kind = BlockKind.PARAGRAPH
        if parent == "heading_open":
            kind = BlockKind.HEADING
        elif "blockquote_open" in containers:
            kind = BlockKind.QUOTE
        elif "list_item_open" in containers:
            kind = BlockKind.LIST_ITEM
        inner: list[tuple[int, int, str, str]] = []
        try:
            locate = _locate(text, lines, token, parent, cursors)
            items = _items(token.children or [], token.content, locate, inner)
        except _Unmapped:
            if is_translatable(token.content):
                words = " ".join(token.content.split())
                kept.append((token.map[0] + 1, words if len(words) <= 60 else words[:57] + "…"))
            continue
        inner_units = [unit for unit in (_inner_unit(text, *found) for found in inner) if unit is not None]
        segments, start, end = prose.segments_of_run(text, items)
        if not any(s.translatable for s in segments):
            units.extend(inner_units)  # images and links standing alone: their alt and titles are prose
            continue
        units.append(Unit(kind, start, end, segments, wrapped="\n" in token.content and parent != "heading_open",
                          forbidden_starts=_FORBIDDEN_STARTS, inner=inner_units))
    return units


def _inner_unit(text: str, start: int, end: int, plain: str, quoting: str) -> Unit | None:
    """An image's alt text or a link's title as a unit of its own."""
    segments, start, end = prose.segments_of_run(text, [Item(TEXT, start, end, plain)])
    if not any(s.translatable for s in segments):
        return None
    return Unit(BlockKind.PARAGRAPH, start, end, segments, quoting=quoting, forbidden_starts=_FORBIDDEN_STARTS)


def _locate(text: str, lines, token, parent: str, cursors: dict[int, int]):
    """A function from an offset in the token's content to its offset in ``text``."""
    content_lines = token.content.split("\n")
    first_line = token.map[0]
    starts = []  # (content offset, source offset) of each content line
    offset = 0
    for number, line in enumerate(content_lines):
        index = first_line + number
        if index >= len(lines):
            raise _Unmapped()
        line_start, line_end, _ = lines[index]
        source = text[line_start:line_end]
        if len(content_lines) > 1 and number < len(content_lines) - 1:
            column = len(source) - len(line)
        elif parent in ("th_open", "td_open", "heading_open") and len(content_lines) == 1:
            column = source.find(line, cursors.get(index, len(source) - len(source.lstrip(" \t#|"))))
            cursors[index] = column + len(line)
        else:
            column = len(source.rstrip()) - len(line)
        if column < 0 or source[column:column + len(line)] != line:
            raise _Unmapped()
        starts.append((offset, line_start + column))
        offset += len(line) + 1

    return _Locator(starts)


class _Locator:
    """Content offset → source offset, by the content's lines."""

    def __init__(self, starts: list[tuple[int, int]]) -> None:
        self.content_starts = [c for c, _ in starts]
        self.source_starts = [s for _, s in starts]

    def __call__(self, position: int) -> int:
        line = bisect.bisect_right(self.content_starts, position) - 1
        return self.source_starts[line] + position - self.content_starts[line]


def _items(children, content: str, locate, inner: list[tuple[int, int, str, str]]) -> list[Item]:
    """The inline tokens matched to the content, in order, as items with source spans; the prose
    inside markup (an image's alt text, a link's or image's title) goes to ``inner`` as
    (source start, source end, plain text, quoting: ``""`` for an alt, ``md-double``… for a title)."""
    prose_in_markup: list[tuple[int, int, str, str]] = []  # as ``inner``, in content offsets
    items: list[Item] = []
    stack: list[tuple[str, int]] = []  # (element, item index) of open elements
    html_stack: list[tuple[str, int]] = []
    position = 0
    skip_autolink = False

    def expect(piece: str) -> None:
        if not content.startswith(piece, position):
            raise _Unmapped()

    def add(kind: str, start: int, end: int, plain: str = "", element: str = "") -> int:
        items.append(Item(kind, locate(start), locate(end), plain, element))
        return len(items) - 1

    for token in children:
        kind = token.type
        if skip_autolink:
            skip_autolink = kind != "link_close"
            continue
        if kind == "text":
            expect(token.content)
            add(TEXT, position, position + len(token.content), token.content)
            position += len(token.content)
        elif kind == "text_special":
            expect(token.markup)
            add(TEXT, position, position + len(token.markup), token.content)
            position += len(token.markup)
        elif kind in ("softbreak", "hardbreak"):
            end = _line_break_end(content, position, hard=kind == "hardbreak")
            add(HARD if kind == "hardbreak" else SOFT, position, end)
            position = end
        elif kind == "code_inline":
            expect(token.markup)
            end = _code_span_end(content, position, token.markup)
            add(VERBATIM, position, end)
            position = end
        elif kind.endswith("_open") and kind[:-5] in _ELEMENTS:
            expect(token.markup)
            stack.append((kind[:-5], add(OPEN, position, position + len(token.markup), element=_ELEMENTS[kind[:-5]])))
            position += len(token.markup)
        elif kind.endswith("_close") and kind[:-6] in _ELEMENTS:
            expect(token.markup)
            _pair(items, stack, kind[:-6], add(CLOSE, position, position + len(token.markup)))
            position += len(token.markup)
        elif kind == "link_open" and token.markup == "autolink":
            expect("<")
            end = content.find(">", position) + 1
            if end == 0:
                raise _Unmapped()
            add(VERBATIM, position, end)
            position, skip_autolink = end, True
        elif kind == "link_open":
            expect("[")
            stack.append(("link", add(OPEN, position, position + 1, element="link")))
            position += 1
        elif kind == "link_close":
            expect("]")
            end = _link_tail(content, position, prose_in_markup)
            opening = stack[-1][1] if stack else -1
            closing = add(CLOSE, position, end)
            if content[position:end] in ("]", "][]") and opening >= 0:
                # [label] and [label][] find their destination by their text: once the text is
                # translated, the reference is written out in full, [new text][label]
                label = content[_content_offset(items, opening, content, locate):position]
                items[closing].plain = "][" + re.sub(r"\s+", " ", label) + "]"
            _pair(items, stack, "link", closing)
            position = end
        elif kind == "image":
            expect("![")
            label_end = _label_end(content, position + 1)
            if token.content.strip():
                prose_in_markup.append((position + 2, label_end, token.content, ""))
            end = _link_tail(content, label_end, prose_in_markup)
            add(VERBATIM, position, end)
            position = end
        elif kind == "footnote_ref":
            expect("[^")
            end = content.find("]", position) + 1
            add(VERBATIM, position, end)
            position = end
        elif kind == "html_inline" and _BREAK_TAG.match(token.content):
            expect(token.content)  # <br>: a hard break, as two trailing spaces are
            add(HARD, position, position + len(token.content))
            position += len(token.content)
        elif kind == "html_inline":
            expect(token.content)
            index = add(VERBATIM, position, position + len(token.content))
            _pair_html(items, html_stack, token.content, index)
            position += len(token.content)
        else:
            raise _Unmapped()
    if content[position:].strip() or stack:
        raise _Unmapped()
    inner.extend((locate(start), locate(end), plain, quoting) for start, end, plain, quoting in prose_in_markup)
    return items


def _content_offset(items: list[Item], index: int, content: str, locate) -> int:
    """The content offset just after the item ``index`` (whose source span is known)."""
    target = items[index].end
    low, high = 0, len(content)
    while low < high:  # locate() is increasing: find the content offset that maps to target
        middle = (low + high) // 2
        if locate(middle) < target:
            low = middle + 1
        else:
            high = middle
    return low


def _pair(items: list[Item], stack: list[tuple[str, int]], element: str, close: int) -> None:
    if not stack or stack[-1][0] != element:
        raise _Unmapped()
    _, opening = stack.pop()
    items[opening].partner, items[close].partner = close, opening
    items[close].element = items[opening].element


def _pair_html(items: list[Item], stack: list[tuple[str, int]], tag: str, index: int) -> None:
    """An HTML start tag and its end tag wrap words as one element; others stay verbatim pieces."""
    match = _TAG.match(tag)
    if not match or tag.endswith("/>"):
        return
    closing, name = match.group(1) == "/", match.group(2).lower()
    if name in _VOID_TAGS:
        return
    if not closing:
        stack.append((name, index))
        return
    for depth in range(len(stack) - 1, -1, -1):
        if stack[depth][0] == name:
            opening = stack[depth][1]
            del stack[depth:]
            items[opening].kind, items[index].kind = OPEN, CLOSE
            items[opening].element = items[index].element = "html"
            items[opening].partner, items[index].partner = index, opening
            return


def _line_break_end(content: str, position: int, *, hard: bool) -> int:
    """Where a line break that starts at ``position`` ends: after the next line's indentation."""
    end = position
    while end < len(content) and content[end] in " \t":
        end += 1
    if hard and content.startswith("\\", end):
        end += 1
    if not content.startswith("\n", end):
        raise _Unmapped()
    end += 1
    while end < len(content) and content[end] in " \t":
        end += 1
    return end


def _code_span_end(content: str, position: int, fence: str) -> int:
    search = position + len(fence)
    while True:
        found = content.find(fence, search)
        if found == -1:
            raise _Unmapped()
        after = found + len(fence)
        if content[found - 1] != "`" and not content.startswith("`", after):
            return after
        search = found + 1
        while content.startswith("`", search):
            search += 1


def _label_end(content: str, position: int) -> int:
    """The offset of the ``]`` that closes the ``[`` at ``position``."""
    depth, index = 0, position
    while index < len(content):
        char = content[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise _Unmapped()


_TITLE_QUOTING = {'"': "md-double", "'": "md-single", "(": "md-paren"}


def _link_tail(content: str, position: int, titles: list) -> int:
    """Where a link or image that closes with ``]`` at ``position`` ends: ``(dest "title")``,
    ``[ref]``, ``[]`` or nothing (a shortcut reference), as markdown-it's link rule reads it.
    A title written without escapes or line breaks goes to ``titles`` (content offsets)."""
    from markdown_it.helpers import parseLinkDestination, parseLinkTitle

    after = position + 1
    if content.startswith("(", after):
        index, limit = after + 1, len(content)
        index = _skip_space(content, index)
        destination = parseLinkDestination(content, index, limit)
        if destination.ok:
            index = destination.pos
            spaced = _skip_space(content, index)
            if spaced != index and spaced < limit:
                title = parseLinkTitle(content, spaced, limit)
                index = _skip_space(content, title.pos) if title.ok else spaced
                written = content[spaced + 1:title.pos - 1] if title.ok else ""
                if written == title.str and written.strip() and "\n" not in written:
                    titles.append((spaced + 1, title.pos - 1, written, _TITLE_QUOTING[content[spaced]]))
            else:
                index = spaced
        if content.startswith(")", index):
            return index + 1
    if content.startswith("[", after):
        close = content.find("]", after)
        if close != -1:
            return close + 1
    return after


def _skip_space(content: str, index: int) -> int:
    while index < len(content) and content[index] in " \t\n":
        index += 1
    return index


def _classify(units: list[Unit]) -> None:
    """Article-level kinds: a headline from the front matter title or the first heading,
    a wholly bold first paragraph as standfirst, disclaimers and closing boilerplate."""
    has_headline = any(u.kind is BlockKind.HEADLINE for u in units)
    body_started = False
    for index, unit in enumerate(units):
        if unit.quoting:
            continue
        plain = " ".join(s.source for s in unit.segments).strip()
        if unit.kind is BlockKind.HEADING and not has_headline and not body_started:
            unit.kind, has_headline = BlockKind.HEADLINE, True
            continue
        if (index == 0 and unit.kind is BlockKind.PARAGRAPH and len(unit.segments) == 1 and not unit.wrapped
                and len(plain.split()) <= 40 and not plain.endswith((".", ":", ";"))):
            unit.kind, has_headline = BlockKind.HEADLINE, True  # a title line, as in plain text
            continue
        if unit.kind is BlockKind.PARAGRAPH:
            label = _LABEL.match(plain)
            if label and label.group("label").lower() in _DISCLAIMER_LABELS:
                unit.kind = BlockKind.DISCLAIMER
            elif _BOILERPLATE.match(plain) and index == len(units) - 1:
                unit.kind = BlockKind.BOILERPLATE
            elif has_headline and not body_started and _wholly_marked(unit):
                unit.kind = BlockKind.STANDFIRST
        body_started = True


def _wholly_marked(unit: Unit) -> bool:
    return len(unit.segments) == 1 and any(
        m.start == 0 and m.end == len(unit.segments[0].source) and m.kind in ("strong", "emphasis")
        for m in unit.segments[0].markup)


