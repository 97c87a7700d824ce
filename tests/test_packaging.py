"""The package as users get it: the built wheel and sdist, `--version`, shell completion.

The wheel test builds from a copy of the project, installs the wheel alone into a fresh
environment (torch and the other dependencies come from this one, nothing is downloaded) and
runs the installed command there, so package data left out of the wheel fails it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import it2en
from conftest import PROJECT_ROOT

ENGINES = ("torch", "transformers", "ctranslate2")


def _run(args, *, env=None, cwd=None, input=None) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, input=input, timeout=120)


def test_version_names_it2en_and_each_engine_without_importing_them():
    script = ("import sys\nfrom it2en.cli import main\nsys.argv = ['it2en', '--version']\n"
              "try:\n    main()\nexcept SystemExit as done:\n    assert done.code in (0, None), done.code\n"
              "print('imported:', sorted(m for m in ('torch', 'transformers', 'ctranslate2') if m in sys.modules))")
    done = _run([sys.executable, "-c", script])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"it2en {it2en.__version__}"
    assert lines[1:4] == [f"{name} {metadata.version(name)}" for name in ENGINES]
    assert lines[4] == "imported: []"


def test_the_changelog_has_a_section_for_the_version():
    changelog = (PROJECT_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[{re.escape(it2en.__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M)


def _completions(bin_dir: Path, words: list[str]) -> list[str]:
    """What bash offers for the last of `words`, through the script `--show-completion` prints."""
    script = ('eval "$(it2en --show-completion bash)"\n'
              f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
              "_it2en_completion it2en\nprintf '%s\\n' \"${COMPREPLY[@]}\"")
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    done = _run(["bash", "-c", script], env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_bash_completion_offers_commands_subcommands_options_and_choices(tmp_path: Path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    command = bin_dir / "it2en"  # the `it2en` of this checkout, whatever else is on PATH
    command.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m it2en "$@"\n')
    command.chmod(0o755)
    assert _completions(bin_dir, ["it2en", "tr"]) == ["translate"]
    assert set(_completions(bin_dir, ["it2en", ""])) >= {"translate", "inspect", "models", "memory", "corpus"}
    assert _completions(bin_dir, ["it2en", "memory", ""]) == ["stats", "import", "export", "clear"]
    assert _completions(bin_dir, ["it2en", "translate", "--backend", ""]) == ["auto", "transformers", "ctranslate2"]


def _fresh_environment(root: Path) -> Path:
    """A venv without pip whose only it2en is what gets installed into it; its dependencies
    come from the running environment through a .pth line (after the venv's own packages,
    and without that environment's .pth files: an editable it2en there stays out)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    python = root / "bin" / "python"
    purelib = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip())
    (purelib / "_it2en_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return python


def test_the_built_wheel_installs_and_translates_on_its_own(tmp_path: Path, tiny_model_dir: Path):
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md", "models.toml"):
        shutil.copy2(PROJECT_ROOT / name, project / name)
    shutil.copytree(PROJECT_ROOT / "src", project / "src", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    dist = tmp_path / "dist"
    built = _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(project)])
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    wheel, = dist.glob(f"it2en-{it2en.__version__}-py3-none-any.whl")
    sdist, = dist.glob(f"it2en-{it2en.__version__}.tar.gz")
    checked = _run([sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)])
    assert checked.returncode == 0, checked.stdout + checked.stderr

    python = _fresh_environment(tmp_path / "venv")
    installed = _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                      "--quiet", str(wheel)])
    assert installed.returncode == 0, installed.stderr
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(IT2EN_CACHE_DIR=str(tmp_path / "cache"), IT2EN_MODEL=str(tiny_model_dir))
    where = _run([str(python), "-c", "import it2en, it2en.models as m; print(it2en.__file__); print(m.__file__)"],
                 env=env, cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    assert all(Path(line).is_relative_to(tmp_path / "venv") for line in where.stdout.splitlines())

    version = _run([str(tmp_path / "venv" / "bin" / "it2en"), "--version"], env=env, cwd=tmp_path)
    assert version.returncode == 0, version.stderr
    assert version.stdout.splitlines()[0] == f"it2en {it2en.__version__}"
    help_text = _run([str(python), "-m", "it2en", "--help"], env=env, cwd=tmp_path)
    assert help_text.returncode == 0 and "translate" in help_text.stdout, help_text.stderr
    listed = _run([str(python), "-m", "it2en", "models"], env=env, cwd=tmp_path)  # reads the shipped models.toml
    assert listed.returncode == 0 and "opus-mt-it-en" in listed.stdout, listed.stderr

    source = "Il governo ha approvato la legge.\n\nLa città è bella."
    translated = _run([str(python), "-m", "it2en", "translate", "-", "--backend", "transformers", "--beams", "1",
                       "--no-memory", "-q"], env=env, cwd=tmp_path, input=source)
    assert translated.returncode == 0, translated.stderr
    blocks = translated.stdout.split("\n\n")
    assert len(blocks) == 2 and all(block.strip() for block in blocks)
