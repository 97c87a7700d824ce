"""Pick and build a translation engine for a model folder.

``backend="auto"`` prefers CTranslate2 (converted once into the user's cache, then reused)
and falls back to transformers, with a note, when ctranslate2 cannot be used.
``device="auto"`` takes a CUDA device when the chosen backend sees one.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from it2en.engines import Translator
from it2en.errors import CheckpointRefusedError, ModelUnavailableError, UsageError
from it2en.generation import GenerationSettings
from it2en.models import check_model_folder

BACKENDS = ("auto", "transformers", "ctranslate2")
DEVICES = ("auto", "cpu", "cuda")
CT2_QUANTIZATION = "int8"


def cache_root() -> Path:
    """it2en's cache folder: ``$IT2EN_CACHE_DIR``, ``$XDG_CACHE_HOME/it2en`` or ``~/.cache/it2en``."""
    explicit = os.environ.get("IT2EN_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "it2en"


def ct2_cache_dir(key: str) -> Path:
    """Where the CTranslate2 copy of the model identified by ``key`` lives.

    ``key`` names the model and its revision (e.g. ``Helsinki-NLP/opus-mt-it-en@<sha>``);
    characters unsafe in a folder name become ``-`` (``/`` becomes ``--``).
    """
    safe = re.sub(r"[^A-Za-z0-9._@+=-]", "-", key.replace("/", "--")).strip(".-") or "model"
    return cache_root() / "ct2" / f"{safe}-{CT2_QUANTIZATION}"


def ctranslate2_available() -> bool:
    return importlib.util.find_spec("ctranslate2") is not None


def resolve_device(device: str, backend: str) -> str:
    """``auto`` → ``cuda`` when the backend sees a GPU, else ``cpu``."""
    if device not in DEVICES:
        raise UsageError(f"Unknown device {device!r}: choose one of {', '.join(DEVICES)}.")
    if device == "cpu":
        return device
    has_cuda = _cuda_visible(backend)
    if device == "auto":
        return "cuda" if has_cuda else "cpu"
    if not has_cuda:
        raise UsageError(f"--device {device} was asked for, but the {backend} backend sees no CUDA device.")
    return device


def _cuda_visible(backend: str) -> bool:
    try:
        if backend == "ctranslate2":
            import ctranslate2

            return ctranslate2.get_cuda_device_count() > 0
        import torch

        return bool(torch.cuda.is_available())
    except Exception:  # noqa: BLE001 - a broken CUDA setup means: no GPU
        return False


def create_translator(
    model_dir: Path,
    *,
    backend: str = "auto",
    device: str = "auto",
    generation: GenerationSettings,
    ct2_cache_key: str,
    quiet: bool = False,
    notify: Callable[[str], None] = lambda message: None,
    batch_memory: int | None = None,
) -> Translator:
    """Build the engine for ``model_dir``.

    Raises :class:`ModelUnavailableError` when the model folder is missing, incomplete or
    cannot be loaded, and :class:`UsageError` for an unknown backend or device, or a CUDA
    device that is not there. ``notify`` receives short notes for the user (conversion on
    first use, fallback to transformers).
    """
    if backend not in BACKENDS:
        raise UsageError(f"Unknown backend {backend!r}: choose one of {', '.join(BACKENDS)}.")
    model_dir = Path(model_dir)
    check_model_folder(model_dir)
    extra = {} if batch_memory is None else {"batch_memory": batch_memory}

    if backend in ("auto", "ctranslate2"):
        if ctranslate2_available():
            try:
                return _create_ctranslate2(
                    model_dir, device, generation, ct2_cache_key, quiet, notify, extra
                )
            except CheckpointRefusedError:
                raise  # the transformers engine would refuse it too
            except (ModelUnavailableError, UsageError) as exc:
                if backend == "ctranslate2":
                    raise
                notify(f"The ctranslate2 backend cannot be used: {exc} Falling back to transformers.")
        elif backend == "ctranslate2":
            raise ModelUnavailableError(
                "The ctranslate2 backend is not installed; install ctranslate2 or use --backend transformers."
            )
        else:
            notify("ctranslate2 is not installed; falling back to the slower transformers backend.")

    from it2en.engines.transformers import TransformersTranslator

    return TransformersTranslator(
        model_dir,
        generation=generation,
        device=resolve_device(device, "transformers"),
        quiet=quiet,
        **extra,
    )


def ensure_ct2_copy(
    model_dir: Path, key: str, *, quiet: bool = False, notify: Callable[[str], None] = lambda message: None
) -> Path:
    """The model's CTranslate2 copy in the cache, converted now if it is not there yet."""
    from it2en.engines.ctranslate2 import convert_to_ctranslate2, is_current

    ct2_dir = ct2_cache_dir(key)
    if not is_current(ct2_dir):
        notify(f"Preparing the fast engine (one-time conversion into {ct2_dir})…")
        if ct2_dir.exists():  # converted by an older it2en, or damaged: start again
            shutil.rmtree(ct2_dir, ignore_errors=True)
        convert_to_ctranslate2(model_dir, ct2_dir, quantization=CT2_QUANTIZATION, quiet=quiet)
    return ct2_dir


def _create_ctranslate2(
    model_dir: Path,
    device: str,
    generation: GenerationSettings,
    key: str,
    quiet: bool,
    notify: Callable[[str], None],
    extra: dict,
) -> Translator:
    from it2en.engines.ctranslate2 import (
        CTranslate2Translator,
        RuntimeUnavailableError,
        convert_to_ctranslate2,
    )

    resolved = resolve_device(device, "ctranslate2")
    ct2_dir = ensure_ct2_copy(model_dir, key, quiet=quiet, notify=notify)
    try:
        return CTranslate2Translator(ct2_dir, generation=generation, device=resolved, quiet=quiet, **extra)
    except RuntimeUnavailableError:
        raise
    except ModelUnavailableError:
        # A damaged cached conversion: convert once more from the (checked) model folder.
        notify(f"The cached fast-engine copy in {ct2_dir} is damaged; converting again…")
        shutil.rmtree(ct2_dir, ignore_errors=True)
        convert_to_ctranslate2(model_dir, ct2_dir, quantization=CT2_QUANTIZATION, quiet=quiet)
        return CTranslate2Translator(ct2_dir, generation=generation, device=resolved, quiet=quiet, **extra)
