"""The fast CPU engine: the same MarianMT model converted to CTranslate2.

Translating needs only ctranslate2 and sentencepiece: torch and transformers are
never imported on this path (converting a model does import them, once).

It mirrors the reference engine (:mod:`it2en.engines.transformers`) rule for rule: the same
Moses punctuation normalisation, ``source.spm`` pieces plus ``</s>``, the same length groups and
the same cap on new tokens per group (its batches may be larger: see ``translate``), special
tokens dropped and ``target.spm`` to detokenise.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import shutil
import tempfile
from pathlib import Path

from it2en.engines.transformers import (
    DEFAULT_BATCH_MEMORY,
    EOS_TOKEN,
    OPUS_MT_SHAPE,
    SPECIAL_TOKENS,
    available_cores,
    fit_source,
    ModelShape,
    iter_batches,
    library_output,
    read_source_lang,
    source_normalizer,
)
from it2en.checkpoints import load_marian
from it2en.engines import ScoringEngine, Translation, confidence
from it2en.errors import ModelUnavailableError, first_line
from it2en.models import check_model_folder
from it2en.generation import GenerationSettings

COPIED_FILES = ("source.spm", "target.spm", "tokenizer_config.json")
SIDECAR = "it2en-ct2.json"
"""What the converted folder needs to decode like the reference engine."""
REQUIRED_FILES = ("model.bin", "config.json", "source.spm", "target.spm", SIDECAR)
LOADING_RULES = 1
"""Recorded in the sidecar: the version of :func:`it2en.checkpoints.load_marian`'s rules the copy
was converted under (1: the config's ties applied, incomplete checkpoints refused)."""


def is_converted(ct2_dir: Path) -> bool:
    """Whether ``ct2_dir`` holds a complete conversion made by :func:`convert_to_ctranslate2`."""
    return all((Path(ct2_dir) / name).is_file() for name in REQUIRED_FILES)


def convert_to_ctranslate2(
    model_dir: Path, out_dir: Path, quantization: str = "int8", *, quiet: bool = True
) -> Path:
    """Convert a MarianMT folder to CTranslate2 in ``out_dir`` (atomically) and return it.

    The conversion is written to a temporary folder beside ``out_dir`` and renamed into
    place, so ``out_dir`` is either absent or complete. If another process finished the same
    conversion first, its result is kept. ``quantization``: ``int8`` (default), ``float32``,
    ``float16``, … (any CTranslate2 quantization).
    """
    model_dir, out_dir = Path(model_dir), Path(out_dir)
    check_model_folder(model_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        with library_output(quiet):
            from it2en.engines.transformers import silence_hf_libraries

            silence_hf_libraries()
            loaded = load_marian(model_dir)
            copy_files = [name for name in COPIED_FILES if (model_dir / name).is_file()]
            converter = _converter_of(loaded.model, model_dir, copy_files)
            try:
                converter.convert(str(tmp), quantization=quantization, force=True)
            except Exception as exc:  # noqa: BLE001 - any failure here means an unusable model
                raise ModelUnavailableError(
                    f"The model in {model_dir} cannot be converted for the ctranslate2 backend "
                    f"({type(exc).__name__}: {first_line(exc)})."
                ) from exc
        (tmp / SIDECAR).write_text(json.dumps(_sidecar(model_dir, quantization), indent=2), encoding="utf-8")
        try:
            os.rename(tmp, out_dir)
        except OSError:
            if not is_converted(out_dir):
                raise
            # Someone else converted the same model meanwhile: keep theirs.
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def _converter_of(model, model_dir: Path, copy_files: list[str]):
    """CTranslate2's converter for ``model``, already loaded (and fixed) by :func:`load_marian`:
    the converter would otherwise load the folder again, with transformers' own rules."""
    from ctranslate2.converters import TransformersConverter

    class LoadedModelConverter(TransformersConverter):
        def load_model(self, model_class, model_name_or_path, **kwargs):
            return model

    return LoadedModelConverter(str(model_dir), copy_files=copy_files)


def is_current(ct2_dir: Path) -> bool:
    """Whether ``ct2_dir`` is complete and was converted from a model loaded by this it2en's
    rules (:data:`LOADING_RULES`): an older copy may hold a stray output table."""
    if not is_converted(ct2_dir):
        return False
    try:
        sidecar = json.loads((Path(ct2_dir) / SIDECAR).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(sidecar, dict) and sidecar.get("loading_rules") == LOADING_RULES


def _sidecar(model_dir: Path, quantization: str) -> dict:
    """Facts from the Hugging Face folder that CTranslate2's own config does not keep."""
    configs = {}
    for name in ("generation_config.json", "config.json"):
        try:
            configs[name] = json.loads((model_dir / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            configs[name] = {}
    # every opus-mt generation config forces </s> at the cap
    forced_eos = next((data["forced_eos_token_id"] is not None for data in configs.values()
                       if isinstance(data, dict) and "forced_eos_token_id" in data), True)
    try:
        shape = dataclasses.asdict(ModelShape.from_config(configs["config.json"]))
    except (TypeError, ValueError):
        shape = None  # batches are then sized as for opus-mt-it-en
    return {
        "source_lang": read_source_lang(model_dir),
        "forced_eos": forced_eos,
        "quantization": quantization,
        "shape": shape,
        "loading_rules": LOADING_RULES,
    }


PARALLEL_BATCHES = 2
"""Batches decoded at once on CPU, each by its own CTranslate2 worker with its share of the
cores (the workers share the weights; each batch gets its share of the memory budget). On 2
shared cores, two one-thread workers decoded the calibrated benchmark's 34 sentences in 5.8–6.2 s
where one two-thread worker took 10.0–11.4 s: a decoding step's small matrix products gain
little from a second thread and lose much waiting for it. Measured on 2 cores only."""


class RuntimeUnavailableError(ModelUnavailableError):
    """The converted model is fine, but CTranslate2 cannot run on the chosen device."""


class CTranslate2Translator(ScoringEngine):
    """MarianMT through CTranslate2: same API and decoding rules as the reference engine."""

    name = "ctranslate2"

    def __init__(
        self,
        ct2_dir: Path,
        *,
        generation: GenerationSettings,
        device: str = "cpu",
        batch_memory: int = DEFAULT_BATCH_MEMORY,
        quiet: bool = False,
        compute_type: str | None = None,
    ) -> None:
        """``compute_type``: None picks int8 on CPU and float16 on CUDA; ``"default"`` keeps
        the converted weights' own type (e.g. float32 for a float32 conversion).
        ``batch_memory``: bytes of decoding state a batch may hold (see ``iter_batches``)."""
        self.ct2_dir = Path(ct2_dir)
        self.generation = generation
        self.device = device
        self.batch_memory = max(1, int(batch_memory))
        self.quiet = quiet
        if not is_converted(self.ct2_dir):
            raise ModelUnavailableError(
                f"The ctranslate2 model folder {self.ct2_dir} is missing or incomplete; "
                "convert the model again (delete the folder, or run `it2en download`)."
            )
        if compute_type is None:
            compute_type = "float16" if device.startswith("cuda") else "int8"
        with library_output(quiet):
            import ctranslate2
            import sentencepiece

            if quiet:
                import logging

                ctranslate2.set_log_level(logging.ERROR)
            try:
                sidecar = json.loads((self.ct2_dir / SIDECAR).read_text(encoding="utf-8"))
                self._source_spm = sentencepiece.SentencePieceProcessor(model_file=str(self.ct2_dir / "source.spm"))
                self._target_spm = sentencepiece.SentencePieceProcessor(model_file=str(self.ct2_dir / "target.spm"))
                cores = available_cores()
                self.workers = min(cores, PARALLEL_BATCHES) if device == "cpu" else 1
                self._translator = ctranslate2.Translator(
                    str(self.ct2_dir),
                    device=device,
                    compute_type=compute_type,
                    inter_threads=self.workers,  # the workers share the weights
                    intra_threads=max(1, cores // self.workers) if device == "cpu" else 0,
                )
            except Exception as exc:  # noqa: BLE001 - any loading failure means a broken folder
                raise ModelUnavailableError(
                    f"The ctranslate2 model in {self.ct2_dir} cannot be loaded "
                    f"({type(exc).__name__}: {first_line(exc)}); "
                    "delete the folder to convert the model again."
                ) from exc
        self._normalize = source_normalizer(sidecar.get("source_lang"))
        self._forced_eos = bool(sidecar.get("forced_eos", True))
        try:
            self.shape = ModelShape(**sidecar["shape"])
        except (KeyError, TypeError):  # converted before the shape was recorded
            self.shape = OPUS_MT_SHAPE
        self.output_share = 1.0
        """The longest output of the last batch as a share of its cap (1: sized for the worst case)."""
        self._max_source = generation.max_length
        if device.startswith("cuda"):
            self.check_runtime()

    def check_runtime(self) -> None:
        """Decode one token, so that a GPU runtime CTranslate2 cannot load fails here, clearly.

        CTranslate2's wheels load cuBLAS only at the first translation; a machine whose CUDA
        libraries are of another major version (libcublas.so.12 missing) would otherwise fail
        in the middle of a run.
        """
        try:
            with library_output(self.quiet):
                probe = self._encode("Una frase di prova per il motore.")
                self._translator.translate_batch([probe, probe[:3]], beam_size=2, max_decoding_length=4)
        except RuntimeError as exc:
            raise RuntimeUnavailableError(
                f"CTranslate2 cannot run on {self.device} here ({first_line(exc)}). Its wheels need "
                "the CUDA 12 libraries (for example `pip install nvidia-cublas-cu12`); or use "
                "--device cpu, or --backend transformers."
            ) from exc

    # -- tokens

    def _encode(self, text: str) -> list[str]:
        pieces = self._source_spm.encode(self._normalize(text), out_type=str)
        return fit_source(list(pieces) + [EOS_TOKEN], self._max_source)

    def count_tokens(self, text: str) -> int:
        """Source tokens the model sees for ``text``, ``</s>`` included."""
        return len(self._encode(text))

    def max_decoding_length(self, longest_source: int) -> int:
        """CTranslate2's step limit equivalent to the reference engine's ``max_new_tokens``."""
        return self.decoding_steps(self.generation.max_new_tokens(longest_source))

    def decoding_steps(self, cap: int) -> int:
        """CTranslate2's step limit for a cap of ``cap`` new tokens in the reference engine.

        Both count decoding steps, ``</s>`` included. transformers forces ``</s>`` on the
        last allowed step (``forced_eos_token_id``), so at most ``cap - 1`` real tokens come
        out; CTranslate2 has no forced end, so it gets ``cap - 1`` steps.
        """
        return max(1, cap - 1) if self._forced_eos else cap

    # -- translation

    def translate_detailed(self, sentences: list[str], *, aligned: bool = False, scored: bool = True,
                           no_repeat_ngram_size: int = 0) -> list[Translation]:
        """One :class:`Translation` per sentence, in input order; same batching rule, same caps.

        Batches grow when outputs end early: CTranslate2 drops a sentence from its batch as
        soon as its beams end, so what a batch holds follows the outputs' real lengths.
        ``output_share`` (the longest output of the last batch, as a share of its cap) sizes
        the next batch; it starts at 1, the worst case, and returns to it as soon as a batch
        runs to its cap (see :func:`iter_batches`).

        ``aligned``: each translation's word alignment from the attention CTranslate2 returns
        (``return_attention``). ``scored``: the model's confidence from the score CTranslate2
        returns (``return_scores``): with its default ``length_penalty`` of 1, the mean
        log-probability of the output's tokens, ``</s>`` included when the model chose it.
        """
        from it2en.engines.alignment import attention_alignment

        if not sentences:
            return []
        encoded = [self._encode(text) for text in sentences]
        results = []
        for source, sentence, (tokens, attention, score) in zip(
                encoded, sentences, self._decode(encoded, no_repeat_ngram_size, aligned=aligned, scored=scored)):
            text = self._detokenize(tokens)
            alignment = attention_alignment(attention, source, tokens, sentence, text) if aligned else None
            results.append(Translation(text, alignment, score))
        return results

    def _decode(self, encoded: list[list[str]], no_repeat_ngram_size: int, *, aligned: bool = False,
                scored: bool = False) -> list[tuple[list[str], list[list[float]] | None, float | None]]:
        """Target tokens per tokenised source, in input order, with the attention rows when
        ``aligned`` and the confidence when ``scored`` (else None).

        Up to ``workers`` batches decode at once, each sized for its share of the memory budget;
        the next batch is planned when a worker frees, so ``output_share`` follows every batch
        that has come back.
        """
        outputs: list = [None] * len(encoded)
        with library_output(self.quiet):
            lengths = [len(tokens) for tokens in encoded]
            batches = iter_batches(lengths, self.batch_memory // self.workers, self.generation.max_new_tokens,
                                   lambda: self.output_share,
                                   lambda positions: self.shape.sentence_bytes(positions, self.generation.beams))
            running: collections.deque = collections.deque()
            for batch, cap in batches:  # planned lazily: each plan reads the latest output_share
                running.append((batch, cap, self._submit([encoded[i] for i in batch], no_repeat_ngram_size,
                                                         cap=cap, aligned=aligned, scored=scored)))
                if len(running) >= self.workers:
                    self._collect(*running.popleft(), outputs)
            while running:
                self._collect(*running.popleft(), outputs)
        return outputs

    def _collect(self, batch: list[int], cap: int, submitted: list, outputs: list) -> None:
        """Wait for a submitted batch, put its outputs in place and update ``output_share``."""
        decoded = self._wait(submitted)
        # +1: the </s> step, which the cap counts and the output does not show
        self.output_share = max(len(tokens) + 1 for tokens, *_ in decoded) / cap
        for index, output in zip(batch, decoded):
            outputs[index] = output

    def _submit(self, sources: list[list[str]], no_repeat_ngram_size: int = 0, *, cap: int | None = None,
                aligned: bool = False, scored: bool = False) -> list:
        """Start decoding one batch on a free worker; CTranslate2's pending results.

        ``cap``: new tokens allowed, ``</s>`` included (default: the longest source's).
        """
        return self._translator.translate_batch(
            sources, **self._decoding(sources, no_repeat_ngram_size, cap), return_attention=aligned,
            return_scores=scored, asynchronous=True)

    @staticmethod
    def _wait(submitted: list) -> list[tuple[list[str], list[list[float]] | None, float | None]]:
        """A submitted batch's target tokens (``</s>`` not included), each with its attention
        rows (one per token) and its confidence when they were asked for, else None."""
        results = [pending.result() for pending in submitted]
        return [(result.hypotheses[0], result.attention[0] if result.attention else None,
                 confidence(result.scores[0]) if result.scores else None) for result in results]

    def _decoding(self, sources: list[list[str]], no_repeat_ngram_size: int, cap: int | None) -> dict:
        """``translate_batch`` options for one batch: both paths decode alike."""
        if cap is None:
            cap = self.generation.max_new_tokens(max(len(tokens) for tokens in sources))
        return dict(
            beam_size=self.generation.beams,
            max_decoding_length=self.decoding_steps(cap),
            max_batch_size=0,  # planned already (iter_batches): CTranslate2 must not cut it again
            no_repeat_ngram_size=no_repeat_ngram_size,
            num_hypotheses=1,
        )

    def _detokenize(self, tokens: list[str]) -> str:
        pieces = [token for token in tokens if token not in SPECIAL_TOKENS]
        return self._target_spm.decode_pieces(pieces).replace("▁", " ").strip()
