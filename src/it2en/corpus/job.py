"""The job on the driver: what was asked, its checks, the Ray Data pipeline, and the run."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from it2en.article import DEFAULT_REVIEW_BELOW
from it2en.corpus.connect import connect, default_workers, device_of, require_ray, worker_environment
from it2en.corpus.reading import check_columns, find_inputs, read_table_files, split_json_lines
from it2en.corpus.resume import OutputPlan
from it2en.corpus.schema import INPUT_FORMATS, OUTPUT_COLUMNS, SUFFIX_OF_FORMAT, TOKENS
from it2en.corpus.worker import TranslateRows
from it2en.errors import UsageError

DEFAULT_CORES_PER_WORKER = 2
DEFAULT_BATCH_ARTICLES = 8

MAX_ACTOR_RESTARTS = 3
"""A row that kills its worker every time fails the job after this many restarts, instead of forever."""


@dataclass
class CorpusJob:
    """Everything ``it2en corpus`` was asked to do; ``run_corpus`` carries it out."""

    inputs: list[str]
    output: str
    text_column: str = "text"
    id_column: str = "id"
    input_format: str = "text"
    translator_options: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments of ``ArticleTranslator`` (model, backend, device, beams, …)."""
    output_format: str | None = None
    """jsonl, parquet or csv; None: the output's suffix, else the input's format."""
    workers: int | None = None
    cores_per_worker: int = DEFAULT_CORES_PER_WORKER
    gpus_per_worker: float = 1.0
    batch_articles: int = DEFAULT_BATCH_ARTICLES
    resume: bool = False
    review_below: float = DEFAULT_REVIEW_BELOW
    """A sentence less confident than this needs review (the ``needs_review`` column)."""
    address: str | None = None
    quiet: bool = False


@dataclass
class CorpusSummary:
    rows: int = 0
    failed: int = 0
    skipped: int = 0
    sentences: int = 0
    needs_review: int = 0
    tokens: int = 0
    seconds: float = 0.0
    workers: int = 0
    output: str = ""

    def line(self) -> str:
        rate = self.tokens / self.seconds if self.seconds > 0 else 0.0
        skipped = f", {self.skipped} skipped (already written)" if self.skipped else ""
        return (f"{self.rows} rows ({self.failed} failed{skipped}), {self.sentences} sentences "
                f"({self.needs_review} need review), "
                f"{rate:.0f} source tokens/s on {self.workers} workers in {self.seconds:.1f} s -> {self.output}")


def run_corpus(job: CorpusJob, *, notify: Callable[[str], None] = lambda message: None) -> CorpusSummary:
    """Translate every row of ``job.inputs`` into ``job.output``; bad rows get an ``error``."""
    check_job(job)
    files, kind = find_inputs(job.inputs)
    ray = require_ray()
    check_columns(files[0], kind, job.text_column, job.id_column)
    output = OutputPlan.for_job(job, kind, files)
    done = output.written_keys(job.id_column) if job.resume else frozenset()
    if not job.resume:
        output.refuse_earlier_parts()
    job.translator_options = prepare_model(job.translator_options, quiet=job.quiet, notify=notify)

    started = time.perf_counter()
    we_started_ray = connect(ray, job.address, quiet=job.quiet)
    try:
        if device_of(job) == "auto":
            has_gpu = ray.cluster_resources().get("GPU", 0) > 0
            job.translator_options = {**job.translator_options, "device": "cuda" if has_gpu else "cpu"}
        workers = job.workers or default_workers(ray, job)
        dataset = build_dataset(job, files, kind, workers=workers, skip=done)
        summary = CorpusSummary(skipped=len(done), workers=workers, output=str(job.output))
        with output.writer() as writer:
            for table in dataset.iter_batches(batch_format="pyarrow", batch_size=None):
                if table.num_rows == 0:
                    continue
                summary.rows += table.num_rows
                summary.failed += table.num_rows - table.column("error").null_count
                summary.sentences += int(column_sum(table.column("segments")))
                summary.needs_review += int(column_sum(table.column("needs_review")))
                summary.tokens += int(column_sum(table.column(TOKENS)))
                writer.add(table.drop_columns([TOKENS]))
    finally:
        if we_started_ray:
            ray.shutdown()
    summary.seconds = time.perf_counter() - started
    return summary


def check_job(job: CorpusJob) -> None:
    if job.input_format not in INPUT_FORMATS:
        raise UsageError(f"unknown --input-format {job.input_format!r}: choose one of {', '.join(INPUT_FORMATS)}.")
    if job.output_format not in (None, *SUFFIX_OF_FORMAT):
        raise UsageError(f"unknown --output-format {job.output_format!r}: choose one of {', '.join(SUFFIX_OF_FORMAT)}.")
    for name, value in (("--workers", job.workers), ("--cores-per-worker", job.cores_per_worker),
                        ("--batch-articles", job.batch_articles)):
        if value is not None and value < 1:
            raise UsageError(f"{name} must be 1 or more (got {value}).")
    if not 0 <= job.review_below <= 1:
        raise UsageError(f"--review-below must be between 0 and 1 (got {job.review_below}).")
    if job.gpus_per_worker <= 0:
        raise UsageError(f"--gpus-per-worker must be more than 0 (got {job.gpus_per_worker}).")
    if job.text_column == job.id_column:
        raise UsageError(f"--text-column and --id-column are both {job.text_column!r}: name two columns.")
    clash = {job.text_column, job.id_column} & set(OUTPUT_COLUMNS)
    if clash:
        raise UsageError(f"the column {clash.pop()!r} is one it2en writes: rename it in the input.")


def prepare_model(options: dict[str, Any], *, quiet: bool, notify: Callable[[str], None]) -> dict[str, Any]:
    """Find the model (exit 69 here, clearly, when it is missing) and convert it once for CTranslate2.

    Done on the driver so that the workers do not convert it side by side into one cache folder.
    Returns the options with the model named as the driver resolved it (``$IT2EN_MODEL``
    applies on the driver, whatever the workers' environment).
    """
    from it2en import models

    if options.get("engine") is not None:  # a script's own engine (tests: the identity engine)
        return options
    options = {**options, "model": options.get("model") or os.environ.get(models.MODEL_ENV) or None}
    spec = models.with_beams(models.resolve(options["model"]), options.get("beams"))
    located = models.locate(spec, quiet=quiet)
    if options.get("backend", "auto") != "transformers":
        from it2en.engines.factory import ctranslate2_available, ensure_ct2_copy

        if ctranslate2_available():
            ensure_ct2_copy(located.path, located.cache_key, quiet=True, notify=notify)
    return options


def build_dataset(job: CorpusJob, files: list[str], kind: str, *, workers: int, skip: frozenset[str]):
    """The Ray Data pipeline: read, cut into batches of articles, translate on the actor pool."""
    import warnings

    import ray.data

    # Files are read whole by tasks that take no CPU slot: reading is light next to translating,
    # and Ray's own readers (which want a CPU each) could wait forever for actors holding them all.
    files_in = ray.data.read_binary_files(files, include_paths=True, num_cpus=0)
    if kind == "jsonl":
        dataset = files_in.map_batches(split_json_lines, batch_format="pyarrow", batch_size=1, num_cpus=0)
    else:
        dataset = files_in.map_batches(read_table_files, fn_kwargs={"kind": kind, "string_columns": [job.text_column, job.id_column]},
                                       batch_format="pyarrow", batch_size=1, num_cpus=0)
    with warnings.catch_warnings():  # max_restarts as a remote argument: deprecated in name only
        warnings.simplefilter("ignore")
        return translate_stage(dataset, job, workers=workers, skip=skip, kind=kind)


def translate_stage(dataset, job: CorpusJob, *, workers: int, skip: frozenset[str], kind: str):
    import ray.data

    gpu = device_of(job) == "cuda"
    resources = {"num_gpus": job.gpus_per_worker, "num_cpus": 1} if gpu else {"num_cpus": job.cores_per_worker}
    return dataset.map_batches(
        TranslateRows,
        fn_constructor_kwargs={
            "translator_options": job.translator_options,
            "text_column": job.text_column,
            "id_column": job.id_column,
            "input_format": job.input_format,
            "threads": None if gpu else job.cores_per_worker,
            "skip": skip,
            "json_lines": kind == "jsonl",
            "environment": worker_environment(),
            "review_below": job.review_below,
        },
        batch_size=job.batch_articles,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=workers),
        max_restarts=MAX_ACTOR_RESTARTS,
        max_task_retries=MAX_ACTOR_RESTARTS,
        **resources,
    )


def column_sum(column) -> int:
    import pyarrow.compute as pc

    return pc.sum(column).as_py() or 0
