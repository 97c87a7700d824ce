"""The documentation: the site builds strictly, its references follow the code, and the README
is the short way in, with the commands CI runs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import typer.main

from conftest import PROJECT_ROOT
from it2en.cli import app

USER_FACING = [PROJECT_ROOT / "README.md", PROJECT_ROOT / "CHANGELOG.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
SITE_SOURCES = ("mkdocs.yml", "docs", "CHANGELOG.md", "CONTRIBUTING.md")


def _build(root: Path, site: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                          cwd=root, env=env, capture_output=True, text=True, timeout=300)


def _command_paths(command, path=()):
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _command_paths(sub, (*path, name))


def test_the_site_builds_strictly_with_generated_cli_and_api_references(tmp_path: Path):
    built = _build(PROJECT_ROOT, tmp_path / "site")
    assert built.returncode == 0, built.stderr[-5000:]
    cli_page = (tmp_path / "site" / "cli" / "index.html").read_text(encoding="utf-8")
    for path in _command_paths(typer.main.get_command(app)):
        assert f"Usage: it2en {' '.join(path)}".rstrip() in cli_page, path
    assert "--install-completion" in cli_page and "--keep-number-format" in cli_page
    api_page = (tmp_path / "site" / "api" / "index.html").read_text(encoding="utf-8")
    for name in ("ArticleTranslator", "translate_text", "translate_file", "ModelUnavailableError", "versions"):
        assert name in api_page, name


def test_a_broken_link_fails_the_strict_build(tmp_path: Path):
    root = tmp_path / "project"
    root.mkdir()
    for name in SITE_SOURCES:
        source = PROJECT_ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, root / name)
    (root / "src").symlink_to(PROJECT_ROOT / "src")
    index = root / "docs" / "index.md"
    index.write_text(index.read_text(encoding="utf-8") + "\nSee [the missing page](no-such-page.md).\n",
                     encoding="utf-8")
    built = _build(root, tmp_path / "site")
    assert built.returncode != 0
    assert "no-such-page.md" in built.stderr


def test_user_facing_text_names_no_issue_numbers():
    for path in USER_FACING:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\bissues?\s+#?\d+", text, re.I), path.name


def test_readme_is_one_screen_of_purpose_with_the_commands_ci_runs():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    ci_commands = [line for line in (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
                   if line.strip() and not line.lstrip().startswith("#")][-2:]
    assert ci_commands[0].startswith("pip install ") and ci_commands[1].startswith("python -m pytest")
    for command in ci_commands:
        assert re.search(rf"^{re.escape(command)}$", readme, re.M), command
    for heading in ("## Install", "## Examples", "### Formats", "### Exit codes", "## Documentation"):
        assert re.search(rf"^{re.escape(heading)}$", readme, re.M), heading
    assert "pipx install" in readme and "mkdocs serve" in readme
    for link in re.findall(r"\]\(((?:docs/|CONTRIBUTING|CHANGELOG)[^)#]*)", readme):
        assert (PROJECT_ROOT / link).is_file(), link
