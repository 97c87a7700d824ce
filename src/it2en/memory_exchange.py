"""Translation memory in and out: edited ``-f json`` outputs and TMX 1.4b files.

* :func:`read_edited_json` takes an it2en JSON output (one document or JSON Lines) whose
  segment targets an editor changed: every segment whose ``target`` differs from its
  ``it2en_target`` (what it2en wrote) becomes a human entry.
* :func:`read_tmx` reads TMX 1.4b from a CAT tool (OmegaT, Trados, memoQ) with defusedxml, so
  entity declarations (billion laughs, external entities) are refused, never expanded. A
  ``<tu>`` it2en exported itself (``x-it2en-*`` properties) comes back as exactly the entry it
  was; any other is a human entry. Inline tags in ``<seg>`` are dropped to their text.
* :func:`write_tmx` writes every entry with the standard library's ElementTree.

Readers check the whole file before returning anything, so a bad file imports nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterable

from it2en import writing
from it2en.errors import InputMissingError, MemoryDataError, first_line
from it2en.memory import HUMAN, MACHINE, Entry

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
TMX_DATE = "%Y%m%dT%H%M%SZ"
ISO_DATE = "%Y-%m-%dT%H:%M:%SZ"
PROP = "x-it2en-"
# Inline elements whose content is the original document's code (a tag, a field), not words.
_CODE_ELEMENTS = {"bpt", "ept", "ph", "it", "ut", "sub"}
# Characters XML 1.0 cannot hold, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_WORD = re.compile(r"\w+")


@dataclass
class Imported:
    """What a file brought: the entries, and what was left out or changed on the way."""

    entries: list[Entry] = field(default_factory=list)
    inline_tags: int = 0
    """Inline tags (``<bpt>``, ``<ph>``, ``<hi>``…) dropped from TMX segments, keeping their text."""
    skipped: int = 0
    """Translation units without an Italian and an English segment."""
    unchanged: int = 0
    """JSON segments whose target is still what it2en wrote."""


# ----------------------------------------------------------------------------- JSON


def read_edited_json(path: str | Path) -> Imported:
    """Human entries from an edited it2en JSON output; MemoryDataError when it does not match."""
    from it2en.reading import read_input

    text = read_input(str(path))
    documents = _json_documents(text, path)
    result = Imported()
    for number, document in enumerate(documents, start=1):
        where = f"{path}" + (f" (article {number})" if len(documents) > 1 else "")
        for block_number, block in enumerate(_blocks(document, where), start=1):
            cursor = 0
            for segment in block["segments"]:
                cursor = _check_segment(segment, block["source"], cursor, f"{where}: block {block_number}")
                if not segment["translate"] or segment.get("target") is None:
                    continue
                target = segment["target"].strip()
                if target == segment["it2en_target"].strip() or not target:
                    result.unchanged += 1
                    continue
                result.entries.append(Entry.human(segment["source"], target))
    return result


def _json_documents(text: str, path) -> list:
    """One JSON document, or several (JSON Lines, as ``-f json`` writes for many inputs)."""
    decoder = json.JSONDecoder()
    documents, position = [], 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            break
        try:
            document, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise MemoryDataError(f"{path}: not valid JSON at line {error.lineno}, column {error.colno} "
                                  f"({error.msg}); nothing was imported.") from None
        documents.append(document)
    if not documents:
        raise MemoryDataError(f"{path}: the file is empty; nothing was imported.")
    return documents


def _blocks(document, where: str) -> list[dict]:
    if not isinstance(document, dict) or not isinstance(document.get("blocks"), list):
        raise MemoryDataError(f"{where}: not an it2en JSON output (no \"blocks\" list); nothing was imported.")
    for block in document["blocks"]:
        if not (isinstance(block, dict) and isinstance(block.get("source"), str)
                and isinstance(block.get("segments"), list)):
            raise MemoryDataError(f"{where}: a block without \"source\" text and \"segments\"; "
                                  "nothing was imported.")
    return document["blocks"]


def _check_segment(segment, block_source: str, cursor: int, where: str) -> int:
    """Refuse a segment that is not part of its block's source; return where the next one starts."""
    if not (isinstance(segment, dict) and isinstance(segment.get("source"), str)
            and isinstance(segment.get("translate"), bool)):
        raise MemoryDataError(f"{where}: a segment without \"source\" and \"translate\"; nothing was imported.")
    if segment["translate"] and segment.get("target") is not None:
        if not isinstance(segment["target"], str):
            raise MemoryDataError(f"{where}: a segment target that is not text; nothing was imported.")
        if not isinstance(segment.get("it2en_target"), str):
            raise MemoryDataError(
                f"{where}: segments have no \"it2en_target\" (what it2en wrote), so an edit cannot be told "
                "from the original: translate the article again with this it2en (-f json) and edit that; "
                "nothing was imported.")
    # Every word of the segment, in order, inside the block's source (inline markup may sit between).
    for word in _WORD.findall(segment["source"]):
        found = block_source.find(word, cursor)
        if found < 0:
            excerpt = segment["source"][:60]
            raise MemoryDataError(f"{where}: the segment {excerpt!r} does not match its block's source "
                                  "(the blocks and their sources were changed?); nothing was imported.")
        cursor = found + len(word)
    return cursor


# ----------------------------------------------------------------------------- TMX


def read_tmx(path: str | Path) -> Imported:
    """The entries of a TMX file; MemoryDataError (65) with the line when it is malformed."""
    import defusedxml
    from defusedxml import ElementTree as SafeTree
    from xml.etree.ElementTree import ParseError

    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise InputMissingError(f"{path}: cannot be read ({error.strerror or error}).") from None
    try:
        root = SafeTree.fromstring(data)  # entity declarations raise: never expanded, never fetched
    except ParseError as error:
        line, column = getattr(error, "position", (0, 0))
        raise MemoryDataError(f"{path}: malformed TMX (XML error at line {line}, column {column + 1}: "
                              f"{first_line(error).split(':')[0]}); nothing was imported.") from None
    except defusedxml.DefusedXmlException as error:
        raise MemoryDataError(f"{path}: refused: the file declares XML entities or external references "
                              f"({type(error).__name__}), which a TMX file does not need and which could "
                              "expand without end or read other files; nothing was imported.") from None
    if _local(root.tag) != "tmx":
        raise MemoryDataError(f"{path}: not a TMX file (the root element is <{_local(root.tag)}>, not <tmx>); "
                              "nothing was imported.")
    body = next((child for child in root if _local(child.tag) == "body"), None)
    if body is None:
        raise MemoryDataError(f"{path}: malformed TMX (no <body>); nothing was imported.")
    result = Imported()
    for number, unit in enumerate((u for u in body if _local(u.tag) == "tu"), start=1):
        entry = _unit_entry(unit, number, path, result)
        if entry is None:
            result.skipped += 1
        else:
            result.entries.append(entry)
    return result


def _unit_entry(unit, number: int, path, result: Imported) -> Entry | None:
    segments: dict[str, str] = {}
    for variant in (v for v in unit if _local(v.tag) == "tuv"):
        language = (variant.get(XML_LANG) or variant.get("lang") or "").strip().lower()
        primary = language.split("-")[0].split("_")[0]
        seg = next((s for s in variant if _local(s.tag) == "seg"), None)
        if seg is None:
            raise MemoryDataError(f"{path}: malformed TMX (translation unit {number}: a <tuv> without <seg>); "
                                  "nothing was imported.")
        if primary in ("it", "en") and primary not in segments:
            text, tags = _seg_text(seg)
            result.inline_tags += tags
            segments[primary] = text
    if not segments.get("it", "").strip() or not segments.get("en", "").strip():
        return None
    props = {p.get("type", "")[len(PROP):]: (p.text or "")
             for p in unit if _local(p.tag) == "prop" and p.get("type", "").startswith(PROP)}
    created = _iso_date(unit.get("changedate") or unit.get("creationdate"))
    if props.get("origin") == MACHINE:
        return Entry(MACHINE, segments["it"], segments["en"], props.get("model", ""), props.get("model-id", ""),
                     props.get("revision", ""), props.get("settings", ""), props.get("glossary", "[]"),
                     _flags(props.get("flags", "[]")), created, _confidence(props.get("confidence")))
    return Entry(HUMAN, Entry.human(segments["it"], "").source, segments["en"].strip(), created=created)


def _seg_text(element) -> tuple[str, int]:
    """The words of a ``<seg>`` (or ``<hi>``): code elements dropped, their tails kept; tags counted."""
    parts, tags = [element.text or ""], 0
    for child in element:
        tags += 1
        name = _local(child.tag)
        if name not in _CODE_ELEMENTS:
            text, inner = _seg_text(child)
            parts.append(text)
            tags += inner
        parts.append(child.tail or "")
    return "".join(parts), tags


def _flags(text: str) -> list[str]:
    try:
        flags = json.loads(text)
    except json.JSONDecodeError:
        return []
    return [str(f) for f in flags] if isinstance(flags, list) else []


def _confidence(text: str | None) -> float | None:
    """A machine entry's confidence as exported (0–1), or None: absent, or not a share."""
    try:
        value = float(text or "nan")
    except ValueError:
        return None
    return value if 0 <= value <= 1 else None  # NaN, too: no comparison holds


def _iso_date(tmx_date: str | None) -> str:
    if tmx_date:
        try:
            return datetime.strptime(tmx_date.strip(), TMX_DATE).strftime(ISO_DATE)
        except ValueError:
            pass
    return Entry(HUMAN, "", "").created


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def write_tmx(entries: Iterable[Entry], path: str | Path) -> tuple[int, int]:
    """Write ``entries`` as TMX 1.4b (atomically); return (written, left out: text XML cannot hold)."""
    import xml.etree.ElementTree as ET

    from it2en import __version__

    root = ET.Element("tmx", version="1.4")
    ET.SubElement(root, "header", {
        "creationtool": "it2en", "creationtoolversion": __version__, "segtype": "sentence",
        "o-tmf": "it2en-sqlite", "adminlang": "en", "srclang": "it", "datatype": "plaintext",
    })
    body = ET.SubElement(root, "body")
    written = left_out = 0
    for entry in entries:
        if _NOT_XML.search(entry.source + entry.target + entry.model + entry.model_id + entry.glossary):
            left_out += 1
            continue
        date = datetime.strptime(entry.created, ISO_DATE).strftime(TMX_DATE)
        unit = ET.SubElement(body, "tu", creationdate=date)
        properties = {"origin": entry.origin}
        if entry.origin == MACHINE:
            properties.update({"model": entry.model, "model-id": entry.model_id, "revision": entry.revision,
                               "settings": entry.settings, "glossary": entry.glossary,
                               "flags": json.dumps(entry.flags)})
            if entry.confidence is not None:
                properties["confidence"] = repr(entry.confidence)  # repr: the same float comes back
        for name, value in properties.items():
            ET.SubElement(unit, "prop", type=PROP + name).text = value
        for language, text in (("it", entry.source), ("en", entry.target)):
            ET.SubElement(ET.SubElement(unit, "tuv", {XML_LANG: language}), "seg").text = text
        written += 1
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode", xml_declaration=False)
    writing.write_atomic(Path(path), '<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n")
    return written, left_out
