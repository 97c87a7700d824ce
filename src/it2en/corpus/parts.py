"""The output, written by the driver as whole part files, each renamed into place, then one file.

An interrupted run leaves only whole parts, so ``--resume`` can trust every row they hold.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from it2en.corpus.schema import JSON_ROW, SUFFIX_OF_FORMAT
from it2en.errors import OutputCreateError, OutputWriteError, UsageError

if TYPE_CHECKING:
    from it2en.corpus.resume import OutputPlan

PART_ROWS = 2000
"""A part file is written once this many rows have come back (or PART_SECONDS have passed)."""

PART_SECONDS = 60.0


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
        write_replacing(path, lambda handle: write_tables(tables, self.plan.format, handle))

    def assemble(self) -> None:
        """The single output file: its earlier rows (``--resume``), then every part, in order."""
        single = self.plan.single
        sources = ([single] if self.plan.resume and single.is_file() else []) + self.plan.part_files()
        write_replacing(single, lambda handle: concatenate(sources, self.plan.format, handle))
        shutil.rmtree(self.plan.parts, ignore_errors=True)


def write_replacing(path: Path, write: Callable) -> None:
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


def arrow_for_output(tables: list, fmt: str):
    """The rows as one Arrow table in the output's terms (JSON Lines input: its objects)."""
    import pyarrow as pa

    if JSON_ROW in tables[0].column_names:
        rows = [json.loads(line) for t in tables for line in t.column(JSON_ROW).to_pylist()]
        try:
            return pa.Table.from_pylist(rows)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise UsageError(f"the JSON Lines rows do not fit one {fmt} table ({exc}); write JSON Lines instead "
                             "(-o NAME.jsonl or --output-format jsonl).") from None
    return pa.concat_tables(tables, promote_options="permissive")


def write_tables(tables: list, fmt: str, handle) -> None:
    if fmt == "jsonl":
        for table in tables:
            if JSON_ROW in table.column_names:
                lines = table.column(JSON_ROW).to_pylist()
            else:
                lines = [json.dumps(row, ensure_ascii=False, default=str) for row in table.to_pylist()]
            handle.write("".join(line + "\n" for line in lines).encode("utf-8"))
        return
    table = arrow_for_output(tables, fmt)
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


def concatenate(sources: list[Path], fmt: str, handle) -> None:
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
