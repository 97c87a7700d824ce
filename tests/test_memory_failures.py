"""A memory that fails never costs a translation; two processes share one; a crash corrupts nothing."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from typer.testing import CliRunner

import it2en.memory
from it2en.cli import app
from it2en.memory import TranslationMemory

from memory_worker import SENTENCES, articles
from test_memory import ARTICLE, CountingEngine

WORKER = Path(__file__).with_name("memory_worker.py")


def stats(path):
    return CliRunner().invoke(app, ["memory", "stats", "--memory", str(path)], catch_exceptions=False)


def translate_with(engine_cli, tmp_path, memory):
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    engine = CountingEngine()
    result = engine_cli(engine, "a.txt", "--memory", memory)
    return result, engine


def filled(path: Path) -> Path:
    from test_memory import translate

    translate(ARTICLE, CountingEngine(), path)
    return path


def assert_one_warning_and_a_full_translation(result, engine, words: str):
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "translation memory" in line]
    assert len(warnings) == 1 and words in warnings[0] and "Going on without the memory" in warnings[0]
    assert "Traceback" not in result.stderr
    assert len(engine.sent) == 4 and result.stdout.count("\n") == ARTICLE.count("\n")


def test_a_file_that_is_not_sqlite(engine_cli, tmp_path):
    memory = tmp_path / "mem" / "notes.txt"
    memory.parent.mkdir()
    memory.write_text("my notes, not a memory\n", encoding="utf-8")
    result, engine = translate_with(engine_cli, tmp_path, memory)
    assert_one_warning_and_a_full_translation(result, engine, "not a SQLite file")
    assert memory.read_text(encoding="utf-8") == "my notes, not a memory\n"
    assert os.listdir(memory.parent) == ["notes.txt"]
    refused = stats(memory)
    assert refused.exit_code == 65 and "not a SQLite file" in refused.stderr


def test_another_sqlite_database_is_left_alone(engine_cli, tmp_path):
    other = tmp_path / "app.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE t (x)")
    connection.close()
    before = other.read_bytes()
    result, engine = translate_with(engine_cli, tmp_path, other)
    assert_one_warning_and_a_full_translation(result, engine, "not an it2en translation memory")
    assert other.read_bytes() == before
    assert stats(other).exit_code == 65


def test_a_corrupt_memory(engine_cli, tmp_path):
    memory = filled(tmp_path / "mem" / "tm.sqlite")
    data = bytearray(memory.read_bytes())
    data[4096:] = b"\xa5" * (len(data) - 4096)  # the entries' page is garbage, the header intact
    memory.write_bytes(bytes(data))
    result, engine = translate_with(engine_cli, tmp_path, memory)
    assert_one_warning_and_a_full_translation(result, engine, "damaged")
    assert os.listdir(memory.parent) == ["tm.sqlite"]
    refused = stats(memory)
    assert refused.exit_code == 65 and "damaged" in refused.stderr and "Traceback" not in refused.stderr


def test_a_read_only_memory(engine_cli, tmp_path, monkeypatch):
    memory = filled(tmp_path / "mem" / "tm.sqlite")
    before = memory.read_bytes()
    real = sqlite3.connect
    # Tests may run as root, which file modes do not stop: SQLite's own read-only mode is the same case.
    monkeypatch.setattr(it2en.memory.sqlite3, "connect",
                        lambda path, **kw: real(f"file:{path}?mode=ro", uri=True, **kw))
    (tmp_path / "b.txt").write_text(ARTICLE + "\nUna frase nuova.\n", encoding="utf-8")
    engine = CountingEngine()
    result = engine_cli(engine, "b.txt", "--memory", memory)
    assert result.exit_code == 0 and "read-only" in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("Going on without the memory") == 1
    assert memory.read_bytes() == before


def test_a_memory_locked_by_another_process(engine_cli, tmp_path, monkeypatch):
    """The translation gives the memory up after its busy timeout, while the lock is still held:
    it never waits for the other process (events, not a stopwatch: the holder keeps the lock
    until the test closes its stdin, and is asked afterwards whether it still has it; a
    translation that waited for the lock would find it released, and fail)."""
    memory = filled(tmp_path / "mem" / "tm.sqlite")
    monkeypatch.setattr(it2en.memory, "BUSY_TIMEOUT_S", 0.3)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import select, sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
        "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); "
        "select.select([sys.stdin], [], [], 600); print('released')"),  # 600 s: a backstop, never a measure
        str(memory)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        (tmp_path / "b.txt").write_text("Una frase del tutto nuova.\n", encoding="utf-8")
        engine = CountingEngine()
        result = engine_cli(engine, "b.txt", "--memory", memory)
        assert holder.poll() is None  # the translation ended with the lock still held
        released, _ = holder.communicate("")
        assert released.strip() == "released"
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert result.exit_code == 0 and engine.sent == ["Una frase del tutto nuova."]
    warnings = [line for line in result.stderr.splitlines() if "translation memory" in line]
    assert len(warnings) == 1 and "locked by another process" in warnings[0]


def test_a_full_disk(engine_cli, tmp_path, monkeypatch):
    memory = filled(tmp_path / "mem" / "tm.sqlite")
    real = TranslationMemory._prepare

    def no_room(self, connection):
        real(self, connection)
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {pages}")  # SQLITE_FULL on the next new page

    monkeypatch.setattr(TranslationMemory, "_prepare", no_room)
    long_article = "".join(f"{s}\n\n" for s in SENTENCES[:200])
    (tmp_path / "b.txt").write_text(long_article, encoding="utf-8")
    engine = CountingEngine()
    result = engine_cli(engine, "b.txt", "--memory", memory)
    assert result.exit_code == 0 and "disk is full" in result.stderr and "Traceback" not in result.stderr
    assert len(engine.sent) == 200 and result.stdout.count("\n") == long_article.count("\n")
    assert os.listdir(memory.parent) == ["tm.sqlite"]


def test_stats_on_a_folder_exits_74(tmp_path):
    result = stats(tmp_path)
    assert result.exit_code == 74 and "is a folder" in result.stderr


# ----------------------------------------------------------------------------- real processes


def worker(memory, first, count, *extra):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(it2en.memory.__file__).parents[1]),
                                                       str(WORKER.parent)]))
    return subprocess.Popen([sys.executable, str(WORKER), str(memory), str(first), str(count), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_connections_opening_one_new_memory_at_once_all_open_it(tmp_path):
    """A new file opened by several at the same moment: the header was read in pieces (a half-made
    memory looked like another program's database) and two WAL switches met (SQLite answers
    "locked" at once there, without waiting): 80 of these 240 openings failed before."""
    failures = []

    def open_and_read(path, start):
        start.wait()
        try:
            with TranslationMemory(path) as store:
                store.stats()
        except Exception as error:  # noqa: BLE001 - every failure is the finding
            failures.append(f"{type(error).__name__}: {error}")

    for round_ in range(60):
        start = threading.Barrier(4)
        threads = [threading.Thread(target=open_and_read, args=(tmp_path / f"tm{round_}.sqlite", start))
                   for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    with TranslationMemory(tmp_path / "tm0.sqlite") as store:
        assert store.connection.execute("PRAGMA user_version").fetchone()[0] == it2en.memory.SCHEMA_VERSION
        assert store.connection.execute("PRAGMA application_id").fetchone()[0] == it2en.memory.APPLICATION_ID


def test_two_processes_write_one_memory_and_lose_nothing(tmp_path):
    memory = tmp_path / "tm.sqlite"
    go = tmp_path / "go"
    # Overlapping work: articles 0..29 and 15..44; each process stores one article at a time.
    workers = [worker(memory, 0, 30, "--wait-for", go), worker(memory, 15, 30, "--wait-for", go)]
    time.sleep(0.5)
    go.touch()
    for process in workers:
        out, err = process.communicate()
        assert process.returncode == 0, err
        assert err == "" and "finished 30" in out
    expected = {s for text in articles(0, 45) for s in text.replace(". ", ".\n").split("\n") if s}
    with TranslationMemory(memory) as store:
        assert {e.source for e in store.entries()} == expected
        assert store.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert sorted(os.listdir(tmp_path)) == ["go", "tm.sqlite"]  # no -wal, -shm or copy left


def test_kill_9_mid_run_leaves_a_readable_memory(tmp_path):
    memory = tmp_path / "tm.sqlite"
    process = worker(memory, 0, 40, "--sleep", "0.05")
    for line in process.stdout:
        if line.startswith("done 5"):
            break
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    with TranslationMemory(memory) as store:
        assert store.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        remembered = store.stats().entries
    assert 20 <= remembered < 160  # the articles finished before the kill, not the one in flight
    result = stats(memory)
    assert result.exit_code == 0 and f"{remembered} entries" in result.stdout
    again = worker(memory, 0, 40)
    out, err = again.communicate()
    assert again.returncode == 0 and err == ""
    with TranslationMemory(memory) as store:
        assert store.stats().entries == 160
    assert os.listdir(tmp_path) == ["tm.sqlite"]
