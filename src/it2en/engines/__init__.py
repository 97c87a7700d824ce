"""Translation engines: anything with ``translate(list[str]) -> list[str]``.

Engines know nothing about articles: they receive clean sentences and return one translation
per sentence, in the same order. Heavy libraries are imported inside each backend module.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple, Protocol

Alignment = list[tuple[int, int]]
"""``(source word, target word)`` index pairs over the whitespace words of a sentence and of its
translation (see :mod:`it2en.fidelity.markup`)."""




class Translation(NamedTuple):
    """One sentence's answer: its text, its word alignment (when asked for) and the model's
    confidence in it (when the engine scores)."""

    text: str
    alignment: Alignment | None = None
    confidence: float | None = None


def confidence(mean_log_prob: float) -> float:
    """The model's confidence in a translation, 0–1, from the mean log-probability of its tokens.

    The mean is over every token the model chose, ``</s>`` included when the model ended the
    output (not when the cap forced it); its exponential is the geometric mean of the tokens'
    probabilities. Both engines compute exactly this, so the figure does not depend on the backend.
    """
    return math.exp(mean_log_prob)


class Translator(Protocol):
    """A sentence translator: one output per input, same order.

    ``count_tokens`` is what the pipeline uses to keep sentences within the model's limit; an
    engine without it (a test fake) gets a characters-based estimate instead. An engine may also
    have ``translate_aligned`` (same sentences, same decoding, plus a word alignment for each):
    the pipeline asks for it only for sentences that carry inline markup
    (:func:`translate_aligned`). An engine that scores its outputs has ``translate_detailed``
    (:func:`translate_detailed`): texts, alignments when asked, and confidences.
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


def translate_detailed(engine: Any, sentences: list[str], *, aligned: bool = False,
                       no_repeat_ngram_size: int = 0) -> list[Translation]:
    """``engine.translate_detailed`` (scored) where the engine has it; else its translations (aligned
    when asked and it can) with no confidence: a test fake still translates."""
    options = {"no_repeat_ngram_size": no_repeat_ngram_size} if no_repeat_ngram_size else {}
    method = getattr(engine, "translate_detailed", None)
    if method is not None:
        return method(sentences, aligned=aligned, **options)
    if aligned:
        return [Translation(text, alignment) for text, alignment in translate_aligned(engine, sentences, **options)]
    return [Translation(text) for text in engine.translate(sentences, **options)]


class ScoringEngine:
    """The plain methods of an engine built on ``translate_detailed``: ``translate`` and
    ``translate_aligned`` are the same decoding without the scores."""

    def translate_detailed(self, sentences: list[str], *, aligned: bool = False, scored: bool = True,
                           no_repeat_ngram_size: int = 0) -> list[Translation]:
        raise NotImplementedError

    def translate(self, sentences: list[str], *, no_repeat_ngram_size: int = 0) -> list[str]:
        """One translation per sentence, in input order."""
        return [t.text for t in self.translate_detailed(sentences, scored=False,
                                                        no_repeat_ngram_size=no_repeat_ngram_size)]

    def translate_aligned(self, sentences: list[str], *, no_repeat_ngram_size: int = 0
                          ) -> list[tuple[str, Alignment | None]]:
        """:meth:`translate`, plus each translation's word alignment."""
        return [(t.text, t.alignment) for t in self.translate_detailed(
            sentences, aligned=True, scored=False, no_repeat_ngram_size=no_repeat_ngram_size)]


class IdentityTranslator:
    """Returns each sentence unchanged: the test fake for layout and structure checks."""

    name = "identity"

    def translate(self, sentences: list[str], *, no_repeat_ngram_size: int = 0) -> list[str]:
        return list(sentences)

    def translate_aligned(self, sentences: list[str], *, no_repeat_ngram_size: int = 0
                          ) -> list[tuple[str, Alignment]]:
        """Each sentence unchanged, every word aligned to itself (the diagonal)."""
        return [(text, [(i, i) for i in range(len(text.split()))]) for text in sentences]
