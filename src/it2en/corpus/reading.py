"""The inputs: the files named or found in folders, their columns, and their rows from bytes.

The stages here run on Ray's read tasks; the checks run on the driver before any work.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from it2en.corpus.schema import FORMAT_OF_SUFFIX, LINE, LINE_ERROR
from it2en.errors import InputDecodeError, InputMissingError, UsageError


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
    columns = columns_of(first_file, kind)
    if columns is None:
        return
    for column, option in ((text_column, "--text-column"), (id_column, "--id-column")):
        if column not in columns:
            shown = ", ".join(columns) if columns else "none"
            raise UsageError(f"{first_file}: no column {column!r} (its columns: {shown}); "
                             f"name the right one with {option}.")


def columns_of(path: str, kind: str) -> list[str] | None:
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
    return pa.table({LINE: pa.array(lines, pa.string()), LINE_ERROR: pa.array(errors, pa.string())})
