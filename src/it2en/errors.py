"""Domain errors, each carrying the exit code the CLI turns it into."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit statuses; values follow BSD sysexits.h where one fits."""

    OK = 0
    BATCH_PARTIAL = 1  # some inputs of a batch failed; the others were written
    USAGE = 2  # bad flags or arguments (Click's own usage status)
    DATA_ERROR = 65  # EX_DATAERR: input is not decodable text (binary, wrong encoding)
    NO_INPUT = 66  # EX_NOINPUT: input missing or unreadable
    UNAVAILABLE = 69  # EX_UNAVAILABLE: model not cached while offline, unknown, or broken
    SOFTWARE = 70  # EX_SOFTWARE: internal error (a bug)
    CANT_CREATE = 73  # EX_CANTCREAT: output file or folder cannot be created
    IO_ERROR = 74  # EX_IOERR: error while writing
    NO_HOST = 68  # EX_NOHOST: a web address's host name does not resolve (DNS)
    TEMP_FAIL = 75  # EX_TEMPFAIL: a web page did not come in time; trying later may work
    PROTOCOL = 76  # EX_PROTOCOL: the web server answered with an error status (4xx, 5xx) or looped redirects
    FLAGGED = 3  # --strict: translations were written but some segments were flagged
    BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of stdout went away (`| head`); quiet, as `cat` does
    INTERRUPTED = 130  # 128 + SIGINT
    TERMINATED = 143  # 128 + SIGTERM


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, short enough for a one-line user message."""
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else "no detail"


class It2enError(Exception):
    """An error meant for the user: its message is printed as is, without a traceback."""

    exit_code: ExitCode = ExitCode.SOFTWARE


class UsageError(It2enError):
    exit_code = ExitCode.USAGE


class InputDecodeError(It2enError):
    exit_code = ExitCode.DATA_ERROR


class GlossaryError(It2enError):
    """A glossary file with problems (empty terms, duplicates, conflicts, bad syntax)."""

    exit_code = ExitCode.DATA_ERROR


class InputMissingError(It2enError):
    exit_code = ExitCode.NO_INPUT


class ModelUnavailableError(It2enError):
    exit_code = ExitCode.UNAVAILABLE


class CheckpointRefusedError(ModelUnavailableError):
    """A checkpoint that does not fit its config (a tensor missing, unexpected or misshapen):
    every engine refuses it, so there is nothing to fall back to."""


class OutputCreateError(It2enError):
    exit_code = ExitCode.CANT_CREATE


class OutputWriteError(It2enError):
    exit_code = ExitCode.IO_ERROR


class MemoryDataError(It2enError):
    """The translation memory (or a file to import into it) is not what it should be."""

    exit_code = ExitCode.DATA_ERROR


class MemoryAccessError(It2enError):
    """The translation memory cannot be read or written: read-only, locked, disk full."""

    exit_code = ExitCode.IO_ERROR


class ExtraMissingError(It2enError):
    """An optional extra (``it2en[scale]``) that a command needs is not installed."""

    exit_code = ExitCode.UNAVAILABLE


class HostNotFoundError(It2enError):
    """A web address whose host name does not resolve (DNS failure)."""

    exit_code = ExitCode.NO_HOST


class NetworkError(It2enError):
    """A web server that cannot be reached at all: no network, connection refused."""

    exit_code = ExitCode.UNAVAILABLE


class FetchTimeoutError(It2enError):
    """A web page that did not come within the time allowed."""

    exit_code = ExitCode.TEMP_FAIL


class HttpStatusError(It2enError):
    """A web server that answered with an error status (4xx, 5xx), or redirects without end."""

    exit_code = ExitCode.PROTOCOL


class NotHtmlError(It2enError):
    """An address that gives something else than a web page (a PDF, an image)."""

    exit_code = ExitCode.DATA_ERROR


class PageTooBigError(It2enError):
    """A web page larger than the size allowed."""

    exit_code = ExitCode.DATA_ERROR


class NoArticleError(It2enError):
    """A web page in which no article is found (paywall, login wall, page built by JavaScript)."""

    exit_code = ExitCode.NO_INPUT
