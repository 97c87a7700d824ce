"""Translation engines: anything with ``translate(list[str]) -> list[str]``.

Engines know nothing about articles: they receive clean sentences and return one translation
per sentence, in the same order. Heavy libraries are imported inside each backend module.
"""

from __future__ import annotations

from typing import Any, Protocol

Alignment = list[tuple[int, int]]
"""``(source word, target word)`` index pairs over the whitespace words of a sentence and of its
translation (see :mod:`it2en.fidelity.markup`)."""


class Translator(Protocol):
    """A sentence translator: one output per input, same order.

    ``count_tokens`` is what the pipeline uses to keep sentences within the model's limit; an
    engine without it (a test fake) gets a characters-based estimate instead. An engine may also
    have ``translate_aligned`` (same sentences, same decoding, plus a word alignment for each):
    the pipeline asks for it only for sentences that carry inline markup
    (:func:`translate_aligned`).
    """

    name: str

    def translate(self, sentences: list[str], *, no_repeat_ngram_size: int = 0) -> list[str]:
        """Translate sentences; ``no_repeat_ngram_size`` > 0 forbids repeated n-grams (retries)."""
        ...

    def count_tokens(self, text: str) -> int:
        """Source tokens the model sees for ``text``, end-of-sentence included."""
        ...


def translate_aligned(engine: Any, sentences: list[str], *, no_repeat_ngram_size: int = 0
                      ) -> list[tuple[str, Alignment | None]]:
    """``engine.translate_aligned`` where the engine has it, else its translations with no
    alignment (None): an engine without alignment still translates marked-up sentences."""
    options = {"no_repeat_ngram_size": no_repeat_ngram_size} if no_repeat_ngram_size else {}
    method = getattr(engine, "translate_aligned", None)
    if method is not None:
        return method(sentences, **options)
    return [(text, None) for text in engine.translate(sentences, **options)]


class IdentityTranslator:
    """Returns each sentence unchanged: the test fake for layout and structure checks."""

    name = "identity"

    def translate(self, sentences: list[str], *, no_repeat_ngram_size: int = 0) -> list[str]:
        return list(sentences)

    def translate_aligned(self, sentences: list[str], *, no_repeat_ngram_size: int = 0
                          ) -> list[tuple[str, Alignment]]:
        """Each sentence unchanged, every word aligned to itself (the diagonal)."""
        return [(text, [(i, i) for i in range(len(text.split()))]) for text in sentences]
