"""Word (``.docx``) and OpenDocument (``.odt``) articles: the package kept, the text translated.

A document is a ZIP package. Only the XML parts that hold text are parsed (lxml, hardened: no
DTD, no entity expansion, no network); every other part is copied back with its name, order,
date and compression method, and a parsed part in which no sentence changed is written back
as its original bytes, so an identity translation gives back identical parts.

A paragraph is read as a little markup language of its own: its text, the formatting contexts
that wrap words (a run's properties, an ODF span, a hyperlink) as opening/closing tokens, and the
zero-width objects inside it (a footnote reference, a bookmark, an image, a field, a tab) as
anchor characters. :func:`~it2en.formats.prose.segments_of_run` cuts that into sentences whose
plain ``source`` the model sees; formatting contexts become
:class:`~it2en.article.InlineMarkup` that the word alignment carries onto the translation, and
anchors are verbatim pieces masked by placeholders. Tokens and anchors are characters of Unicode's
supplementary private use area B, which no Italian text uses. Adjacent runs that look the same
(they differ only by revision ids, spell-check marks or language) are merged first.

A paragraph with tracked changes, a content control, or a complex field (``w:fldChar``) that runs
on into the next paragraph is kept as written, untranslated, and reported in
``Article.kept_as_written``: translating it would drop the revision history or cut a field apart.
A complex field inside one paragraph (a page number, a date, a cross reference) is one object.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from lxml import etree

from it2en.article import Article, Block, BlockKind, Segment
from it2en.errors import InputDecodeError, UsageError
from it2en.formats.prose import CLOSE, HARD, OPEN, TEXT, VERBATIM, Item, segments_of_run


MAX_TOTAL_BYTES = 256 * 1024 * 1024
"""Uncompressed size of all the parts of a package together: a larger document is refused."""
MAX_PART_BYTES = 64 * 1024 * 1024
"""Uncompressed size of one XML part that is parsed."""
MAX_RATIO = 100
"""Compression ratio above which a part over 1 MiB is taken for a ZIP bomb."""
MAX_MEMBERS = 10_000

_OPEN_BASE = 0x100000
_ANCHOR_BASE = 0x108000
_CLOSE = chr(0x10FFFD)
_TOKEN = re.compile("[\U00100000-\U0010FFFD]")

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
DC = "http://purl.org/dc/elements/1.1/"
TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
STYLE_NS = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
FO_NS = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
SVG_NS = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"

ENGLISH_DOCX = "en-US"
"""The ``w:lang`` of translated runs."""
ENGLISH_ODF = ("en", "US")
"""The ``fo:language`` and ``fo:country`` that Italian ones become in a translated document."""


def _w(name: str) -> str:
    return f"{{{W}}}{name}"


def _t(name: str) -> str:
    return f"{{{TEXT_NS}}}{name}"


# ------------------------------------------------------------------------------------ the package


@dataclass
class Package:
    """The ZIP as read: every member's info and bytes, in order."""

    members: list[tuple[zipfile.ZipInfo, bytes]]
    original: bytes = b""
    """The file as read: written back as it is when nothing in it was translated."""

    def data(self, name: str) -> bytes | None:
        return next((data for info, data in self.members if info.filename == name), None)


def _refuse(name: str, why: str) -> InputDecodeError:
    return InputDecodeError(f"{name}: {why}")


def open_package(data: bytes, *, name: str, kind: str) -> Package:
    """The package's members, refusing what is not a usable document of ``kind``."""
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise _refuse(name, "is password-protected (an encrypted Office document): it2en cannot read it. "
                                "Open it in Word or LibreOffice, remove the password, save it, and translate that copy.")
        raise _refuse(name, "is an old binary Word document (.doc), not .docx: convert it first, for example "
                            "with: soffice --headless --convert-to docx FILE.doc")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise _refuse(name, f"is not a valid {kind} document (not a readable ZIP package: {exc}); "
                            "open and save it again in Word or LibreOffice") from None
    if len(infos) > MAX_MEMBERS:
        raise _refuse(name, f"holds {len(infos)} parts, more than {MAX_MEMBERS}: refused as a possible ZIP bomb")
    total = sum(info.file_size for info in infos)
    if total > MAX_TOTAL_BYTES:
        raise _refuse(name, f"unpacks to {total / 2**20:.0f} MiB, more than the limit of "
                            f"{MAX_TOTAL_BYTES / 2**20:g} MiB for one document: split it into smaller documents")
    for info in infos:
        if info.file_size > 2**20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _refuse(name, f"{info.filename} is compressed more than {MAX_RATIO} to 1: refused as a possible ZIP bomb")
    members = []
    for info in infos:
        try:
            with archive.open(info) as handle:
                content = handle.read(info.file_size + 1)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError, ValueError) as exc:
            encrypted = info.flag_bits & 0x1
            why = "is password-protected" if encrypted else f"has a damaged part {info.filename} ({exc})"
            raise _refuse(name, f"{why}: it2en cannot read it; open and save it again in Word or LibreOffice") from None
        if len(content) > info.file_size:
            raise _refuse(name, f"{info.filename} unpacks to more than it declares: refused as a possible ZIP bomb")
        members.append((info, content))
    return Package(members, data)


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_xml(data: bytes, *, name: str, part: str) -> etree._Element:
    """A part's XML tree; a DTD (entity declarations: billion laughs, external files) is refused."""
    if len(data) > MAX_PART_BYTES:
        raise _refuse(name, f"{part} is {len(data) / 2**20:.0f} MiB of XML, more than the limit of "
                            f"{MAX_PART_BYTES / 2**20:g} MiB: split the document into smaller ones")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise _refuse(name, f"{part} is not well-formed XML ({exc}); open and save the document again") from None
    if root.getroottree().docinfo.doctype:
        raise _refuse(name, f"{part} declares a DTD, which Office documents never do: refused "
                            "(entity expansion and external references are not followed)")
    return root


def serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# ------------------------------------------------------------------------------------ paragraphs


@dataclass
class Context:
    """What wraps a chunk of text: an outer link (or None) and the inner wrappers' templates."""

    outer: etree._Element | None
    inner: tuple[etree._Element, ...]

    def key(self) -> tuple:
        return (id(self.outer), tuple(_look(e) for e in self.inner))


def _look(element: etree._Element) -> tuple:
    """How a wrapper looks: its tag, attributes and properties, without revision ids and language."""
    attributes = tuple(sorted((k, v) for k, v in element.attrib.items() if "rsid" not in k))
    properties = element.find(_w("rPr"))
    shown = ()
    if properties is not None:
        shown = tuple(sorted(
            (child.tag, tuple(sorted((k, v) for k, v in child.attrib.items() if "rsid" not in k)))
            for child in properties if child.tag not in (_w("lang"), _w("noProof"))))
    return (element.tag, attributes, shown)


@dataclass
class Flat:
    """A paragraph flattened: text chunks with their context, anchors, breaks, in order."""

    pieces: list[tuple[str, object]] = field(default_factory=list)
    """``("text", (text, Context))``, ``("anchor", element)``, ``("break", element)``."""
    kept: str = ""
    """Why the paragraph is kept as written (tracked changes, a field over paragraphs), else empty."""

    def text(self, text: str, context: Context) -> None:
        if text:
            self.pieces.append(("text", (text, context)))


@dataclass
class Paragraph:
    """How to write one paragraph's translation back."""

    element: etree._Element
    anchors: list[etree._Element]
    contexts: list[Context]
    base: Context
    head: str
    tail: str
    glued: list[tuple[bool, bool]] = field(default_factory=list)
    """For each anchor: whether it was glued to the word before it, and to the word after it."""


@dataclass
class OfficeBlock(Block):
    """A block of a Word or OpenDocument article, and where it lives in the package."""

    part: str = ""
    paragraph: Paragraph | None = None
    attribute: tuple[etree._Element, str] | None = None
    """An attribute (``descr`` of an image) holding the text, or (element, ``""``) for its text."""


@dataclass
class OfficeArticle(Article):
    package: Package | None = None
    roots: dict[str, etree._Element] = field(default_factory=dict)


def _merged(flat: Flat) -> list[tuple[str, object]]:
    """Adjacent chunks that look the same made one; a chunk of spaces joins the one before it."""
    result: list[tuple[str, object]] = []
    for kind, value in flat.pieces:
        if kind == "text" and result and result[-1][0] == "text":
            text, context = value
            before, before_context = result[-1][1]
            if not text.strip() or context.key() == before_context.key():
                result[-1] = ("text", (before + text, before_context))
                continue
            if not before.strip():
                result[-1] = ("text", (before + text, context))
                continue
        result.append((kind, value))
    return result


def _weights(chunks: list[tuple[str, Context]]) -> Context | None:
    counts: Counter = Counter()
    first: dict[tuple, Context] = {}
    for text, context in chunks:
        key = tuple(_look(e) for e in context.inner)
        counts[key] += len(text)
        first.setdefault(key, context)
    return first[counts.most_common(1)[0][0]] if counts else None


def paragraph_segments(flat: Flat, element: etree._Element) -> tuple[list[Segment], Paragraph]:
    """The paragraph as sentences, and what is needed to rebuild it from their translations."""
    pieces = _merged(flat)
    chunks = [value for kind, value in pieces if kind == "text"]
    outside = [c for c in chunks if c[1].outer is None]
    base = _weights(outside) or Context(None, chunks[0][1].inner if chunks else ())
    base = Context(None, base.inner)
    link_base: dict[int, Context] = {}
    for text, context in chunks:
        if context.outer is not None and id(context.outer) not in link_base:
            inside = [c for c in chunks if c[1].outer is context.outer]
            link_base[id(context.outer)] = Context(context.outer, _weights(inside).inner)
    source_parts: list[str] = []
    items: list[Item] = []
    contexts: list[Context] = []
    anchors: list[etree._Element] = []
    length = 0

    def add(kind: str, text: str, **extra) -> Item:
        nonlocal length
        item = Item(kind, length, length + len(text), **extra)
        source_parts.append(text)
        length += len(text)
        items.append(item)
        return item

    def open_element(context: Context, kind: str) -> int:
        contexts.append(context)
        add(OPEN, chr(_OPEN_BASE + len(contexts) - 1), element=kind)
        return len(items) - 1

    def close(opened: int) -> None:
        add(CLOSE, _CLOSE, partner=opened)
        items[opened].partner = len(items) - 1

    texts = [n for n, (kind, value) in enumerate(pieces) if kind == "text" and value[0].strip()]
    glued: list[list[bool]] = []

    def plain_before() -> str:
        """The plain text just before the end: the last text item's, or an object's marker."""
        last = next((i for i in reversed(items) if i.kind in (TEXT, VERBATIM, HARD)), None)
        return last.plain if last is not None and last.kind == TEXT else "x"

    link_open: tuple[int, etree._Element] | None = None
    for number, (kind, value) in enumerate(pieces):
        outer = value[1].outer if kind == "text" else None
        if link_open is not None and (kind != "text" or outer is not link_open[1]):
            close(link_open[0])
            link_open = None
        if kind != "text":
            anchors.append(value)
            glued.append([False, False])
            marker = chr(_ANCHOR_BASE + len(anchors) - 1)
            if texts and texts[0] < number < texts[-1] and kind == "break":
                add(HARD, marker)
            elif texts and texts[0] < number < texts[-1]:
                # an object glued to a word (``decreto¹``) is set apart by a space the model sees
                # and the writing takes away: its placeholder must be a word of its own
                glued[-1][0] = not plain_before()[-1:].isspace()
                if glued[-1][0]:
                    add(TEXT, " ", plain=" ")
                add(VERBATIM, marker)
            else:  # before or after the words: stays there, out of the sentences
                source_parts.append(marker)
                length += 1
            continue
        text, context = value
        if items and items[-1].kind == VERBATIM and not text[:1].isspace():
            glued[-1][1] = True
            add(TEXT, " ", plain=" ")
        around = base
        if outer is not None:
            around = link_base[id(outer)]
            if link_open is None:
                link_open = (open_element(around, "link"), outer)
        inner = context.key() != around.key()
        opened = open_element(context, _kind(context)) if inner else -1
        add(TEXT, text, plain=text)
        if inner:
            close(opened)
    if link_open is not None:
        close(link_open[0])
    source = "".join(source_parts)
    segments, start, end = segments_of_run(source, items)
    if not segments:
        start = end = len(source)
    return segments, Paragraph(element, anchors, contexts, base, source[:start], source[end:],
                               [tuple(sides) for sides in glued])


def add_paragraph(article: OfficeArticle, part: str, element: etree._Element, flat: Flat,
                  kind: Callable[[etree._Element], BlockKind], words: Callable[[etree._Element], str]) -> None:
    """The paragraph as a block of the article; one kept as written is said in ``kept_as_written``
    with its first ``words`` and why."""
    if flat.kept:
        shown = strip_tokens(words(element)).strip()
        if shown:
            article.kept_as_written.append((len(article.blocks) + 1, f"{shown[:60]} ({flat.kept})"))
        return
    segments, rebuild = paragraph_segments(flat, element)
    if segments:
        article.blocks.append(OfficeBlock(kind(element), "", segments, part=part, paragraph=rebuild))


def _kind(context: Context) -> str:
    """The element's name in JSON: ``strong``, ``emphasis``, ``underline`` or ``format``."""
    for wrapper in context.inner:
        properties = wrapper.find(_w("rPr"))
        names = {child.tag for child in properties} if properties is not None else set()
        if _w("b") in names:
            return "strong"
        if _w("i") in names:
            return "emphasis"
        if _w("u") in names:
            return "underline"
    return "format"


def written(block: OfficeBlock) -> str:
    """The block's text as it is to be written: tokens and anchors included."""
    paragraph = block.paragraph
    body = "".join(s.output + s.gap for s in block.segments)
    return paragraph.head + body + paragraph.tail if paragraph else body


def unpack(paragraph: Paragraph, text: str) -> list[tuple[str, object]]:
    """The written text back into ``("text", (text, Context))`` and ``("anchor", element)``.

    An anchor that a translation lost (its placeholder did not come back) is put at the end:
    an object is never dropped.
    """
    result: list[tuple[str, object]] = []
    stack: list[Context] = [paragraph.base]
    buffer: list[str] = []
    placed: set[int] = set()
    skip_space = False

    def flush() -> None:
        if buffer:
            result.append(("text", ("".join(buffer), stack[-1])))
            buffer.clear()

    for char in text:
        code = ord(char)
        if char == _CLOSE:
            flush()
            if len(stack) > 1:
                stack.pop()
        elif _ANCHOR_BASE <= code < _ANCHOR_BASE + len(paragraph.anchors):
            number = code - _ANCHOR_BASE
            before, after = paragraph.glued[number]
            if before:
                _drop_last_space(buffer, result)
            flush()
            if number not in placed:
                placed.add(number)
                result.append(("anchor", paragraph.anchors[number]))
            skip_space = after
        elif _OPEN_BASE <= code < _OPEN_BASE + len(paragraph.contexts):
            flush()
            stack.append(paragraph.contexts[code - _OPEN_BASE])
        elif skip_space and char.isspace():
            skip_space = False
        else:
            skip_space = False
            buffer.append(char)
    flush()
    result.extend(("anchor", a) for n, a in enumerate(paragraph.anchors) if n not in placed)
    return result


def _drop_last_space(buffer: list[str], result: list[tuple[str, object]]) -> None:
    """Take away the space written before a glued object: from the text not yet written, else
    from the last chunk written."""
    if buffer:
        if buffer[-1].isspace():
            buffer.pop()
        return
    if result and result[-1][0] == "text" and result[-1][1][0][-1:].isspace():
        text, context = result[-1][1]
        if text[:-1]:
            result[-1] = ("text", (text[:-1], context))
        else:
            result.pop()


def changed(block: OfficeBlock) -> bool:
    return any(s.target is not None and s.target != s.source for s in block.segments)


def write_blocks(article: OfficeArticle, rebuild: Callable[[Paragraph, list], None]) -> set[str]:
    """Every translated block written into its tree; the names of the parts that changed."""
    touched = set()
    for block in article.blocks:
        if not changed(block):
            continue
        touched.add(block.part)
        if block.attribute is not None:
            write_attribute(block)
        else:
            rebuild(block.paragraph, unpack(block.paragraph, written(block)))
    return touched


def rebuild_paragraph(paragraph: Paragraph, pieces: list, *, anchor: Callable, words: Callable) -> None:
    """Fill an emptied paragraph from its unpacked translation: anchors in their places (``anchor``
    gives the nodes each is written as), the words of one link inside one copy of its element;
    ``words(container, text, context, at_start)`` writes a chunk of text the format's way."""
    element = paragraph.element
    group: tuple[etree._Element, etree._Element] | None = None
    for kind, value in pieces:
        if kind != "text":
            group = None
            for node in anchor(value):
                element.append(node)
            continue
        text, context = value
        at_start = not element.text and not len(element)
        container = element
        if context.outer is not None:
            if group is None or group[1] is not context.outer:
                group = (etree.SubElement(element, context.outer.tag, dict(context.outer.attrib)), context.outer)
            container = group[0]
        else:
            group = None
        words(container, text, context, at_start)


def sentences_of(text: str) -> tuple[list[Segment], str, str]:
    """A property's or an alt text's sentences, and the spaces before and after them."""
    segments, start, end = segments_of_run(text, [Item(TEXT, 0, len(text), plain=text)])
    return segments, text[:start], text[end:]


def kind_of_heading(name: str) -> BlockKind | None:
    lowered = name.lower().replace(" ", "")
    if lowered in ("title", "titolo"):
        return BlockKind.HEADLINE
    if lowered in ("subtitle", "sottotitolo"):
        return BlockKind.STANDFIRST
    if re.match(r"(heading|titolo|intestazione)\d", lowered):
        return BlockKind.HEADING
    return None


def strip_tokens(text: str) -> str:
    return _TOKEN.sub("", text)


# ------------------------------------------------------------------------------------ parse/render


def parse(data: bytes, *, name: str, kind: str) -> OfficeArticle:
    """A ``.docx`` or ``.odt`` document as an Article of its translatable text."""
    if isinstance(data, str):
        raise UsageError(f"a {kind} document is read as bytes, not text: translate it with translate_file() "
                         "or formats.load(), or pass its bytes")
    package = open_package(data, name=name, kind=kind)
    from it2en.formats import docx, odt

    dialect = docx if kind == "docx" else odt
    article = OfficeArticle(blocks=[], name=name, format=kind, package=package)
    dialect.read(article, name)
    if not any(s.translatable for b in article.blocks for s in b.segments):
        raise _refuse(name, f"holds no text to translate (a {kind} document with no words in its body, "
                            "headers, footers, notes or properties): nothing was written")
    return article


def render(article: OfficeArticle) -> bytes:
    """The package with its translated parts; parts without a changed sentence as they came (and
    the file as it came when no sentence changed)."""
    from it2en.formats import docx, odt

    dialect = docx if article.format == "docx" else odt
    touched = dialect.write(article)
    if not touched:
        return article.package.original
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        for info, data in article.package.members:
            if info.filename in touched:
                data = serialise(article.roots[info.filename])
            archive.writestr(info, data)
    return output.getvalue()


def attribute_block(part: str, element: etree._Element, attribute: str, kind: BlockKind) -> OfficeBlock | None:
    """A block for text held in an attribute (``attribute``) or in an element's own text (``""``)."""
    text = element.get(attribute) if attribute else element.text
    if not text or not text.strip() or len(element) and not attribute:
        return None
    segments, head, tail = sentences_of(text)
    if not segments:
        return None
    return OfficeBlock(kind, head, segments, suffix=tail, part=part, attribute=(element, attribute))


def write_attribute(block: OfficeBlock) -> None:
    element, attribute = block.attribute
    value = block.prefix + "".join(s.output + s.gap for s in block.segments) + block.suffix
    if attribute:
        element.set(attribute, value)
    else:
        element.text = value
