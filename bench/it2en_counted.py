"""Run the ``it2en`` command exactly as its console script does, counting the tokens it generates.

    python bench/it2en_counted.py translate ...        (same arguments as ``it2en``)

The console script is ``from it2en.cli import main; main()``; this file does the same after
wrapping three methods to count and time, never to change: the engine's generation call
(tokens generated, ``</s>`` and padding not counted; retries with ``no_repeat_ngram_size``
and the pieces the pipeline's rescue translates counted apart), the engine's ``translate``
(seconds spent translating, retries and rescues apart) and the factory's ``create_translator``
(seconds spent loading the model). The counts go, as JSON, to the file
named by ``$IT2EN_BENCH_COUNTS`` when the process exits. Nothing heavy is imported here: the
engines still import torch / ctranslate2 only when a model is loaded.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import sys
import time

from it2en import pipeline
from it2en.engines import ctranslate2 as ct2_engine
from it2en.engines import factory
from it2en.engines import transformers as hf_engine

COUNTS = {"tokens": 0, "retry_tokens": 0, "rescue_tokens": 0, "sentences": 0, "retry_sentences": 0,
          "rescue_sentences": 0, "batches": 0, "retry_batches": 0, "rescue_batches": 0, "retry_calls": 0,
          "rescue_calls": 0, "engine_calls": 0, "engine_s": 0.0, "retry_s": 0.0, "rescue_s": 0.0,
          "load_s": 0.0, "backend": None}
RESCUING = False
"""True while the pipeline's rescue runs: what the engine does then is counted as rescue."""


def _add(tokens: int, sentences: int, retry: bool, batches: int = 1) -> None:
    kind = "rescue_" if RESCUING else "retry_" if retry else ""
    COUNTS[kind + "tokens"] += tokens
    COUNTS[kind + "sentences"] += sentences
    COUNTS[kind + "batches"] += batches


def _wrap_ct2() -> None:
    """Tokens and sentences per decoding call (``_decode``), batches as they are submitted
    (several may decode at once)."""
    decode, submit = ct2_engine.CTranslate2Translator._decode, ct2_engine.CTranslate2Translator._submit
    special = ct2_engine.SPECIAL_TOKENS

    @functools.wraps(decode)
    def counted(self, encoded, no_repeat_ngram_size, **kwargs):
        results = decode(self, encoded, no_repeat_ngram_size, **kwargs)
        _add(sum(sum(t not in special for t in tokens) for tokens, *_ in results), len(encoded),
             no_repeat_ngram_size > 0, batches=0)
        return results

    @functools.wraps(submit)
    def submitted(self, sources, no_repeat_ngram_size=0, **kwargs):
        _add(0, 0, no_repeat_ngram_size > 0)
        return submit(self, sources, no_repeat_ngram_size, **kwargs)

    ct2_engine.CTranslate2Translator._decode = counted
    ct2_engine.CTranslate2Translator._submit = submitted


def _wrap_hf() -> None:
    original = hf_engine.TransformersTranslator._generate_rows

    @functools.wraps(original)
    def counted(self, batch, no_repeat_ngram_size=0, *args, **kwargs):
        rows = original(self, batch, no_repeat_ngram_size, *args, **kwargs)
        skip = {self._eos_id, self._pad_id}
        _add(sum(sum(i not in skip for i in row.ids) for row in rows), len(batch), no_repeat_ngram_size > 0)
        return rows

    hf_engine.TransformersTranslator._generate_rows = counted


def _wrap_timers() -> None:
    for cls in (ct2_engine.CTranslate2Translator, hf_engine.TransformersTranslator):
        original = cls.translate

        def timed(self, sentences, *, no_repeat_ngram_size=0, _original=original):
            start = time.perf_counter()
            try:
                return _original(self, sentences, no_repeat_ngram_size=no_repeat_ngram_size)
            finally:
                spent = time.perf_counter() - start
                COUNTS["engine_s"] += spent
                if RESCUING:
                    COUNTS["rescue_s"] += spent
                    COUNTS["rescue_calls"] += 1
                elif no_repeat_ngram_size > 0:
                    COUNTS["retry_s"] += spent
                    COUNTS["retry_calls"] += 1
                COUNTS["engine_calls"] += 1
                COUNTS["backend"] = self.name

        cls.translate = timed

    original_create = factory.create_translator

    @functools.wraps(original_create)
    def timed_create(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original_create(*args, **kwargs)
        finally:
            COUNTS["load_s"] += time.perf_counter() - start

    factory.create_translator = timed_create


def _wrap_rescue() -> None:
    original = pipeline._rescue

    @functools.wraps(original)
    def flagged(*args, **kwargs):
        global RESCUING
        RESCUING = True
        try:
            return original(*args, **kwargs)
        finally:
            RESCUING = False

    pipeline._rescue = flagged


def _dump() -> None:
    path = os.environ.get("IT2EN_BENCH_COUNTS")
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(COUNTS, handle)


def main() -> None:
    _wrap_ct2()
    _wrap_hf()
    _wrap_timers()
    _wrap_rescue()
    atexit.register(_dump)
    from it2en.cli import main as it2en_main

    sys.argv[0] = "it2en"
    it2en_main()


if __name__ == "__main__":
    main()
