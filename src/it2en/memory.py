"""The translation memory: sentences translated once are not sent to the model again.

One SQLite file (stdlib ``sqlite3``, WAL mode, a busy timeout) holds two kinds of entries:

* ``machine``: the raw model output for a sentence exactly as the model saw it (after
  normalisation and placeholders), keyed with everything that changes the model's answer:
  model id and revision, beams, the cap rule and the glossary entries applied. Post-editing
  runs again on reuse, so its fixes reach remembered sentences too. The flags the pipeline
  kept come back with the entry, so a flagged sentence warns again on every run, and so does
  the model's confidence in it (NULL in entries stored before confidence was recorded).
* ``human``: a translation imported from an edited JSON output or a TMX file, keyed by the
  source sentence alone (spaces collapsed): it wins under any model, before the model is asked.
  Its confidence is 1.

The translate path never fails because of the memory: :class:`GuardedMemory` turns the first
error into one warning and goes on without it. Commands that are about the memory itself
(``it2en memory stats``) raise :class:`MemoryDataError` (65) or :class:`MemoryAccessError` (74).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

from it2en.errors import MemoryAccessError, MemoryDataError, first_line

MEMORY_ENV = "IT2EN_MEMORY"
CACHE_ENV = "IT2EN_CACHE_DIR"
FILE_NAME = "memory.sqlite"
MACHINE, HUMAN = "machine", "human"
BUSY_TIMEOUT_S = 3.0
"""How long a writer waits for another process's transaction before the memory is given up."""
APPLICATION_ID = 0x69743265  # "it2e": marks the file as an it2en memory
SCHEMA_VERSION = 2
"""1: the first schema; 2: ``confidence`` (machine entries: the model's, 0–1; human entries: 1)."""
_LOOKUP_CHUNK = 500  # SQLite's bound-parameter limit is 999 on old builds
# Segment marks that describe the segment, not the stored translation: never stored.
SEGMENT_FLAGS = frozenset({"split", "kept_english"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY,
    origin TEXT NOT NULL CHECK (origin IN ('machine', 'human')),
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    model TEXT NOT NULL DEFAULT '',
    model_id TEXT NOT NULL DEFAULT '',
    revision TEXT NOT NULL DEFAULT '',
    settings TEXT NOT NULL DEFAULT '',
    glossary TEXT NOT NULL DEFAULT '[]',
    flags TEXT NOT NULL DEFAULT '[]',
    created TEXT NOT NULL,
    confidence REAL
) WITHOUT ROWID;
"""
_MIGRATIONS = {
    2: ("ALTER TABLE entries ADD COLUMN confidence REAL",
        "UPDATE entries SET confidence = 1 WHERE origin = 'human'"),
}
"""Schema version → the statements that bring the version before it up to it."""
COLUMNS = ("key", "origin", "source", "target", "model", "model_id", "revision", "settings",
           "glossary", "flags", "created", "confidence")


def default_path() -> Path:
    """``$IT2EN_MEMORY``, else ``memory.sqlite`` in ``$IT2EN_CACHE_DIR`` or the user's cache folder."""
    explicit = os.environ.get(MEMORY_ENV)
    if explicit:
        return Path(explicit).expanduser()
    cache = os.environ.get(CACHE_ENV)
    if cache:
        return Path(cache).expanduser() / FILE_NAME
    import platformdirs

    return platformdirs.user_cache_path("it2en") / FILE_NAME


@dataclass(frozen=True)
class ModelContext:
    """What, besides the sentence, decides the model's answer: part of every machine key."""

    model: str
    """The name shown by ``memory stats`` and matched by ``memory clear --model``."""
    model_id: str
    """The model's identity: a hub id, or a local folder's path-and-weights key."""
    revision: str
    settings: str
    """Beams and the cap rule, e.g. ``beams=4;cap=2.0*src+10<=512``."""

    @classmethod
    def of(cls, model: str, model_id: str, revision: str, generation) -> "ModelContext":
        """The context of a model decoding with ``generation`` (a GenerationSettings)."""
        settings = (f"beams={generation.beams};cap={generation.max_new_tokens_factor}*src"
                    f"+{generation.max_new_tokens_extra}<={generation.max_length}")
        return cls(model, model_id, revision, settings)


def normalise_source(text: str) -> str:
    """A human entry's lookup form: runs of white space are one space, none at the ends."""
    return re.sub(r"\s+", " ", text).strip()


def _glossary_json(glossary: Iterable) -> str:
    return json.dumps(sorted(json.dumps(entry, ensure_ascii=False, sort_keys=True) for entry in glossary),
                      ensure_ascii=False)


def _key(origin: str, source: str, model_id: str = "", revision: str = "", settings: str = "",
         glossary: str = "[]") -> str:
    if origin == HUMAN:
        payload = json.dumps([HUMAN, normalise_source(source)], ensure_ascii=False)
    else:
        payload = json.dumps([MACHINE, source, model_id, revision, settings, glossary], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def machine_key(text: str, context: ModelContext, glossary: Iterable = ()) -> str:
    """The key of the model's answer to ``text`` (as the model sees it) under ``context``."""
    return _key(MACHINE, text, context.model_id, context.revision, context.settings, _glossary_json(glossary))


def human_key(source: str) -> str:
    return _key(HUMAN, source)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Entry:
    """One row of the memory."""

    origin: str
    source: str
    target: str
    model: str = ""
    model_id: str = ""
    revision: str = ""
    settings: str = ""
    glossary: str = "[]"
    """The glossary entries applied, as a JSON list (part of a machine key)."""
    flags: list[str] = field(default_factory=list)
    created: str = field(default_factory=_now)
    confidence: float | None = None
    """The model's confidence in ``target`` (0–1); 1 for a human entry; None when unknown."""

    @property
    def key(self) -> str:
        return _key(self.origin, self.source, self.model_id, self.revision, self.settings, self.glossary)

    @classmethod
    def machine(cls, text: str, raw: str, context: ModelContext, glossary: Iterable = (),
                flags: Iterable[str] = (), *, confidence: float | None = None) -> "Entry":
        return cls(MACHINE, text, raw, context.model, context.model_id, context.revision, context.settings,
                   _glossary_json(glossary), [f for f in flags if f not in SEGMENT_FLAGS], confidence=confidence)

    @classmethod
    def human(cls, source: str, target: str) -> "Entry":
        return cls(HUMAN, normalise_source(source), target, confidence=1.0)

    def row(self) -> tuple:
        confidence = 1.0 if self.origin == HUMAN else self.confidence
        return (self.key, self.origin, self.source, self.target, self.model, self.model_id, self.revision,
                self.settings, self.glossary, json.dumps(self.flags), self.created, confidence)


def _from_row(row) -> Entry:
    _, origin, source, target, model, model_id, revision, settings, glossary, flags, created, confidence = row
    return Entry(origin, source, target, model, model_id, revision, settings, glossary, json.loads(flags), created,
                 confidence)


@dataclass
class Stats:
    path: Path
    entries: int
    by_origin_model: list[tuple[str, str, int]]
    """(origin, model, count), human entries with model ``""``."""
    flagged: int
    size_bytes: int


def describe(error: sqlite3.Error, path: Path) -> MemoryDataError | MemoryAccessError:
    """A sqlite3 error as the user's error: 65 for a damaged file, 74 for access and space."""
    text = first_line(error)
    lowered = text.lower()
    if isinstance(error, sqlite3.DatabaseError) and any(
        s in lowered for s in ("not a database", "malformed", "corrupt", "file is encrypted")
    ):
        return MemoryDataError(f"translation memory {path} is damaged or not a SQLite file ({text}). "
                               "Move it away (a new one is then created), or use --no-memory.")
    if _is_busy(lowered):
        return MemoryAccessError(f"translation memory {path} is locked by another process "
                                 f"for more than {BUSY_TIMEOUT_S:g} s ({text}).")
    if "full" in lowered:
        return MemoryAccessError(f"translation memory {path}: the disk is full ({text}).")
    if "readonly" in lowered or "read-only" in lowered:
        return MemoryAccessError(f"translation memory {path} is read-only ({text}).")
    return MemoryAccessError(f"translation memory {path} cannot be used ({text}).")


def _is_busy(text: str) -> bool:
    """Whether SQLite's message says another connection holds the lock."""
    lowered = text.lower()
    return "locked" in lowered or "busy" in lowered


def _patiently(action: Callable[[], object]):
    """``action()``, again while SQLite says busy, until :data:`BUSY_TIMEOUT_S` has passed.

    SQLite's busy timeout does not cover every wait: where waiting could deadlock (two
    connections switching a new file to WAL at once, say) it answers "database is locked" at
    once. Each action here is one transaction, rolled back on failure, so running it again is safe.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            return action()
        except sqlite3.OperationalError as error:
            if not _is_busy(str(error)) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


class TranslationMemory:
    """The SQLite store. Open with ``with TranslationMemory(path) as memory:``; every method
    raises MemoryDataError or MemoryAccessError, never a bare sqlite3 error."""

    def __init__(self, path: str | Path | None = None, *, create: bool = True) -> None:
        self.path = Path(path).expanduser() if path is not None else default_path()
        self.create = create
        self._connection: sqlite3.Connection | None = None

    # ------------------------------------------------------------------ connection

    def __enter__(self) -> "TranslationMemory":
        self.connection  # opens (and checks) the file now, not on first use
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the file; SQLite then folds its WAL back and removes ``-wal``/``-shm``."""
        if self._connection is not None:
            try:
                self._connection.close()
            except sqlite3.Error:
                pass
            self._connection = None

    @property
    def connection(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = self._open()
        return self._connection

    def _open(self) -> sqlite3.Connection:
        if self.path.is_dir():
            raise MemoryAccessError(f"translation memory {self.path} is a folder, not a file.")
        if not self.path.exists():
            if not self.create:
                raise MemoryAccessError(f"there is no translation memory at {self.path} yet.")
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise MemoryAccessError(f"translation memory {self.path}: cannot create its folder "
                                        f"({error.strerror or error}).") from None
        elif not self._looks_like_sqlite():
            raise MemoryDataError(f"translation memory {self.path} is not a SQLite file. Move it away "
                                  "(a new one is then created), or use --no-memory.")
        try:
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as error:
            raise describe(error, self.path) from None
        try:
            _patiently(lambda: self._prepare(connection))
        except sqlite3.Error as error:
            connection.close()
            raise describe(error, self.path) from None
        except MemoryDataError:
            connection.close()
            raise
        return connection

    def _looks_like_sqlite(self) -> bool:
        """A file that exists must start with SQLite's header (an empty file becomes a memory)."""
        try:
            with open(self.path, "rb") as handle:
                head = handle.read(16)
        except OSError as error:
            raise MemoryAccessError(f"translation memory {self.path} cannot be read "
                                    f"({error.strerror or error}).") from None
        return head in (b"", b"SQLite format 3\x00")

    def _prepare(self, connection: sqlite3.Connection) -> None:
        """Check the file is ours, switch it to WAL, and create or migrate the schema.

        Another process may open the same new file at the same moment: the header is read in one
        transaction, and the schema is written only under the write lock, after reading it again.
        """
        connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        version, tables = self._check_header(connection)  # first: another program's file is never changed
        if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")  # WAL: durable at each checkpoint, never corrupt
        if tables and version == SCHEMA_VERSION:
            return
        connection.execute("BEGIN IMMEDIATE")
        try:
            version, tables = self._check_header(connection)  # again: another process may have done it
            if not tables:
                connection.execute(_SCHEMA)
                connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            else:
                for step in range(version + 1, SCHEMA_VERSION + 1):
                    for statement in _MIGRATIONS[step]:
                        connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

    def _check_header(self, connection: sqlite3.Connection) -> tuple[int, int]:
        """(schema version, table count), read in one transaction; refuse a file not ours."""
        outside = not connection.in_transaction
        if outside:
            connection.execute("BEGIN")
        try:
            application_id = connection.execute("PRAGMA application_id").fetchone()[0]
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            tables = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            if outside:
                connection.execute("COMMIT")
        if tables and application_id != APPLICATION_ID:
            raise MemoryDataError(f"{self.path} is a SQLite database, but not an it2en translation memory: "
                                  "it is left as it is. Name another file with --memory.")
        if version > SCHEMA_VERSION:
            raise MemoryDataError(f"translation memory {self.path} was written by a newer it2en "
                                  f"(schema {version}); upgrade it2en or use another file.")
        return version, tables

    def _run(self, action: Callable[[sqlite3.Connection], object]):
        try:
            return _patiently(lambda: action(self.connection))
        except sqlite3.Error as error:
            raise describe(error, self.path) from None

    # ------------------------------------------------------------------ reading

    def lookup(self, keys: Iterable[str]) -> dict[str, Entry]:
        """The entries found for ``keys`` (machine or human keys alike)."""
        keys = list(dict.fromkeys(keys))
        found: dict[str, Entry] = {}

        def select(connection: sqlite3.Connection) -> None:
            for start in range(0, len(keys), _LOOKUP_CHUNK):
                chunk = keys[start : start + _LOOKUP_CHUNK]
                marks = ",".join("?" * len(chunk))
                for row in connection.execute(f"SELECT {', '.join(COLUMNS)} FROM entries WHERE key IN ({marks})",
                                              chunk):
                    found[row[0]] = _from_row(row)

        if keys:
            self._run(select)
        return found

    def entries(self) -> Iterator[Entry]:
        rows = self._run(lambda c: c.execute(f"SELECT {', '.join(COLUMNS)} FROM entries "
                                             "ORDER BY origin, created, source").fetchall())
        return (_from_row(row) for row in rows)

    def stats(self) -> Stats:
        def count(connection: sqlite3.Connection) -> Stats:
            groups = connection.execute(
                "SELECT origin, model, count(*) FROM entries GROUP BY origin, model ORDER BY origin, model"
            ).fetchall()
            flagged = connection.execute(
                "SELECT count(*) FROM entries WHERE origin = 'machine' AND flags != '[]' "
                "AND EXISTS (SELECT 1 FROM json_each(entries.flags) WHERE value != 'retried')"
            ).fetchone()[0]
            connection.execute("PRAGMA quick_check").fetchone()  # a damaged page says so here
            return Stats(self.path, sum(g[2] for g in groups), [tuple(g) for g in groups], flagged,
                         self.path.stat().st_size)

        return self._run(count)

    # ------------------------------------------------------------------ writing

    def store(self, entries: Iterable[Entry]) -> int:
        """Write ``entries`` in one transaction (an existing key is replaced); return how many."""
        rows = [entry.row() for entry in entries]
        if not rows:
            return 0

        def write(connection: sqlite3.Connection) -> None:
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.executemany(f"INSERT OR REPLACE INTO entries ({', '.join(COLUMNS)}) "
                                       f"VALUES ({', '.join('?' * len(COLUMNS))})", rows)
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise

        self._run(write)
        return len(rows)

    def clear(self, *, model: str | None = None, origin: str | None = None, flagged: bool = False) -> int:
        """Delete the entries matching every filter given (none: all); return how many."""
        where, params = [], []
        if model is not None:
            where.append("(model = ? OR model_id = ?)")
            params += [model, model]
        if origin is not None:
            where.append("origin = ?")
            params.append(origin)
        if flagged:
            where.append("origin = 'machine' AND EXISTS (SELECT 1 FROM json_each(entries.flags) "
                         "WHERE value != 'retried')")
        sql = "DELETE FROM entries" + (" WHERE " + " AND ".join(where) if where else "")

        def delete(connection: sqlite3.Connection) -> int:
            connection.execute("BEGIN IMMEDIATE")
            try:
                count = connection.execute(sql, params).rowcount
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
            return count

        return self._run(delete)


class GuardedMemory:
    """The memory as the translate path uses it: the first failure is said once, then it is off.

    Lookups then find nothing and stores do nothing, so the user still gets every translation.
    """

    def __init__(self, memory: TranslationMemory, context: ModelContext,
                 warn: Callable[[str], None] = lambda message: None) -> None:
        self.memory = memory
        self.context = context
        self.warn = warn
        self.failed: str | None = None

    def _guard(self, action: Callable[[], object], fallback):
        if self.failed is not None:
            return fallback
        try:
            return action()
        except (MemoryDataError, MemoryAccessError) as error:
            self.failed = str(error)
            self.memory.close()
            self.warn(f"it2en: warning: {error} Going on without the memory.")
            return fallback

    def open(self) -> bool:
        """Open the file now: a memory that cannot be used is said before any work."""
        return self._guard(lambda: self.memory.connection and True, False)

    def human(self, sources: Iterable[str]) -> dict[str, str]:
        """Human translations of ``sources``, by source."""
        sources = list(sources)
        keys = {human_key(s): s for s in sources}
        found = self._guard(lambda: self.memory.lookup(keys), {})
        return {keys[k]: e.target for k, e in found.items() if e.origin == HUMAN}

    def machine(self, requests: dict[str, tuple[str, tuple]]) -> dict[str, Entry]:
        """``requests``: an id → (text as the model sees it, glossary entries); found entries by id."""
        keys = {machine_key(text, self.context, glossary): ident for ident, (text, glossary) in requests.items()}
        found = self._guard(lambda: self.memory.lookup(keys), {})
        return {keys[k]: e for k, e in found.items() if e.origin == MACHINE}

    def remember(self, entries: list[Entry]) -> None:
        self._guard(lambda: self.memory.store(entries), 0)

    def close(self) -> None:
        self.memory.close()
