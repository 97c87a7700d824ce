"""The command line, in-process, with the tiny offline MarianMT model: outputs, frames, exit codes."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from it2en.cli import app

from conftest import SEED, table_column


@pytest.fixture
def cli(tiny_model_dir, monkeypatch, tmp_path):
    """Run ``it2en ARGS`` in-process with the tiny model as the default; return the Result."""
    monkeypatch.setenv("IT2EN_MODEL", str(tiny_model_dir))
    monkeypatch.setenv("IT2EN_CACHE_DIR", str(tmp_path / "cache"))
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)

    return invoke


def test_seed_article_keeps_its_shape(cli):
    source = SEED.read_text(encoding="utf-8")
    result = cli("translate", SEED, "--backend", "transformers")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    src_lines, out_lines = source.split("\n"), out.split("\n")
    assert len(out_lines) == len(src_lines)
    assert [i for i, l in enumerate(out_lines) if not l.strip()] == [i for i, l in enumerate(src_lines) if not l.strip()]
    assert not out.endswith("\n")  # the seed has no final newline, nor has its translation
    assert out_lines[4].startswith("Disclaimer: ")
    quote = next(l for l in out_lines if l.startswith("“"))
    assert quote.endswith("…”")
    assert out_lines[-1].endswith(" *")
    assert out_lines[0] == out_lines[2] and not out_lines[0].endswith(".")


def test_stdin_and_file_give_the_same_bytes(cli):
    from_file = cli("translate", SEED, "--backend", "transformers")
    from_dash = cli("translate", "-", "--backend", "transformers", input=SEED.read_bytes())
    from_pipe = cli("translate", "--backend", "transformers", input=SEED.read_bytes())
    assert from_file.exit_code == from_dash.exit_code == from_pipe.exit_code == 0
    assert from_file.stdout_bytes == from_dash.stdout_bytes == from_pipe.stdout_bytes


def test_json_has_the_kinds_and_one_target_per_segment(cli):
    result = cli("translate", SEED, "-f", "json", "--backend", "transformers")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["source"] == str(SEED)
    assert data["model"]["name"]
    kinds = {b["kind"] for b in data["blocks"]}
    assert {"headline", "disclaimer", "paragraph", "heading", "quote", "boilerplate"} <= kinds
    for block in data["blocks"]:
        assert set(block) >= {"kind", "prefix", "suffix", "source", "target", "segments"}
        for segment in block["segments"]:
            if segment["translate"]:
                assert segment["target"], segment
    quote = next(b for b in data["blocks"] if b["kind"] == "quote")
    assert (quote["prefix"], quote["suffix"]) == ("“", "”")


def test_output_file_and_markdown(cli, tmp_path):
    out = tmp_path / "article.md"
    result = cli("translate", SEED, "-o", out, "-f", "markdown", "--backend", "transformers", "-q")
    assert result.exit_code == 0 and result.stdout == "" and result.stderr == ""
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# ") and "\n## " in text and "\n> “" in text


def test_inspect_needs_no_model(tmp_path, monkeypatch):
    monkeypatch.setenv("IT2EN_MODEL", str(tmp_path / "nowhere"))
    result = CliRunner().invoke(app, ["inspect", str(SEED), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["blocks"][2]["kind"] == "disclaimer" and "target" not in data["blocks"][2]
    listing = CliRunner().invoke(app, ["inspect", str(SEED)])
    assert listing.exit_code == 0 and "disclaimer  prefix='Disclaimer: '" in listing.stdout


def test_models_lists_the_catalog():
    result = CliRunner().invoke(app, ["models"])
    assert result.exit_code == 0
    assert table_column(result.stdout, "name") == ["opus-mt-it-en", "opus-mt-tc-big-it-en"]
    assert table_column(result.stdout, "offline") == ["no", "no"]


# Exit codes: the contract of DESIGN.md, each with its message.


def test_exit_2_usage(cli, tmp_path):
    result = cli("translate", SEED, "-o", tmp_path / "a", "-d", tmp_path / "b")
    assert result.exit_code == 2 and "not both" in result.stderr
    result = cli("translate", "--format", "pdf", SEED)
    assert result.exit_code == 2 and "pdf" in result.stderr


def test_exit_2_no_input_from_a_terminal(cli, monkeypatch):
    monkeypatch.setattr("it2en.cli._stdin_is_terminal", lambda: True)
    result = cli("translate")
    assert result.exit_code == 2 and "standard input is a terminal" in result.stderr


def test_exit_65_binary_and_undecodable(cli, tmp_path):
    png = tmp_path / "image.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    result = cli("translate", png)
    assert result.exit_code == 65 and "binary" in result.stderr and "Traceback" not in result.stderr
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Perché è così.\n".encode("cp1252"))
    result = cli("translate", latin)
    assert result.exit_code == 65 and "--encoding" in result.stderr and "offset" in result.stderr


def test_exit_66_missing_input(cli, tmp_path):
    missing = tmp_path / "nope.txt"
    result = cli("translate", missing)
    assert result.exit_code == 66 and str(missing) in result.stderr


def test_exit_69_model_not_cached_offline(tmp_path, monkeypatch):
    monkeypatch.delenv("IT2EN_MODEL", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    result = CliRunner().invoke(app, ["translate", str(SEED), "-m", "opus-mt-it-en"])
    assert result.exit_code == 69
    message = result.stderr
    assert "opus-mt-it-en" in message and "it2en download" in message and "-m DIR" in message
    assert "Traceback" not in message


def test_exit_69_unknown_model_and_broken_folder(tmp_path):
    result = CliRunner().invoke(app, ["translate", str(SEED), "-m", "opus-mt-it-xx"])
    assert result.exit_code == 69 and "Did you mean 'opus-mt-it-en'" in result.stderr
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    result = CliRunner().invoke(app, ["translate", str(SEED), "-m", str(broken)])
    assert result.exit_code == 69 and "not a complete MarianMT model" in result.stderr


def test_empty_input_needs_no_model(tmp_path, monkeypatch):
    monkeypatch.setenv("IT2EN_MODEL", str(tmp_path / "nowhere"))
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n\n")
    result = CliRunner().invoke(app, ["translate", str(empty)])
    assert result.exit_code == 0 and result.stdout == "  \n\n"


def test_help_has_examples():
    result = CliRunner().invoke(app, ["translate", "--help"])
    assert result.exit_code == 0
    assert "it2en translate inbox/*.txt -d english/" in result.stdout
    assert re.search(r"--skip-existing", result.stdout)
