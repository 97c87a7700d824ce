"""writing: atomic file outputs and checked stream writes that never harm anything."""

from __future__ import annotations

import errno
import io
import os
import stat
import threading

import pytest

from it2en import writing
from it2en.errors import ExitCode, OutputCreateError, OutputWriteError, UsageError
from it2en.writing import remove_partial_files, same_file, write_atomic, write_stream

TEXT = "Italy is “beautiful”: why?\r\nMixed\nline\rendings, no final newline"


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


# --- success ------------------------------------------------------------------------------


def test_writes_exact_bytes_without_newline_translation(tmp_path):
    out = tmp_path / "out.txt"
    write_atomic(out, TEXT)
    assert out.read_bytes() == TEXT.encode("utf-8")
    assert _leftovers(tmp_path) == []


def test_creates_parent_folders(tmp_path):
    out = tmp_path / "a" / "b" / "c.en.txt"
    write_atomic(str(out), "ok\n")
    assert out.read_text() == "ok\n"


def test_replaces_existing_and_keeps_its_mode(tmp_path):
    out = tmp_path / "out.txt"
    out.write_text("vecchio")
    os.chmod(out, 0o640)
    write_atomic(out, "nuovo")
    assert out.read_text() == "nuovo"
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert _leftovers(tmp_path) == []


def test_new_file_mode_follows_umask(tmp_path):
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "out.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.txt").stat().st_mode) == 0o640


def test_symlink_target_is_replaced_link_kept(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("vecchio")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_atomic(link, "nuovo")
    assert link.is_symlink() and real.read_text() == "nuovo"


def test_very_long_file_name(tmp_path):
    out = tmp_path / ("à" * 120 + ".txt")  # 244 bytes: the temp name must be shortened
    write_atomic(out, "ok")
    assert out.read_text() == "ok"
    assert _leftovers(tmp_path) == []


def test_other_encoding(tmp_path):
    out = tmp_path / "out.txt"
    write_atomic(out, "perché", encoding="cp1252")
    assert out.read_bytes() == "perché".encode("cp1252")


def test_dev_null_is_written_directly():
    write_atomic("/dev/null", TEXT)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_fifo_is_written_directly(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_atomic(fifo, TEXT)
    reader.join(timeout=10)
    assert got == [TEXT.encode()]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


# --- failure: nothing left behind, nothing harmed ------------------------------------------


def test_write_failure_leaves_no_temp_and_existing_file_untouched(tmp_path, monkeypatch):
    out = tmp_path / "out.txt"
    out.write_text("originale")
    monkeypatch.setattr(writing, "_write_all", _enospc)
    with pytest.raises(OutputWriteError) as info:
        write_atomic(out, "nuovo")
    assert info.value.exit_code == ExitCode.IO_ERROR == 74
    message = str(info.value)
    assert str(out) in message and "no space left" in message and "unchanged" in message
    assert out.read_text() == "originale"
    assert _leftovers(tmp_path) == []
    assert writing._partial_files == set()


def test_replace_failure_leaves_no_temp(tmp_path, monkeypatch):
    out = tmp_path / "out.txt"
    out.write_text("originale")
    monkeypatch.setattr(writing.os, "replace", _enospc)
    with pytest.raises(OutputWriteError):
        write_atomic(out, "nuovo")
    monkeypatch.undo()
    assert out.read_text() == "originale"
    assert _leftovers(tmp_path) == []


def test_fsync_failure_is_a_write_error(tmp_path, monkeypatch):
    out = tmp_path / "new.txt"

    def eio(fd):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(writing.os, "fsync", eio)
    with pytest.raises(OutputWriteError) as info:
        write_atomic(out, "x")
    monkeypatch.undo()
    assert "no file was written" in str(info.value)
    assert not out.exists() and _leftovers(tmp_path) == []


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit])
def test_interrupt_removes_temp_and_propagates(tmp_path, monkeypatch, exc):
    out = tmp_path / "out.txt"
    out.write_text("originale")

    def interrupted(fd, data):
        raise exc()

    monkeypatch.setattr(writing, "_write_all", interrupted)
    with pytest.raises(exc):
        write_atomic(out, "nuovo")
    assert out.read_text() == "originale"
    assert _leftovers(tmp_path) == [] and writing._partial_files == set()


def test_remove_partial_files_during_a_write(tmp_path, monkeypatch):
    seen = {}

    def killed(fd, data):  # what a SIGTERM handler does mid-write
        seen["listed"] = sorted(writing._partial_files)
        seen["on_disk"] = _leftovers(tmp_path)
        seen["removed"] = remove_partial_files()
        seen["after"] = _leftovers(tmp_path)
        raise SystemExit(143)

    monkeypatch.setattr(writing, "_write_all", killed)
    with pytest.raises(SystemExit):
        write_atomic(tmp_path / "out.txt", "x")
    assert len(seen["listed"]) == 1 and seen["on_disk"]
    assert seen["removed"] == seen["listed"] and seen["after"] == []
    assert remove_partial_files() == []


def test_dev_full_is_a_write_error():
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with pytest.raises(OutputWriteError) as info:
        write_atomic("/dev/full", TEXT)
    assert "/dev/full" in str(info.value) and "no space left" in str(info.value)


def test_folder_is_a_file(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    out = tmp_path / "file.txt" / "sub" / "out.txt"
    with pytest.raises(OutputCreateError) as info:
        write_atomic(out, "x")
    assert info.value.exit_code == ExitCode.CANT_CREATE == 73
    message = str(info.value)
    assert str(out.parent) in message and str(tmp_path / "file.txt") in message
    assert "not a folder" in message
    assert (tmp_path / "file.txt").read_text() == "x"


def test_folder_is_a_file_directly_under(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(OutputCreateError):
        write_atomic(tmp_path / "file.txt" / "out.txt", "x")


def test_target_is_a_directory(tmp_path):
    with pytest.raises(OutputCreateError) as info:
        write_atomic(tmp_path, "x")
    assert "is a directory" in str(info.value)


def test_temp_file_permission_denied(tmp_path, monkeypatch):
    # Tests may run as root, where a read-only folder does not stop writes: fake the refusal.
    real_open = os.open

    def fake_open(path, flags, mode=0o777, **kwargs):
        if str(path).endswith(".part"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, mode, **kwargs)

    monkeypatch.setattr(writing.os, "open", fake_open)
    with pytest.raises(OutputCreateError) as info:
        write_atomic(tmp_path / "out.txt", "x")
    monkeypatch.undo()
    assert "permission denied" in str(info.value) and str(tmp_path) in str(info.value)
    assert writing._partial_files == set()


def test_folder_creation_permission_denied(tmp_path, monkeypatch):
    def denied(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(writing.Path, "mkdir", denied)
    with pytest.raises(OutputCreateError) as info:
        write_atomic(tmp_path / "new" / "out.txt", "x")
    assert str(tmp_path / "new") in str(info.value)


def test_unencodable_text(tmp_path):
    out = tmp_path / "out.txt"
    with pytest.raises(OutputWriteError) as info:
        write_atomic(out, "perché “così”", encoding="ascii")
    assert "U+00E9" in str(info.value)
    assert not out.exists() and _leftovers(tmp_path) == []
    with pytest.raises(UsageError):
        write_atomic(out, "x", encoding="no-such-codec")


# --- write_stream -------------------------------------------------------------------------


def test_write_stream_bytes():
    buf = io.BytesIO()
    write_stream(buf, TEXT)
    assert buf.getvalue() == TEXT.encode()


def test_write_stream_text_wrapper_goes_through_buffer():
    raw = io.BytesIO()
    wrapper = io.TextIOWrapper(raw, encoding="latin-1", newline="\r\n")
    wrapper.write("prima ")
    write_stream(wrapper, "“dopo”\n")
    assert raw.getvalue() == b"prima " + "“dopo”\n".encode("utf-8")  # no newline translation


def test_write_stream_string_io():
    buf = io.StringIO()
    write_stream(buf, TEXT)
    assert buf.getvalue() == TEXT


class _Failing(io.RawIOBase):
    def __init__(self, exc):
        self.exc = exc

    def writable(self):
        return True

    def write(self, data):
        raise self.exc


def test_write_stream_broken_pipe_propagates():
    with pytest.raises(BrokenPipeError):
        write_stream(_Failing(BrokenPipeError(errno.EPIPE, "Broken pipe")), "x")


def test_write_stream_os_error_is_write_error():
    with pytest.raises(OutputWriteError) as info:
        write_stream(_Failing(OSError(errno.ENOSPC, "No space left on device")), "x")
    assert "standard output" in str(info.value) and "no space left" in str(info.value)


def test_write_stream_closed_or_missing():
    buf = io.BytesIO()
    buf.close()
    with pytest.raises(OutputWriteError):
        write_stream(buf, "x")
    with pytest.raises(OutputWriteError):
        write_stream(None, "x")


def test_write_stream_dev_full():
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with open("/dev/full", "wb") as full, pytest.raises(OutputWriteError):
        write_stream(full, "x" * 10_000)


# --- same_file ----------------------------------------------------------------------------


def test_same_file(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text("x")
    b = tmp_path / "b.txt"
    b.write_text("x")
    (tmp_path / "sub").mkdir()
    assert same_file(a, a)
    assert same_file(a, tmp_path / "sub" / ".." / "a.txt")
    assert not same_file(a, b)
    hard = tmp_path / "hard.txt"
    os.link(a, hard)
    assert same_file(a, hard)
    soft = tmp_path / "soft.txt"
    soft.symlink_to(a)
    assert same_file(str(soft), str(a))
    assert not same_file(a, tmp_path / "missing.txt")
    assert same_file(tmp_path / "missing.txt", tmp_path / "sub" / ".." / "missing.txt")


def test_same_file_ignores_devices():
    assert not same_file("/dev/null", "/dev/null")
