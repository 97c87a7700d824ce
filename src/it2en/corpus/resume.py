"""Where the rows go (part files in a folder, or one file), and the ids they already hold (``--resume``)."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from it2en.corpus.parts import PartWriter
from it2en.corpus.schema import FORMAT_OF_SUFFIX, SUFFIX_OF_FORMAT
from it2en.errors import UsageError

if TYPE_CHECKING:
    from it2en.corpus.job import CorpusJob


def row_key(value: Any) -> str:
    """An id as a comparable string: the same id read back from any output format gives the same key."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


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
            keys.update(row_key(v) for v in read_ids(path, self.format, id_column))
        return frozenset(keys)

    def writer(self) -> "PartWriter":
        return PartWriter(self)


def read_ids(path: Path, fmt: str, id_column: str) -> list[Any]:
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
