"""Both engines, loaded from a tiny random-weight MarianMT folder through the real loading code.

A random model never learns to stop, so every output runs to its token cap: the caps here are
small (one new token per source token plus two), except where the 512 limit is the point.
Assertions are about counts, order, caps, equality between engines and silence, never about
what the words say.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from it2en.engines.ctranslate2 import CTranslate2Translator
from it2en.engines.factory import cache_root, create_translator, ct2_cache_dir
from it2en.engines.transformers import (
    DEFAULT_BATCH_MEMORY,
    LENGTH_SLACK,
    LENGTH_SPREAD,
    OPUS_MT_SHAPE,
    ModelShape,
    TransformersTranslator,
    iter_batches,
    plan_batches,
)
from it2en.errors import ExitCode, ModelUnavailableError
from it2en.generation import GenerationSettings
from it2en.models import check_model_folder
from marian_factory import OPUS_MT_IT_EN_VOCAB_SIZE

from conftest import FLORES

SMALL = GenerationSettings(beams=2, max_new_tokens_factor=1.0, max_new_tokens_extra=2)
GREEDY = GenerationSettings(beams=1, max_new_tokens_factor=1.0, max_new_tokens_extra=2)
FIXED_CAP = GenerationSettings(beams=1, max_new_tokens_factor=0.0, max_new_tokens_extra=6)
"""The same cap for every batch: outputs then do not depend on how sentences are batched."""

SRC = str(Path(__file__).resolve().parents[1] / "src")


def corpus_lines(start: int, count: int) -> list[str]:
    lines = (FLORES / "ita_Latn.dev").read_text(encoding="utf-8").splitlines()
    return lines[start : start + count]


SENTENCES = [
    "Il gatto è sul tavolo.",
    "Ciao!",
    "«Non è vero», ha detto l’assessore, “ma ne parleremo domani”…",
    *corpus_lines(400, 9),
]


@pytest.fixture(scope="module")
def hf(tiny_model_dir: Path) -> TransformersTranslator:
    return TransformersTranslator(tiny_model_dir, generation=SMALL, quiet=True)


@pytest.fixture(scope="module")
def ct2(tiny_ct2_dir: Path) -> CTranslate2Translator:
    return CTranslate2Translator(tiny_ct2_dir, generation=SMALL, quiet=True)



# ----------------------------------------------------------------------------- the basics


def test_tiny_model_is_laid_out_like_opus_mt(tiny_model_dir: Path) -> None:
    vocab = json.loads((tiny_model_dir / "vocab.json").read_text(encoding="utf-8"))
    ids = sorted(vocab.values())
    assert ids == list(range(len(vocab)))
    assert vocab["</s>"] == 0 and vocab["<unk>"] == 1 and vocab["<pad>"] == len(vocab) - 1
    config = json.loads((tiny_model_dir / "config.json").read_text(encoding="utf-8"))
    assert config["pad_token_id"] == config["decoder_start_token_id"] == len(vocab) - 1
    assert config["eos_token_id"] == 0 and config["max_position_embeddings"] == 512
    assert OPUS_MT_IT_EN_VOCAB_SIZE == 80_379
    check_model_folder(tiny_model_dir)


@pytest.mark.parametrize("engine", ["hf", "ct2"])
def test_one_nonempty_output_per_input(engine: str, request: pytest.FixtureRequest) -> None:
    translator = request.getfixturevalue(engine)
    outputs = translator.translate(SENTENCES)
    assert len(outputs) == len(SENTENCES)
    assert all(isinstance(text, str) and text.strip() for text in outputs)
    assert all("\n" not in text for text in outputs)
    assert translator.translate([]) == []


@pytest.mark.parametrize("engine", ["hf", "ct2"])
def test_outputs_follow_input_order(engine: str, tiny_model_dir: Path, tiny_ct2_dir: Path) -> None:
    if engine == "hf":
        translator = TransformersTranslator(tiny_model_dir, generation=FIXED_CAP, quiet=True)
    else:
        translator = CTranslate2Translator(tiny_ct2_dir, generation=FIXED_CAP, quiet=True)
    reference = dict(zip(SENTENCES, translator.translate(SENTENCES)))
    assert len(set(reference.values())) > 1, "the tiny model should not translate everything alike"
    shuffled = list(SENTENCES)
    random.Random(3).shuffle(shuffled)
    assert translator.translate(shuffled) == [reference[text] for text in shuffled]


def test_token_counts_agree_and_include_eos(hf: TransformersTranslator, ct2: CTranslate2Translator) -> None:
    for text in SENTENCES:
        assert hf.count_tokens(text) == ct2.count_tokens(text) >= 2
    assert hf.count_tokens("") == ct2.count_tokens("") == 1  # just </s>
    # Moses punctuation normalisation is applied by both: curly quotes count like straight ones.
    assert hf.count_tokens("“Sì” disse.") == hf.count_tokens('"Sì" disse.')
    assert ct2.count_tokens("“Sì” disse.") == ct2.count_tokens('"Sì" disse.')


# ----------------------------------------------------------------------------- CT2 vs transformers


def test_ct2_int8_same_count_and_order(hf: TransformersTranslator, ct2: CTranslate2Translator) -> None:
    a, b = hf.translate(SENTENCES), ct2.translate(SENTENCES)
    assert len(a) == len(b) == len(SENTENCES)
    assert all(b)
    # int8 quantisation moves random weights enough that the words differ (the float32
    # conversion below matches exactly); order is checked per engine above.


@pytest.mark.parametrize("settings", [GREEDY, SMALL], ids=["greedy", "beams2"])
def test_ct2_float32_matches_transformers(
    tiny_model_dir: Path, ct2_float32_dir: Path, settings: GenerationSettings, tiny_batch_memory
) -> None:
    lines = SENTENCES + corpus_lines(500, 20)
    budget = tiny_batch_memory(256, settings.beams)
    hf = TransformersTranslator(tiny_model_dir, generation=settings, quiet=True, batch_memory=budget)
    ct2 = CTranslate2Translator(
        ct2_float32_dir, generation=settings, quiet=True, batch_memory=budget, compute_type="float32"
    )
    assert ct2.translate(lines) == hf.translate(lines)


def test_beam_cache_leaves_cross_attention_alone_and_changes_no_token(
    tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not reordering the cross-attention cache (the same for every beam of a sentence) must
    give exactly the tokens of transformers' stock cache, padding and all."""
    engine = TransformersTranslator(tiny_model_dir, generation=GenerationSettings(beams=4), quiet=True)
    keyword, factory = engine._beam_cache
    made = []
    monkeypatch.setattr(engine, "_beam_cache", (keyword, lambda: made.append(factory()) or made[-1]))
    lines = SENTENCES + corpus_lines(520, 12)
    ours = engine.translate(lines)
    assert made and all(cache.get_seq_length() > 0 for cache in made)  # generate used them
    monkeypatch.setattr(engine, "_beam_cache", None)
    assert engine.translate(lines) == ours


# ----------------------------------------------------------------------------- batching and caps


def test_plan_batches_respects_budget_and_covers_everything() -> None:
    rng = random.Random(0)
    cap = GenerationSettings().max_new_tokens
    lengths = [rng.randint(1, 120) for _ in range(300)] + [700]
    batches = plan_batches(lengths, 1024, cap)
    flat = [i for batch in batches for i in batch]
    assert sorted(flat) == list(range(len(lengths)))
    for batch in batches:
        longest = max(lengths[i] for i in batch)
        assert lengths[batch[0]] == longest
        assert len(batch) * (longest + cap(longest)) <= 1024 or len(batch) == 1
        shortest = min(lengths[i] for i in batch)
        assert longest <= shortest * LENGTH_SPREAD + LENGTH_SLACK  # one cap suits the whole batch
    assert [lengths[i] for i in flat] == sorted(lengths, reverse=True)
    assert plan_batches([], 100, cap) == []


def test_batches_of_long_sentences_are_smaller() -> None:
    """The budget counts source and output positions: what a batch holds in memory as it decodes."""
    cap = GenerationSettings().max_new_tokens  # 2 × source + 10
    sizes = {length: len(plan_batches([length] * 100, 2560, cap)[0]) for length in (20, 146)}
    assert sizes == {20: 2560 // (20 + 50), 146: 2560 // (146 + 302)}


def test_the_memory_budget_sizes_opus_mt_batches_as_measured_and_a_lighter_model_gets_larger_ones() -> None:
    """DEFAULT_BATCH_MEMORY holds 21 worst-case sentences of 30 tokens and 5 of 146 on
    opus-mt-it-en's shape (measured under 700 MB); a model with lighter positions gets more."""
    cap = GenerationSettings().max_new_tokens
    beams = GenerationSettings().beams

    def first_batch(shape: ModelShape, length: int) -> int:
        batches = iter_batches([length] * 2000, DEFAULT_BATCH_MEMORY, cap,
                               sentence_cost=lambda positions: shape.sentence_bytes(positions, beams))
        return len(next(batches)[0])

    assert (first_batch(OPUS_MT_SHAPE, 30), first_batch(OPUS_MT_SHAPE, 146)) == (21, 5)
    small = ModelShape(d_model=64, decoder_layers=2, vocab_size=1768)  # the memorising benchmark model's
    assert first_batch(small, 30) > 20 * first_batch(OPUS_MT_SHAPE, 30)


@pytest.mark.parametrize("engine", ["hf", "ct2"])
def test_token_budget_batching_keeps_order(engine: str, tiny_model_dir: Path, tiny_ct2_dir: Path,
                                           tiny_batch_memory) -> None:
    rng = random.Random(1)
    pool = corpus_lines(0, 200)
    sentences = [" ".join(pool[rng.randrange(200)].split()[: rng.randint(1, 30)]) for _ in range(40)]
    if engine == "hf":
        make = lambda budget: TransformersTranslator(  # noqa: E731
            tiny_model_dir, generation=FIXED_CAP, quiet=True, batch_memory=tiny_batch_memory(budget, FIXED_CAP.beams)
        )
    else:
        make = lambda budget: CTranslate2Translator(  # noqa: E731
            tiny_ct2_dir, generation=FIXED_CAP, quiet=True, batch_memory=tiny_batch_memory(budget, FIXED_CAP.beams)
        )
    small_batches, one_batch = make(48), make(100_000)
    lengths = [small_batches.count_tokens(s) for s in sentences]
    assert len(plan_batches(lengths, 48, FIXED_CAP.max_new_tokens)) > 5
    reference = one_batch.translate(sentences)
    assert small_batches.translate(sentences) == reference
    assert len(set(reference)) > 5


def test_512_cap_and_source_limit(tiny_model_dir: Path, ct2_float32_dir: Path) -> None:
    paragraphs = (FLORES / "ita_Latn.dev.paragraphs.txt").read_text(encoding="utf-8")
    long_text = " ".join(paragraphs.split("\n\n")[:3])  # blank lines separate the documents
    settings = GenerationSettings(beams=1)  # factor 2 + 10: far above 512 for this source
    hf = TransformersTranslator(tiny_model_dir, generation=settings, quiet=True)
    ct2 = CTranslate2Translator(ct2_float32_dir, generation=settings, quiet=True, compute_type="float32")
    # The source is cut to the model's 512 positions, </s> kept last.
    assert hf.count_tokens(long_text) == ct2.count_tokens(long_text) == 512
    assert settings.max_new_tokens(512) == 512
    ids = hf._generate_ids([hf._encode(long_text)])[0]
    assert len(ids) <= 512
    ((tokens, _, _),) = ct2._wait(ct2._submit([ct2._encode(long_text)]))
    assert len(tokens) <= ct2.max_decoding_length(512) == 511
    # transformers forces </s> on its last step: both engines give at most 511 real tokens.
    assert len([i for i in ids if i != 0]) == len(tokens)


# ----------------------------------------------------------------------------- imports and silence


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": SRC, "HF_HUB_OFFLINE": "1", **env}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment)  # its exit


def test_ctranslate2_path_never_imports_torch(tiny_ct2_dir: Path) -> None:
    code = f"""
import sys
from pathlib import Path
from it2en.engines.ctranslate2 import CTranslate2Translator
from it2en.generation import GenerationSettings
t = CTranslate2Translator(Path({str(tiny_ct2_dir)!r}), generation=GenerationSettings(beams=2, max_new_tokens_extra=2))
assert len(t.translate(["Il gatto è sul tavolo.", "Ciao."])) == 2
print(sorted(m for m in ("torch", "transformers") if m in sys.modules))
"""
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_quiet_engines_print_nothing_in_a_fresh_process(tiny_model_dir: Path, tmp_path: Path) -> None:
    """Fresh process, so no warning was already shown once: build both through the factory
    (converting on first use), translate, and nothing at all reaches stdout or stderr."""
    code = f"""
from pathlib import Path
from it2en.engines.factory import create_translator
from it2en.generation import GenerationSettings
g = GenerationSettings(beams=2, max_new_tokens_factor=1.0, max_new_tokens_extra=2)
for backend in ("transformers", "ctranslate2"):
    t = create_translator(Path({str(tiny_model_dir)!r}), backend=backend, device="auto", generation=g,
                          ct2_cache_key="tiny@test", quiet=True)
    assert t.name == backend
    assert len(t.translate(["Il gatto è sul tavolo.", "«Sì», disse."], no_repeat_ngram_size=3)) == 2
"""
    result = _run(code, IT2EN_CACHE_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "")


def test_quiet_in_process_capfd(tiny_model_dir: Path, tiny_ct2_dir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    for translator in (
        TransformersTranslator(tiny_model_dir, generation=SMALL, quiet=True),
        CTranslate2Translator(tiny_ct2_dir, generation=SMALL, quiet=True),
    ):
        translator.translate(SENTENCES[:3], no_repeat_ngram_size=2)
    assert capfd.readouterr() == ("", "")


def test_not_quiet_keeps_stdout_clean(tiny_model_dir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    TransformersTranslator(tiny_model_dir, generation=SMALL).translate(SENTENCES[:2])
    assert capfd.readouterr().out == ""


# ----------------------------------------------------------------------------- broken folders


def _copy(src: Path, dst: Path, skip: str = "") -> Path:
    dst.mkdir()
    for item in src.iterdir():
        if item.name != skip:
            (dst / item.name).write_bytes(item.read_bytes())
    return dst


@pytest.mark.parametrize("damage", ["missing_weights", "garbage_weights", "missing_spm", "bad_config", "absent"])
def test_broken_model_folder(damage: str, tiny_model_dir: Path, tmp_path: Path) -> None:
    if damage == "absent":
        folder = tmp_path / "nowhere"
    elif damage == "missing_weights":
        folder = _copy(tiny_model_dir, tmp_path / "m", skip="model.safetensors")
    elif damage == "missing_spm":
        folder = _copy(tiny_model_dir, tmp_path / "m", skip="source.spm")
    else:
        folder = _copy(tiny_model_dir, tmp_path / "m")
        if damage == "garbage_weights":
            (folder / "model.safetensors").write_bytes(b"\x00not a safetensors file" * 10)
        else:
            (folder / "config.json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(ModelUnavailableError) as info:
        TransformersTranslator(folder, generation=SMALL, quiet=True)
    assert info.value.exit_code == ExitCode.UNAVAILABLE
    assert str(folder) in str(info.value) and "Traceback" not in str(info.value)
    for backend in ("auto", "ctranslate2"):
        with pytest.raises(ModelUnavailableError):
            create_translator(
                folder, backend=backend, device="cpu", generation=SMALL,
                ct2_cache_key=f"broken-{damage}", quiet=True,
            )


def test_broken_ct2_folder(tiny_ct2_dir: Path, tmp_path: Path) -> None:
    folder = _copy(tiny_ct2_dir, tmp_path / "c")
    (folder / "model.bin").write_bytes(b"garbage")
    with pytest.raises(ModelUnavailableError):
        CTranslate2Translator(folder, generation=SMALL, quiet=True)
    with pytest.raises(ModelUnavailableError):
        CTranslate2Translator(tmp_path / "absent", generation=SMALL, quiet=True)


# ----------------------------------------------------------------------------- the factory


def test_cache_folder_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("IT2EN_CACHE_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert cache_root() == tmp_path / "home" / ".cache" / "it2en"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "it2en"
    monkeypatch.setenv("IT2EN_CACHE_DIR", str(tmp_path / "mine"))
    assert ct2_cache_dir("Helsinki-NLP/opus-mt-it-en@abc123") == (
        tmp_path / "mine" / "ct2" / "Helsinki-NLP--opus-mt-it-en@abc123-int8"
    )


def test_factory_auto_converts_once_then_reuses(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IT2EN_CACHE_DIR", str(tmp_path))
    notes: list[str] = []
    kwargs = dict(backend="auto", device="auto", generation=SMALL, ct2_cache_key="tiny@rev1", quiet=True)
    first = create_translator(tiny_model_dir, notify=notes.append, **kwargs)
    assert first.name == "ctranslate2"
    target = ct2_cache_dir("tiny@rev1")
    assert (target / "model.bin").is_file() and (target / "source.spm").is_file()
    assert len(notes) == 1
    stamp = (target / "model.bin").stat().st_mtime_ns
    second = create_translator(tiny_model_dir, notify=notes.append, **kwargs)
    assert second.name == "ctranslate2" and len(notes) == 1
    assert (target / "model.bin").stat().st_mtime_ns == stamp
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temp folder left
    assert len(second.translate(SENTENCES[:3])) == 3


def test_factory_falls_back_to_transformers(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import it2en.engines.factory as factory

    monkeypatch.setattr(factory, "ctranslate2_available", lambda: False)
    notes: list[str] = []
    translator = create_translator(
        tiny_model_dir, backend="auto", device="cpu", generation=SMALL,
        ct2_cache_key="unused", quiet=True, notify=notes.append,
    )
    assert translator.name == "transformers"
    assert any("falling back" in note for note in notes)
    with pytest.raises(ModelUnavailableError):
        create_translator(
            tiny_model_dir, backend="ctranslate2", device="cpu", generation=SMALL,
            ct2_cache_key="unused", quiet=True,
        )


def test_ct2_gpu_runtime_missing_is_a_clear_error(tiny_ct2_dir: Path) -> None:
    """Seen on a CUDA 13 machine: CTranslate2's wheel finds no libcublas.so.12 at the first batch."""

    class NoCublas:
        def translate_batch(self, *args, **kwargs):
            raise RuntimeError("Library libcublas.so.12 is not found or cannot be loaded")

    engine = CTranslate2Translator(tiny_ct2_dir, generation=SMALL, quiet=True)
    engine._translator = NoCublas()
    with pytest.raises(ModelUnavailableError, match="CUDA 12.*--device cpu.*--backend transformers"):
        engine.check_runtime()


# ----------------------------------------------------------------------------- the GPU path, without a GPU


@pytest.mark.parametrize("backend", ["transformers", "ctranslate2"])
def test_device_auto_takes_a_visible_gpu(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import it2en.engines.factory as factory
    from it2en.errors import UsageError

    monkeypatch.setattr(factory, "_cuda_visible", lambda name: True)
    assert factory.resolve_device("auto", backend) == "cuda"
    assert factory.resolve_device("cpu", backend) == "cpu"
    monkeypatch.setattr(factory, "_cuda_visible", lambda name: False)
    assert factory.resolve_device("auto", backend) == "cpu"
    with pytest.raises(UsageError, match=f"--device cuda.*{backend} backend sees no CUDA device"):
        factory.resolve_device("cuda", backend)


class _Recorded(Exception):
    """Raised by a spy once it has seen the arguments of a load: nothing can run on CUDA here."""


@pytest.mark.parametrize("device, dtype", [("cuda", "float16"), ("cpu", "float32")])
def test_transformers_engine_loads_float16_on_cuda(
    tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch, device: str, dtype: str
) -> None:
    import torch
    from transformers import MarianMTModel

    seen = {}

    def spy(cls, folder, **kwargs):
        seen.update(kwargs)
        raise _Recorded

    monkeypatch.setattr(MarianMTModel, "from_pretrained", classmethod(spy))
    with pytest.raises(ModelUnavailableError, match="_Recorded"):
        TransformersTranslator(tiny_model_dir, generation=SMALL, device=device, quiet=True)
    assert seen["dtype"] is getattr(torch, dtype)


@pytest.mark.parametrize("device, compute_type", [("cuda", "float16"), ("cpu", "int8")])
def test_ct2_engine_computes_float16_on_cuda(
    tiny_ct2_dir: Path, monkeypatch: pytest.MonkeyPatch, device: str, compute_type: str
) -> None:
    import ctranslate2

    seen = {}
    real = ctranslate2.Translator

    def spy(folder, **kwargs):
        seen.update(kwargs)
        return real(folder, **{**kwargs, "device": "cpu", "compute_type": "int8"})  # run it on the CPU

    monkeypatch.setattr(ctranslate2, "Translator", spy)
    engine = CTranslate2Translator(tiny_ct2_dir, generation=SMALL, device=device, quiet=True)
    assert (seen["device"], seen["compute_type"]) == (device, compute_type)
    assert len(engine.translate(SENTENCES[:2])) == 2


def test_auto_backend_falls_back_to_transformers_when_ct2_cannot_run_on_the_gpu(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CTranslate2 sees the GPU but cannot load cuBLAS: auto says so and uses transformers."""
    import ctranslate2

    import it2en.engines.factory as factory

    class NoCublas:
        def __init__(self, folder, **kwargs):
            pass

        def translate_batch(self, *args, **kwargs):
            raise RuntimeError("Library libcublas.so.12 is not found or cannot be loaded")

    monkeypatch.setenv("IT2EN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(factory, "_cuda_visible", lambda name: name == "ctranslate2")
    monkeypatch.setattr(ctranslate2, "Translator", NoCublas)
    notes: list[str] = []
    kwargs = dict(device="auto", generation=SMALL, ct2_cache_key="tiny@gpu", quiet=True, notify=notes.append)
    translator = create_translator(tiny_model_dir, backend="auto", **kwargs)
    assert translator.name == "transformers" and translator.device == "cpu"
    assert any("cannot run on cuda" in note and "Falling back to transformers" in note for note in notes)
    with pytest.raises(ModelUnavailableError, match="cannot run on cuda"):
        create_translator(tiny_model_dir, backend="ctranslate2", **kwargs)


def test_a_conversion_records_the_model_shape_that_sizes_its_batches(
    tiny_model_dir: Path, tiny_ct2_dir: Path, tmp_path: Path
) -> None:
    """The batch budget is in bytes, so the engine must know what a position of its model costs:
    the conversion records the shape; a folder converted before that is sized as opus-mt-it-en."""
    import json
    import shutil

    from it2en.engines.ctranslate2 import SIDECAR

    config = json.loads((tiny_model_dir / "config.json").read_text(encoding="utf-8"))
    engine = CTranslate2Translator(tiny_ct2_dir, generation=GenerationSettings(), quiet=True)
    assert engine.shape == ModelShape.from_config(config) != OPUS_MT_SHAPE
    old = tmp_path / "old"
    shutil.copytree(tiny_ct2_dir, old)
    sidecar = json.loads((old / SIDECAR).read_text(encoding="utf-8"))
    del sidecar["shape"]
    (old / SIDECAR).write_text(json.dumps(sidecar), encoding="utf-8")
    assert CTranslate2Translator(old, generation=GenerationSettings(), quiet=True).shape == OPUS_MT_SHAPE
