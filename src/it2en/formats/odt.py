"""OpenDocument text (``.odt``): the body, tables, lists, notes, text frames, headers and footers
of the page styles, the alt text (title, description) of images and the title and subject
properties. See :mod:`it2en.formats.office`."""

from __future__ import annotations

import re

from lxml import etree

from it2en.article import BlockKind
from it2en.formats.office import (
    DC, ENGLISH_ODF, FO_NS, OFFICE_NS, SVG_NS, Context, Flat, OfficeArticle, _refuse, _t, add_paragraph,
    attribute_block, kind_of_heading, parse_xml, rebuild_paragraph, write_blocks,
)

_MIMETYPE = b"application/vnd.oasis.opendocument.text"
_KEEP = {_t("change"): "tracked changes", _t("change-start"): "tracked changes", _t("change-end"): "tracked changes"}
_DROPPED = {_t("soft-page-break")}
"""A layout hint: meaningless once the words change."""
_SPACES = re.compile(r" {2,}|^ ")


def read(article: OfficeArticle, name: str) -> None:
    package = article.package
    mimetype = package.data("mimetype") or b""
    if not mimetype.startswith(_MIMETYPE) or package.data("content.xml") is None:
        raise _refuse(name, "is not an OpenDocument text document (.odt): its mimetype is "
                            f"{mimetype.decode('ascii', 'replace') or 'missing'}")
    if b"encryption-data" in (package.data("META-INF/manifest.xml") or b""):
        raise _refuse(name, "is password-protected (an encrypted OpenDocument file): it2en cannot read it. "
                            "Open it in LibreOffice, remove the password, save it, and translate that copy.")
    meta = package.data("meta.xml")
    if meta is not None:
        root = article.roots["meta.xml"] = parse_xml(meta, name=name, part="meta.xml")
        for tag, kind in (("title", BlockKind.HEADLINE), ("subject", BlockKind.STANDFIRST)):
            for element in root.iter(f"{{{DC}}}{tag}"):
                block = attribute_block("meta.xml", element, "", kind)
                if block is not None:
                    article.blocks.append(block)
    for part, scope in (("content.xml", "body"), ("styles.xml", "master-styles")):
        data = package.data(part)
        if data is None:
            continue
        root = article.roots[part] = parse_xml(data, name=name, part=part)
        for area in root.iter(f"{{{OFFICE_NS}}}{scope}"):
            _read_area(article, part, area)


def _read_area(article: OfficeArticle, part: str, area: etree._Element) -> None:
    for element in area.iter(_t("p"), _t("h"), f"{{{SVG_NS}}}title", f"{{{SVG_NS}}}desc"):
        if any(a.tag == _t("tracked-changes") for a in element.iterancestors()):
            continue  # the text of a recorded deletion
        if element.tag in (f"{{{SVG_NS}}}title", f"{{{SVG_NS}}}desc"):
            block = attribute_block(part, element, "", BlockKind.PARAGRAPH)
            if block is not None:
                article.blocks.append(block)
            continue
        add_paragraph(article, part, element, _flatten(element), _kind, lambda p: "".join(p.itertext()))


def _kind(element: etree._Element) -> BlockKind:
    if element.tag == _t("h"):
        return BlockKind.HEADING
    style = element.get(_t("style-name"), "")
    heading = kind_of_heading(style.replace("_20_", ""))
    if heading is not None:
        return heading
    if any(a.tag == _t("list-item") for a in element.iterancestors()):
        return BlockKind.LIST_ITEM
    return BlockKind.PARAGRAPH


def _flatten(paragraph: etree._Element) -> Flat:
    flat = Flat()
    _content(flat, paragraph, None, ())
    return flat


def _content(flat: Flat, element: etree._Element, outer, inner: tuple) -> None:
    context = Context(outer, inner)
    flat.text(element.text or "", context)
    for child in element:
        tag = child.tag
        if tag == _t("span"):
            _content(flat, child, outer, inner + (child,))
        elif tag == _t("a") and outer is None:
            _content(flat, child, child, inner)
        elif tag == _t("s"):
            flat.text(" " * int(child.get(_t("c"), "1") or 1), context)
        elif tag == _t("line-break"):
            flat.pieces.append(("break", child))
        elif tag in _KEEP:
            flat.kept = _KEEP[tag]
        elif tag not in _DROPPED:  # a note, a bookmark, a field, a frame, a tab: kept whole, in its place
            flat.pieces.append(("anchor", child))
        flat.text(child.tail or "", context)


def write(article: OfficeArticle) -> set[str]:
    """Translated paragraphs rebuilt in their trees, Italian language tags made English; the
    names of the parts that changed."""
    touched = write_blocks(article, _rebuild)
    if touched:
        for part in ("content.xml", "styles.xml"):
            if part in article.roots and _to_english(article.roots[part]):
                touched.add(part)
    return touched


def _to_english(root: etree._Element) -> bool:
    """``fo:language="it"`` (and its country) made English in every style; True if any was."""
    language, country = f"{{{FO_NS}}}language", f"{{{FO_NS}}}country"
    found = False
    for element in root.iter():
        if element.get(language) == "it":
            element.set(language, ENGLISH_ODF[0])
            if element.get(country) is not None:
                element.set(country, ENGLISH_ODF[1])
            found = True
    return found


def _rebuild(paragraph, pieces) -> None:
    paragraph.element.text = None
    for child in list(paragraph.element):
        paragraph.element.remove(child)
    rebuild_paragraph(paragraph, pieces, anchor=_detached, words=_words)


def _detached(anchor: etree._Element) -> list[etree._Element]:
    anchor.tail = None
    return [anchor]


def _words(container: etree._Element, text: str, context: Context, at_start: bool) -> None:
    for wrapper in context.inner:
        container = etree.SubElement(container, wrapper.tag, dict(wrapper.attrib))
    _append_text(container, text, at_start=at_start)


def _append_text(container: etree._Element, text: str, *, at_start: bool) -> None:
    """``text`` written the ODF way: runs of spaces, and a space opening the paragraph, as ``text:s``."""
    cursor = 0
    for match in _SPACES.finditer(text):
        if match.group() == " " and not at_start:
            continue
        _append_plain(container, text[cursor:match.start()] + ("" if match.start() == 0 and at_start else " "))
        count = len(match.group()) - (0 if match.start() == 0 and at_start else 1)
        if count:
            spaces = etree.SubElement(container, _t("s"))
            if count > 1:
                spaces.set(_t("c"), str(count))
        cursor = match.end()
    _append_plain(container, text[cursor:])


def _append_plain(container: etree._Element, text: str) -> None:
    if not text:
        return
    if len(container):
        container[-1].tail = (container[-1].tail or "") + text
    else:
        container.text = (container.text or "") + text
