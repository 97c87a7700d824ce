"""Ray for the job: the extra checked, a cluster joined or a local Ray started, the pool sized."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from it2en.errors import ExtraMissingError, ModelUnavailableError, UsageError

if TYPE_CHECKING:
    from it2en.corpus.job import CorpusJob

INSTALL_LINE = 'pip install "it2en[scale]"'

ONE_ROW_BLOCKS = 1
"""Ray Data's ``target_max_block_size`` (bytes): any row exceeds it, so every block holds one row.

Ray Data hands an actor the blocks of one input bundle at a time and cuts blocks only by bytes:
with blocks of a few kilobytes, one JSON Lines file of short articles came out as one block, and
one actor translated it all while the others idled. One-row blocks are regrouped into batches of
``--batch-articles`` rows by the actor stage itself. (Ray's own repartition would need a CPU slot,
which the actors may all hold.)"""

SHARED_ENVIRONMENT = ("IT2EN_CACHE_DIR", "XDG_CACHE_HOME", "HF_HOME", "HF_HUB_CACHE", "HF_HUB_OFFLINE",
                      "TRANSFORMERS_OFFLINE")


def require_ray():
    """``ray`` itself, or the error that tells the user how to install the extra (exit 69)."""
    try:
        import pyarrow  # noqa: F401
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise ExtraMissingError(
            f"it2en corpus needs Ray Data and pyarrow, which are not installed ({exc.name or exc}): "
            f"install them with\n  {INSTALL_LINE}"
        ) from None
    return ray


def worker_environment() -> dict[str, str]:
    """The driver's settings that the workers must share: caches, offline mode."""
    return {name: value for name, value in os.environ.items() if name in SHARED_ENVIRONMENT}


def connect(ray, address: str | None, *, quiet: bool) -> bool:
    """Join the cluster at ``address`` (or ``$RAY_ADDRESS``), else start a local Ray; True if started here."""
    from ray.data import DataContext

    context = DataContext.get_current()
    context.enable_progress_bars = not quiet
    context.print_on_execution_start = not quiet
    context.target_max_block_size = ONE_ROW_BLOCKS
    if quiet:
        logging.getLogger("ray").setLevel(logging.ERROR)
        logging.getLogger("ray.data").setLevel(logging.ERROR)
    if ray.is_initialized():
        return False
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=not quiet,
                 logging_level=logging.ERROR if quiet else logging.WARNING)
    except ConnectionError as exc:
        raise ModelUnavailableError(f"no Ray cluster at {address or os.environ.get('RAY_ADDRESS')}: {exc}") from None
    return True


def default_workers(ray, job: CorpusJob) -> int:
    """One actor per GPU (``--device cuda``), else one per ``--cores-per-worker`` cores of the cluster."""
    resources = ray.cluster_resources()
    if device_of(job) == "cuda":
        gpus = resources.get("GPU", 0)
        if gpus <= 0:
            raise UsageError("--device cuda was asked for, but the Ray cluster has no GPU.")
        return max(1, int(gpus // job.gpus_per_worker))
    return max(1, int(resources.get("CPU", 1) // job.cores_per_worker))


def device_of(job: CorpusJob) -> str:
    """``--device`` as asked: auto, cpu or cuda."""
    return job.translator_options.get("device", "auto")
