"""Batch translation through the CLI, in temporary folders, with the tiny offline model.

Failures contained per input, output names and layout, refusals made before any work,
existing outputs, JSON Lines on stdout, one model load per run, interrupts that leave only
complete files, and the Python API. The random model's words mean nothing: the tests check
files, names, counts, order and exit statuses, never wording.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import it2en.engines.factory
from it2en.formats import text as structure
from it2en.engines import IdentityTranslator

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(64))


def tally(summary: str) -> str:
    """The batch tally of a summary line, without the count of sentences that need review (what
    the tiny random model's translations need is not these tests' concern)."""
    return re.sub(r"; \d+ of \d+ sentences need review$", "", summary)


def write(path: Path | str, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def files_under(folder: Path) -> set[str]:
    """Every file below ``folder`` (hidden ones too), as POSIX paths relative to it."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def count_loads(monkeypatch):
    """Count calls of ``create_translator`` (the one place an engine is built)."""
    calls = []
    real = it2en.engines.factory.create_translator

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(it2en.engines.factory, "create_translator", spy)
    return calls


# ----------------------------------------------------------------------------- failures contained


def test_missing_and_binary_inputs_fail_alone(translate_cli, tmp_path, count_loads):
    write("a.txt", "Il governo approva la legge.\n")
    write("nota.md", "# Titolo\n\nUna frase breve.\n")
    (tmp_path / "immagine.txt").write_bytes(PNG)
    result = translate_cli("a.txt", "manca.txt", "immagine.txt", "nota.md", "-d", "out")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert files_under(tmp_path / "out") == {"a.en.txt", "nota.en.md"}
    errors = [line for line in result.stderr.splitlines() if not line.startswith("it2en: warning:")]
    assert any("manca.txt" in line and "no such file" in line for line in errors), result.stderr
    assert any("immagine.txt" in line and "binary" in line and "PNG" in line for line in errors)
    assert not any(line.count("manca.txt") > 1 for line in errors)  # the path named once
    assert tally(errors[-1]) == "it2en: 2 translated, 0 skipped, 2 failed"
    assert "Traceback" not in result.stderr
    assert len(count_loads) == 1


# ----------------------------------------------------------------------------- output names


@pytest.mark.parametrize(
    ("fmt", "names"),
    [
        ("text", {"a.en.txt", "nota.en.md"}),
        ("markdown", {"a.en.md", "nota.en.md"}),
        ("json", {"a.en.json", "nota.en.json"}),
        ("bilingual", {"a.en.bilingual.md", "nota.en.bilingual.md"}),
    ],
)
def test_output_names_by_format(translate_cli, tmp_path, fmt, names):
    write("in/a.txt", "Una frase.\n")
    write("in/nota.md", "Un'altra frase.\n")
    result = translate_cli("in/a.txt", "in/nota.md", "-d", "out", "-f", fmt, "-q")
    assert result.exit_code == 0, result.stderr
    assert files_under(tmp_path / "out") == names
    if fmt == "json":
        assert json.loads((tmp_path / "out" / "a.en.json").read_text(encoding="utf-8"))["source"] == "in/a.txt"


def test_folder_input_keeps_its_layout(translate_cli, tmp_path):
    write("inbox/a.txt", "Una frase.\n")
    write("inbox/sub/b.md", "## Sottotitolo\n\nUn paragrafo.\n")
    (tmp_path / "inbox" / "c.pdf").write_bytes(b"%PDF-1.4\n")
    write("inbox/sub/note.rtf", "{\\rtf1 ciao}")
    result = translate_cli("inbox", "-d", "english", "-q")
    assert result.exit_code == 0, result.stderr
    assert files_under(tmp_path / "english") == {"a.en.txt", "sub/b.en.md"}
    assert (tmp_path / "english" / "sub" / "b.en.md").read_text(encoding="utf-8").startswith("## ")


def test_an_output_folder_inside_the_input_folder_is_not_read_back(translate_cli, tmp_path):
    write("inbox/a.txt", "Una frase.\n")
    write("inbox/sub/b.md", "Un'altra frase.\n")
    first = translate_cli("inbox", "-d", "inbox/english", "--skip-existing", "-q")
    assert first.exit_code == 0, first.stderr
    write("inbox/c.txt", "Una nuova frase.\n")
    again = translate_cli("inbox", "-d", "inbox/english", "--skip-existing")
    assert again.exit_code == 0, again.stderr
    assert tally(again.stderr.splitlines()[-1]) == "it2en: 1 translated, 2 skipped, 0 failed"
    assert files_under(tmp_path / "inbox" / "english") == {"a.en.txt", "c.en.txt", "sub/b.en.md"}


# ----------------------------------------------------------------------------- refused before any work


def test_two_inputs_for_one_output_are_refused_first(translate_cli, tmp_path, count_loads):
    write("x/a.txt", "Prima frase.\n")
    write("y/a.txt", "Seconda frase.\n")
    result = translate_cli("x/a.txt", "y/a.txt", "-d", "out")
    assert result.exit_code == 2
    assert "x/a.txt" in result.stderr and "y/a.txt" in result.stderr and "out/a.en.txt" in result.stderr
    assert not (tmp_path / "out").exists()
    assert count_loads == []


def test_output_that_is_an_input_is_refused(translate_cli, tmp_path):
    original = "Una frase.\n"
    a = write("a.txt", original)
    for target in ("a.txt", "./a.txt", tmp_path / "sub" / ".." / "a.txt"):
        result = translate_cli("a.txt", "-o", target)
        assert result.exit_code == 2, (target, result.stderr)
        assert "input" in result.stderr
    # -d onto the inputs' own folder, where a.txt's output name is another input.
    earlier = write("a.en.txt", "Un'altra frase.\n")
    result = translate_cli("a.txt", "a.en.txt", "-d", ".", "--overwrite")
    assert result.exit_code == 2 and "a.en.txt" in result.stderr
    assert a.read_text(encoding="utf-8") == original
    assert earlier.read_text(encoding="utf-8") == "Un'altra frase.\n"
    assert files_under(tmp_path) == {"a.txt", "a.en.txt"}


# ----------------------------------------------------------------------------- existing outputs


def test_existing_outputs_refused_skipped_or_replaced(translate_cli, tmp_path):
    write("a.txt", "Una frase.\n")
    write("b.txt", "Un'altra frase.\n")
    old = write("out/a.en.txt", "OLD\n")

    refused = translate_cli("a.txt", "b.txt", "-d", "out")
    assert refused.exit_code == 1
    assert old.read_text() == "OLD\n"
    assert (tmp_path / "out" / "b.en.txt").exists()
    assert "out/a.en.txt exists" in refused.stderr and "--overwrite" in refused.stderr
    assert tally(refused.stderr.splitlines()[-1]) == "it2en: 1 translated, 0 skipped, 1 failed"

    skipped = translate_cli("a.txt", "b.txt", "-d", "out", "--skip-existing")
    assert skipped.exit_code == 0, skipped.stderr
    assert old.read_text() == "OLD\n"
    assert "skipped a.txt" in skipped.stderr and "skipped b.txt" in skipped.stderr
    assert skipped.stderr.splitlines()[-1] == "it2en: 0 translated, 2 skipped, 0 failed"

    replaced = translate_cli("a.txt", "-d", "out", "--overwrite", "-q")
    assert replaced.exit_code == 0, replaced.stderr
    assert old.read_text() not in ("", "OLD\n")
    assert files_under(tmp_path / "out") == {"a.en.txt", "b.en.txt"}

    both = translate_cli("a.txt", "-d", "out", "--overwrite", "--skip-existing")
    assert both.exit_code == 2 and "--skip-existing" in both.stderr and "--overwrite" in both.stderr


def test_single_input_with_existing_output(translate_cli, tmp_path):
    write("a.txt", "Una frase.\n")
    old = write("out/a.en.txt", "OLD\n")
    refused = translate_cli("a.txt", "-d", "out")
    assert refused.exit_code == 73 and "--overwrite" in refused.stderr
    assert old.read_text() == "OLD\n"
    kept = translate_cli("a.txt", "-o", "out/a.en.txt", "--skip-existing")
    assert kept.exit_code == 0 and old.read_text() == "OLD\n" and "skipped a.txt" in kept.stderr
    replaced = translate_cli("a.txt", "-o", "out/a.en.txt", "-q")
    assert replaced.exit_code == 0 and old.read_text() != "OLD\n"


# ----------------------------------------------------------------------------- standard output


def test_several_inputs_as_json_lines_in_input_order(translate_cli, tmp_path):
    names = ["c.txt", "a.txt", "b.md"]
    for number, name in enumerate(names):
        write(name, f"Titolo {number}\n\nLa frase numero {number} del testo.\n")
    result = translate_cli(*names, "-f", "json", "-q")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    objects = [json.loads(line) for line in lines]
    assert [o["source"] for o in objects] == names
    for obj in objects:
        assert [b["kind"] for b in obj["blocks"]] == ["headline", "paragraph"]
        assert all(s["target"] for b in obj["blocks"] for s in b["segments"])


def test_json_lines_keep_input_order_when_a_later_article_finishes_first(engine_cli, monkeypatch):
    # The first article needs two chunks of the pipeline (256 sentences each); the second is
    # one sentence the first also has, so it is complete after the first chunk.
    from it2en import pipeline

    write("lungo.txt", " ".join(f"Questa è la frase numero {n}." for n in range(300)) + "\n")
    write("breve.txt", "Questa è la frase numero 0.\n")
    done = []
    real = pipeline.translate_articles

    def recording(articles, engine, **kwargs):
        inner = kwargs["on_article_done"]
        kwargs["on_article_done"] = lambda article: (done.append(article.name), inner(article))
        return real(articles, engine, **kwargs)

    monkeypatch.setattr(pipeline, "translate_articles", recording)
    result = engine_cli(IdentityTranslator(), "lungo.txt", "breve.txt", "-f", "json", "-q")
    assert result.exit_code == 0, result.stderr
    assert done == ["breve.txt", "lungo.txt"]  # the second article really finished first
    assert [json.loads(line)["source"] for line in result.stdout.splitlines()] == ["lungo.txt", "breve.txt"]


def test_several_inputs_as_text_on_stdout_is_a_usage_error(translate_cli, count_loads):
    write("a.txt", "Una frase.\n")
    write("b.txt", "Un'altra frase.\n")
    result = translate_cli("a.txt", "b.txt")
    assert result.exit_code == 2 and result.stdout == ""
    assert "-d DIR" in result.stderr and "-f json" in result.stderr
    assert count_loads == []


# ----------------------------------------------------------------------------- one model load


def test_one_model_load_for_the_whole_batch(translate_cli, tmp_path, count_loads):
    for name in ("a.txt", "b.txt", "c.txt"):
        write(name, f"Il file {name} ha una frase.\n\nE un secondo paragrafo.\n")
    result = translate_cli("a.txt", "b.txt", "c.txt", "-d", "out", "-q")
    assert result.exit_code == 0, result.stderr
    assert files_under(tmp_path / "out") == {"a.en.txt", "b.en.txt", "c.en.txt"}
    assert len(count_loads) == 1


# ----------------------------------------------------------------------------- interrupts


def _articles(folder: Path) -> list[Path]:
    """An English article first, then long Italian ones that keep the engine busy.

    The English article has nothing for the model (every sentence is kept as it is), so it is
    complete, and written, as soon as the model is loaded: the signal then reaches the run
    in the middle of translating, whatever the machine's speed.
    """
    folder.mkdir()
    words = "la casa il gatto un cane la strada il mare una città il governo la scuola".split()
    paths = [write(folder / "art0.txt", "The government approved the new law yesterday.\n\n"
                   "The opposition said it would vote against it in the senate next week.\n")]
    for k in range(1, 6):
        body = []
        for s in range(120):
            start = (k * 7 + s * 3) % len(words)
            rest = " ".join(words[(start + i) % len(words)] for i in range(12))
            body.append(f"{rest.capitalize()} ({k}-{s}).")
        paragraphs = [" ".join(body[i : i + 4]) for i in range(0, len(body), 4)]
        paths.append(write(folder / f"art{k}.txt", f"Titolo dell'articolo {k}\n\n" + "\n\n".join(paragraphs) + "\n"))
    return paths


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_leaves_only_complete_outputs(tiny_model_dir, tmp_path, signum, status):
    inputs = _articles(tmp_path / "in")
    out = tmp_path / "out"
    env = dict(os.environ, IT2EN_MODEL=str(tiny_model_dir), IT2EN_CACHE_DIR=str(tmp_path / "cache"))
    command = [sys.executable, "-m", "it2en", "translate", *map(str, inputs), "-d", str(out),
               "-f", "json", "-q", "--backend", "transformers", "--beams", "1"]
    # A runner started in the background (nohup, `&` without job control) ignores SIGINT, and a
    # child inherits that: it would never see the Ctrl-C this test sends. It2en, like any
    # program, rightly leaves an ignored SIGINT ignored; the child is started with the default.
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        # Events, not time, so a busy machine makes this slower, not red: the first finished
        # output (the batch is under way), then the process's exit after the signal.
        while not list(out.glob("*.json")) and process.poll() is None:
            time.sleep(0.01)
        assert process.poll() is None, "the batch ended before it could be interrupted"
        time.sleep(0.2)  # into the translation of the next articles
        process.send_signal(signum)
        stdout, stderr = process.communicate()
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    stderr = stderr.decode("utf-8", "replace")
    assert process.returncode == status, stderr
    assert stdout == b""
    assert "Traceback" not in stderr and "no partial file was left" in stderr
    names = files_under(out)  # hidden files too: a temporary file is ".NAME.XXXX.part"
    assert "art0.en.json" in names and names < {f"art{k}.en.json" for k in range(len(inputs))}, names
    for name in names:
        data = json.loads((out / name).read_text(encoding="utf-8"))
        source = tmp_path / "in" / name.replace(".en.json", ".txt")
        expected = structure.parse(source.read_text(encoding="utf-8"))
        assert [b["source"] for b in data["blocks"]] == [b.source for b in expected.blocks]
        assert all(s["target"] for b in data["blocks"] for s in b["segments"] if s["translate"])


# ----------------------------------------------------------------------------- the Python API


def test_python_api_loads_the_engine_once(tiny_model_dir, tmp_path, count_loads, monkeypatch):
    monkeypatch.setenv("IT2EN_CACHE_DIR", str(tmp_path / "cache"))
    from it2en import ArticleTranslator

    translator = ArticleTranslator(str(tiny_model_dir), backend="transformers", beams=1)
    assert count_loads == []  # lazily: nothing loaded yet
    source = "Titolo\n\nUna frase. Un'altra frase.\n"
    english = translator.translate_text(source)
    assert english.count("\n") == source.count("\n") and english.split("\n")[1] == ""
    data = json.loads(translator.translate_text(source, format="json"))
    assert data["model"] == {"name": tiny_model_dir.name, "revision": "local"}
    assert [len(b["segments"]) for b in data["blocks"]] == [1, 2]

    nota = write(tmp_path / "nota.md", "# Titolo\n\nUna frase.\n")
    written = translator.translate_file(nota, tmp_path / "en" / "nota.en.md")
    assert (tmp_path / "en" / "nota.en.md").read_text(encoding="utf-8") == written
    assert written.startswith("# ") and nota.read_text(encoding="utf-8") == "# Titolo\n\nUna frase.\n"
    assert translator.translate_file(nota) == written  # no output: returned only; same model, same words
    assert files_under(tmp_path / "en") == {"nota.en.md"}
    assert len(count_loads) == 1
