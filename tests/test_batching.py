"""Batching: length bands fix each sentence's cap; batch sizes follow the outputs, memory stays bounded.

Caps depend on the sentences of a call, never on how they are cut into batches, so the
CTranslate2 engine may grow its batches when outputs end early and both engines still give a
sentence the same cap. Sized for the worst case (every output runs to its cap), a batch never
holds more than the token-position budget.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from types import SimpleNamespace

import pytest

from it2en.engines.ctranslate2 import CTranslate2Translator, convert_to_ctranslate2
from it2en.engines.transformers import (
    LENGTH_BANDS,
    LENGTH_SLACK,
    LENGTH_SPREAD,
    MIN_OUTPUT_SHARE,
    TransformersTranslator,
    band_caps,
    iter_batches,
    length_band,
)
from it2en.generation import GenerationSettings
from marian_factory import corpus_dir

CAP = GenerationSettings().max_new_tokens  # 2 × source + 10
SMALL = GenerationSettings(beams=2, max_new_tokens_factor=1.0, max_new_tokens_extra=2)


def test_bands_keep_the_length_spread_and_cover_every_length() -> None:
    bottom = 1
    for top in LENGTH_BANDS:
        assert top <= bottom * LENGTH_SPREAD + LENGTH_SLACK  # one cap suits any batch in the band
        assert all(length_band(n) == top for n in range(bottom, top + 1))
        bottom = top + 1
    assert LENGTH_BANDS[-1] == 512  # opus-mt's source limit (fit_source): every source has a band


@pytest.mark.parametrize("share", [1.0, 0.5, 0.25, 0.0])
def test_batches_respect_the_budget_for_the_share_expected(share: float) -> None:
    rng = random.Random(0)
    lengths = [rng.randint(1, 140) for _ in range(400)] + [512, 3]
    caps = band_caps(lengths, CAP)
    seen = []
    for batch, cap in iter_batches(lengths, 2560, CAP, lambda: share):
        longest = lengths[batch[0]]
        assert longest == max(lengths[i] for i in batch)  # longest first
        assert {length_band(lengths[i]) for i in batch} == {length_band(longest)}
        assert cap == caps[length_band(longest)] >= CAP(longest)
        expected = max(share, MIN_OUTPUT_SHARE)
        assert len(batch) * (longest + math.ceil(expected * cap)) <= 2560 or len(batch) == 1
        seen += batch
    assert sorted(seen) == list(range(len(lengths)))


def test_batches_grow_when_outputs_end_early_and_no_further_than_the_floor() -> None:
    lengths = [30] * 200
    worst = [len(b) for b, _ in iter_batches(lengths, 2560, CAP)]
    early = [len(b) for b, _ in iter_batches(lengths, 2560, CAP, lambda: 0.3)]
    floor = [len(b) for b, _ in iter_batches(lengths, 2560, CAP, lambda: 0.01)]
    assert worst[0] == 2560 // (30 + CAP(30))  # every output at its cap: 25 sentences
    assert early[0] == 2560 // (30 + math.ceil(0.3 * CAP(30)))
    assert floor[0] == 2560 // (30 + math.ceil(MIN_OUTPUT_SHARE * CAP(30))) > early[0] > worst[0]


def test_a_band_cap_is_the_longest_in_the_call_whatever_the_batches() -> None:
    lengths = [40, 12, 60, 30, 29]
    assert band_caps(lengths, CAP) == {64: CAP(60), 28: CAP(12)}
    assert {cap for _, cap in iter_batches(lengths, 1, CAP)} == {CAP(60), CAP(12)}  # one sentence a batch


@pytest.fixture(scope="module")
def ct2_float32_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return convert_to_ctranslate2(tiny_model_dir, tmp_path_factory.mktemp("ct2-f32") / "f32", quantization="float32")


def test_engines_give_a_sentence_the_same_cap_whatever_their_batches(tiny_model_dir: Path, ct2_float32_dir: Path) -> None:
    """The tiny random model runs every output to its cap: equal outputs mean equal caps."""
    lines = (corpus_dir() / "flores200" / "ita_Latn.dev").read_text(encoding="utf-8").splitlines()
    rng = random.Random(3)
    sentences = [" ".join(lines[rng.randrange(900)].split()[: rng.randint(2, 25)]) for _ in range(24)]
    hf = TransformersTranslator(tiny_model_dir, generation=SMALL, quiet=True, batch_tokens=60)
    ct2 = CTranslate2Translator(ct2_float32_dir, generation=SMALL, quiet=True, batch_tokens=100_000,
                                compute_type="float32")
    lengths = [hf.count_tokens(s) for s in sentences]
    assert len(list(iter_batches(lengths, 60, SMALL.max_new_tokens))) > 8  # many small batches here
    assert ct2.translate(sentences) == hf.translate(sentences)  # one batch per band there


class _EndingTranslator:
    """Stands in for ctranslate2.Translator: every output ends after ``length`` tokens."""

    def __init__(self, length: int) -> None:
        self.length, self.calls = length, []

    def translate_batch(self, sources, *, max_decoding_length, **options):
        self.calls.append((len(sources), max_decoding_length))
        hypothesis = ["▁x"] * min(self.length, max_decoding_length)
        return [SimpleNamespace(hypotheses=[hypothesis]) for _ in sources]


def test_ctranslate2_batches_grow_after_outputs_end_and_shrink_back_when_they_run_to_the_cap(
    tiny_ct2_dir: Path,
) -> None:
    engine = CTranslate2Translator(tiny_ct2_dir, generation=GenerationSettings(), quiet=True, batch_tokens=2560)
    sentence = "Il sindaco ha detto che la strada sarà riaperta domani mattina."
    length = engine.count_tokens(sentence)
    engine._translator = short = _EndingTranslator(2)
    engine.translate([sentence] * 200)
    sizes = [size for size, _ in short.calls]
    steps = {steps for _, steps in short.calls}
    assert steps == {CAP(length) - 1}  # the cap never changes with the batch size
    assert sizes[0] == 2560 // (length + CAP(length))  # the first batch: sized for the worst case
    assert sizes[1] == 2560 // (length + math.ceil(MIN_OUTPUT_SHARE * CAP(length))) > sizes[0]
    assert sum(sizes) == 200
    engine._translator = looping = _EndingTranslator(10_000)  # now every output runs to its cap
    engine.translate([sentence] * 200)
    sizes = [size for size, _ in looping.calls]
    assert sizes[0] > sizes[1] == 2560 // (length + CAP(length))  # back to the worst-case size


def test_transformers_batches_grow_after_outputs_end_and_shrink_back_too(tiny_model_dir: Path) -> None:
    """The transformers engine sizes batches by the last batch's longest output, as CTranslate2's."""
    engine = TransformersTranslator(tiny_model_dir, generation=GenerationSettings(), quiet=True, batch_tokens=2560)
    sentence = "Il sindaco ha detto che la strada sarà riaperta domani mattina."
    length = engine.count_tokens(sentence)
    calls: list[tuple[int, int]] = []
    steps_run = 3

    def generate_ids(batch, no_repeat_ngram_size=0, cap=None):
        calls.append((len(batch), cap))
        return [[5] * min(steps_run, cap)] * len(batch)  # rows padded to the batch's last step

    engine._generate_ids = generate_ids
    engine.translate([sentence] * 200)
    sizes = [size for size, _ in calls]
    assert {cap for _, cap in calls} == {CAP(length)}
    assert sizes[0] == 2560 // (length + CAP(length))  # the first batch: sized for the worst case
    assert sizes[1] == 2560 // (length + math.ceil(MIN_OUTPUT_SHARE * CAP(length))) > sizes[0]
    assert sum(sizes) == 200
    calls.clear()
    steps_run = 10_000  # now every output runs to its cap
    engine.translate([sentence] * 200)
    sizes = [size for size, _ in calls]
    assert sizes[0] > sizes[1] == 2560 // (length + CAP(length))  # back to the worst-case size
