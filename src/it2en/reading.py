"""Bytes → text: UTF-8 by default, ``--encoding`` on request, never a silent guess.

The rules, in order:

* Empty input gives ``""``.
* A byte-order mark decides the encoding: UTF-8, UTF-16 (LE/BE) or UTF-32 (LE/BE); the mark
  itself is not part of the text.
* Known binary formats (PNG, PDF, ZIP/DOCX, GIF, JPEG, gzip, ELF, …) and data with NUL bytes
  are refused as binary: translating them would only produce garbage.
* Anything else must be valid UTF-8. When it is not, the error names the offending byte, where
  it is, and which ``--encoding`` would probably read it (charset-normalizer, biased towards the
  encodings Italian text is usually found in). The guess is only ever a suggestion.
* ``encoding=`` replaces the UTF-8 default; its bytes must be valid in that encoding.

Newlines are left exactly as they came ("\\r\\n", "\\r", "\\n", mixed): the renderer writes back
what came in. Control characters other than NUL pass through.
"""

from __future__ import annotations

import codecs
import difflib
import encodings.aliases
import re
import sys
from typing import BinaryIO

from .errors import InputDecodeError, InputMissingError, UsageError

__all__ = ["decode", "read_bytes", "read_input", "STDIN_NAME"]

STDIN_NAME = "<stdin>"

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    # UTF-32 first: its little-endian mark starts with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32-LE"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32-BE"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16-LE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16-BE"),
)

# (signature, offset, what it is). Only signatures that cannot start ordinary text.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "a PNG image"),
    (b"%PDF-", 0, "a PDF file"),
    (b"GIF87a", 0, "a GIF image"),
    (b"GIF89a", 0, "a GIF image"),
    (b"\xff\xd8\xff", 0, "a JPEG image"),
    (b"\x1f\x8b", 0, "a gzip-compressed file"),
    (b"\x7fELF", 0, "an executable (ELF) file"),
    (b"\xfd7zXZ\x00", 0, "an xz-compressed file"),
    (b"7z\xbc\xaf\x27\x1c", 0, "a 7-Zip archive"),
    (b"\x28\xb5\x2f\xfd", 0, "a zstd-compressed file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "an old-style Microsoft Office file (.doc/.xls)"),
    (b"SQLite format 3\x00", 0, "an SQLite database"),
    (b"\xca\xfe\xba\xbe", 0, "a compiled Java class or Mach-O binary"),
    (b"\xcf\xfa\xed\xfe", 0, "a Mach-O executable"),
    (b"\x00asm", 0, "a WebAssembly module"),
    (b"OggS\x00", 0, "an Ogg audio/video file"),
    (b"II*\x00", 0, "a TIFF image"),
    (b"MM\x00*", 0, "a TIFF image"),
)

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")

# Encodings Italian text is commonly found in, most likely first.
_WESTERN = ["cp1252", "iso8859_15", "latin_1", "mac_roman", "cp850"]
_ITALIAN_CHARS = frozenset("àèéìíòóùúÀÈÉÌÍÒÓÙÚ’‘“”«»€…–—°ç")
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v")
_NEWLINE = re.compile(r"\r\n|\r|\n")


# --------------------------------------------------------------------------------------------
# public API


def decode(data: bytes, *, name: str, encoding: str | None = None) -> str:
    """Decode ``data`` (read from ``name``) to text, or raise a domain error.

    ``encoding=None`` means UTF-8, or the encoding a byte-order mark declares. An explicit
    ``encoding`` is used as given (a leading BOM, U+FEFF, is still dropped).

    Raises:
        UsageError: ``encoding`` is not a known text encoding.
        InputDecodeError: the data is binary, or not valid in the encoding used.
    """
    data = bytes(data)
    if encoding is not None:
        codec = _lookup(encoding)
        kind = _binary_kind(data)
        if kind:
            raise _binary_error(name, kind)
        text = _decode_strict(data, codec, name=name, label=encoding, given=True)
        if text.startswith("\ufeff"):
            text = text[1:]
        _refuse_nul_chars(text, name=name, encoding=encoding)
        return text

    if not data:
        return ""

    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            text = _decode_strict(body, codec, name=name, label=label, given=False, skew=len(bom))
            _refuse_nul_chars(text, name=name, encoding=label)
            return text

    kind = _binary_kind(data)
    if kind:
        raise _binary_error(name, kind)

    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputDecodeError(_nul_message(data, nul, name=name))

    return _decode_strict(data, "utf-8", name=name, label="UTF-8", given=False)


def read_input(
    path: str, *, encoding: str | None = None, stdin: BinaryIO | None = None
) -> str:
    """Read and decode one input: a file path, or ``"-"`` for all of standard input.

    ``stdin`` replaces ``sys.stdin.buffer`` (tests, embedding). A text stream is accepted too:
    its text is taken as already decoded (the BOM and NUL checks still apply).

    Raises:
        InputMissingError: the file is missing, a folder, or cannot be read.
        InputDecodeError, UsageError: see :func:`decode`.
    """
    path = str(path)
    if path == "-":
        return _read_stdin(stdin, encoding=encoding)
    return decode(read_bytes(path), name=path, encoding=encoding)


def read_bytes(path: str, *, stdin: BinaryIO | None = None) -> bytes:
    """The bytes of one input (a document package: ``.docx``, ``.odt``), ``"-"`` for standard input.

    Raises:
        InputMissingError: the file is missing, a folder, or cannot be read.
    """
    path = str(path)
    if path == "-":
        stream = stdin if stdin is not None else getattr(sys.stdin, "buffer", None)
        if stream is None:
            raise InputMissingError("standard input is closed; give an input file, or pipe the document in")
        try:
            data = stream.read()
        except (OSError, ValueError) as exc:
            raise InputMissingError(f"standard input: cannot be read ({exc})") from None
        if isinstance(data, str):
            raise UsageError("standard input is a text stream: a .docx or .odt document must be read as bytes")
        return data or b""
    if path == "":
        raise InputMissingError(
            "an empty path was given as an input file: give a file name, or - for standard input"
        )

    shown = _show(path)
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise InputMissingError(
            f"{shown}: no such file; check the path (the current folder is not searched "
            "for near matches), or use - to read standard input"
        ) from None
    except NotADirectoryError:
        raise InputMissingError(
            f"{shown}: no such file: a part of the path before the file name is a file, "
            "not a folder; check the path"
        ) from None
    except IsADirectoryError:
        raise InputMissingError(
            f"{shown}: is a directory, not a file; give the article files inside it "
            f"(for example {shown.rstrip('/')}/*.txt)"
        ) from None
    except PermissionError:
        raise InputMissingError(
            f"{shown}: permission denied while opening it for reading; check the file's "
            "permissions (or read it with: cat FILE | it2en translate -)"
        ) from None
    except OSError as exc:
        raise InputMissingError(
            f"{shown}: cannot be read: {_reason(exc)}; check that the file is accessible"
        ) from None
    except ValueError as exc:  # e.g. an embedded NUL character in the path
        raise InputMissingError(f"{shown}: not a usable file path ({exc})") from None


# --------------------------------------------------------------------------------------------
# helpers


def _read_stdin(stdin: BinaryIO | None, *, encoding: str | None) -> str:
    if stdin is None:
        if sys.stdin is None:
            raise InputMissingError(
                "standard input is closed; give an input file, or pipe the text in"
            )
        stdin = getattr(sys.stdin, "buffer", sys.stdin)
    try:
        data = stdin.read()
    except OSError as exc:
        raise InputMissingError(f"standard input: cannot be read: {_reason(exc)}") from None
    except ValueError as exc:  # read from a closed file
        raise InputMissingError(f"standard input: cannot be read ({exc})") from None
    if data is None:  # a non-blocking stream with nothing ready
        data = b""
    if isinstance(data, str):
        # Already text: only the checks that still mean something.
        if data.startswith("\ufeff"):
            data = data[1:]
        _refuse_nul_chars(data, name=STDIN_NAME, encoding="text")
        return data
    return decode(data, name=STDIN_NAME, encoding=encoding)


def _lookup(encoding: str) -> str:
    """The codec name for ``encoding``, or a UsageError that suggests a close name."""
    try:
        info = codecs.lookup(encoding)
    except (LookupError, TypeError, ValueError):
        known = sorted(set(encodings.aliases.aliases) | set(encodings.aliases.aliases.values()))
        wanted = encoding.lower().replace("-", "_")
        close = difflib.get_close_matches(wanted, known, n=3, cutoff=0.75)
        hint = f"; did you mean {' or '.join(c.replace('_', '-') for c in close)}?" if close else ""
        raise UsageError(
            f"unknown encoding {encoding!r} for --encoding{hint} "
            "(common choices: utf-8, cp1252, latin-1, utf-16)"
        ) from None
    if not getattr(info, "_is_text_encoding", True):
        raise UsageError(
            f"{encoding!r} is not a text encoding; give one such as utf-8, cp1252 or latin-1"
        )
    return info.name


def _decode_strict(
    data: bytes, codec: str, *, name: str, label: str, given: bool, skew: int = 0
) -> str:
    """``data.decode(codec)``, or an InputDecodeError that says where and what is wrong.

    ``skew`` is the length of a BOM already cut off, so offsets count from the file's start.
    """
    try:
        return data.decode(codec)
    except UnicodeDecodeError as err:
        exc = err
        start, end = exc.start, max(exc.end, exc.start + 1)
    except LookupError as exc:  # codecs that cannot decode bytes at all
        raise UsageError(f"--encoding {label}: cannot be used to decode text ({exc})") from None
    except UnicodeError as exc:  # exotic codecs (idna, punycode) that give no position
        raise InputDecodeError(
            f"{_show(name)}: not valid {label}: {exc}. Check the --encoding given."
        ) from None

    bad = data[start:end]
    where = _location(data, start, codec)
    shown = _show(name)
    truncated = end >= len(data) and exc.reason in ("unexpected end of data", "truncated data")
    cut_short = truncated and (codec != "utf-8" or any(b >= 0x80 for b in data[:start]))
    if cut_short:
        what = f"the file ends in the middle of a character: {_noun(bad)} {_hex(bad)}"
    else:
        what = f"{_noun(bad)} {_hex(bad)}"
    message = (
        f"{shown}: not valid {label}: {what} at offset {start + skew} ({where}) "
        "cannot be decoded."
    )
    if given:
        message += (
            f" The file is not in {label}: try another --encoding, or leave --encoding out "
            "to read UTF-8."
        )
    elif codec == "utf-8" and cut_short:
        message += (
            " The text before it is valid UTF-8, so the file looks cut short: check that it "
            "was saved or copied completely."
        )
    elif codec == "utf-8" and not skew:
        message += " " + _utf8_advice(data, start)
    else:
        message += (
            f" The file starts with a {label} byte-order mark but is not valid {label} "
            "after it: it is damaged, or the mark is wrong."
        )
    raise InputDecodeError(message)


def _noun(bad: bytes) -> str:
    return "byte" if len(bad) == 1 else "bytes"


def _utf8_advice(data: bytes, start: int) -> str:
    if any(b >= 0x80 for b in data[:start]):
        return (
            "The text before it is valid UTF-8 with accented characters, so the file probably "
            "mixes encodings, and any --encoding would garble one part: re-save the file as "
            "UTF-8, fixing the characters around this place."
        )
    suggestion = _suggest_encoding(data)
    if suggestion:
        return (
            f"It looks like {suggestion}: try --encoding {suggestion} "
            "(or re-save the file as UTF-8)."
        )
    return (
        "Give the file's encoding with --encoding (for example --encoding cp1252 for text "
        "saved on Windows), or re-save it as UTF-8."
    )


def _suggest_encoding(data: bytes) -> str | None:
    """A likely encoding for ``data`` (which is not UTF-8), for a message only; or None."""
    sample = data if len(data) <= 4_000_000 else data[:2_000_000] + data[-1_000_000:]
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        from_bytes = None

    candidates: list[str] = []
    if from_bytes is not None:
        try:
            western = [m.encoding for m in from_bytes(sample, cp_isolation=_WESTERN)]
            candidates.extend(western)
        except Exception:  # noqa: BLE001 - only a hint; never let it mask the real error
            pass
    # Whatever charset-normalizer made of it, rank the Western candidates for Italian text.
    ranked: list[tuple[int, int, str]] = []
    for order, enc in enumerate(dict.fromkeys(candidates + _WESTERN)):
        try:
            text = sample.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        score = _italian_score(text)
        if score > 0:
            ranked.append((score, -order, enc))
    if ranked:
        return _friendly(max(ranked)[2])

    # Not Western: charset-normalizer alone, when there is enough to go on (a few stray bytes
    # give it nothing to judge, and a wrong hint is worse than none).
    if from_bytes is not None and sum(b >= 0x80 for b in sample[:65536]) >= 8:
        try:
            best = from_bytes(sample).best()
        except Exception:  # noqa: BLE001 - only a hint
            best = None
        if best is not None and best.encoding not in ("utf_8", "ascii"):
            try:
                data.decode(best.encoding)
            except (UnicodeDecodeError, LookupError):
                return None
            return _friendly(best.encoding)
    return None


def _italian_score(text: str) -> int:
    score = 0
    for ch in text:
        if ch < "\x80":
            if ch < " " and ch not in _ALLOWED_CONTROLS:
                score -= 5
        elif ch in _ITALIAN_CHARS:
            score += 3
        elif "\x80" <= ch <= "\x9f":
            score -= 5  # C1 controls: the wrong single-byte code page
        elif ch.isalpha():
            score -= 2  # letters Italian does not use: probably another alphabet
        else:
            score -= 2
    return score


def _friendly(codec: str) -> str:
    return {"latin_1": "latin-1", "iso8859_15": "iso-8859-15", "mac_roman": "mac-roman"}.get(
        codec, codec.replace("_", "-")
    )


def _location(data: bytes, start: int, codec: str) -> str:
    """``line L, column C, after "…"`` for the byte at ``start`` (the prefix decodes cleanly)."""
    try:
        prefix = data[:start].decode(codec, errors="replace")
    except (UnicodeError, LookupError):  # a codec without error handlers
        return f"after {start} bytes"
    lines = _NEWLINE.split(prefix)
    line_text = lines[-1]
    where = f"line {len(lines)}, column {len(line_text) + 1}"
    tail = line_text[-20:].strip()
    if tail:
        where += f", after {_quote(tail)}"
    return where


def _quote(text: str) -> str:
    out = []
    for ch in text:
        if ch < " " or "\x7f" <= ch <= "\x9f":
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "“" + "".join(out) + "”"


def _hex(bad: bytes) -> str:
    return " ".join(f"0x{b:02X}" for b in bad[:8]) + (" …" if len(bad) > 8 else "")


def _binary_kind(data: bytes) -> str | None:
    """What binary format ``data`` is, from its first bytes; None when it may be text."""
    head = data[:64]
    if head.startswith(_ZIP_MAGIC):
        return _zip_kind(data)
    if head.startswith(b"BZh") and head[3:4].isdigit() and head[4:10] == b"1AY&SY":
        return "a bzip2-compressed file"
    if head.startswith(b"RIFF") and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return {b"WEBP": "a WebP image", b"WAVE": "a WAV audio file", b"AVI ": "an AVI video"}[
            head[8:12]
        ]
    if head[:2] == b"\x00\x00" and head[4:8] == b"ftyp":
        return "an MP4/QuickTime video or audio file"
    for magic, offset, kind in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return kind
    return None


def _zip_kind(data: bytes) -> str:
    head = data[:4096]
    if b"word/" in head:
        return "a Word document (.docx, a ZIP archive)"
    if b"xl/" in head or b"ppt/" in head:
        return "an Office document (a ZIP archive)"
    if b"[Content_Types].xml" in head:
        return "an Office document (.docx/.xlsx/.pptx, a ZIP archive)"
    if b"application/epub+zip" in head:
        return "an EPUB e-book (a ZIP archive)"
    if b"application/vnd.oasis.opendocument" in head:
        return "an OpenDocument file (.odt, a ZIP archive)"
    return "a ZIP archive"


def _binary_error(name: str, kind: str) -> InputDecodeError:
    hint = ""
    if "Word document" in kind or "OpenDocument" in kind:
        hint = (" it2en reads .docx and .odt documents by their suffix, or with --input-format docx|odt;"
                " other office files: export them as .docx, .odt or plain text first.")
    elif "old-style" in kind:
        hint = (" A Word .doc must be converted to .docx first, which it2en reads: for example"
                " soffice --headless --convert-to docx FILE.doc")
    elif "Office" in kind or "EPUB" in kind:
        hint = " Export or save it as plain text (.txt) first."
    elif "PDF" in kind:
        hint = " Extract its text first (for example with pdftotext) and translate that."
    elif "compressed" in kind:
        hint = " Decompress it first."
    return InputDecodeError(
        f"{_show(name)}: looks binary, not text: it is {kind}. it2en translates plain text "
        f"(UTF-8, or another encoding given with --encoding).{hint}"
    )


def _nul_message(data: bytes, nul: int, *, name: str) -> str:
    shown = _show(name)
    utf16 = _utf16_without_bom(data)
    if utf16:
        return (
            f"{shown}: contains NUL bytes (the first at offset {nul}); it looks like {utf16} "
            f"text without a byte-order mark: try --encoding {utf16.lower()}."
        )
    return (
        f"{shown}: looks binary, not text: it contains a NUL byte at offset {nul}. "
        "it2en translates plain text; if this is text in UTF-16 or UTF-32, give it with "
        "--encoding."
    )


def _utf16_without_bom(data: bytes) -> str | None:
    """'UTF-16-LE'/'UTF-16-BE' when ``data`` looks like BOM-less UTF-16 of Latin text."""
    sample = data[:4096]
    sample = sample[: len(sample) // 2 * 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    half = len(sample) // 2
    for zeros, other, label in ((odd, even, "UTF-16-LE"), (even, odd, "UTF-16-BE")):
        if zeros.count(0) >= 0.9 * half and other.count(0) <= 0.05 * half:
            try:
                data[: len(data) // 2 * 2].decode(label.lower())
            except UnicodeDecodeError:
                return None
            return label
    return None


def _refuse_nul_chars(text: str, *, name: str, encoding: str) -> None:
    nul = text.find("\x00")
    if nul >= 0:
        raise InputDecodeError(
            f"{_show(name)}: looks binary, not text: decoded as {encoding} it contains a NUL "
            f"character (character {nul}). Check the file and the --encoding given."
        )


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc) or type(exc).__name__).lower()


def _show(name: str) -> str:
    """A path as shown in messages: as given, with unprintable characters escaped."""
    if name == STDIN_NAME:
        return "standard input"
    if name.isprintable():
        return name
    return ascii(name)[1:-1]
