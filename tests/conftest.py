"""Shared fixtures. Tests never touch the network: see DESIGN.md, "Tests never touch the network"."""

from __future__ import annotations

import os

# Before anything imports huggingface_hub or transformers: the hub stays offline.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from marian_factory import build_random_marian  # noqa: E402

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
