"""The reference engine: MarianMT through Hugging Face transformers (PyTorch).

It also owns the rules every backend shares, so that both decode under the same conditions:
the source normalisation (:func:`source_normalizer`), the token-budget batching
(:func:`iter_batches`, :func:`length_groups`) and the source length limit (:func:`fit_source`). Those helpers are light: torch and
transformers are imported only when a :class:`TransformersTranslator` is built, so the
CTranslate2 engine can reuse them without pulling in torch.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from it2en.checkpoints import load_marian
from it2en.engines import ScoringEngine, Translation, confidence
from it2en.errors import ModelUnavailableError, first_line
from it2en.models import check_model_folder
from it2en.generation import GenerationSettings

DEFAULT_BATCH_MEMORY = 250 * 2**20
"""Bytes of decoding state a batch may hold, as :meth:`ModelShape.sentence_bytes` counts them.

The count is relative (CTranslate2's real peak grows about twice as fast: buffers it does not
count), so the budget is set by measurement: on opus-mt-it-en's shape with every output running
to its cap (the never-ending benchmark model, the four corpus articles), 250 MiB peaks at 522 MB
on a first pass and 300 MiB at 623 MB (``python bench/batch_budget.py``, one worker; goal < 700
MB), and a whole ``it2en translate`` run at 545 MB with the CTranslate2 engine's two batches at
once, each with half. That is 21 worst-case sentences of 30 tokens, 5 of 146, in one batch. Counted in bytes, not positions, a smaller
model's batches are larger by as much as its positions are lighter (a 2-layer, 64-wide model's
hold about 25 times as many sentences), and a batch grows when outputs are seen to end early
(:func:`iter_batches`)."""


@dataclass(frozen=True)
class ModelShape:
    """The sizes that set what decoding one position costs in memory."""

    d_model: int
    decoder_layers: int
    vocab_size: int

    @classmethod
    def from_config(cls, config: Any) -> "ModelShape":
        """From a MarianMT config (an object, or the dict of its ``config.json``)."""
        get = config.get if isinstance(config, dict) else lambda key: getattr(config, key, None)
        vocab = get("decoder_vocab_size") or get("vocab_size")
        return cls(d_model=int(get("d_model")), decoder_layers=int(get("decoder_layers")), vocab_size=int(vocab))

    def sentence_bytes(self, positions: int, beams: int) -> int:
        """Decoding state of one sentence over ``positions`` (its source and its output so far):
        per beam, every decoder layer's keys and values at every position, and the scores over
        the vocabulary (logits and their log-softmax), in float32."""
        return beams * 4 * (2 * self.decoder_layers * self.d_model * positions + 2 * self.vocab_size)


OPUS_MT_SHAPE = ModelShape(d_model=512, decoder_layers=6, vocab_size=80379)
"""opus-mt-it-en's: assumed for a CTranslate2 folder converted before it2en recorded the shape."""

EOS_TOKEN = "</s>"
SPECIAL_TOKENS = frozenset({"</s>", "<unk>", "<pad>"})
"""Tokens dropped from a translation before detokenising (``skip_special_tokens``)."""



# --------------------------------------------------------------------------- shared rules


THREADS_ENV = "IT2EN_THREADS"


def available_cores() -> int:
    """CPU cores this process may run on (affinity and cgroup cpusets respected).

    ``$IT2EN_THREADS`` caps it: a corpus worker sharing a machine with others sets it to its
    own share of the cores, so that the workers do not oversubscribe them.
    """
    try:
        cores = max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        cores = max(1, os.cpu_count() or 1)
    cap = os.environ.get(THREADS_ENV, "")
    return min(cores, int(cap)) if cap.isdigit() and int(cap) > 0 else cores


def source_normalizer(lang: str | None) -> Callable[[str], str]:
    """Moses punctuation normalisation, as ``MarianTokenizer.normalize`` does it.

    OPUS-MT models were trained on text passed through Moses' ``normalize-punctuation.perl``;
    ``MarianTokenizer`` builds the same ``MosesPunctNormalizer(source_lang)`` but (in
    transformers 5.x) no longer applies it by itself, so every engine applies it explicitly,
    through this one function: :mod:`it2en.engines.punctuation`, sacremoses' rules without
    sacremoses' import time (tested equal on the corpus). Empty text stays empty.
    """
    from it2en.engines.punctuation import punctuation_normalizer

    normalize = punctuation_normalizer(lang or "it")
    return lambda text: normalize(text) if text else ""


def read_source_lang(folder: Path) -> str | None:
    """``source_lang`` from a model folder's ``tokenizer_config.json`` (None when absent)."""
    try:
        data = json.loads((Path(folder) / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    lang = data.get("source_lang") if isinstance(data, dict) else None
    return lang if isinstance(lang, str) and lang else None


def fit_source(ids: list[Any], max_length: int) -> list[Any]:
    """Keep a tokenised source (ending with ``</s>``) within the model's position limit.

    The pipeline splits long sentences before they get here; this is the last guard, so the
    encoder never sees more than ``max_length`` positions: the head is kept, ``</s>`` stays last.
    """
    if len(ids) <= max_length:
        return ids
    return list(ids[: max_length - 1]) + [ids[-1]]


LENGTH_SPREAD = 2.0
LENGTH_SLACK = 8
"""A batch's longest source is at most 2 × its shortest + 8 tokens: the cap on new tokens is
the longest source's, so a short sentence batched with a long one could run (if it loops) to a
cap far above its own, and every beam's key/value cache grows to that cap."""

MIN_OUTPUT_SHARE = 0.25
"""The least share of its cap an output is assumed to fill when a batch is sized (see
:func:`iter_batches`)."""


def length_groups(lengths: list[int]) -> dict[int, int]:
    """Each source length of one call → the longest length of its group.

    Groups are made longest first: a group takes every length down to the shortest that keeps
    :data:`LENGTH_SPREAD` with its longest, and the next length starts the next group. They
    depend on the call's lengths alone, so a sentence's cap (its group's longest's) depends on
    the sentences translated with it, never on how they are cut into batches: batches may grow
    or shrink (:func:`iter_batches`) and both engines still give every sentence the same cap.
    Unlike fixed length bands, no group is cut at an arbitrary boundary: a lone long sentence
    shares its batch with the sentences just shorter.
    """
    tops: dict[int, int] = {}
    top = 0
    for length in sorted(set(lengths), reverse=True):
        if not top or length * LENGTH_SPREAD + LENGTH_SLACK < top:
            top = length
        tops[length] = top
    return tops


def iter_batches(
    lengths: list[int],
    budget: int,
    cap: Callable[[int], int],
    output_share: Callable[[], float] = lambda: 1.0,
    sentence_cost: Callable[[int], int] = lambda positions: positions,
) -> Iterator[tuple[list[int], int]]:
    """``(sentence indices, cap on new tokens)`` per batch, longest sources first.

    A batch holds sentences of one length group (:func:`length_groups`), so its cap is the
    group's longest source's, and costs ``len(batch) × sentence_cost(longest + share × cap)``,
    at most ``budget``: token positions by default, bytes for the engines
    (:meth:`ModelShape.sentence_bytes`, :data:`DEFAULT_BATCH_MEMORY`). ``output_share()``, read
    before each batch, is the share of its cap an output is expected to fill: 1 (every output
    runs to its cap, the worst case) unless the engine has seen outputs end sooner; never below
    :data:`MIN_OUTPUT_SHARE`. A sentence over the budget gets a batch of its own.
    """
    tops = length_groups(lengths)
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    position = 0
    while position < len(order):
        first = order[position]
        top = tops[lengths[first]]
        group_cap = cap(top)
        share = min(1.0, max(MIN_OUTPUT_SHARE, output_share()))
        cost = sentence_cost(lengths[first] + math.ceil(share * group_cap))  # the first is the longest
        size = max(1, budget // cost)
        batch = [first]
        position += 1
        while position < len(order) and len(batch) < size and tops[lengths[order[position]]] == top:
            batch.append(order[position])
            position += 1
        yield batch, group_cap


def plan_batches(lengths: list[int], budget: int, cap: Callable[[int], int]) -> list[list[int]]:
    """The batches :func:`iter_batches` makes, in token positions, when every output is expected
    to run to its cap.

    Sentences are taken longest first (ties in input order), so each batch's first member is its
    longest; a batch costs ``len(batch) × (longest + its group's cap)`` positions, and its
    lengths stay within :data:`LENGTH_SPREAD`.
    """
    return [batch for batch, _ in iter_batches(lengths, budget, cap)]


@contextlib.contextmanager
def library_output(quiet: bool) -> Iterator[None]:
    """Keep library chatter off stdout (always) and off stderr (when ``quiet``).

    Python-level prints are sent to stderr (or nowhere when quiet) and Python warnings are
    muted when quiet. Library loggers and progress bars are silenced by
    :func:`silence_hf_libraries`.
    """
    sink = io.StringIO() if quiet else sys.stderr
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.redirect_stdout(sink))
        if quiet:
            stack.enter_context(contextlib.redirect_stderr(sink))
            stack.enter_context(warnings.catch_warnings())
            warnings.simplefilter("ignore")
        yield


def silence_hf_libraries() -> None:
    """transformers / huggingface_hub: errors only, no progress bars (it2en shows its own)."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    except ImportError:  # pragma: no cover - huggingface_hub is a dependency
        pass
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    # MarianTokenizer warns "Recommended: pip install sacremoses." when it is missing.
    warnings.filterwarnings("ignore", message=r"Recommended: pip install sacremoses")


# --------------------------------------------------------------------------- the engine


def beam_cache_factory() -> tuple[str, Callable[[], Any]] | None:
    """``(generate keyword, factory)`` for a cache whose beam reorder skips cross-attention.

    At every step, beam search reorders the whole key/value cache along the beams it keeps.
    The cross-attention part holds keys and values of the encoder output, which all beams of a
    sentence share: beam search only ever picks beams of the same sentence, so reordering it
    copies a tensor as large as ``beams × batch × source length × layers`` per step and
    changes nothing. Only the self-attention part is reordered here; the tokens are the same
    (tested). None when this transformers has no ``EncoderDecoderCache`` (stock behaviour).
    """
    try:
        from transformers.cache_utils import DynamicCache, EncoderDecoderCache
        from transformers.generation.utils import ALL_CACHE_NAMES
    except ImportError:
        return None

    class BeamSharedCrossAttentionCache(EncoderDecoderCache):
        def reorder_cache(self, beam_idx: Any) -> None:
            self.self_attention_cache.reorder_cache(beam_idx)

    keyword = "cache" if "cache" in ALL_CACHE_NAMES else "past_key_values"  # renamed in 5.x
    return keyword, lambda: BeamSharedCrossAttentionCache(DynamicCache(), DynamicCache())


class _Row(NamedTuple):
    """One generated output: token ids (start token dropped), attention rows, confidence."""

    ids: list[int]
    attention: list[list[float]] | None = None
    confidence: float | None = None


class ChosenLogProbs:
    """A logits processor that changes nothing and keeps, at every decoding step, each beam's
    best log-probabilities (and their token ids): the chosen token's is among them.

    It runs last, on the scores every other processor has made (a forced ``</s>``, a banned
    n-gram): beam search gets log-probabilities there (``log_softmax`` of the logits, then the
    processors) and keeps, per sentence, the best ``2 × beams`` continuations over all its
    beams, so a beam's chosen token is within its own best ``2 × beams``; greedy search gets
    logits and takes the best, which is kept normalised. A few numbers per beam and step: no
    full vocabulary is stored (``output_scores`` would store ``beams × vocabulary`` floats per
    step and sentence).
    """

    def __init__(self, beams: int) -> None:
        self.keep = 1 if beams <= 1 else 2 * beams
        self.greedy = beams <= 1
        self.steps: list[tuple[Any, Any]] = []

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        log_probs = scores.log_softmax(-1) if self.greedy else scores
        self.steps.append(log_probs.topk(self.keep, dim=-1))
        return scores


class TransformersTranslator(ScoringEngine):
    """MarianMT through transformers: the reference backend.

    Sentences are normalised (Moses punctuation, as OPUS-MT was trained), tokenised with the
    model's ``MarianTokenizer``, sorted by length and batched by a token budget; each batch is
    decoded with ``beams`` beams and a cap on new tokens taken from its longest source
    (:meth:`GenerationSettings.max_new_tokens`). Outputs come back in input order.
    """

    name = "transformers"

    def __init__(
        self,
        model_dir: Path,
        *,
        generation: GenerationSettings,
        device: str = "cpu",
        batch_memory: int = DEFAULT_BATCH_MEMORY,
        quiet: bool = False,
    ) -> None:
        """``batch_memory``: bytes of decoding state a batch may hold (see :func:`iter_batches`)."""
        self.model_dir = Path(model_dir)
        self.generation = generation
        self.device = device
        self.batch_memory = max(1, int(batch_memory))
        self.quiet = quiet
        check_model_folder(self.model_dir)

        with library_output(quiet):
            import torch

            silence_hf_libraries()
            from transformers import MarianTokenizer

            if device == "cpu":
                torch.set_num_threads(available_cores())
            dtype = torch.float16 if device.startswith("cuda") else torch.float32
            try:
                self._tokenizer = MarianTokenizer.from_pretrained(self.model_dir)
            except Exception as exc:  # noqa: BLE001 - any loading failure means a broken folder
                raise ModelUnavailableError(
                    f"The tokenizer in {self.model_dir} cannot be loaded ({type(exc).__name__}: "
                    f"{first_line(exc)}). Download the model again with `it2en download`."
                ) from exc
            self._model = load_marian(self.model_dir, dtype=dtype).model.to(device)

        self._torch = torch
        self._normalize = source_normalizer(getattr(self._tokenizer, "source_lang", None))
        self._eos_id = self._tokenizer.eos_token_id
        self._pad_id = self._tokenizer.pad_token_id
        self._generation_config = self._model.generation_config
        self._max_source = generation.max_length
        self._beam_cache = beam_cache_factory()
        self.shape = ModelShape.from_config(self._model.config)
        self.output_share = 1.0
        """The longest output of the last batch as a share of its cap: sizes the next batch."""

    # -- tokens

    def _encode(self, text: str) -> list[int]:
        ids = self._tokenizer(self._normalize(text), add_special_tokens=True)["input_ids"]
        return fit_source(list(ids), self._max_source)

    def count_tokens(self, text: str) -> int:
        """Source tokens the model sees for ``text``, ``</s>`` included."""
        with library_output(self.quiet):
            return len(self._encode(text))

    # -- translation

    def translate_detailed(self, sentences: list[str], *, aligned: bool = False, scored: bool = True,
                           no_repeat_ngram_size: int = 0) -> list[Translation]:
        """One :class:`Translation` per sentence, in input order; same batches and caps either way.

        ``aligned``: each translation's word alignment, from the cross-attention ``generate``
        returns (the last layer's first head, on the beam that made each token, as CTranslate2
        returns it). ``scored``: the model's confidence (:func:`it2en.engines.confidence`), from
        the log-probabilities of the tokens it chose, kept as it decodes
        (:class:`ChosenLogProbs`).
        """
        from it2en.engines.alignment import attention_alignment

        if not sentences:
            return []
        with library_output(self.quiet):
            encoded = [self._encode(text) for text in sentences]
            results: list[Translation] = [Translation("")] * len(sentences)
            lengths = [len(ids) for ids in encoded]
            # generate keeps decoding (padding) the sentences that ended until the batch's last
            # one ends, so a batch's memory follows its longest output: the share of the cap that
            # output filled sizes the next batch, as in the CTranslate2 engine (iter_batches)
            for batch, cap in self._batches(lengths):
                rows = self._generate_rows([encoded[i] for i in batch], no_repeat_ngram_size, cap,
                                           aligned=aligned, scored=scored)
                self.output_share = max(len(row.ids) for row in rows) / cap  # rows run to the last step
                texts = self._decode([row.ids for row in rows])
                for index, row, text in zip(batch, rows, texts):
                    alignment = attention_alignment(
                        row.attention, self._tokenizer.convert_ids_to_tokens(encoded[index]),
                        self._tokenizer.convert_ids_to_tokens(row.ids), sentences[index], text) if aligned else None
                    results[index] = Translation(text, alignment, row.confidence)
        return results

    def _batches(self, lengths: list[int]) -> Iterator[tuple[list[int], int]]:
        return iter_batches(lengths, self.batch_memory, self.generation.max_new_tokens, lambda: self.output_share,
                            lambda positions: self.shape.sentence_bytes(positions, self.generation.beams))

    def _generate_ids(
        self, batch: list[list[int]], no_repeat_ngram_size: int = 0, cap: int | None = None
    ) -> list[list[int]]:
        """Generated token ids for one batch of tokenised sources (start token dropped).

        ``cap``: new tokens allowed, ``</s>`` included (default: the longest source's).
        """
        output = self._generate_output(batch, no_repeat_ngram_size, cap)
        sequences = output if isinstance(output, self._torch.Tensor) else output.sequences
        return [row[1:].tolist() for row in sequences.cpu()]

    def _generate_ids_aligned(self, batch: list[list[int]], no_repeat_ngram_size: int = 0, cap: int | None = None
                              ) -> list[tuple[list[int], list[list[float]]]]:
        """:meth:`_generate_ids` with one attention row per generated token (over the source)."""
        return [(row.ids, row.attention) for row in self._generate_rows(batch, no_repeat_ngram_size, cap,
                                                                          aligned=True, scored=False)]

    def _generate_rows(self, batch: list[list[int]], no_repeat_ngram_size: int = 0, cap: int | None = None, *,
                       aligned: bool = False, scored: bool = False) -> list[_Row]:
        """One :class:`_Row` per tokenised source: generated ids, attention rows when ``aligned``,
        confidence when ``scored``.

        The cross-attentions of step ``t`` hold every live beam; ``beam_indices[row, t]`` names
        the beam that produced the kept hypothesis' token ``t``. Attention weights need the
        eager attention code (SDPA does not return them): it is switched on for this call only.
        """
        if not (aligned or scored):
            return [_Row(ids) for ids in self._generate_ids(batch, no_repeat_ngram_size, cap)]
        cap = cap or self.generation.max_new_tokens(max(len(ids) for ids in batch))
        extra: dict[str, Any] = {"return_dict_in_generate": True}
        recorder = None
        if scored:
            from transformers import LogitsProcessorList

            recorder = ChosenLogProbs(self.generation.beams)
            extra["logits_processor"] = LogitsProcessorList([recorder])
        with self._eager_attention() if aligned else contextlib.nullcontext():
            output = self._generate_output(batch, no_repeat_ngram_size, cap, output_attentions=aligned, **extra)
        beams = getattr(output, "beam_indices", None)
        sequences = output.sequences.cpu()
        confidences = self._confidences(sequences, beams, recorder, cap) if recorder else [None] * len(batch)
        rows = []
        for row, sequence in enumerate(sequences):
            ids = sequence[1:].tolist()
            attention = None
            if aligned:
                attention = []
                for step in range(min(len(ids), len(output.cross_attentions))):
                    beam = row if beams is None else int(beams[row, step])
                    if beam < 0:
                        break
                    attention.append(
                        output.cross_attentions[step][-1][beam, 0, -1, : len(batch[row])].float().tolist())
            rows.append(_Row(ids, attention, confidences[row]))
        return rows

    @contextlib.contextmanager
    def _eager_attention(self) -> Iterator[None]:
        model = self._model
        previous = model.config._attn_implementation
        model.set_attn_implementation("eager")
        try:
            yield
        finally:
            model.set_attn_implementation(previous)

    def _confidences(self, sequences: Any, beam_indices: Any, recorder: "ChosenLogProbs", cap: int
                     ) -> list[float | None]:
        """Each output's confidence: the mean log-probability of the tokens the model chose.

        Token ``t`` of a row was chosen at step ``t`` on the beam ``beam_indices[row, t]`` (greedy:
        the row itself); its log-probability is among that beam's best at that step
        (:class:`ChosenLogProbs`). Counted: every token up to the first ``</s>``, that one
        included unless the cap forced it (CTranslate2 never decodes that step). None when a
        token is not found among the kept candidates (it cannot be, with greedy or beam search).
        """
        torch = self._torch
        ids = sequences[:, 1:]
        steps = min(ids.shape[1], len(recorder.steps))
        if steps == 0:
            return [None] * ids.shape[0]
        ids = ids[:, :steps]
        values = torch.stack([v for v, _ in recorder.steps[:steps]]).cpu()  # step, beam row, candidate
        indices = torch.stack([i for _, i in recorder.steps[:steps]]).cpu()
        step = torch.arange(steps)
        if beam_indices is None:
            origin, live = torch.arange(ids.shape[0])[:, None].expand(-1, steps), torch.ones_like(ids, dtype=torch.bool)
        else:
            origin = beam_indices[:, :steps].cpu().long()
            live, origin = origin >= 0, origin.clamp(min=0)
        candidates, candidate_ids = values[step[None, :], origin], indices[step[None, :], origin]  # row, step, k
        match = candidate_ids == ids[..., None]
        chosen = torch.where(match, candidates, torch.zeros_like(candidates)).sum(-1)
        found = match.any(-1)
        eos = ids == self._eos_id
        counted = live & ((eos.long().cumsum(1) - eos.long()) == 0)  # up to the first </s>, included
        if self._generation_config.forced_eos_token_id is not None and steps >= cap:
            counted[:, cap - 1] &= ~eos[:, cap - 1]
        results: list[float | None] = []
        for row in range(ids.shape[0]):
            mask = counted[row]
            if not bool(found[row][mask].all()) or not bool(mask.any()):
                results.append(None)
                continue
            results.append(confidence(float(chosen[row][mask].mean())))
        return results

    def _generate_output(self, batch: list[list[int]], no_repeat_ngram_size: int = 0, cap: int | None = None,
                         **extra: Any) -> Any:
        """``generate`` on one batch of tokenised sources, with ``extra`` options."""
        torch = self._torch
        longest = max(len(ids) for ids in batch)
        input_ids = torch.full((len(batch), longest), self._pad_id, dtype=torch.long)
        attention_mask = torch.zeros((len(batch), longest), dtype=torch.long)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
            attention_mask[row, : len(ids)] = 1
        config = self._generation_config
        cache = {}
        if self._beam_cache is not None and self.generation.beams > 1:
            keyword, factory = self._beam_cache
            cache[keyword] = factory()
        with torch.inference_mode():
            return self._model.generate(
                input_ids=input_ids.to(self.device),
                attention_mask=attention_mask.to(self.device),
                generation_config=config,
                num_beams=self.generation.beams,
                max_new_tokens=cap or self.generation.max_new_tokens(longest),
                max_length=None,
                no_repeat_ngram_size=no_repeat_ngram_size or None,
                num_return_sequences=1,
                do_sample=False,
                **cache,
                **extra,
            )

    def _decode(self, ids: list[list[int]]) -> list[str]:
        return self._tokenizer.batch_decode(
            ids,
            skip_special_tokens=True,
            clean_up_tokenization_spaces=False,
            use_source_tokenizer=False,  # English pieces: decode with target.spm
        )
