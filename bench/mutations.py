"""One-line mutations of ``src/`` against the tests meant to catch them: caught or survived.

A test is only as good as the bug it would catch. Each mutation below changes one line of a
scratch copy of the repository (``src/``, ``tests/``, ``bench/`` and the top-level files, so
that paths the tests compute from their own location point into the copy too), runs only the
test files that should notice, ``-x -q``, and reports:

* ``caught``: the tests failed on the mutated code, as they should;
* ``survived``: they passed: either a missing test or an equivalent change, read the note;
* ``not applicable``: the original line is no longer in the file (the code moved on: update the
  list), or the named tests are gone;
* ``error``: pytest itself failed (exit 2-4), with its last lines.

    python bench/mutations.py                  # every mutation, after a baseline run (~7 min on 2 busy cores)
    python bench/mutations.py --only retry     # those whose name contains "retry"
    python bench/mutations.py --list           # the list, nothing run
    python bench/mutations.py --tests-from REV # today's src against the tests of git revision REV

Outside the default test run. The corpus is ``$IT2EN_CORPUS``, else ``../shared/corpus``
beside the repository (the copy is told where it is).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("src", "tests", "bench", "README.md", "pyproject.toml", "models.toml")
RUN_LIMIT_S = 600


@dataclass(frozen=True)
class Mutation:
    name: str
    file: str
    """Relative to ``src/it2en``."""
    original: str
    """A substring found on exactly one line of the file; that line's occurrence is replaced."""
    replacement: str
    tests: tuple[str, ...]
    """Test files (or node ids) that should catch it."""
    why: str


MUTATIONS = [
    # ------------------------------------------------------------------ the ones issue 14 found
    Mutation("retry-always-replaces", "pipeline.py",
             "taken = checks.score(flags) < checks.score(old)", "taken = True",
             ("tests/test_pipeline.py",), "the better attempt is kept, not the last one"),
    Mutation("retry-wins-ties", "pipeline.py",
             "taken = checks.score(flags) < checks.score(old)", "taken = checks.score(flags) <= checks.score(old)",
             ("tests/test_pipeline.py",), "on a tie the first attempt (preferred decoding) stays"),
    Mutation("label-update-changed", "formats/text.py",
             '"aggiornamento": "Update",', '"aggiornamento": "Updated",',
             ("tests/test_render.py", "tests/test_structure.py"), "every label as a reader expects it"),
    Mutation("render-ignores-translation", "render.py",
             "return block.output_prefix + block.target + block.suffix",
             "return block.output_prefix + block.source + block.suffix",
             ("tests/test_pipeline.py",), "the translated article's layout, not a fresh parse's"),
    Mutation("segments-rendered-in-reverse", "article.py",
             'return "".join(s.output + s.gap for s in self.segments)',
             'return "".join(s.output + s.gap for s in reversed(self.segments))',
             ("tests/test_pipeline.py",), "segment order in the translated layout"),
    Mutation("english-source-counts-as-copied", "fidelity/checks.py",
             "if italian < 2 or looks_english(source):", "if italian < 2:",
             ("tests/test_checks.py",), "the property test now gets English text"),
    # ------------------------------------------------------------------ more, on this turn's modules
    Mutation("lost-placeholders-unreported", "fidelity/placeholders.py",
             "lost = [o for i, o in by_index.items() if i not in seen]", "lost = []",
             ("tests/test_placeholders.py", "tests/test_pipeline.py"), "a dropped URL or number is said"),
    Mutation("placeholder-self-check-skipped", "fidelity/placeholders.py",
             "if restore(masked, result) != (sentence, []):", "if False:",
             ("tests/test_placeholders.py",), "a token glued to a digit is sent unmasked"),
    Mutation("looks-english-on-short-text", "fidelity/checks.py",
             "if len(words) < 6:", "if len(words) < 3:",
             ("tests/test_checks.py",), "a short text is translated, never kept as English"),
    Mutation("headline-gets-a-full-stop", "fidelity/postedit.py",
             'return t_body + "".join(c for c in t_zone if c not in _MARKS)', "return target",
             ("tests/test_postedit.py",), "a source without final punctuation gets none"),
    Mutation("ecc-never-ends-a-sentence", "sentences.py",
             '_SENTENCE_FINAL_ABBREVIATIONS = frozenset({"ecc", "etc"})',
             '_SENTENCE_FINAL_ABBREVIATIONS = frozenset({"etc"})',
             ("tests/test_sentences.py",), "\"ecc.\" before a capital ends the sentence"),
    Mutation("capital-label-not-capitalised", "formats/text.py",
             "english = english.upper() if word.isupper() else english", "english = english",
             ("tests/test_render.py", "tests/test_structure.py"), "NOTA: becomes NOTE:, not Note:"),
    Mutation("retry-not-said", "pipeline.py",
             'segment.flags.append("retried")', "pass",
             ("tests/test_pipeline.py",), "a retried segment says so"),
    # ------------------------------------------------------------------ the modules issues 9-12 added
    Mutation("ambiguous-comma-converted", "fidelity/numbers.py",
             "if _AMBIGUOUS_COMMA.fullmatch(core) and not scaled:", "if False:",
             ("tests/test_numbers.py",), "171,790 is left as written: English thousands or Italian decimals?"),
    Mutation("memory-key-ignores-glossary", "memory.py",
             "return _key(MACHINE, text, context.model_id, context.revision, context.settings, _glossary_json(glossary))",
             "return _key(MACHINE, text, context.model_id, context.revision, context.settings)",
             ("tests/test_memory.py",), "a changed glossary never reuses an old machine translation"),
    Mutation("markup-moved-unflagged", "pipeline.py",
             "    if moved:", "    if False:",
             ("tests/test_markup.py",), "markup placed by the fallback rule is flagged markup_moved"),
]


def corpus_dir() -> Path:
    return Path(os.environ.get("IT2EN_CORPUS") or ROOT.parent / "shared" / "corpus").resolve()


def make_copy(scratch: Path, tests_from: str | None) -> None:
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, scratch / name,
                            ignore=shutil.ignore_patterns("__pycache__", "out", ".hypothesis", "*.egg-info"))
        elif source.is_file():
            shutil.copy2(source, scratch / name)
    if tests_from:  # the tests as they were at that revision: did they catch these already?
        shutil.rmtree(scratch / "tests")
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", tests_from, "tests"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(scratch)], input=archive, check=True)


def run_tests(scratch: Path, tests: tuple[str, ...]) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(scratch / "src"), "IT2EN_CORPUS": str(corpus_dir()),
           "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    try:
        proc = subprocess.run(command, cwd=scratch, env=env, capture_output=True, text=True, timeout=RUN_LIMIT_S)
    except subprocess.TimeoutExpired:
        return -1, f"no result in {RUN_LIMIT_S} s"
    return proc.returncode, (proc.stdout + proc.stderr).strip()


def last_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def apply(path: Path, mutation: Mutation) -> str | None:
    """Mutate the file in place; a reason instead when the original line is not there once."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if mutation.original in line]
    if not hits:
        return "original line not found"
    if len(hits) > 1 or lines[hits[0]].count(mutation.original) > 1:
        return f"original text found {len(hits)} times"
    lines[hits[0]] = lines[hits[0]].replace(mutation.original, mutation.replacement)
    path.write_text("".join(lines), encoding="utf-8")
    return None


def verdict(scratch: Path, mutation: Mutation) -> tuple[str, str]:
    path = scratch / "src" / "it2en" / mutation.file
    if not path.is_file():
        return "not applicable", f"{mutation.file} is gone"
    pristine = path.read_bytes()
    reason = apply(path, mutation)
    if reason:
        return "not applicable", reason
    try:
        code, output = run_tests(scratch, mutation.tests)
    finally:
        path.write_bytes(pristine)
    if code == 0:
        return "survived", last_line(output)
    if code == 1:
        failed = [line for line in output.splitlines() if line.startswith("FAILED")]
        return "caught", (failed[0][7:] if failed else last_line(output))
    if code in (4, 5):
        return "not applicable", f"tests not found (pytest exit {code}): {last_line(output)}"
    return "error", f"pytest exit {code}: {last_line(output)}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run the mutations whose name contains this")
    parser.add_argument("--list", action="store_true", help="print the mutations and stop")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run of the tests")
    parser.add_argument("--tests-from", metavar="REV", help="use tests/ as it was at this git revision")
    options = parser.parse_args()
    chosen = [m for m in MUTATIONS if options.only in m.name]
    if options.list:
        for m in chosen:
            print(f"{m.name:<34}{m.file:<26}{' '.join(m.tests)}\n    {m.original!r} -> {m.replacement!r}")
        return 0
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with tempfile.TemporaryDirectory(prefix="it2en-mutations-") as folder:
        scratch = Path(folder)
        make_copy(scratch, options.tests_from)
        if not options.no_baseline:
            tests = tuple(dict.fromkeys(t for m in chosen for t in m.tests))
            code, output = run_tests(scratch, tests)
            if code != 0:
                print(f"the unmutated tests do not pass (exit {code}); nothing to measure:\n{output[-3000:]}")
                return 2
            print(f"baseline: {last_line(output)}", flush=True)
        results = []
        for mutation in chosen:
            start = time.perf_counter()
            outcome, detail = verdict(scratch, mutation)
            seconds = time.perf_counter() - start
            results.append((mutation, outcome))
            print(f"{outcome:<15}{mutation.name:<34}{seconds:5.0f} s  {detail}", flush=True)
    counts = {o: sum(1 for _, r in results if r == o) for o in ("caught", "survived", "not applicable", "error")}
    against = f" (tests of {options.tests_from})" if options.tests_from else ""
    print(f"{started}{against}: " + ", ".join(f"{n} {o}" for o, n in counts.items() if n))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
