"""Translation engines: anything with ``translate(list[str]) -> list[str]``.

Engines know nothing about articles: they receive clean sentences and return one translation
per sentence, in the same order. Heavy libraries are imported inside each backend module.
"""

from __future__ import annotations

from typing import Protocol


class Translator(Protocol):
    """A sentence translator: one output per input, same order.

    ``count_tokens`` is what the pipeline uses to keep sentences within the model's limit; an
    engine without it (a test fake) gets a characters-based estimate instead.
    """

    name: str

    def translate(self, sentences: list[str], *, no_repeat_ngram_size: int = 0) -> list[str]:
        """Translate sentences; ``no_repeat_ngram_size`` > 0 forbids repeated n-grams (retries)."""
        ...

    def count_tokens(self, text: str) -> int:
        """Source tokens the model sees for ``text``, end-of-sentence included."""
        ...


class IdentityTranslator:
    """Returns each sentence unchanged: the test fake for layout and structure checks."""

    name = "identity"

    def translate(self, sentences: list[str], *, no_repeat_ngram_size: int = 0) -> list[str]:
        return list(sentences)
