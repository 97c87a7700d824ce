"""Markup from the wild: broken, huge, deep, mis-declared or not text at all. Each gives a
translation with the markup kept as far as it parses, or a clear error with its exit code;
never a traceback, never a hang (each run is a subprocess with a cap on its memory and on its own
CPU seconds, which other jobs on the machine do not use up)."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from markup_cases import HTML_CASES, MARKDOWN_CASES

# Runs the CLI with the identity engine instead of a model, as the engine_cli fixture does.
IDENTITY_CLI = """
import sys
import it2en.api
from it2en.engines import IdentityTranslator
real = it2en.api.ArticleTranslator
class WithEngine(real):
    def __init__(self, *a, **k):
        super().__init__(*a, **{**k, "engine": IdentityTranslator()})
it2en.api.ArticleTranslator = WithEngine
from it2en.cli import main
sys.argv = ["it2en", *sys.argv[1:]]
main()
"""
MEMORY_CAP = 3 * 1024**3
CPU_SECONDS_CAP = 120
"""A run that spins this long is a hang (the slowest case needs a few CPU seconds). CPU seconds,
not wall seconds: a busy machine makes a run wait longer, never spend more of its own."""
WALL_BACKSTOP_S = 1800
"""Only for a run that blocks without spending CPU; never a measure of speed."""


def run_cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
        resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS_CAP, CPU_SECONDS_CAP))  # then SIGXCPU

    done = subprocess.run([sys.executable, "-c", IDENTITY_CLI, *map(str, args)], cwd=cwd, capture_output=True,
                          timeout=WALL_BACKSTOP_S, preexec_fn=limit)
    assert done.returncode != -signal.SIGXCPU, f"it2en {' '.join(map(str, args))}: over {CPU_SECONDS_CAP} CPU seconds"
    return done


def _one_line_page() -> str:
    """A 5 MB page on one line: minified script, an inline image, then the article."""
    script = "<script>" + "var a=1;function f(b){return b*2}" * 140_000 + "</script>"
    image = '<img src="data:image/png;base64,' + "iVBORw0KGgo" * 45_000 + '" alt="Una foto">'
    prose = "<p>Una frase <b>importante</b> del testo. Un'altra frase qui.</p>" * 300
    return "<!DOCTYPE html><html lang=\"it\"><head><title>Titolo</title>" + script + "</head><body>" + image + prose + "</body></html>"


HARD_CASES = {
    "one_line_5mb.html": _one_line_page(),
    "nested_divs.html": "<div>" * 10_000 + "Una frase <em>profonda</em>." + "</div>" * 10_000,
    "nested_lists.html": "<ul><li>" * 10_000 + "Una voce profonda." + "</li></ul>" * 10_000,
    "nested_lists.md": "- " * 10_000 + "Una voce profonda.\n\nUn paragrafo dopo.\n",
    "nested_quotes.md": "> " * 10_000 + "Una citazione profonda.\n",
    "nested_lists_indented.md": "".join("  " * level + "- Livello.\n" for level in range(2_000)),
    "unterminated_front_matter.md": MARKDOWN_CASES["unterminated_front_matter"],
    "unterminated_fence.md": MARKDOWN_CASES["unterminated_fence"],
    "broken.html": HTML_CASES["broken"],
    "stray.html": "</p></div><p>Testo <b>senza <i>fine</p></b> e <span><p>dentro</p></span> dopo.</i><br/></br>",
    "mismatched_charset.html": '<meta charset="iso-8859-1"><p>Perché è così.</p>\n',
}


@pytest.mark.parametrize("name", sorted(HARD_CASES))
def test_difficult_input_translates_with_markup_kept(name, tmp_path):
    (tmp_path / name).write_text(HARD_CASES[name], encoding="utf-8")
    result = run_cli("translate", name, "-o", "out", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert (tmp_path / "out").read_text(encoding="utf-8") == HARD_CASES[name]
    inspected = run_cli("inspect", name, cwd=tmp_path)
    assert inspected.returncode == 0 and b"Traceback" not in inspected.stderr


def test_the_5mb_page_keeps_its_prose_for_the_model(tmp_path):
    (tmp_path / "page.html").write_text(HARD_CASES["one_line_5mb.html"], encoding="utf-8")
    shown = run_cli("inspect", "page.html", cwd=tmp_path).stdout.decode()
    sentences = [line.strip()[2:] for line in shown.splitlines() if line.startswith("      ")]
    assert sentences.count("Una frase importante del testo.") == 300
    assert sentences[:2] == ["Titolo", "Una foto"] and len(sentences) == 602
    assert max(map(len, shown.splitlines())) < 200  # frames are shortened, never a megabyte line


def test_charset_that_disagrees_with_the_bytes_is_a_clear_error(tmp_path):
    page = '<meta charset="windows-1252"><p>Perché è così.</p>\n'
    (tmp_path / "cp.html").write_bytes(page.encode("cp1252"))
    result = run_cli("translate", "cp.html", "-q", cwd=tmp_path)
    assert result.returncode == 65
    assert b"--encoding" in result.stderr and b"Traceback" not in result.stderr
    fixed = run_cli("translate", "cp.html", "--encoding", "cp1252", "-q", cwd=tmp_path)
    assert fixed.returncode == 0 and fixed.stdout.decode() == page


def test_binary_html_is_refused(tmp_path):
    (tmp_path / "logo.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    result = run_cli("translate", "logo.html", "-q", cwd=tmp_path)
    assert result.returncode == 65 and b"Traceback" not in result.stderr


def test_nothing_is_fetched(monkeypatch):
    import socket

    from it2en.formats import html, markdown

    def refuse(*args, **kwargs):
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    page = ('<!DOCTYPE html SYSTEM "http://example.org/x.dtd" [<!ENTITY e SYSTEM "http://example.org/e">]>'
            '<link rel="stylesheet" href="http://example.org/s.css"><img src="http://example.org/i.png" alt="Una foto">'
            "<p>Un testo &e; con entità.</p>")
    assert [s.source for s in html.parse(page).translatable_segments()] == ["Una foto", "Un testo &e; con entità."]
    assert markdown.parse("![foto](http://example.org/i.png)\n\n" + page).translatable_segments()
