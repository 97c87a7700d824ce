"""it2en: Italian articles into English, with their structure intact.

``from it2en import ArticleTranslator`` is the Python API (see ``it2en.api``).
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["ArticleTranslator", "__version__"]


def __getattr__(name: str):
    # Lazy, so that `it2en --help` does not pay for the pipeline's imports.
    if name == "ArticleTranslator":
        from it2en.api import ArticleTranslator

        return ArticleTranslator
    raise AttributeError(name)
