"""Load a MarianMT checkpoint as its config means it, or refuse it (part of :mod:`it2en.models`).

The hub's checkpoints were written years ago by other conversion code than the installed
transformers, and transformers loads some of them otherwise than their config says:

* a config that ties the word embeddings, with a file that also holds an ``lm_head.weight``
  of other values (opus-mt-tc-big's layout): transformers keeps the two tables apart and
  decodes with the stray one;
* a config that does not tie the output layer (``tie_word_embeddings: false``) but shares the
  encoder's and decoder's embeddings (``share_encoder_decoder_embeddings``): transformers then
  shares nothing, and the encoder's and decoder's tables are left random when the file names
  only ``model.shared.weight``.

:func:`load_marian` is the one way both engines load a model: it applies the config's ties
itself, and refuses a checkpoint that would leave any weight newly initialised (other than
the sinusoidal position tables that Marian computes) or holds a tensor the model does not expect.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from it2en.errors import CheckpointRefusedError, ModelUnavailableError, first_line

COMPUTED_TENSORS = frozenset({"model.encoder.embed_positions.weight", "model.decoder.embed_positions.weight"})
"""Marian's position tables are sinusoidal, computed when the model is built: a checkpoint may omit them."""

SHARED_TABLE = "model.shared.weight"
LISTED_NAMES = 8
"""Tensor names an error lists before it says how many more there are."""


@dataclass(frozen=True)
class LoadedMarian:
    """A MarianMT model loaded as its config means it."""

    model: Any
    """The ``MarianMTModel``, in eval mode."""
    replaced: tuple[str, ...]
    """Tensors the file holds with other values than the table the config ties them to (such
    as a stray ``lm_head.weight``): the config's table was used instead."""


def config_ties(config: Any) -> dict[str, str]:
    """``{tensor: the tensor it is}`` for the tables the MarianMT ``config`` makes one.

    ``share_encoder_decoder_embeddings``: the encoder's and decoder's embeddings are
    ``model.shared``; ``tie_word_embeddings``: the output layer is the decoder's embeddings.
    """
    shared = bool(getattr(config, "share_encoder_decoder_embeddings", True))
    ties = {}
    if shared:
        ties["model.encoder.embed_tokens.weight"] = SHARED_TABLE
        ties["model.decoder.embed_tokens.weight"] = SHARED_TABLE
    if getattr(config, "tie_word_embeddings", True):
        ties["lm_head.weight"] = SHARED_TABLE if shared else "model.decoder.embed_tokens.weight"
    return ties


@functools.cache
def _reporting_marian_class() -> type:
    """``MarianMTModel`` that reports every tensor missing from a checkpoint.

    The stock class does not report a missing ``final_logits_bias`` (it would stay zero) nor
    the position tables; :func:`load_marian` excuses only the position tables itself.
    """
    from transformers import MarianMTModel

    class ReportingMarianMTModel(MarianMTModel):
        _keys_to_ignore_on_load_missing = None

    return ReportingMarianMTModel


def load_marian(model_dir: Path, *, dtype: Any = None) -> LoadedMarian:
    """Load the MarianMT model in ``model_dir`` as its config means it (float32 by default).

    Raises :class:`ModelUnavailableError` when the folder cannot be loaded, and its
    :class:`CheckpointRefusedError` when the checkpoint lacks a tensor the model needs (it would
    be random), holds one it does not expect, or one of another shape: it names the tensors.
    """
    import torch

    model_dir = Path(model_dir)
    try:
        model, info = _reporting_marian_class().from_pretrained(
            model_dir, dtype=dtype or torch.float32, output_loading_info=True, ignore_mismatched_sizes=True)
    except Exception as exc:  # noqa: BLE001 - any loading failure means a broken folder
        raise ModelUnavailableError(
            f"The model in {model_dir} cannot be loaded ({type(exc).__name__}: {first_line(exc)}). "
            "Download it again with `it2en download`."
        ) from exc
    missing = set(info.get("missing_keys", ())) - COMPUTED_TENSORS
    replaced = _apply_ties(model, config_ties(model.config), missing, stored_names(model_dir))
    unexpected = sorted(set(info.get("unexpected_keys", ())))
    mismatched = sorted(str(entry[0]) if isinstance(entry, tuple) else str(entry)
                        for entry in info.get("mismatched_keys", ()))
    problems = [
        f"it lacks {_names(sorted(missing))}, which would be left random" if missing else "",
        f"it holds {_names(unexpected)}, which the model does not expect" if unexpected else "",
        f"its {_names(mismatched)} {'has' if len(mismatched) == 1 else 'have'} another shape than the config gives"
        if mismatched else "",
    ]
    problems = [problem for problem in problems if problem]
    if problems:
        raise CheckpointRefusedError(
            f"The model in {model_dir} cannot be used: {'; '.join(problems)}. A checkpoint that does "
            "not fit its config.json would translate with wrong or random weights, so it2en refuses it. "
            "Download the model again with `it2en download`, or give a complete MarianMT folder."
        )
    return LoadedMarian(model.eval(), tuple(replaced))


def _apply_ties(model: Any, ties: dict[str, str], missing: set[str], stored: set[str] | None) -> list[str]:
    """Make each tied tensor the very table it is tied to; return those whose own values
    (stored in the file, and different) were dropped. ``missing`` loses what the ties fill.

    ``stored``: the names the file holds (None: unknown, then all but ``missing``). A table
    the file holds only under a tied name (its source absent) fills the source: the pairs run
    with the output layer last, so a stray output table never stands for the embeddings (and
    transformers' own choice, made when it loaded, is undone where it picked that one).
    """
    held = set(stored) if stored is not None else {name for name, _ in model.named_parameters(
        remove_duplicate=False)} - missing
    replaced = []
    for target, source in ties.items():
        if source not in held and target in held:
            target, source = source, target
        table = model.get_parameter(source)
        own = model.get_parameter(target)
        if own is not table:
            if target in held and not _equal(own, table):
                replaced.append(target)
            parent, _, name = target.rpartition(".")
            setattr(model.get_submodule(parent), name, table)
        held.add(target)
        missing.discard(target)
    return replaced


STORED_ORDER = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                "pytorch_model.bin.index.json")
"""The weights files transformers loads from a folder, in the order it prefers them."""


def stored_names(model_dir: Path) -> set[str] | None:
    """The tensor names held by the weights file transformers loads from ``model_dir``
    (None when there is none it2en can read without loading the weights)."""
    import json

    for name in STORED_ORDER:
        path = Path(model_dir) / name
        if not path.is_file():
            continue
        try:
            if name.endswith(".index.json"):
                return set(json.loads(path.read_text(encoding="utf-8"))["weight_map"])
            if name.endswith(".safetensors"):
                from safetensors import safe_open

                with safe_open(str(path), "pt") as weights:
                    return set(weights.keys())
            import torch

            return set(torch.load(path, map_location="meta", weights_only=True))
        except Exception:  # noqa: BLE001 - unreadable here: transformers' report decides alone
            return None
    return None


def _equal(first: Any, second: Any) -> bool:
    import torch

    return first.shape == second.shape and bool(torch.equal(first, second))


def _names(names: list[str]) -> str:
    """``a, b and 3 more tensors`` (the first :data:`LISTED_NAMES`)."""
    shown = ", ".join(names[:LISTED_NAMES])
    more = len(names) - LISTED_NAMES
    noun = "tensor" if len(names) == 1 else "tensors"
    return f"{noun} {shown}" + (f" and {more} more" if more > 0 else "")
