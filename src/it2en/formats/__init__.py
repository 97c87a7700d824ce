"""Input formats: each module parses its format into an Article that keeps every byte of the
source, and renders the Article back into the same format.

``parse`` picks the module (``auto``: by the file's suffix, text for anything else and for
standard input); ``render`` writes an Article back in the format it was parsed from.
"""

from __future__ import annotations

from pathlib import PurePath

from it2en.article import Article

INPUT_FORMATS = ("auto", "text", "markdown", "html")
SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html", ".txt": "text"}
"""What ``auto`` takes a file for, by its suffix; a folder's files are those with these suffixes."""


def detect(name: str, input_format: str = "auto") -> str:
    """The format to read ``name`` as: the one asked for, else by suffix (stdin and others: text)."""
    if input_format != "auto":
        return input_format
    if name == "-":
        return "text"
    return SUFFIXES.get(PurePath(name).suffix.lower(), "text")


def parse(text: str, *, name: str = "-", input_format: str = "auto",
          translate_keys: tuple[str, ...] = ()) -> Article:
    """Parse ``text`` (read from ``name``) in its format into an Article."""
    chosen = detect(name, input_format)
    if chosen == "markdown":
        from it2en.formats import markdown

        return markdown.parse(text, name=name, translate_keys=translate_keys)
    if chosen == "html":
        from it2en.formats import html

        return html.parse(text, name=name)
    from it2en.formats import text as plain

    return plain.parse(text, name=name)


def render(article: Article) -> str:
    """The article in its own format, translations in place of the source sentences."""
    from it2en.formats import prose

    return prose.render(article)
