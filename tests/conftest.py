"""Shared fixtures. Tests never touch the network: see DESIGN.md, "Tests never touch the network"."""

from __future__ import annotations

import os

# Before anything imports huggingface_hub or transformers: the hub stays offline.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# No default glossary from the developer's own config folder: a test that wants one sets it.
os.environ["IT2EN_GLOSSARY"] = ""

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from marian_factory import (MEMORISED_PAIRS, build_random_marian, corpus_dir, short_flores_pairs,  # noqa: E402
                            train_memorising_marian)

# ----------------------------------------------------------------------------- the shared corpus

CORPUS = corpus_dir()
"""``$IT2EN_CORPUS``, else ``../shared/corpus`` beside the checkout: read, never written."""
if not (CORPUS / "README.md").is_file():
    raise pytest.UsageError(
        f"the shared test corpus is missing at {CORPUS}: put shared/ beside the checkout or set $IT2EN_CORPUS"
    )
SEED = CORPUS / "seed_cina-ia-deepseek.txt"
"""The article this project started from."""
ARTICLES = sorted((CORPUS / "articles").glob("*.txt")) + [SEED]
"""Every reader-style corpus article."""
MARKDOWN_SOURCES = sorted((CORPUS / "articles" / "src").glob("*.md"))
"""The original Markdown (Jekyll) sources of three of the articles."""
FLORES = CORPUS / "flores200"

# ----------------------------------------------------------------------------- isolation


@pytest.fixture(autouse=True)
def private_translation_memory(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty translation memory: none writes the user's cache, none sees
    another's entries (subprocesses inherit ``$IT2EN_MEMORY`` too)."""
    path = tmp_path_factory.mktemp("memory") / "memory.sqlite"
    monkeypatch.setenv("IT2EN_MEMORY", str(path))
    return path


# ----------------------------------------------------------------------------- models

TINY_MODEL_INIT_STD = 1.0
"""Large random weights: the tiny model's outputs then depend on the input (with the usual
0.02 every sentence comes out the same), which makes order and equality checks meaningful."""


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight MarianMT folder laid out like opus-mt-it-en (built once, ~2 s)."""
    return build_random_marian(tmp_path_factory.mktemp("tiny-marian") / "model", init_std=TINY_MODEL_INIT_STD)


@pytest.fixture(scope="session")
def tiny_ct2_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model converted to CTranslate2 (int8, as ``create_translator`` does)."""
    from it2en.engines.ctranslate2 import convert_to_ctranslate2

    return convert_to_ctranslate2(tiny_model_dir, tmp_path_factory.mktemp("tiny-ct2") / "int8")


@pytest.fixture(scope="session")
def ct2_float32_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model converted to CTranslate2 float32: decodes exactly as transformers does."""
    from it2en.engines.ctranslate2 import convert_to_ctranslate2

    return convert_to_ctranslate2(tiny_model_dir, tmp_path_factory.mktemp("ct2-f32") / "f32", quantization="float32")


@pytest.fixture(scope="session")
def memorising_pairs() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(learnt pairs, unseen pairs): short FLORES dev pairs, Italian and English."""
    pairs = short_flores_pairs(MEMORISED_PAIRS + 8)
    return pairs[:MEMORISED_PAIRS], pairs[MEMORISED_PAIRS:]


@pytest.fixture(scope="session")
def memorising_model_dir(memorising_pairs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny MarianMT trained (seconds) until it gives the learnt pairs' English back."""
    return train_memorising_marian(tmp_path_factory.mktemp("memorising") / "model", memorising_pairs[0])


@pytest.fixture(scope="session")
def memorising_ct2_dir(memorising_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The memorising model converted to CTranslate2 float32 (decodes as transformers does)."""
    from it2en.engines.ctranslate2 import convert_to_ctranslate2

    return convert_to_ctranslate2(memorising_model_dir, tmp_path_factory.mktemp("memorising-ct2") / "f32",
                                  quantization="float32")


@pytest.fixture(scope="session")
def tiny_batch_memory(tiny_model_dir: Path):
    """``positions, beams → bytes``: a batch budget for the tiny model that holds ``positions``
    token positions of one sentence (what a test sets to get batches of a known size)."""
    import json

    from it2en.engines.transformers import ModelShape

    shape = ModelShape.from_config(json.loads((tiny_model_dir / "config.json").read_text(encoding="utf-8")))
    return lambda positions, beams: shape.sentence_bytes(positions, beams)


# ----------------------------------------------------------------------------- the CLI in-process

TINY_FAST_FLAGS = ("--backend", "transformers", "--beams", "1")
"""Greedy decoding on the reference backend: the cheapest real run of the tiny model."""


@pytest.fixture
def translate_cli(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Run ``it2en translate ARGS`` in-process, in ``tmp_path``, with the tiny model; return the Result.

    Relative paths in ARGS are relative to ``tmp_path``; ``TINY_FAST_FLAGS`` are appended.
    """
    from typer.testing import CliRunner

    from it2en.cli import app

    monkeypatch.setenv("IT2EN_MODEL", str(tiny_model_dir))
    monkeypatch.setenv("IT2EN_CACHE_DIR", str(tmp_path / ".cache"))
    monkeypatch.chdir(tmp_path)

    def invoke(*args, input=None):
        argv = ["translate", *(str(a) for a in args), *TINY_FAST_FLAGS]
        return CliRunner().invoke(app, argv, input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def engine_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Run ``it2en translate ARGS`` in-process, in ``tmp_path``, with ``engine`` instead of a model.

    ``invoke(engine, *args)``: the CLI's ``ArticleTranslator`` gets ``engine=engine`` (any object
    with ``translate(list[str])``, e.g. ``IdentityTranslator()``), so no model is loaded.
    """
    from typer.testing import CliRunner

    import it2en.api
    from it2en.cli import app

    monkeypatch.setenv("IT2EN_MODEL", str(tmp_path / "no-model-needed"))
    monkeypatch.chdir(tmp_path)
    real = it2en.api.ArticleTranslator

    def invoke(engine, *args, input=None, catch_exceptions=False):
        class WithEngine(real):
            def __init__(self, *a, **k):
                super().__init__(*a, **{**k, "engine": engine})

        monkeypatch.setattr(it2en.api, "ArticleTranslator", WithEngine)
        try:
            return CliRunner().invoke(app, ["translate", *(str(a) for a in args)], input=input,
                                      catch_exceptions=catch_exceptions)
        finally:
            monkeypatch.setattr(it2en.api, "ArticleTranslator", real)

    return invoke


# ----------------------------------------------------------------------------- Ray (it2en corpus)


@pytest.fixture(scope="session")
def local_ray():
    """One local Ray for the whole session, started by the first corpus test: 2 CPUs, a small
    object store, no dashboard. ``it2en corpus`` finds it running and uses it."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=160 * 1024**2,
             log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()
