"""Word documents (``.docx``): the body, headers, footers, footnotes, endnotes, text boxes, the
alt text of images and the title and subject properties. See :mod:`it2en.formats.office`."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from lxml import etree

from it2en.article import BlockKind
from it2en.formats.office import (
    DC, ENGLISH_DOCX, WP, XML_NS, Context, Flat, OfficeArticle, _refuse, _w, add_paragraph, attribute_block,
    kind_of_heading, parse_xml, rebuild_paragraph, write_blocks,
)

_TEXT_PARTS = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml")
_PART_ORDER = ("document", "header", "footer", "footnotes", "endnotes")
_KEEP = {_w("ins"): "tracked changes", _w("del"): "tracked changes", _w("moveFrom"): "tracked changes",
         _w("moveTo"): "tracked changes", _w("sdt"): "a content control", _w("smartTag"): "a smart tag",
         _w("customXml"): "custom XML markup"}
_RUN_KEEP = {_w("instrText"): "a field's code without its field", _w("delText"): "tracked changes",
             _w("delInstrText"): "tracked changes"}
_DROPPED = {_w("proofErr"), _w("lastRenderedPageBreak")}
"""Spell-check marks and a layout cache: meaningless once the words change."""
_LANG_AFTER = {_w("eastAsianLayout"), _w("specVanish"), _w("oMath"), _w("rPrChange")}


def _part_rank(name: str) -> tuple[int, str]:
    stem = name[len("word/"):-len(".xml")]
    return next(n for n, prefix in enumerate(_PART_ORDER) if stem.startswith(prefix)), name


def read(article: OfficeArticle, name: str) -> None:
    package = article.package
    parts = sorted((info.filename for info, _ in package.members if _TEXT_PARTS.fullmatch(info.filename)),
                   key=_part_rank)
    if "word/document.xml" not in parts:
        raise _refuse(name, "is a ZIP package without word/document.xml: not a Word document (.docx)")
    core = package.data("docProps/core.xml")
    if core is not None:
        root = article.roots["docProps/core.xml"] = parse_xml(core, name=name, part="docProps/core.xml")
        for tag, kind in (("title", BlockKind.HEADLINE), ("subject", BlockKind.STANDFIRST)):
            element = root.find(f"{{{DC}}}{tag}")
            block = attribute_block("docProps/core.xml", element, "", kind) if element is not None else None
            if block is not None:
                article.blocks.append(block)
    for part in parts:
        root = article.roots[part] = parse_xml(package.data(part), name=name, part=part)
        for paragraph in root.iter(_w("p")):
            add_paragraph(article, part, paragraph, _flatten(paragraph), _kind,
                          lambda p: "".join(t.text or "" for t in p.iter(_w("t"))))
        for picture in root.iter(f"{{{WP}}}docPr"):
            for attribute in ("title", "descr"):
                block = attribute_block(part, picture, attribute, BlockKind.PARAGRAPH)
                if block is not None:
                    article.blocks.append(block)


def _kind(paragraph: etree._Element) -> BlockKind:
    style = paragraph.find(f"{_w('pPr')}/{_w('pStyle')}")
    name = style.get(_w("val"), "") if style is not None else ""
    heading = kind_of_heading(name)
    if heading is not None:
        return heading
    if paragraph.find(f"{_w('pPr')}/{_w('numPr')}") is not None or "list" in name.lower():
        return BlockKind.LIST_ITEM
    return BlockKind.PARAGRAPH


@dataclass
class _Field:
    """The nodes of a complex field (``w:fldChar`` begin … end: a page number, a date, a table of
    contents, a cross reference) while it is read: its code and its result, kept whole."""

    nodes: list[etree._Element]
    depth: int = 0

    def take(self, node: etree._Element) -> bool:
        """Add ``node``; True once the field has ended."""
        self.nodes.append(node)
        for mark in node.iter(_w("fldChar")):
            kind = mark.get(_w("fldCharType"))
            self.depth += 1 if kind == "begin" else -1 if kind == "end" else 0
        return self.depth <= 0


def _flatten(paragraph: etree._Element) -> Flat:
    flat = Flat()
    field: _Field | None = None
    for child in paragraph:
        if field is None and child.tag == _w("r") and child.find(_w("fldChar")) is not None:
            field = _Field([])
        if field is None:
            _child(flat, child, None)
        elif field.take(child):
            flat.pieces.append(("anchor", field.nodes))
            field = None
    if field is not None:
        flat.kept = "a field that runs on into the next paragraph"
    return flat


def _child(flat: Flat, child: etree._Element, outer: etree._Element | None) -> None:
    tag = child.tag
    if tag == _w("pPr") or tag in _DROPPED:
        return
    if tag in _KEEP:
        flat.kept = _KEEP[tag]
    elif tag == _w("r") and child.find(_w("fldChar")) is not None:
        flat.kept = "a field inside a link"
    elif tag == _w("r"):
        _run(flat, child, outer)
    elif tag == _w("hyperlink") and outer is None:
        for inner in child:
            _child(flat, inner, child)
    else:  # a bookmark, a comment's range, a simple field, an equation: kept whole, in its place
        flat.pieces.append(("anchor", child))


def _run(flat: Flat, run: etree._Element, outer: etree._Element | None) -> None:
    content = [c for c in run if c.tag != _w("rPr")]
    for child in content:
        tag = child.tag
        if tag in _RUN_KEEP:
            flat.kept = _RUN_KEEP[tag]
        elif tag == _w("t"):
            flat.text(child.text or "", Context(outer, (run,)))
        elif tag in _DROPPED:
            continue
        else:
            line = tag == _w("cr") or tag == _w("br") and child.get(_w("type"), "textWrapping") == "textWrapping"
            anchor = run if len(content) == 1 else (run, child)
            flat.pieces.append(("break" if line else "anchor", anchor))


def write(article: OfficeArticle) -> set[str]:
    """Translated paragraphs rebuilt in their trees; the names of the parts that changed."""
    return write_blocks(article, _rebuild)


def _rebuild(paragraph, pieces) -> None:
    for child in list(paragraph.element):
        if child.tag != _w("pPr"):
            paragraph.element.remove(child)
    rebuild_paragraph(paragraph, pieces, anchor=_anchor,
                      words=lambda container, text, context, at_start: container.append(
                          _english_run(context.inner[0], text)))


def _anchor(anchor) -> list[etree._Element]:
    """The nodes an anchor is written as: a field's runs, an element, or a run's child in a copy of its run."""
    if isinstance(anchor, list):
        return anchor
    if not isinstance(anchor, tuple):
        return [anchor]
    run, child = anchor
    wrapper = etree.Element(run.tag, dict(run.attrib))
    properties = run.find(_w("rPr"))
    if properties is not None:
        wrapper.append(copy.deepcopy(properties))
    wrapper.append(child)
    return [wrapper]


def _english_run(template: etree._Element, text: str) -> etree._Element:
    """A run that looks like ``template``, holding ``text``, its language English."""
    run = etree.Element(_w("r"), dict(template.attrib))
    properties = template.find(_w("rPr"))
    properties = copy.deepcopy(properties) if properties is not None else etree.Element(_w("rPr"))
    run.append(properties)
    language = properties.find(_w("lang"))
    if language is None:
        language = etree.Element(_w("lang"))
        after = next((n for n, c in enumerate(properties) if c.tag in _LANG_AFTER), len(properties))
        properties.insert(after, language)
    language.set(_w("val"), ENGLISH_DOCX)
    words = etree.SubElement(run, _w("t"))
    words.text = text
    words.set(f"{{{XML_NS}}}space", "preserve")
    return run
