"""it2en: Italian articles into English, with their structure intact.

``from it2en import ArticleTranslator`` is the Python API (see ``it2en.api``).
"""

from __future__ import annotations

__version__ = "0.2.0"
__all__ = ["ArticleTranslator", "__version__", "versions"]

ENGINES = ("torch", "transformers", "ctranslate2")


def versions() -> dict[str, str]:
    """it2en's version and its engines' (from their installed metadata: nothing is imported)."""
    from importlib import metadata

    found = {"it2en": __version__}
    for name in ENGINES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def __getattr__(name: str):
    # Lazy, so that `it2en --help` does not pay for the pipeline's imports.
    if name == "ArticleTranslator":
        from it2en.api import ArticleTranslator

        return ArticleTranslator
    raise AttributeError(name)
