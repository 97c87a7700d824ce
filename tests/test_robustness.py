"""Difficult input, each case through the CLI: what comes out, the exit status, no traceback.

Cases that only need to see what the model is given or what becomes of its answer run with
a fake engine (``engine_cli``); those about real decoding run with the tiny random model
(``translate_cli``), whose words mean nothing: the tests check layout, frames, flags and
statuses, never wording.
"""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from conftest import Recorder

from it2en import ArticleTranslator, pipeline, writing
from it2en.engines import IdentityTranslator
from it2en.errors import ExitCode

README = Path(__file__).resolve().parents[1] / "README.md"
NEWLINE = re.compile(r"\r\n|\r|\n")
TOKEN = re.compile(r"\b[A-Z]\d+\b")  # a placeholder token, as placeholders.py writes them


def segments(result) -> list[dict]:
    return [s for b in json.loads(result.stdout)["blocks"] for s in b["segments"]]


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.split("\n") if line.startswith("it2en: warning: ")]


# ----------------------------------------------------------------------------- empty, binary, encodings


@pytest.mark.parametrize("content", [b"", b"   \n\t\n\r\n  "])
def test_empty_or_blank_input_comes_back_as_it_is(engine_cli, tmp_path, content):
    (tmp_path / "vuoto.txt").write_bytes(content)
    engine = Recorder()
    result = engine_cli(engine, "vuoto.txt")
    assert result.exit_code == 0 and result.stdout_bytes == content and result.stderr == ""
    as_json = engine_cli(engine, "vuoto.txt", "-f", "json")
    assert as_json.exit_code == 0 and json.loads(as_json.stdout)["blocks"] == []
    assert engine.seen == []


@pytest.mark.parametrize(
    "content",
    [b"Una frase\x00 con un NUL.\n", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
     b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"],
    ids=["nul", "png", "pdf"],
)
def test_binary_input_exits_65(engine_cli, tmp_path, content):
    (tmp_path / "file.txt").write_bytes(content)
    result = engine_cli(Recorder(), "file.txt")
    assert result.exit_code == 65 and result.stdout == ""
    assert "binary" in result.stderr and "file.txt" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


def test_utf16_with_bom_is_decoded_and_translated(translate_cli, tmp_path):
    text = "Perché l’Italia è così?\n\nÈ una domanda.\n"
    (tmp_path / "u16.txt").write_bytes(text.encode("utf-16"))  # with its BOM
    result = translate_cli("u16.txt", "-f", "json")
    assert result.exit_code == 0, result.stderr
    found = segments(result)
    assert [s["source"] for s in found] == ["Perché l’Italia è così?", "È una domanda."]
    assert all(s["target"] and s["target"] != s["source"] for s in found)


def test_cp1252_needs_encoding_and_works_with_it(translate_cli, tmp_path):
    (tmp_path / "vecchio.txt").write_bytes("Il caffè costa 2 €.\n".encode("cp1252"))
    refused = translate_cli("vecchio.txt")
    assert refused.exit_code == 65 and refused.stdout == ""
    assert "offset 7" in refused.stderr and "--encoding cp1252" in refused.stderr
    assert "Traceback" not in refused.stderr
    result = translate_cli("vecchio.txt", "--encoding", "cp1252", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert [s["source"] for s in segments(result)] == ["Il caffè costa 2 €."]


# ----------------------------------------------------------------------------- layout


def test_newlines_tabs_and_trailing_spaces_are_kept(translate_cli, tmp_path):
    source = ("Titolo\r\n\r\nUna frase.\tDue frasi.  \nTre parole qui.\rQuattro.\r\n\r\n"
              "\tRientro con tab. \t\n\n- voce uno\r\n- voce due  ")
    (tmp_path / "righe.txt").write_bytes(source.encode("utf-8"))
    result = translate_cli("righe.txt", "-q")
    assert result.exit_code == 0, result.stderr
    out = result.stdout_bytes.decode("utf-8")
    assert NEWLINE.findall(out) == NEWLINE.findall(source)
    src_lines, out_lines = NEWLINE.split(source), NEWLINE.split(out)
    for src, got in zip(src_lines, out_lines, strict=True):
        assert re.match(r"[ \t]*(- )?", got).group(0) == re.match(r"[ \t]*(- )?", src).group(0)
        assert re.search(r"[ \t]*\Z", got).group(0) == re.search(r"[ \t]*\Z", src).group(0)
        assert bool(got.strip()) == bool(src.strip())
    assert out_lines[2].count("\t") == 1  # the tab between the two sentences


# ----------------------------------------------------------------------------- long lines


def test_a_100000_character_line_loses_nothing():
    words = "la casa il gatto un cane la strada il mare una città il governo la scuola e poi".split()
    line = " ".join(f"{words[i % len(words)]}{i}" for i in range(20000))[:99_999] + "."
    assert len(line) == 100_000
    engine = Recorder()
    english = ArticleTranslator(engine=engine).translate_text(line)
    assert english == line  # identity: every character back, in place
    assert len(engine.seen) > 50 and max(map(pipeline.estimate_tokens, engine.seen)) <= pipeline.DEFAULT_SEGMENT_TOKENS


def test_a_100000_character_line_through_the_cli_reports_the_split(engine_cli, tmp_path):
    line = " ".join(f"parola{i % 97}" for i in range(12500))[:99_999] + "x"
    (tmp_path / "riga.txt").write_text(line, encoding="utf-8")
    result = engine_cli(IdentityTranslator(), "riga.txt", "-f", "json")
    assert result.exit_code == 0, result.stderr
    found = segments(result)
    assert len(found) > 50 and all(s.get("split") is True and s["target"] == s["source"] for s in found)
    assert " ".join(s["source"] for s in found) == line
    lines = warnings(result.stderr)
    assert len(lines) == len(found) and all(": split: " in w or ": split," in w for w in lines)


def test_600_words_without_punctuation_are_translated_in_pieces(translate_cli, tmp_path, monkeypatch):
    # A smaller token budget than opus-mt's (256) keeps the tiny model's run short: the
    # pieces are cut by the real tokenizer's count, as they would be at full size.
    monkeypatch.setattr(pipeline, "DEFAULT_SEGMENT_TOKENS", 48)
    words = [("casa", "gatto", "strada", "mare", "città", "governo", "scuola", "legge")[i % 8] for i in range(600)]
    (tmp_path / "lungo.txt").write_text(" ".join(words) + "\n", encoding="utf-8")
    result = translate_cli("lungo.txt", "-f", "json")
    assert result.exit_code == 0, result.stderr
    found = segments(result)
    assert len(found) >= 5
    assert " ".join(s["source"] for s in found).split() == words  # nothing truncated
    assert all(s["split"] is True and "split" in s["flags"] and s["target"] for s in found)
    assert len(warnings(result.stderr)) == len(found)
    assert all("lungo.txt: segment " in w and "split" in w for w in warnings(result.stderr))


# ----------------------------------------------------------------------------- capitals, placeholders


def test_a_headline_in_capitals_is_seen_in_sentence_case(engine_cli, tmp_path):
    (tmp_path / "urla.txt").write_text("IL GOVERNO APPROVA LA LEGGE SUL LAVORO\n\nIl testo è passato ieri.\n",
                                       encoding="utf-8")
    engine = Recorder(lambda s: "The government approves the labour law" if s.startswith("Il governo") else s)
    result = engine_cli(engine, "urla.txt")
    assert result.exit_code == 0, result.stderr
    assert "Il governo approva la legge sul lavoro" in engine.seen
    assert not any(s.isupper() for s in engine.seen)
    assert result.stdout.split("\n")[0] == "THE GOVERNMENT APPROVES THE LABOUR LAW"


def test_a_headline_in_capitals_comes_back_in_capitals(translate_cli, tmp_path):
    (tmp_path / "urla.txt").write_text("IL GOVERNO APPROVA LA LEGGE\n\nIl testo è passato ieri.\n", encoding="utf-8")
    result = translate_cli("urla.txt", "-q")
    assert result.exit_code == 0, result.stderr
    headline, blank, body = result.stdout.split("\n")[:3]
    assert headline == headline.upper() and re.search(r"[A-Z]", headline) and blank == ""
    assert body != body.upper()


VERBATIM = ["https://www.esempio.it/pagina?id=3&x=1", "mario.rossi@esempio.it", "@MarioRossi",
            "#Italia2024", "1.000,50 €", "5,9%", "17.500"]
ENGLISH = VERBATIM[:4] + ["€1,000.50", "5.9%", "17,500"]  # numbers come back in English form
SENTENCE = ("Leggi https://www.esempio.it/pagina?id=3&x=1 o scrivi a mario.rossi@esempio.it, segui @MarioRossi "
            "e #Italia2024: costa 1.000,50 € con il 5,9% in più su 17.500 copie.")


def test_urls_addresses_handles_and_amounts_come_back_verbatim(engine_cli, tmp_path):
    (tmp_path / "link.txt").write_text(SENTENCE + "\n", encoding="utf-8")
    # A "translation" that rewrites every word and keeps only the placeholder tokens.
    engine = Recorder(lambda s: "Read " + " and ".join(TOKEN.findall(s)) + ".")
    result = engine_cli(engine, "link.txt", "-f", "json")
    assert result.exit_code == 0, result.stderr
    for span in VERBATIM:
        assert not any(span in seen for seen in engine.seen), span  # masked before the model
    (segment,) = segments(result)
    assert segment["target"].startswith("Read ")
    for span in ENGLISH:
        assert span in segment["target"], span
    assert "placeholder_lost" not in segment["flags"]


def test_a_placeholder_the_model_drops_is_rescued_and_flagged(engine_cli, tmp_path):
    (tmp_path / "link.txt").write_text(SENTENCE + "\n", encoding="utf-8")
    engine = Recorder(lambda s: TOKEN.sub("", s).replace("Leggi", "Read"))
    result = engine_cli(engine, "link.txt", "-f", "json")
    assert result.exit_code == 0, result.stderr
    (segment,) = segments(result)
    assert "placeholder_rescued" in segment["flags"] and "placeholder_lost" not in segment["flags"]
    for span in ENGLISH:
        assert span in segment["target"], span
    assert any("placeholder_rescued" in w for w in warnings(result.stderr))
    strict = engine_cli(engine, "link.txt", "--strict", "-q")
    assert strict.exit_code == ExitCode.FLAGGED


# ----------------------------------------------------------------------------- odd characters


ODD = ("Titolo 😀 con emoji 🇮🇹\n\n---\n\n***\n\n…\n\n* * *\n\n!!!\n\n"
       "Una frase\x07 con\x1b[31m controlli\x0b strani\x0c qui. Poi\u2028 una riga\x85 nuova.\n\n"
       "— Fine 👍\n")
PUNCTUATION_ONLY = ["---", "***", "…", "* * *", "!!!"]


def test_emoji_controls_and_punctuation_lines(engine_cli, tmp_path):
    (tmp_path / "strano.txt").write_text(ODD, encoding="utf-8")
    engine = Recorder(lambda s: "")  # every answer flagged: warnings for every sentence
    result = engine_cli(engine, "strano.txt")
    assert result.exit_code == 0, result.stderr
    for line in PUNCTUATION_ONLY:
        assert line + "\n" in result.stdout
    assert all(re.search(r"[^\W\d_]", seen) for seen in engine.seen)
    # Warnings: one line each, control characters shown escaped, never sent to the terminal.
    lines = warnings(result.stderr)
    assert len(lines) == 4
    assert result.stderr.splitlines() == lines + ["it2en: 4 of 4 sentences need review"]  # each flagged
    assert all(re.match(r"it2en: warning: strano\.txt: segment \d+: ", w) for w in lines)
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]", result.stderr)
    assert "\\x1b[31m" in result.stderr


def test_emoji_controls_and_punctuation_lines_with_the_model(translate_cli, tmp_path):
    (tmp_path / "strano.txt").write_text(ODD, encoding="utf-8")
    result = translate_cli("strano.txt", "-q")
    assert result.exit_code == 0, result.stderr
    for line in PUNCTUATION_ONLY:
        assert line + "\n" in result.stdout


def test_text_already_in_english_is_kept(engine_cli, tmp_path):
    (tmp_path / "misto.txt").write_text(
        "The government approved the new law on Tuesday.\n\nIl governo ha approvato la legge.\n", encoding="utf-8")
    engine = Recorder(lambda s: s.upper()[::-1])  # garbles whatever it is given
    result = engine_cli(engine, "misto.txt", "-f", "json")
    assert result.exit_code == 0, result.stderr
    english, italian = segments(result)
    assert english["target"] == english["source"] and english["flags"] == ["kept_english"]
    assert italian["target"] != italian["source"]
    assert engine.seen and all("government" not in s for s in engine.seen)
    assert not any("kept_english" in w for w in warnings(result.stderr))


# ----------------------------------------------------------------------------- outputs


def test_output_is_replaced_atomically_or_not_at_all(engine_cli, tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text("Una frase.\n", encoding="utf-8")
    target = tmp_path / "out" / "a.en.txt"
    target.parent.mkdir()
    target.write_text("OLD\n")
    real_write_all = writing._write_all

    def half_then_full_disk(fd, data):
        real_write_all(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writing, "_write_all", half_then_full_disk)
    failed = engine_cli(IdentityTranslator(), "a.txt", "-o", target)
    assert failed.exit_code == ExitCode.IO_ERROR and "no space left" in failed.stderr
    assert target.read_text() == "OLD\n" and os.listdir(target.parent) == ["a.en.txt"]

    monkeypatch.setattr(writing, "_write_all", real_write_all)
    renames = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (renames.append((a, b)), real_replace(a, b)))
    done = engine_cli(IdentityTranslator(), "a.txt", "-o", target)
    assert done.exit_code == 0, done.stderr
    assert target.read_text(encoding="utf-8") == "Una frase.\n"
    ((temporary, final),) = renames
    assert Path(temporary).parent == target.parent and Path(temporary).name.endswith(".part")
    assert Path(final) == target and os.listdir(target.parent) == ["a.en.txt"]


def test_output_folder_that_cannot_be_created_exits_73(engine_cli, tmp_path):
    (tmp_path / "a.txt").write_text("Una frase.\n", encoding="utf-8")
    (tmp_path / "blocco").write_text("a file, not a folder")
    result = engine_cli(IdentityTranslator(), "a.txt", "-o", "blocco/sub/a.en.txt")
    assert result.exit_code == ExitCode.CANT_CREATE
    assert "blocco" in result.stderr and "not a folder" in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_dev_full_exits_74_without_a_partial_file(engine_cli, tmp_path):
    (tmp_path / "a.txt").write_text("Una frase.\n", encoding="utf-8")
    before = set(os.listdir("/dev"))
    result = engine_cli(IdentityTranslator(), "a.txt", "-o", "/dev/full")
    assert result.exit_code == ExitCode.IO_ERROR
    assert "/dev/full" in result.stderr and "no space left" in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert not [name for name in set(os.listdir("/dev")) - before if name.endswith(".part")]


DRIVER = """
import sys
import it2en.api
from it2en.engines import IdentityTranslator

class WithIdentity(it2en.api.ArticleTranslator):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{**kwargs, "engine": IdentityTranslator()})

it2en.api.ArticleTranslator = WithIdentity
from it2en.cli import main
sys.argv[0] = "it2en"
main()
"""


def test_a_closed_pipe_ends_quietly(tmp_path):
    """``it2en translate big.txt | head -1``, with a real pipe (the identity engine: no model)."""
    big = tmp_path / "big.txt"
    big.write_text("\n\n".join(f"Questa è la frase numero {n} dell'articolo." for n in range(8000)) + "\n",
                   encoding="utf-8")
    assert big.stat().st_size > 4 * 65536  # more than a pipe holds
    translate = subprocess.Popen([sys.executable, "-c", DRIVER, "translate", str(big), "-q"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    head = subprocess.Popen(["head", "-1"], stdin=translate.stdout, stdout=subprocess.PIPE)
    translate.stdout.close()  # head alone holds the reading end
    first, _ = head.communicate(timeout=120)
    stderr = translate.stderr.read().decode("utf-8", "replace")
    translate.stderr.close()
    status = translate.wait(timeout=120)
    assert first == "Questa è la frase numero 0 dell'articolo.\n".encode()
    assert stderr == "", stderr  # no BrokenPipeError, no "Exception ignored", no traceback
    assert status == ExitCode.BROKEN_PIPE == 141
    assert re.search(r"\|\s*141\s*\|.*head -1", README.read_text(encoding="utf-8"))


def test_a_closed_stdout_is_an_output_error_not_a_bug(tmp_path):
    """``it2en translate a.txt >&-``: 74 with advice; with ``-o`` standard output is not needed."""
    (tmp_path / "a.txt").write_text("Una frase.\n", encoding="utf-8")

    def run(*args):
        return subprocess.run([sys.executable, "-c", DRIVER, *args], cwd=tmp_path, capture_output=False,
                              stderr=subprocess.PIPE, preexec_fn=lambda: os.close(1), timeout=120)

    to_file = run("translate", "a.txt", "-o", "a.en.txt", "-q")
    assert to_file.returncode == 0, to_file.stderr
    assert (tmp_path / "a.en.txt").read_text(encoding="utf-8") == "Una frase.\n"
    for args in (["translate", "a.txt"], ["inspect", "a.txt"]):
        closed = run(*args)
        stderr = closed.stderr.decode()
        assert closed.returncode == ExitCode.IO_ERROR, stderr
        assert "standard output is closed" in stderr and "Traceback" not in stderr


def test_strict_exits_3_and_still_writes(translate_cli, tmp_path):
    (tmp_path / "a.txt").write_text("Titolo\n\nUna frase. Un'altra frase.\n", encoding="utf-8")
    result = translate_cli("a.txt", "-o", "a.en.txt", "--strict")
    assert result.exit_code == ExitCode.FLAGGED == 3
    written = (tmp_path / "a.en.txt").read_text(encoding="utf-8")
    assert written.count("\n") == 3 and written.split("\n")[1] == ""
    lines = warnings(result.stderr)
    assert [re.match(r"it2en: warning: a\.txt: segment (\d+): ", w).group(1) for w in lines] == ["1", "2", "3"]
    assert result.stderr.splitlines()[-1].startswith("it2en: --strict:")
    assert result.stderr.splitlines()[len(lines):-1] == ["it2en: 3 of 3 sentences need review"]
    relaxed = translate_cli("a.txt", "-o", "a.en.txt")
    assert relaxed.exit_code == 0


# ----------------------------------------------------------------------------- fuzz


DOCUMENTED = {int(code) for code in ExitCode}
ALPHABET = list("aeiouAEIOU bcdBCD\n\r\t.,;:!?…“”«»\"'‘’*#>-+•–0123456789€%@/_()èàÈ😀\x00\x0b\x0c\x85\u2028\x1b\ufeff")


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.text(alphabet=st.sampled_from(ALPHABET), max_size=400).map(str.encode),
    ),
    fmt=st.sampled_from(["text", "json", "markdown", "bilingual", "review"]),
)
def test_fuzz_never_a_traceback(engine_cli, tmp_path, data, fmt):
    path = tmp_path / "fuzz.txt"
    path.write_bytes(data)
    result = engine_cli(IdentityTranslator(), path, "-f", fmt, catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert result.exit_code in DOCUMENTED and result.exit_code in (0, 65), (result.exit_code, result.stderr)
    if result.exit_code == 65:
        assert result.stdout == "" and len(result.stderr.splitlines()) == 1
    elif fmt == "text" and not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        assert result.stdout_bytes == data  # the identity engine: the layout round trip
    elif fmt == "json":
        json.loads(result.stdout)
    elif fmt == "review":
        assert result.stdout.startswith("<!DOCTYPE html>") and result.stdout.rstrip().endswith("</html>")
