"""Which model to run: ``models.toml`` names, local folders and hub ids, resolved to a folder.

A model reference is resolved in this order: an existing local folder, a name from
``models.toml``, then anything shaped like ``owner/name`` as a hub id. Hub models are looked up
in the Hugging Face cache first and downloaded only when they are missing and the hub is
reachable; otherwise the user gets one paragraph saying what was wanted and the ways out.

Before a model is used for the first time, :mod:`it2en.canary` checks that it can translate.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from it2en.errors import ModelUnavailableError, first_line
from it2en.generation import GenerationSettings

MODEL_ENV = "IT2EN_MODEL"
# Files a MarianMT folder needs; weights come as safetensors or the older PyTorch pickle.
DOWNLOAD_PATTERNS = ["*.json", "*.spm", "*.safetensors", "pytorch_model*.bin"]
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json", "pytorch_model.bin.index.json")
TOKENIZER_FILES = ("source.spm", "target.spm", "vocab.json")


@dataclass(frozen=True)
class Quality:
    """Published scores (OPUS-MT leaderboard) and size: what a user weighs when choosing."""

    flores_bleu: float | None = None
    """FLORES-101 devtest BLEU."""
    flores_chrf: float | None = None
    flores_comet: float | None = None
    newstest2009_bleu: float | None = None
    parameters_millions: float | None = None

    @property
    def flores(self) -> str:
        """``BLEU / chrF / COMET``, a dash for a score not published."""
        parts = (self.flores_bleu, self.flores_chrf, self.flores_comet)
        formats = ("{:.1f}", "{:.3f}", "{:.3f}")
        return " / ".join("—" if v is None else f.format(v) for v, f in zip(parts, formats))


@dataclass(frozen=True)
class ModelSpec:
    name: str
    hub_id: str | None = None
    revision: str = "main"
    license: str = ""
    description: str = ""
    local_dir: Path | None = None
    generation: GenerationSettings = field(default_factory=GenerationSettings)
    release: str = ""
    """The upstream release the weights come from (``opus-2019-12-18``)."""
    quality: Quality = field(default_factory=Quality)

    @property
    def pinned(self) -> bool:
        """True when the revision is a full commit hash, not a branch such as ``main``."""
        return len(self.revision) == 40 and all(c in "0123456789abcdef" for c in self.revision)

    @property
    def label(self) -> str:
        return str(self.local_dir) if self.local_dir else f"{self.hub_id}@{self.revision}"

    @property
    def cache_key(self) -> str:
        """A folder-safe key for caches derived from this model (its CTranslate2 copy)."""
        if self.local_dir:
            identity = repr((str(self.local_dir.resolve()), _weights_stat(self.local_dir)))
            return "local-" + hashlib.sha256(identity.encode()).hexdigest()[:16]
        return f"{self.hub_id.replace('/', '--')}-{self.revision}"


@dataclass(frozen=True)
class LocatedModel:
    spec: ModelSpec
    path: Path
    revision: str
    """The commit the weights came from (hub models) or ``local`` (a folder)."""

    @property
    def cache_key(self) -> str:
        """The key of caches derived from these exact weights (the CTranslate2 copy)."""
        return f"{self.spec.cache_key}-{self.revision}"


@dataclass(frozen=True)
class Catalog:
    default: str
    models: dict[str, ModelSpec]


def load_catalog() -> Catalog:
    """Read the ``models.toml`` shipped inside the package."""
    text = resources.files("it2en").joinpath("models.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    models = {}
    for name, entry in data.get("models", {}).items():
        generation = GenerationSettings(
            beams=entry.get("beams", 4),
            max_new_tokens_factor=entry.get("max_new_tokens_factor", 2.0),
            max_new_tokens_extra=entry.get("max_new_tokens_extra", 10),
            max_length=entry.get("max_length", 512),
        )
        models[name] = ModelSpec(
            name=name,
            hub_id=entry["hub_id"],
            revision=entry.get("revision", "main"),
            license=entry.get("license", ""),
            description=entry.get("description", ""),
            generation=generation,
            release=entry.get("release", ""),
            quality=Quality(**entry.get("quality", {})),
        )
    return Catalog(default=data["default"], models=models)


def resolve(reference: str | None, catalog: Catalog | None = None) -> ModelSpec:
    """Turn ``-m``'s value (or ``$IT2EN_MODEL``, or the default) into a model spec."""
    catalog = catalog or load_catalog()
    reference = reference or os.environ.get(MODEL_ENV) or catalog.default
    default_generation = catalog.models[catalog.default].generation
    folder = Path(reference).expanduser()
    if folder.is_dir():
        return ModelSpec(name=folder.name, local_dir=folder, generation=default_generation)
    if reference in catalog.models:
        return catalog.models[reference]
    if "/" in reference and not reference.startswith((".", "/", "~")) and reference.count("/") == 1:
        hub_id, _, revision = reference.partition("@")
        known = next((m for m in catalog.models.values() if m.hub_id == hub_id), None)
        generation = known.generation if known else default_generation
        return ModelSpec(
            name=hub_id.split("/")[-1], hub_id=hub_id, revision=revision or "main", generation=generation
        )
    close = difflib.get_close_matches(reference, list(catalog.models), n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise ModelUnavailableError(
        f"Unknown model '{reference}': it is not a folder, not a name in models.toml "
        f"({', '.join(catalog.models)}), and not a hub id like 'Helsinki-NLP/opus-mt-it-en'.{hint} "
        "Run 'it2en models' to see the choices."
    )


def locate(spec: ModelSpec, *, download: bool = True, quiet: bool = False) -> LocatedModel:
    """Find the model's folder: the local folder, the hub cache, or a fresh download."""
    if spec.local_dir is not None:
        check_model_folder(spec.local_dir)
        return LocatedModel(spec, spec.local_dir, "local")
    cached = cached_path(spec)
    if cached is not None:
        return LocatedModel(spec, cached, cached.name)
    if not download or _hub_offline():
        raise _unavailable(spec, "the hub is not to be reached (offline mode is set)")
    return LocatedModel(spec, *_download(spec, quiet=quiet))


def cached_path(spec: ModelSpec) -> Path | None:
    """The model's folder in the Hugging Face cache, or None if it is not complete there."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        path = Path(
            snapshot_download(
                spec.hub_id,
                revision=spec.revision,
                local_files_only=True,
                allow_patterns=DOWNLOAD_PATTERNS,
            )
        )
    except (LocalEntryNotFoundError, OSError, ValueError):
        return None
    try:
        check_model_folder(path)
    except ModelUnavailableError:
        return None
    return path


def check_model_folder(path: Path) -> None:
    """Refuse a folder that cannot be a MarianMT model before a library fails inside it."""
    if not path.is_dir():
        raise ModelUnavailableError(f"Model folder {path} does not exist.")
    missing = [n for n in ("config.json", *TOKENIZER_FILES) if not (path / n).is_file()]
    if not any((path / w).is_file() for w in WEIGHT_FILES):
        missing.append(" or ".join(WEIGHT_FILES[:2]))
    if missing:
        raise ModelUnavailableError(
            f"Model folder {path} is not a complete MarianMT model: missing {', '.join(missing)}. "
            "Give a folder saved with save_pretrained() (with its tokenizer), or a model name."
        )


def download(spec: ModelSpec, *, quiet: bool = False) -> LocatedModel:
    """Fetch a hub model into the cache (used by ``it2en download``)."""
    if spec.local_dir is not None:
        return locate(spec)
    if _hub_offline():
        raise _unavailable(spec, "offline mode is set (HF_HUB_OFFLINE)")
    return LocatedModel(spec, *_download(spec, quiet=quiet))


def _download(spec: ModelSpec, *, quiet: bool) -> tuple[Path, str]:
    from huggingface_hub import snapshot_download
    from huggingface_hub.utils import disable_progress_bars, enable_progress_bars

    if quiet:
        disable_progress_bars()
    try:
        path = Path(snapshot_download(spec.hub_id, revision=spec.revision, allow_patterns=DOWNLOAD_PATTERNS))
    except Exception as exc:  # network, auth, missing repo: all end the same way for the user
        raise _unavailable(spec, f"the download failed ({type(exc).__name__}: {first_line(exc)})") from exc
    finally:
        if quiet:
            enable_progress_bars()
    check_model_folder(path)
    return path, path.name


def _unavailable(spec: ModelSpec, why: str) -> ModelUnavailableError:
    from huggingface_hub import constants

    return ModelUnavailableError(
        f"Model '{spec.name}' ({spec.hub_id}, revision {spec.revision}) is not available: it is not "
        f"in the local cache ({constants.HF_HUB_CACHE}) and {why}. Either run "
        f"'it2en download {spec.name}' on a connected machine (and copy that cache folder here), "
        "or give a local MarianMT folder with '-m DIR'."
    )


def _hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _weights_stat(folder: Path) -> tuple:
    for name in WEIGHT_FILES:
        weights = folder / name
        if weights.is_file():
            st = weights.stat()
            return (name, st.st_size, st.st_mtime_ns)
    return ()


def with_beams(spec: ModelSpec, beams: int | None) -> ModelSpec:
    """The spec with ``--beams`` applied."""
    if beams is None:
        return spec
    return replace(spec, generation=replace(spec.generation, beams=beams))


def load_engine(
    located: LocatedModel,
    *,
    backend: str = "auto",
    device: str = "auto",
    notify: Callable[[str], None] = lambda message: None,
) -> Any:
    """Build the engine for a located model with its models.toml generation settings."""
    from it2en.engines.factory import create_translator

    return create_translator(located.path, backend=backend, device=device, generation=located.spec.generation,
                             ct2_cache_key=located.cache_key, quiet=True, notify=notify)
