"""Input formats: each module parses its format into an Article that keeps every byte of the
source, and renders the Article back into the same format.

``parse`` picks the module (``auto``: by the file's suffix, text for anything else and for
standard input); ``render`` writes an Article back in the format it was parsed from: a string,
or the bytes of a document package (``.docx``, ``.odt``).
"""

from __future__ import annotations

from pathlib import PurePath
from typing import BinaryIO

from it2en.article import Article

INPUT_FORMATS = ("auto", "text", "markdown", "html", "docx", "odt")
OFFICE_FORMATS = ("docx", "odt")
"""Formats read as bytes (a ZIP package) and written back as bytes."""
SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html", ".txt": "text",
            ".docx": "docx", ".odt": "odt"}
"""What ``auto`` takes a file for, by its suffix; a folder's files are those with these suffixes."""


def detect(name: str, input_format: str = "auto") -> str:
    """The format to read ``name`` as: the one asked for, else by suffix (stdin and others: text)."""
    if input_format != "auto":
        return input_format
    if name == "-":
        return "text"
    return SUFFIXES.get(PurePath(name).suffix.lower(), "text")


def parse(text: str | bytes, *, name: str = "-", input_format: str = "auto",
          translate_keys: tuple[str, ...] = ()) -> Article:
    """Parse ``text`` (read from ``name``) in its format into an Article; a document's bytes for
    ``docx`` and ``odt``."""
    chosen = detect(name, input_format)
    if chosen in OFFICE_FORMATS:
        from it2en.formats import office

        return office.parse(text, name=name, kind=chosen)
    if chosen == "markdown":
        from it2en.formats import markdown

        return markdown.parse(text, name=name, translate_keys=translate_keys)
    if chosen == "html":
        from it2en.formats import html

        return html.parse(text, name=name)
    from it2en.formats import text as plain

    return plain.parse(text, name=name)


def load(path: str, *, encoding: str | None = None, input_format: str = "auto",
         translate_keys: tuple[str, ...] = (), stdin: BinaryIO | None = None) -> Article:
    """Read one input (a path, ``-`` for standard input) and parse it: bytes for a document
    package, decoded text for the others."""
    from it2en import reading

    if detect(path, input_format) in OFFICE_FORMATS:
        data: str | bytes = reading.read_bytes(path, stdin=stdin)
    else:
        data = reading.read_input(path, encoding=encoding, stdin=stdin)
    return parse(data, name=path, input_format=input_format, translate_keys=translate_keys)


def render(article: Article) -> str | bytes:
    """The article in its own format, translations in place of the source sentences."""
    if article.format in OFFICE_FORMATS:
        from it2en.formats import office

        return office.render(article)
    from it2en.formats import prose

    return prose.render(article)
