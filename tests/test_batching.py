"""Batching: length groups fix each sentence's cap; batch sizes follow the outputs, memory stays bounded.

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

from it2en.engines.ctranslate2 import CTranslate2Translator
from it2en.engines.transformers import (
    LENGTH_SLACK,
    LENGTH_SPREAD,
    MIN_OUTPUT_SHARE,
    TransformersTranslator,
    iter_batches,
    length_groups,
)
from it2en.generation import GenerationSettings
from marian_factory import corpus_dir

CAP = GenerationSettings().max_new_tokens  # 2 × source + 10
SMALL = GenerationSettings(beams=2, max_new_tokens_factor=1.0, max_new_tokens_extra=2)


def test_groups_keep_the_length_spread_and_are_as_large_as_it_allows() -> None:
    rng = random.Random(1)
    lengths = [rng.randint(1, 512) for _ in range(300)] + [149, 71, 70]
    tops = length_groups(lengths)
    assert set(tops) == set(lengths)
    groups: dict[int, list[int]] = {}
    for length, top in tops.items():
        groups.setdefault(top, []).append(length)
    for top, members in groups.items():
        assert top == max(members)  # a group is named by its longest
        assert top <= min(members) * LENGTH_SPREAD + LENGTH_SLACK  # one cap suits any batch of it
    ordered = sorted(groups, reverse=True)
    for longer, shorter in zip(ordered, ordered[1:]):
        assert shorter * LENGTH_SPREAD + LENGTH_SLACK < longer  # it could not have joined the group above
    assert length_groups([149, 71, 70]) == {149: 149, 71: 149, 70: 70}  # no fixed boundary cuts 149 off


@pytest.mark.parametrize("share", [1.0, 0.5, 0.25, 0.0])
def test_batches_respect_the_budget_for_the_share_expected(share: float) -> None:
    rng = random.Random(0)
    lengths = [rng.randint(1, 140) for _ in range(400)] + [512, 3]
    tops = length_groups(lengths)
    seen = []
    for batch, cap in iter_batches(lengths, 2560, CAP, lambda: share):
        longest = lengths[batch[0]]
        assert longest == max(lengths[i] for i in batch)  # longest first
        assert {tops[lengths[i]] for i in batch} == {tops[longest]}
        assert cap == CAP(tops[longest]) >= CAP(longest)
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


def test_a_group_cap_is_its_longest_in_the_call_whatever_the_batches() -> None:
    lengths = [40, 12, 60, 30, 25]
    assert length_groups(lengths) == {60: 60, 40: 60, 30: 60, 25: 25, 12: 25}
    by_one = {lengths[batch[0]]: cap for batch, cap in iter_batches(lengths, 1, CAP)}  # one sentence a batch
    by_all = {lengths[i]: cap for batch, cap in iter_batches(lengths, 10**6, CAP) for i in batch}
    assert by_one == by_all == {60: CAP(60), 40: CAP(60), 30: CAP(60), 25: CAP(25), 12: CAP(25)}



def test_engines_give_a_sentence_the_same_cap_whatever_their_batches(tiny_model_dir: Path, ct2_float32_dir: Path,
                                                                     tiny_batch_memory) -> None:
    """The tiny random model runs every output to its cap: equal outputs mean equal caps."""
    lines = (corpus_dir() / "flores200" / "ita_Latn.dev").read_text(encoding="utf-8").splitlines()
    rng = random.Random(3)
    sentences = [" ".join(lines[rng.randrange(900)].split()[: rng.randint(2, 25)]) for _ in range(24)]
    hf = TransformersTranslator(tiny_model_dir, generation=SMALL, quiet=True,
                                batch_memory=tiny_batch_memory(60, SMALL.beams))
    ct2 = CTranslate2Translator(ct2_float32_dir, generation=SMALL, quiet=True,
                                batch_memory=tiny_batch_memory(100_000, SMALL.beams), compute_type="float32")
    lengths = [hf.count_tokens(s) for s in sentences]
    assert len(list(iter_batches(lengths, 60, SMALL.max_new_tokens))) > 8  # many small batches here
    assert ct2.translate(sentences) == hf.translate(sentences)  # one batch per group there


class _EndingTranslator:
    """Stands in for ctranslate2.Translator: every output ends after ``length`` tokens; results
    come back when asked for (``asynchronous=True``), and the most batches pending at once is kept."""

    def __init__(self, length: int) -> None:
        self.length, self.calls, self.pending, self.most_pending = length, [], 0, 0

    def translate_batch(self, sources, *, max_decoding_length, asynchronous=False, **options):
        assert asynchronous
        self.calls.append((len(sources), max_decoding_length))
        self.pending += 1
        self.most_pending = max(self.most_pending, self.pending)
        hypothesis = ["▁x"] * min(self.length, max_decoding_length)
        results = [SimpleNamespace(hypotheses=[hypothesis], attention=[], scores=[]) for _ in sources]
        return [_Pending(self, result, last=i == len(results) - 1) for i, result in enumerate(results)]


class _Pending:
    def __init__(self, translator: _EndingTranslator, result, last: bool) -> None:
        self.translator, self.value, self.last = translator, result, last

    def result(self):
        if self.last:
            self.translator.pending -= 1
        return self.value


def test_ctranslate2_batches_grow_after_outputs_end_and_shrink_back_when_they_run_to_the_cap(
    tiny_ct2_dir: Path, tiny_batch_memory
) -> None:
    """Two batches decode at once, each sized for half the budget: the first two for the worst
    case, the next from what came back."""
    beams = GenerationSettings().beams
    cost = lambda positions: tiny_batch_memory(positions, beams)  # noqa: E731
    budget = cost(2560)
    engine = CTranslate2Translator(tiny_ct2_dir, generation=GenerationSettings(), quiet=True, batch_memory=budget)
    engine.workers = 2
    share = budget // 2  # each batch in flight gets its half
    sentence = "Il sindaco ha detto che la strada sarà riaperta domani mattina."
    length = engine.count_tokens(sentence)
    engine._translator = short = _EndingTranslator(2)
    assert engine.translate([sentence] * 200) == [engine._detokenize(["▁x"] * 2)] * 200
    assert short.most_pending == 2
    sizes = [size for size, _ in short.calls]
    steps = {steps for _, steps in short.calls}
    assert steps == {CAP(length) - 1}  # the cap never changes with the batch size
    worst = share // cost(length + CAP(length))
    assert sizes[0] == sizes[1] == worst  # planned before any output came back
    assert sizes[2] == share // cost(length + math.ceil(MIN_OUTPUT_SHARE * CAP(length))) > worst
    assert sum(sizes) == 200
    engine._translator = looping = _EndingTranslator(10_000)  # now every output runs to its cap
    engine.translate([sentence] * 200)
    sizes = [size for size, _ in looping.calls]
    assert sizes[0] > sizes[2] == worst  # back to the worst-case size once a batch ran to its cap


def test_transformers_batches_grow_after_outputs_end_and_shrink_back_too(tiny_model_dir: Path,
                                                                        tiny_batch_memory) -> None:
    """The transformers engine sizes batches by the last batch's longest output, as CTranslate2's."""
    beams = GenerationSettings().beams
    cost = lambda positions: tiny_batch_memory(positions, beams)  # noqa: E731
    budget = cost(2560)
    engine = TransformersTranslator(tiny_model_dir, generation=GenerationSettings(), quiet=True, batch_memory=budget)
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
    assert sizes[0] == budget // cost(length + CAP(length))  # the first batch: sized for the worst case
    assert sizes[1] == budget // cost(length + math.ceil(MIN_OUTPUT_SHARE * CAP(length))) > sizes[0]
    assert sum(sizes) == 200
    calls.clear()
    steps_run = 10_000  # now every output runs to its cap
    engine.translate([sentence] * 200)
    sizes = [size for size, _ in calls]
    assert sizes[0] > sizes[1] == budget // cost(length + CAP(length))  # back to the worst-case size


@pytest.mark.parametrize("cores, workers", [(1, 1), (2, 2), (8, 2)])
def test_ctranslate2_on_cpu_decodes_up_to_two_batches_at_once_with_the_cores_shared(
    tiny_ct2_dir: Path, monkeypatch: pytest.MonkeyPatch, cores: int, workers: int
) -> None:
    """One CTranslate2 worker per batch in flight, sharing the weights; $IT2EN_THREADS (a corpus
    worker's share of the machine) caps the cores, so a one-core worker decodes one batch."""
    monkeypatch.setattr("it2en.engines.ctranslate2.available_cores", lambda: cores)
    engine = CTranslate2Translator(tiny_ct2_dir, generation=GenerationSettings(), quiet=True)
    assert engine.workers == engine._translator.num_translators == workers
    sentences = ["Il sindaco ha parlato.", "La strada è chiusa da ieri sera.", "Piove."] * 5
    assert engine.translate(sentences) == engine.translate(sentences[::-1])[::-1]  # order kept
