"""mkdocs hook: the command-line reference, rendered from the Typer app itself.

A page holding ``<!-- it2en-cli-reference -->`` gets, in its place, the ``--help`` of every
command and sub-command, exactly as the terminal shows it, so the reference cannot drift from
the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

MARKER = "<!-- it2en-cli-reference -->"
SOURCE = Path(__file__).resolve().parents[2] / "src"
WIDTH = "80"  # the same page whatever the terminal of whoever builds the site


def _commands(command, path: tuple[str, ...]):
    """``(path, command)`` for a command and everything under it, in the order help lists them."""
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        if not sub.hidden:
            yield from _commands(sub, (*path, name))


def cli_reference() -> str:
    if str(SOURCE) not in sys.path:
        sys.path.insert(0, str(SOURCE))  # document this checkout, whatever it2en is installed
    import typer.main
    from typer.testing import CliRunner

    from it2en.cli import app

    runner = CliRunner()
    sections = []
    for path, _ in _commands(typer.main.get_command(app), ()):
        result = runner.invoke(app, [*path, "--help"], prog_name="it2en", env={"COLUMNS": WIDTH})
        if result.exit_code != 0:
            raise RuntimeError(f"it2en {' '.join(path)} --help failed: {result.output}")
        title = " ".join(("it2en", *path))
        sections.append(f"## `{title}`\n\n```text\n{result.output.rstrip()}\n```\n")
    return "\n".join(sections)


def on_page_markdown(markdown: str, **kwargs) -> str:
    return markdown.replace(MARKER, cli_reference()) if MARKER in markdown else markdown
