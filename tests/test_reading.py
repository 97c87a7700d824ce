"""reading: bytes → text, with every refusal explained and nothing guessed silently."""

from __future__ import annotations

import codecs
import errno
import io
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from it2en import reading
from it2en.errors import ExitCode, InputDecodeError, InputMissingError, UsageError
from it2en.reading import decode, read_input

ITALIAN = (
    "L’Italia è “bella”: perché è così?\n"
    "«Non c’è più tempo» — ha detto il ministro. Città, università, caffè.\n"
)


# --- UTF-8 and byte-order marks ------------------------------------------------------------


def test_utf8_plain():
    assert decode(ITALIAN.encode("utf-8"), name="a.txt") == ITALIAN


def test_utf8_bom_is_stripped():
    assert decode(codecs.BOM_UTF8 + ITALIAN.encode("utf-8"), name="a.txt") == ITALIAN


@pytest.mark.parametrize(
    "bom, codec",
    [
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
)
def test_unicode_with_bom(bom, codec):
    text = ITALIAN.replace("\n", "\r\n")
    assert decode(bom + text.encode(codec), name="a.txt") == text


def test_bom_only_and_empty():
    assert decode(b"", name="a.txt") == ""
    assert decode(codecs.BOM_UTF8, name="a.txt") == ""
    assert decode(codecs.BOM_UTF16_LE, name="a.txt") == ""
    assert decode(b"", name="a.txt", encoding="cp1252") == ""


def test_whitespace_only_kept():
    for text in [" ", "\n", "\n\n\n", " \t \r\n  \n", "\u00a0\u2003\n"]:
        assert decode(text.encode("utf-8"), name="a.txt") == text


@pytest.mark.parametrize(
    "text",
    [
        "uno\r\ndue\r\n\r\ntre\r\n",
        "uno\rdue\r\rtre",
        "uno\r\ndue\ntre\rquattro\n\r\n",
        "senza a capo finale",
        "spazi finali   \n\t\n",
        "tab\tvertical\x0bformfeed\x0cescape\x1b[0m\x7f",
    ],
)
def test_newlines_and_controls_kept_exactly(text):
    assert decode(text.encode("utf-8"), name="a.txt") == text
    assert decode(codecs.BOM_UTF16_LE + text.encode("utf-16-le"), name="a.txt") == text
    assert decode(text.encode("cp1252"), name="a.txt", encoding="cp1252") == text


# --- wrong encodings: an error that says where, and what to try -----------------------------


def test_cp1252_refused_with_offset_byte_and_suggestion():
    data = "Titolo\nL’Italia è “bella” perché è così.\n".encode("cp1252")
    with pytest.raises(InputDecodeError) as info:
        decode(data, name="articolo.txt")
    message = str(info.value)
    assert info.value.exit_code == ExitCode.DATA_ERROR == 65
    assert "articolo.txt" in message
    assert "offset 8" in message and "0x92" in message
    assert "line 2, column 2" in message
    assert "--encoding cp1252" in message
    assert "Traceback" not in message


def test_latin1_refused_with_suggestion():
    data = "Perché la città è già pronta, però più tardi.\n".encode("latin-1")
    with pytest.raises(InputDecodeError) as info:
        decode(data, name="a.txt")
    message = str(info.value)
    assert "offset 5" in message and "0xE9" in message
    assert "--encoding" in message
    assert "cp1252" in message or "latin-1" in message or "iso-8859-15" in message


def test_suggestion_is_never_applied_silently():
    data = "caffè".encode("cp1252")
    with pytest.raises(InputDecodeError) as info:
        decode(data, name="a.txt")
    assert "--encoding cp1252" in str(info.value)


def test_mixed_utf8_and_cp1252_explains_mixed():
    data = "città ".encode("utf-8") + "perché no".encode("cp1252")
    with pytest.raises(InputDecodeError) as info:
        decode(data, name="a.txt")
    message = str(info.value)
    assert "offset 12" in message and "mixes encodings" in message


def test_truncated_utf8_says_cut_short():
    data = "città è".encode("utf-8")[:-1]
    with pytest.raises(InputDecodeError) as info:
        decode(data, name="a.txt")
    assert "cut short" in str(info.value)


def test_non_western_text_gets_no_western_hint():
    data = ("Привет, как дела? Это тест для перевода.\n" * 3).encode("cp1251")
    with pytest.raises(InputDecodeError) as info:
        decode(data, name="a.txt")
    assert "cp1252" not in str(info.value)


def test_explicit_encoding_cp1252_and_latin1():
    text = "L’Italia è “bella” perché costa 5 €.\r\n"
    assert decode(text.encode("cp1252"), name="a.txt", encoding="cp1252") == text
    text = "Perché la città è già pronta.\n"
    assert decode(text.encode("latin-1"), name="a.txt", encoding="latin-1") == text
    assert decode(text.encode("latin-1"), name="a.txt", encoding="ISO-8859-1") == text


def test_explicit_encoding_strips_bom():
    assert decode(codecs.BOM_UTF8 + b"ciao", name="a.txt", encoding="utf-8") == "ciao"
    assert decode("\ufeffciao".encode("utf-16"), name="a.txt", encoding="utf-16") == "ciao"


def test_explicit_encoding_invalid_bytes():
    data = b"abc\n de\x81f"
    with pytest.raises(InputDecodeError) as info:
        decode(data, name="a.txt", encoding="cp1252")
    message = str(info.value)
    assert "offset 7" in message and "0x81" in message and "cp1252" in message
    assert "line 2" in message


def test_explicit_encoding_unknown_is_usage_error():
    with pytest.raises(UsageError) as info:
        decode(b"ciao", name="a.txt", encoding="cp1225")
    assert info.value.exit_code == 2
    assert "cp1225" in str(info.value) and "did you mean" in str(info.value)
    with pytest.raises(UsageError):
        decode(b"ciao", name="a.txt", encoding="base64")
    with pytest.raises(UsageError):
        decode(b"", name="a.txt", encoding="no-such-thing")


def test_utf8_bom_then_cp1252_is_called_damaged_not_guessed():
    data = codecs.BOM_UTF8 + "perché".encode("cp1252") + b" e poi"
    with pytest.raises(InputDecodeError) as info:
        decode(data, name="a.txt")
    assert "offset 8" in str(info.value) and "byte-order mark" in str(info.value)


def test_damaged_utf16_with_bom():
    data = codecs.BOM_UTF16_LE + "ciao".encode("utf-16-le") + b"\x00\xd8"  # lone surrogate
    with pytest.raises(InputDecodeError) as info:
        decode(data, name="a.txt")
    assert "UTF-16-LE" in str(info.value) and "offset 10" in str(info.value)


# --- binary input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, kind",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF file"),
        (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 22 + b"[Content_Types].xml", ".docx"),
        (b"PK\x03\x04" + b"\x00" * 26 + b"word/document.xml", "Word document"),
        (b"PK\x03\x04" + b"\x00" * 26 + b"mimetypeapplication/epub+zip", "EPUB"),
        (b"GIF89a\x01\x00", "a GIF image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "a JPEG image"),
        (b"\x1f\x8b\x08\x00", "gzip"),
        (b"\x7fELF\x02\x01\x01", "ELF"),
    ],
)
def test_binary_signatures_refused(data, kind):
    with pytest.raises(InputDecodeError) as info:
        decode(data, name="x.bin")
    message = str(info.value)
    assert "looks binary" in message and kind in message and "x.bin" in message
    # an explicit encoding does not make an image text
    with pytest.raises(InputDecodeError):
        decode(data, name="x.bin", encoding="latin-1")


def test_nul_bytes_refused():
    with pytest.raises(InputDecodeError) as info:
        decode(b"testo\x00con NUL", name="a.txt")
    assert "NUL" in str(info.value) and "offset 5" in str(info.value)
    with pytest.raises(InputDecodeError):
        decode(b"testo\x00", name="a.txt", encoding="cp1252")
    with pytest.raises(InputDecodeError):
        decode(codecs.BOM_UTF16_LE + "a\x00b".encode("utf-16-le"), name="a.txt")


def test_utf16_without_bom_gets_a_suggestion_not_a_guess():
    data = "Perché la città è bella.\n".encode("utf-16-le")
    with pytest.raises(InputDecodeError) as info:
        decode(data, name="a.txt")
    assert "--encoding utf-16-le" in str(info.value)
    assert decode(data, name="a.txt", encoding="utf-16-le") == "Perché la città è bella.\n"


def test_text_starting_like_a_signature_word_is_text():
    for text in ["PK e amici\n", "BZh, strano\n", "MZ titolo\n", "RIFF\n", "GIF animate\n"]:
        assert decode(text.encode(), name="a.txt") == text


# --- read_input ---------------------------------------------------------------------------


def test_read_file(tmp_path):
    path = tmp_path / "articolo.txt"
    path.write_bytes(codecs.BOM_UTF8 + ITALIAN.replace("\n", "\r\n").encode())
    assert read_input(str(path)) == ITALIAN.replace("\n", "\r\n")


def test_read_file_with_encoding(tmp_path):
    path = tmp_path / "vecchio.txt"
    path.write_bytes(ITALIAN.encode("cp1252"))
    with pytest.raises(InputDecodeError) as info:
        read_input(str(path))
    assert str(path) in str(info.value)
    assert read_input(str(path), encoding="cp1252") == ITALIAN


def test_missing_file(tmp_path):
    path = tmp_path / "nessuno.txt"
    with pytest.raises(InputMissingError) as info:
        read_input(str(path))
    assert info.value.exit_code == 66
    assert str(path) in str(info.value) and "no such file" in str(info.value)


def test_directory(tmp_path):
    with pytest.raises(InputMissingError) as info:
        read_input(str(tmp_path))
    assert str(tmp_path) in str(info.value) and "is a directory" in str(info.value)


def test_path_under_a_file(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    path = tmp_path / "file.txt" / "sotto.txt"
    with pytest.raises(InputMissingError) as info:
        read_input(str(path))
    assert str(path) in str(info.value) and "no such file" in str(info.value)


def test_empty_path():
    with pytest.raises(InputMissingError):
        read_input("")


def _raising_open(exc):
    def fake_open(*args, **kwargs):
        raise exc

    return fake_open


def test_permission_denied(tmp_path, monkeypatch):
    # Tests may run as root, where chmod does not block reading: fake the OS's answer.
    path = tmp_path / "segreto.txt"
    path.write_text("x")
    err = PermissionError(errno.EACCES, "Permission denied", str(path))
    monkeypatch.setattr(reading, "open", _raising_open(err), raising=False)
    with pytest.raises(InputMissingError) as info:
        read_input(str(path))
    assert str(path) in str(info.value) and "permission denied" in str(info.value)


def test_other_os_error(tmp_path, monkeypatch):
    path = tmp_path / "rotto.txt"
    err = OSError(errno.EIO, "Input/output error", str(path))
    monkeypatch.setattr(reading, "open", _raising_open(err), raising=False)
    with pytest.raises(InputMissingError) as info:
        read_input(str(path))
    assert str(path) in str(info.value) and "input/output error" in str(info.value)


def test_stdin_bytes():
    data = codecs.BOM_UTF8 + "riga uno\r\nriga due".encode()
    assert read_input("-", stdin=io.BytesIO(data)) == "riga uno\r\nriga due"


def test_stdin_default_is_sys_stdin_buffer(monkeypatch):
    raw = io.TextIOWrapper(io.BytesIO("perché\n".encode("cp1252")), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", raw)
    assert read_input("-", encoding="cp1252") == "perché\n"


def test_stdin_errors_name_stdin():
    with pytest.raises(InputDecodeError) as info:
        read_input("-", stdin=io.BytesIO("è".encode("cp1252")))
    assert "standard input" in str(info.value)


def test_stdin_text_stream_and_closed(monkeypatch):
    assert read_input("-", stdin=io.StringIO("già\n")) == "già\n"
    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(InputMissingError):
        read_input("-")


# --- properties ---------------------------------------------------------------------------

PREFIXES = [b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE,
            b"%PDF-", b"PK\x03\x04"]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=200),
        st.tuples(st.sampled_from(PREFIXES), st.binary(max_size=100)).map(b"".join),
    ),
    st.sampled_from([None, None, None, "cp1252", "latin-1", "utf-16", "utf-8"]),
)
def test_fuzz_decode_gives_text_or_a_decode_error(data, encoding):
    try:
        text = decode(data, name="fuzz.bin", encoding=encoding)
    except InputDecodeError as exc:
        assert "fuzz.bin" in str(exc)
    else:
        assert isinstance(text, str) and "\x00" not in text


@FUZZ
@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufeff"),
        max_size=200,
    )
)
def test_fuzz_utf8_and_utf16_round_trip(text):
    if reading._binary_kind(text.encode("utf-8")) is None:
        assert decode(text.encode("utf-8"), name="t") == text
    assert decode(codecs.BOM_UTF16_LE + text.encode("utf-16-le"), name="t") == text
