"""Datasets of articles on Ray Data: rows in, the same rows out with their English translation.

``it2en corpus`` reads JSON Lines, Parquet or CSV (one article per row), sends the rows to a
pool of Ray actors that each load the model once (one :class:`~it2en.api.ArticleTranslator`
per actor) and translate a batch of articles at a time with the same pipeline as
``it2en translate``, and writes every row back with ``translation``, ``flags``, ``segments``,
``model``, ``model_revision`` and ``error``. It runs on an embedded Ray on one machine, or
unchanged on a Ray cluster (``--address auto`` or ``$RAY_ADDRESS``).

Why it is built this way:

* A bad row (bytes that are not text, NUL characters, a number, malformed JSON) becomes a row
  with an ``error``: one broken article never fails a job of a million.
* JSON Lines are split and parsed here, per line, not by Arrow's reader: one row whose text is a
  number (or whose line is not JSON) would make Arrow refuse the whole file.
* The output is written by the driver, in part files each renamed into place when complete, so
  an interrupted run leaves only whole parts and ``--resume`` can skip the ids they hold. A
  single-file output (``-o english.jsonl``) collects its parts beside it (``.english.jsonl.parts/``)
  and is assembled from them, atomically, at the end.
* Ray restarts an actor that dies and runs its batch again; as rows reach the output only once
  a batch has come back whole, every input id is written exactly once.

Ray and pyarrow are an optional extra (``pip install "it2en[scale]"``); this is the only module
that imports them, and only inside the functions that need them.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from it2en import formats
from it2en.errors import (ExtraMissingError, InputDecodeError, InputMissingError, It2enError,
                          ModelUnavailableError, OutputCreateError, OutputWriteError, UsageError)

INSTALL_LINE = 'pip install "it2en[scale]"'
FORMAT_OF_SUFFIX = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet", ".csv": "csv"}
SUFFIX_OF_FORMAT = {"jsonl": ".jsonl", "parquet": ".parquet", "csv": ".csv"}
OUTPUT_COLUMNS = ("translation", "flags", "segments", "model", "model_revision", "error")
INPUT_FORMATS = tuple(name for name in formats.INPUT_FORMATS if name != "auto")
"""A row has no file name to guess its format from: it is named."""
DEFAULT_CORES_PER_WORKER = 2
DEFAULT_BATCH_ARTICLES = 8
ONE_ROW_BLOCKS = 1
"""Ray Data's ``target_max_block_size`` (bytes): any row exceeds it, so every block holds one row.

Ray Data hands an actor the blocks of one input bundle at a time and cuts blocks only by bytes:
with blocks of a few kilobytes, one JSON Lines file of short articles came out as one block, and
one actor translated it all while the others idled. One-row blocks are regrouped into batches of
``--batch-articles`` rows by the actor stage itself. (Ray's own repartition would need a CPU slot,
which the actors may all hold.)"""
PART_ROWS = 2000
"""A part file is written once this many rows have come back (or PART_SECONDS have passed)."""
PART_SECONDS = 60.0
MAX_ACTOR_RESTARTS = 3
"""A row that kills its worker every time fails the job after this many restarts, instead of forever."""

SHARED_ENVIRONMENT = ("IT2EN_CACHE_DIR", "XDG_CACHE_HOME", "HF_HOME", "HF_HUB_CACHE", "HF_HUB_OFFLINE",
                      "TRANSFORMERS_OFFLINE")

# Internal columns between the stages; never written out.
_LINE, _LINE_ERROR, _JSON, _KEY, _TOKENS = "_it2en_line", "_it2en_line_error", "_it2en_json", "_it2en_key", "_it2en_tokens"


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
    address: str | None = None
    quiet: bool = False


@dataclass
class CorpusSummary:
    rows: int = 0
    failed: int = 0
    skipped: int = 0
    sentences: int = 0
    tokens: int = 0
    seconds: float = 0.0
    workers: int = 0
    output: str = ""

    def line(self) -> str:
        rate = self.tokens / self.seconds if self.seconds > 0 else 0.0
        skipped = f", {self.skipped} skipped (already written)" if self.skipped else ""
        return (f"{self.rows} rows ({self.failed} failed{skipped}), {self.sentences} sentences, "
                f"{rate:.0f} source tokens/s on {self.workers} workers in {self.seconds:.1f} s -> {self.output}")


# --------------------------------------------------------------------------------------------
# the job


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


def run_corpus(job: CorpusJob, *, notify: Callable[[str], None] = lambda message: None) -> CorpusSummary:
    """Translate every row of ``job.inputs`` into ``job.output``; bad rows get an ``error``."""
    _check_job(job)
    files, kind = find_inputs(job.inputs)
    ray = require_ray()
    check_columns(files[0], kind, job.text_column, job.id_column)
    output = OutputPlan.for_job(job, kind, files)
    done = output.written_keys(job.id_column) if job.resume else frozenset()
    if not job.resume:
        output.refuse_earlier_parts()
    job.translator_options = prepare_model(job.translator_options, quiet=job.quiet, notify=notify)

    started = time.perf_counter()
    we_started_ray = _connect(ray, job.address, quiet=job.quiet)
    try:
        if _device(job) == "auto":
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
                summary.sentences += int(_sum(table.column("segments")))
                summary.tokens += int(_sum(table.column(_TOKENS)))
                writer.add(table.drop_columns([_TOKENS]))
    finally:
        if we_started_ray:
            ray.shutdown()
    summary.seconds = time.perf_counter() - started
    return summary


def _check_job(job: CorpusJob) -> None:
    if job.input_format not in INPUT_FORMATS:
        raise UsageError(f"unknown --input-format {job.input_format!r}: choose one of {', '.join(INPUT_FORMATS)}.")
    if job.output_format not in (None, *SUFFIX_OF_FORMAT):
        raise UsageError(f"unknown --output-format {job.output_format!r}: choose one of {', '.join(SUFFIX_OF_FORMAT)}.")
    for name, value in (("--workers", job.workers), ("--cores-per-worker", job.cores_per_worker),
                        ("--batch-articles", job.batch_articles)):
        if value is not None and value < 1:
            raise UsageError(f"{name} must be 1 or more (got {value}).")
    if job.gpus_per_worker <= 0:
        raise UsageError(f"--gpus-per-worker must be more than 0 (got {job.gpus_per_worker}).")
    if job.text_column == job.id_column:
        raise UsageError(f"--text-column and --id-column are both {job.text_column!r}: name two columns.")
    clash = {job.text_column, job.id_column} & set(OUTPUT_COLUMNS)
    if clash:
        raise UsageError(f"the column {clash.pop()!r} is one it2en writes: rename it in the input.")


def find_inputs(inputs: Iterable[str]) -> tuple[list[str], str]:
    """Files named, or found in the folders named, and their one format (jsonl, parquet, csv)."""
    files: list[str] = []
    for name in inputs:
        if "://" in name:  # s3://, gs://: read by Ray on the cluster, not checked here
            files.append(name)
            continue
        path = Path(name)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in FORMAT_OF_SUFFIX
                           and not any(part.startswith(".") for part in p.relative_to(path).parts))
            if not found:
                raise InputMissingError(f"{name}: no .jsonl, .parquet or .csv files in this folder.")
            files.extend(str(p.resolve()) for p in found)
        elif path.is_file():
            files.append(str(path.resolve()))  # Ray's workers do not share our current folder
        else:
            raise InputMissingError(f"{name}: no such file or folder; check the path.")
    if not files:
        raise UsageError("no INPUT given: name JSON Lines, Parquet or CSV files, or folders of them.")
    kinds = {FORMAT_OF_SUFFIX.get(Path(f).suffix.lower()) for f in files}
    if None in kinds:
        strange = next(f for f in files if Path(f).suffix.lower() not in FORMAT_OF_SUFFIX)
        raise UsageError(f"{strange}: not a dataset it2en reads: name .jsonl, .parquet or .csv files.")
    if len(kinds) > 1:
        raise UsageError(f"the inputs mix formats ({', '.join(sorted(kinds))}): translate one format per run.")
    return files, kinds.pop()


def check_columns(first_file: str, kind: str, text_column: str, id_column: str) -> None:
    """Refuse, before any work, an input whose first file lacks the text or id column."""
    if "://" in first_file:
        return
    columns = _columns(first_file, kind)
    if columns is None:
        return
    for column, option in ((text_column, "--text-column"), (id_column, "--id-column")):
        if column not in columns:
            shown = ", ".join(columns) if columns else "none"
            raise UsageError(f"{first_file}: no column {column!r} (its columns: {shown}); "
                             f"name the right one with {option}.")


def _columns(path: str, kind: str) -> list[str] | None:
    """The column names of a file; None when that cannot be told cheaply (an empty JSON Lines file)."""
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            return list(pq.read_schema(path).names)
        with open(path, encoding="utf-8", errors="replace", newline="") as handle:
            if kind == "csv":
                import csv

                return next(csv.reader(handle), [])
            for line in handle:
                if line.strip():
                    try:
                        row = json.loads(line)
                    except ValueError:
                        return None  # a bad first line is that row's error, not the job's
                    return list(row) if isinstance(row, dict) else None
    except OSError as exc:
        raise InputMissingError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    except Exception as exc:  # noqa: BLE001 - pyarrow's own errors: a damaged or foreign file
        raise InputDecodeError(f"{path}: not a readable {kind} file ({type(exc).__name__}: {str(exc)[:200]}).") from None
    return None


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


def worker_environment() -> dict[str, str]:
    """The driver's settings that the workers must share: caches, offline mode."""
    return {name: value for name, value in os.environ.items() if name in SHARED_ENVIRONMENT}


def _connect(ray, address: str | None, *, quiet: bool) -> bool:
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
    if _device(job) == "cuda":
        gpus = resources.get("GPU", 0)
        if gpus <= 0:
            raise UsageError("--device cuda was asked for, but the Ray cluster has no GPU.")
        return max(1, int(gpus // job.gpus_per_worker))
    return max(1, int(resources.get("CPU", 1) // job.cores_per_worker))


def _device(job: CorpusJob) -> str:
    return job.translator_options.get("device", "auto")


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
        return _translate_stage(dataset, job, workers=workers, skip=skip, kind=kind)


def _translate_stage(dataset, job: CorpusJob, *, workers: int, skip: frozenset[str], kind: str):
    import ray.data

    gpu = _device(job) == "cuda"
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
        },
        batch_size=job.batch_articles,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=workers),
        max_restarts=MAX_ACTOR_RESTARTS,
        max_task_retries=MAX_ACTOR_RESTARTS,
        **resources,
    )


def _sum(column) -> int:
    import pyarrow.compute as pc

    return pc.sum(column).as_py() or 0


# --------------------------------------------------------------------------------------------
# the stages that run on Ray


def read_table_files(files, *, kind: str, string_columns: list[str]):
    """Whole Parquet or CSV files (``bytes``, ``path``) → their rows (CSV: the text and id as text)."""
    import pyarrow as pa

    tables = []
    for data, path in zip(files.column("bytes").to_pylist(), files.column("path").to_pylist()):
        if kind == "parquet":
            import pyarrow.parquet as pq

            tables.append(pq.read_table(pa.BufferReader(data)))
        else:
            import pyarrow.csv as pacsv

            options = pacsv.ConvertOptions(column_types={c: pa.string() for c in string_columns})
            tables.append(pacsv.read_csv(pa.BufferReader(data), convert_options=options))
    return pa.concat_tables(tables, promote_options="permissive")


def split_json_lines(files):
    """Whole JSON Lines files (``bytes``, ``path``) → one row per non-blank line, as text.

    A line that is not UTF-8 becomes a row with a ``_line_error``, never a failed read.
    """
    import pyarrow as pa

    lines: list[str] = []
    errors: list[str | None] = []
    for data, path in zip(files.column("bytes").to_pylist(), files.column("path").to_pylist()):
        for number, raw in enumerate(data.split(b"\n"), start=1):
            raw = raw.rstrip(b"\r")
            if not raw.strip():
                continue
            try:
                lines.append(raw.decode("utf-8"))
                errors.append(None)
            except UnicodeDecodeError as exc:
                lines.append(raw.decode("utf-8", errors="replace"))
                errors.append(f"{path}: line {number}: not UTF-8 text ({exc.reason} at byte {exc.start})")
    return pa.table({_LINE: pa.array(lines, pa.string()), _LINE_ERROR: pa.array(errors, pa.string())})


class TranslateRows:
    """One Ray actor: loads the model once, then translates batches of rows (``map_batches``)."""

    def __init__(self, *, translator_options: dict[str, Any], text_column: str, id_column: str,
                 input_format: str, threads: int | None, skip: frozenset[str], json_lines: bool,
                 environment: dict[str, str]) -> None:
        os.environ.update(environment)
        if threads:
            from it2en.engines.transformers import THREADS_ENV

            os.environ[THREADS_ENV] = str(threads)
        from it2en.api import ArticleTranslator

        self.translator = ArticleTranslator(**{**translator_options, "quiet": True})
        self.translator.engine  # noqa: B018 - load the model now, once per actor
        self.text_column = text_column
        self.id_column = id_column
        self.input_format = input_format
        self.skip = skip
        self.json_lines = json_lines
        self.count_tokens = getattr(self.translator.engine, "count_tokens", None)

    def __call__(self, batch):
        if self.json_lines:
            rows, ids, texts = self._parse_lines(batch)
        else:
            rows, ids, texts = None, batch.column(self.id_column).to_pylist(), batch.column(self.text_column).to_pylist()
        keep = [row_key(i) not in self.skip for i in ids]
        results = self.translate_rows([t for t, k in zip(texts, keep) if k], [i for i, k in zip(ids, keep) if k])
        if self.json_lines:
            return self._json_rows([r for r, k in zip(rows, keep) if k], [i for i, k in zip(ids, keep) if k], results)
        return self._arrow_rows(batch.filter(_mask(keep)) if not all(keep) else batch, results)

    def translate_rows(self, texts: list[Any], ids: list[Any]) -> list[dict[str, Any]]:
        """One result per row: translation, flags, segments, model, model_revision, error, tokens."""
        results: list[dict[str, Any]] = [{} for _ in texts]
        articles = []
        for result, value, ident in zip(results, texts, ids):
            text, error = row_text(value, name=f"row {ident}")
            if error:
                result["error"] = error
                continue
            try:
                article = parse_article(text, self.input_format, name=f"row {ident}")
            except It2enError as exc:
                result["error"] = str(exc)
                continue
            articles.append((result, article))
        try:
            self.translator.translate_articles([a for _, a in articles])
        except It2enError:
            # One row the pipeline refuses must not take its batch with it: one by one, then.
            for result, article in articles:
                try:
                    self.translator.translate_articles([article])
                except It2enError as exc:
                    result["error"] = str(exc)
        for result, article in articles:
            if "error" not in result:
                result.update(self._describe(article))
        meta = self.translator.meta
        for result in results:
            result.setdefault("translation", None)
            result.setdefault("flags", [])
            result.setdefault("segments", 0)
            result.setdefault(_TOKENS, 0)
            result["model"] = meta.model_name
            result["model_revision"] = meta.model_revision
            result.setdefault("error", None)
        return results

    def _describe(self, article) -> dict[str, Any]:
        segments = article.translatable_segments()
        flags: list[str] = []
        for segment in segments:
            flags.extend(f for f in segment.flags if f not in flags)
        if article.kept_as_written:
            flags.append("kept_as_written")
        count = self.count_tokens or (lambda text: len(text) // 4 + 2)
        return {
            "translation": render_article(self.translator, article, self.input_format),
            "flags": flags,
            "segments": len(segments),
            _TOKENS: sum(count(s.source) for s in segments),
        }

    def _parse_lines(self, batch):
        rows, ids, texts = [], [], []
        for line, error in zip(batch.column(_LINE).to_pylist(), batch.column(_LINE_ERROR).to_pylist()):
            row: Any = None
            if error is None:
                try:
                    row = json.loads(line)
                except ValueError as exc:
                    error = f"not a JSON line ({exc}): {line[:60]!r}"
            if error is None and not isinstance(row, dict):
                error = f"not a JSON object but {type(row).__name__}: {line[:60]!r}"
            if error is not None:
                rows.append({"line": line[:200]})
                ids.append(None)
                texts.append(_BadLine(error))
                continue
            rows.append(row)
            ids.append(row.get(self.id_column))
            texts.append(row[self.text_column] if self.text_column in row else _BadLine(
                f"no {self.text_column!r} field in this row (its fields: {', '.join(row) or 'none'})"))
        return rows, ids, texts

    def _json_rows(self, rows, ids, results):
        import pyarrow as pa

        lines, keys, segments, errors, tokens = [], [], [], [], []
        for row, ident, result in zip(rows, ids, results):
            row = {**row, **{c: result[c] for c in OUTPUT_COLUMNS}}
            lines.append(json.dumps(row, ensure_ascii=False, default=str))
            keys.append(row_key(ident))
            segments.append(result["segments"])
            errors.append(result["error"])
            tokens.append(result[_TOKENS])
        return pa.table({_JSON: pa.array(lines, pa.string()), _KEY: pa.array(keys, pa.string()),
                         "segments": pa.array(segments, pa.int64()), "error": pa.array(errors, pa.string()),
                         _TOKENS: pa.array(tokens, pa.int64())})

    def _arrow_rows(self, batch, results):
        import pyarrow as pa

        types = {"translation": pa.string(), "flags": pa.list_(pa.string()), "segments": pa.int64(),
                 "model": pa.string(), "model_revision": pa.string(), "error": pa.string(), _TOKENS: pa.int64()}
        for column, kind in types.items():
            values = pa.array([r[column] for r in results], kind)
            if column in batch.column_names:
                batch = batch.drop_columns([column])
            batch = batch.append_column(column, values)
        return batch


class _BadLine(str):
    """A JSON line that could not give a text: its reason, carried where the text would be."""


def _mask(keep: list[bool]):
    import pyarrow as pa

    return pa.array(keep, pa.bool_())


def row_key(value: Any) -> str:
    """An id as a comparable string: the same id read back from any output format gives the same key."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def row_text(value: Any, *, name: str) -> tuple[str, str | None]:
    """A row's text, or why it has none: the refusals of ``reading`` (binary, NUL), per row."""
    from it2en import reading

    if isinstance(value, _BadLine):
        return "", str(value)
    if isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    elif isinstance(value, str):
        try:
            data = value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return "", f"{name}: not valid text (a lone surrogate at character {exc.start})"
    elif value is None:
        return "", f"{name}: the text is missing (null)"
    else:
        return "", f"{name}: the text is not a string but {type(value).__name__}"
    try:
        return reading.decode(data, name=name), None
    except It2enError as exc:
        return "", str(exc)


def parse_article(text: str, input_format: str, *, name: str):
    """The row's text parsed as ``it2en translate --input-format`` would parse a file."""
    return formats.parse(text, name=name, input_format=input_format)


def render_article(translator, article, input_format: str) -> str:
    """The translated article in the input's own format, as ``it2en translate`` prints it
    (the ``text`` writer writes Markdown back as Markdown, HTML as HTML)."""
    return translator.render(article, "text")


# --------------------------------------------------------------------------------------------
# the output


@dataclass
class OutputPlan:
    """Where the rows go: part files in a folder, assembled into one file when one was named."""

    parts: Path
    format: str
    single: Path | None = None
    text_column: str = "text"
    resume: bool = False
    """Keep the rows a single output file already holds (``--resume``); else it is replaced."""

    @classmethod
    def for_job(cls, job: CorpusJob, input_kind: str, files: list[str]) -> "OutputPlan":
        target = Path(job.output)
        suffix_format = FORMAT_OF_SUFFIX.get(target.suffix.lower())
        single = suffix_format is not None and not target.is_dir()
        fmt = job.output_format or (suffix_format if single else None) or input_kind
        local_inputs = {os.path.realpath(f) for f in files if "://" not in f}
        if os.path.realpath(target) in local_inputs:
            raise UsageError(f"{target}: the output is one of the inputs; choose another -o.")
        if single:
            parts = target.parent / f".{target.name}.parts"
            return cls(parts=parts, format=fmt, single=target, resume=job.resume)
        if target.exists() and not target.is_dir():
            raise UsageError(f"{target}: exists and is not a folder; name a .jsonl, .parquet or .csv file, or a folder.")
        return cls(parts=target, format=fmt, resume=job.resume)

    def part_files(self) -> list[Path]:
        if not self.parts.is_dir():
            return []
        return sorted(self.parts.glob(f"part-*{SUFFIX_OF_FORMAT[self.format]}"))

    def refuse_earlier_parts(self) -> None:
        earlier = self.part_files()
        if earlier and self.single is None:
            raise UsageError(f"{self.parts}: holds {len(earlier)} part files of an earlier run: "
                             "add --resume to continue it, or name an empty folder.")
        if earlier:  # the parts of an unfinished single-file run: start again
            shutil.rmtree(self.parts)

    def written_keys(self, id_column: str) -> frozenset[str]:
        """The ids already in the output (its parts, and the single file if there is one)."""
        keys: set[str] = set()
        files = list(self.part_files())
        if self.single is not None and self.single.is_file():
            files.insert(0, self.single)
        for path in files:
            keys.update(row_key(v) for v in _read_ids(path, self.format, id_column))
        return frozenset(keys)

    def writer(self) -> "PartWriter":
        return PartWriter(self)


def _read_ids(path: Path, fmt: str, id_column: str) -> list[Any]:
    try:
        if fmt == "jsonl":
            ids = []
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    if line.strip():
                        try:
                            row = json.loads(line)
                        except ValueError:
                            continue  # a line cut short by a crash: its row is translated again
                        if isinstance(row, dict) and id_column in row:
                            ids.append(row[id_column])
            return ids
        import pyarrow as pa

        if fmt == "parquet":
            import pyarrow.parquet as pq

            return pq.read_table(path, columns=[id_column]).column(id_column).to_pylist()
        import pyarrow.csv as pacsv

        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            include_columns=[id_column], column_types={id_column: pa.string()}))
        return table.column(id_column).to_pylist()
    except (OSError, KeyError) as exc:
        raise UsageError(f"--resume: {path} cannot be read for its ids ({exc}).") from None
    except Exception as exc:  # noqa: BLE001 - pyarrow: no such column, damaged file
        raise UsageError(f"--resume: {path} cannot be read for its {id_column!r} ids "
                         f"({type(exc).__name__}: {str(exc)[:200]}).") from None


class PartWriter:
    """Collects the translated rows and writes them as whole part files, each renamed into place."""

    def __init__(self, plan: OutputPlan) -> None:
        self.plan = plan
        self.pending: list = []
        self.pending_rows = 0
        self.last_flush = time.monotonic()
        existing = [int(m.group(1)) for p in plan.part_files() if (m := re.match(r"part-(\d+)", p.name))]
        self.next_number = max(existing, default=-1) + 1

    def __enter__(self) -> "PartWriter":
        try:
            self.plan.parts.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputCreateError(f"{self.plan.parts}: cannot create the output folder ({exc.strerror or exc}).") from None
        return self

    def __exit__(self, kind, error, trace) -> None:
        self.flush()  # even on an interrupt: what came back whole is kept for --resume
        if error is None and self.plan.single is not None:
            self.assemble()

    def add(self, table) -> None:
        self.pending.append(table)
        self.pending_rows += table.num_rows
        if self.pending_rows >= PART_ROWS or time.monotonic() - self.last_flush >= PART_SECONDS:
            self.flush()

    def flush(self) -> None:
        self.last_flush = time.monotonic()
        if not self.pending:
            return
        tables, self.pending, self.pending_rows = self.pending, [], 0
        path = self.plan.parts / f"part-{self.next_number:05d}{SUFFIX_OF_FORMAT[self.plan.format]}"
        self.next_number += 1
        _write_replacing(path, lambda handle: _write_tables(tables, self.plan.format, handle))

    def assemble(self) -> None:
        """The single output file: its earlier rows (``--resume``), then every part, in order."""
        single = self.plan.single
        sources = ([single] if self.plan.resume and single.is_file() else []) + self.plan.part_files()
        _write_replacing(single, lambda handle: _concatenate(sources, self.plan.format, handle))
        shutil.rmtree(self.plan.parts, ignore_errors=True)


def _write_replacing(path: Path, write: Callable) -> None:
    """Write through ``write(binary handle)`` into a temporary file beside ``path``, then rename it."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        raise OutputWriteError(f"{path}: cannot be written ({exc.strerror or exc}).") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _arrow_for_output(tables: list, fmt: str):
    """The rows as one Arrow table in the output's terms (JSON Lines input: its objects)."""
    import pyarrow as pa

    if _JSON in tables[0].column_names:
        rows = [json.loads(line) for t in tables for line in t.column(_JSON).to_pylist()]
        try:
            return pa.Table.from_pylist(rows)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise UsageError(f"the JSON Lines rows do not fit one {fmt} table ({exc}); write JSON Lines instead "
                             "(-o NAME.jsonl or --output-format jsonl).") from None
    return pa.concat_tables(tables, promote_options="permissive")


def _write_tables(tables: list, fmt: str, handle) -> None:
    if fmt == "jsonl":
        for table in tables:
            if _JSON in table.column_names:
                lines = table.column(_JSON).to_pylist()
            else:
                lines = [json.dumps(row, ensure_ascii=False, default=str) for row in table.to_pylist()]
            handle.write("".join(line + "\n" for line in lines).encode("utf-8"))
        return
    table = _arrow_for_output(tables, fmt)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, handle)
    else:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        if "flags" in table.column_names:  # CSV has no lists: the flags as a JSON list
            flags = [json.dumps(f or []) for f in table.column("flags").to_pylist()]
            table = table.set_column(table.column_names.index("flags"), "flags", pa.array(flags, pa.string()))
        pacsv.write_csv(table, handle)


def _concatenate(sources: list[Path], fmt: str, handle) -> None:
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not sources:  # nothing to translate: a valid, empty Parquet file
            pq.write_table(pa.table({}), handle)
            return
        schema = pa.unify_schemas([pq.read_schema(p) for p in sources], promote_options="permissive")
        with pq.ParquetWriter(handle, schema) as writer:
            for path in sources:
                writer.write_table(pq.read_table(path).select(schema.names).cast(schema))
        return
    for index, path in enumerate(sources):
        with open(path, "rb") as part:
            if fmt == "csv" and index > 0:
                part.readline()  # each part repeats the header (column names never hold a newline)
            shutil.copyfileobj(part, handle)
