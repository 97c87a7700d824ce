"""Outputs that never harm anything: atomic file writes, checked stdout writes.

``write_atomic`` writes a file the safe way: the text goes to a temporary file in the target's
own folder (``.NAME.XXXXXXXX.part``), is flushed and fsync'ed, and only then renamed onto the
target with ``os.replace``. A reader sees either the old file or the complete new one, never a
half-written file; when anything fails (disk full, interrupted, killed by SIGTERM via
:func:`remove_partial_files`) the temporary file is removed and an existing target is left
exactly as it was.

Details worth knowing:

* A target that exists and is not a regular file (a device such as ``/dev/null`` or
  ``/dev/full``, or a FIFO) cannot be renamed onto: it is opened and written directly, as a
  shell redirection would. Write errors there (``/dev/full``: no space left) are still
  ``OutputWriteError``.
* A target that is a symbolic link is followed: the file it points to is replaced (in its own
  folder), and the link stays a link.
* A replaced file keeps its permission bits (and, where allowed, its owner); a new file gets
  the usual ``0o666`` less the umask, as ``open()`` would give it.
* Bytes are written exactly as encoded: no newline translation.
"""

from __future__ import annotations

import errno
import io
import os
import stat
from pathlib import Path
from typing import BinaryIO

from .errors import OutputCreateError, OutputWriteError, UsageError

__all__ = ["write_atomic", "write_stream", "remove_partial_files", "same_file"]

# Temporary files being written right now (absolute paths). A signal handler may call
# remove_partial_files() at any moment, so this is a plain set, never guarded by a lock that
# the interrupted code could be holding.
_partial_files: set[str] = set()

_SPACE_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}
_CREATE_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.EISDIR, errno.ENOTDIR,
                  errno.ENOENT, errno.ENAMETOOLONG, errno.EEXIST, errno.ELOOP}
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)
_O_NOCTTY = getattr(os, "O_NOCTTY", 0)


# --------------------------------------------------------------------------------------------
# public API


def remove_partial_files() -> list[str]:
    """Remove the temporary files of writes still in progress; return the paths removed.

    Safe to call from a signal handler (SIGTERM) and more than once.
    """
    removed = []
    for name in list(_partial_files):
        try:
            os.unlink(name)
        except FileNotFoundError:
            pass
        except OSError:
            continue  # keep it listed; a later call may succeed
        else:
            removed.append(name)
        _partial_files.discard(name)
    return removed


def write_atomic(path: str | os.PathLike[str], text: str | bytes, *, encoding: str = "utf-8") -> None:
    """Write ``text`` (or bytes: a ``.docx``, an ``.odt``) to ``path`` atomically (temporary file in
    the same folder + rename).

    Raises:
        OutputCreateError: the folder or the file cannot be created (permissions, a path
            component that is a file, the target is a folder).
        OutputWriteError: writing failed (no space left, I/O error); nothing is left behind
            and an existing file is unchanged.
        UsageError: ``encoding`` is unknown.
    """
    target = Path(path)
    shown = str(target)
    data = _encode(text, encoding, shown=shown)

    real = Path(os.path.realpath(target)) if target.is_symlink() else target
    try:
        st: os.stat_result | None = os.stat(real)
    except OSError:
        st = None  # missing (or unreachable: creating the folder/file will say why)
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise OutputCreateError(
                f"{shown}: is a directory, so no file can be written there; give a file name "
                "(or use --output-dir for a folder)"
            )
        if not stat.S_ISREG(st.st_mode):
            _write_special(real, data, shown=shown)
            return

    folder = real.parent
    _make_folder(folder, shown=shown)

    prefix = "." + _shorten(real.name) + "."
    fd = -1
    tmp = ""
    for _attempt in range(100):
        tmp = os.path.abspath(folder / f"{prefix}{os.urandom(4).hex()}.part")
        _partial_files.add(tmp)  # before it exists: no moment when it exists unlisted
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_CLOEXEC | _O_BINARY, 0o666)
        except FileExistsError:
            _partial_files.discard(tmp)
            continue
        except BaseException as exc:
            _partial_files.discard(tmp)
            if isinstance(exc, OSError):
                raise _create_file_error(exc, shown=shown, folder=folder) from None
            raise
        break
    else:  # pragma: no cover - 100 collisions of 32 random bits
        raise OutputCreateError(f"{shown}: cannot create a temporary file in {folder}")

    try:
        _write_all(fd, data)
        _fsync(fd)
        os.close(fd)
        fd = -1
        if st is not None:
            _copy_owner_and_mode(st, tmp)
        os.replace(tmp, real)
    except BaseException as exc:
        if fd >= 0:
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.unlink(tmp)
        except OSError:
            pass
        _partial_files.discard(tmp)
        if isinstance(exc, OSError):
            raise _write_error(exc, shown=shown, existed=st is not None) from None
        raise
    _partial_files.discard(tmp)
    _fsync_folder(folder)


def write_stream(
    stream: BinaryIO | None, text: str | bytes, *, encoding: str = "utf-8", name: str = "standard output"
) -> None:
    """Write ``text`` (or bytes: a ``.docx``, an ``.odt``) to an open stream (stdout), and flush.

    A text stream with a ``.buffer`` is written through its buffer (after flushing what it
    holds); one without (``io.StringIO``) gets the text as is. ``BrokenPipeError`` propagates
    unchanged: the CLI decides what a closed pipe means.

    Raises:
        OutputWriteError: the stream is closed or writing fails (no space left, I/O error).
    """
    if stream is None:
        raise OutputWriteError(
            f"{name} is closed, so the translation cannot be written; give --output FILE"
        )
    try:
        if isinstance(stream, io.TextIOBase) and not hasattr(stream, "buffer") and isinstance(text, str):
            stream.write(text)
            stream.flush()
            return
        data = _encode(text, encoding, shown=name)
        binary = getattr(stream, "buffer", None)
        if binary is not None:
            stream.flush()
            stream = binary
        view = memoryview(data)
        while view:
            written = stream.write(view)
            if written is None or written >= len(view):
                break
            if written <= 0:
                raise OSError(errno.EIO, "the stream accepted no bytes")
            view = view[written:]
        stream.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputWriteError(
            f"{name}: error while writing: {_reason(exc)}{_advice(exc)}"
        ) from None
    except ValueError as exc:  # I/O operation on a closed file
        raise OutputWriteError(f"{name}: cannot be written ({exc})") from None


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether ``a`` and ``b`` are the same regular file (used to refuse output == input).

    Both exist: the same device and inode (``os.path.samefile``: hard links and symbolic
    links count), and only for regular files: ``/dev/stdin`` and ``/dev/stdout`` may both be
    the terminal, but writing one cannot harm the other. Otherwise the fully resolved paths
    are compared.
    """
    try:
        sa, sb = os.stat(a), os.stat(b)
    except (OSError, ValueError):
        return _resolved(a) == _resolved(b)
    return os.path.samestat(sa, sb) and stat.S_ISREG(sa.st_mode)


# --------------------------------------------------------------------------------------------
# helpers


def _encode(text: str | bytes, encoding: str, *, shown: str) -> bytes:
    if isinstance(text, bytes):
        return text
    try:
        return text.encode(encoding)
    except LookupError:
        raise UsageError(f"unknown output encoding {encoding!r}; use utf-8") from None
    except UnicodeEncodeError as exc:
        ch = exc.object[exc.start]
        if "\ud800" <= ch <= "\udfff":
            what = f"an invalid character (lone surrogate U+{ord(ch):04X})"
        else:
            what = f"the character {ch!r} (U+{ord(ch):04X})"
        raise OutputWriteError(
            f"{shown}: cannot be written in {encoding}: {what} at position {exc.start} has no "
            "encoding there; write UTF-8 instead"
        ) from None


def _make_folder(folder: Path, *, shown: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = _first_non_folder(folder)
        raise OutputCreateError(
            f"{shown}: cannot create the output folder {folder}: "
            f"{blocker or 'a part of it'} is a file, not a folder; choose another output path"
        ) from None
    except PermissionError:
        raise OutputCreateError(
            f"{shown}: cannot create the output folder {folder}: permission denied; choose "
            "a folder you can write to"
        ) from None
    except OSError as exc:
        raise OutputCreateError(
            f"{shown}: cannot create the output folder {folder}: {_reason(exc)}"
        ) from None


def _first_non_folder(folder: Path) -> Path | None:
    for part in reversed([folder, *folder.parents]):
        if part.exists() and not part.is_dir():
            return part
    return None


def _write_special(path: Path, data: bytes, *, shown: str) -> None:
    """Write straight into a device or FIFO (no rename possible onto one)."""
    try:
        fd = os.open(path, os.O_WRONLY | _O_CLOEXEC | _O_BINARY | _O_NOCTTY)
    except OSError as exc:
        raise OutputCreateError(
            f"{shown}: cannot be opened for writing: {_reason(exc)}"
        ) from None
    try:
        _write_all(fd, data)
    except OSError as exc:
        raise OutputWriteError(
            f"{shown}: error while writing: {_reason(exc)}{_advice(exc)}"
        ) from None
    finally:
        try:
            os.close(fd)
        except OSError:
            pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:  # pragma: no cover - os.write raises instead
            raise OSError(errno.EIO, "no bytes written")
        view = view[written:]


def _fsync(fd: int) -> None:
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, getattr(errno, "EOPNOTSUPP", 0)):
            raise  # the file system does not sync this kind of file: nothing lost by skipping


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable; best effort (not every system can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _copy_owner_and_mode(st: os.stat_result, tmp: str) -> None:
    """Give the replacement the replaced file's permissions (and owner, where allowed)."""
    try:
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
    except OSError:
        pass
    if hasattr(os, "chown"):
        try:
            now = os.stat(tmp)
            if (now.st_uid, now.st_gid) != (st.st_uid, st.st_gid):
                os.chown(tmp, st.st_uid, st.st_gid)
        except OSError:
            pass


def _shorten(name: str, limit: int = 180) -> str:
    """``name`` cut so the temporary name stays under the 255-byte file-name limit."""
    while len(os.fsencode(name)) > limit:
        name = name[:-1]
    return name


def _create_file_error(exc: OSError, *, shown: str, folder: Path) -> Exception:
    if exc.errno in _SPACE_ERRNOS:
        return OutputWriteError(
            f"{shown}: cannot write into {folder}: {_reason(exc)}{_advice(exc)}"
        )
    if isinstance(exc, PermissionError):
        detail = "permission denied; choose a folder you can write to"
    else:
        detail = _reason(exc)
    return OutputCreateError(f"{shown}: cannot create the output file in {folder}: {detail}")


def _write_error(exc: OSError, *, shown: str, existed: bool) -> Exception:
    kept = "the existing file is unchanged" if existed else "no file was written"
    if exc.errno in _CREATE_ERRNOS and exc.errno not in _SPACE_ERRNOS:
        return OutputCreateError(
            f"{shown}: cannot be put in place: {_reason(exc)} ({kept}); check the file's and "
            "the folder's permissions"
        )
    return OutputWriteError(f"{shown}: error while writing: {_reason(exc)} ({kept}){_advice(exc)}")


def _advice(exc: OSError) -> str:
    if exc.errno in _SPACE_ERRNOS:
        return "; free some space (or write elsewhere) and try again"
    if exc.errno == errno.EIO:
        return "; the device reported an input/output error"
    return ""


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc) or type(exc).__name__).lower()


def _resolved(p: str | os.PathLike[str]) -> str:
    try:
        return os.path.normcase(os.path.realpath(p))
    except (OSError, ValueError):
        return os.path.normcase(os.path.abspath(p))
