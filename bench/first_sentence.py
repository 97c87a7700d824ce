"""Per-invocation cost: one short sentence through `it2en translate` and through a minimal script.

    python bench/first_sentence.py [--runs 9] [--model DIR]

Scripts that call it2en once per file pay its fixed costs (Python start-up, imports, model
load) every time. This runs, interleaved, whole processes on a one-sentence input (by default
a short sentence the memorising model learnt, so that both decode the answer a real model
would give, of a natural length): ``bench/minimal_ct2.py`` (sentence-splitter + one CTranslate2
``translate_batch``) and ``it2en translate --backend ctranslate2 -q`` (the console script),
plus ``python -c pass`` for scale, and prints the median wall and CPU time of each and it2en ÷
minimal. On a busy machine a process waits for a CPU far longer than it computes: CPU time is
then the steadier comparison of what each costs.
The model is the memorising MarianMT of ``bench/realistic_models.py`` by default (its output
ends), so both decode the same few tokens. To a sentence it never learnt (``--sentence
"Buongiorno a tutti."``) it answers with noise, which it2en's checks flag and retry, as they
would not a real model's answer. it2en's modules are compiled to bytecode first, as
``pip install`` does for an installed package (an editable checkout under
``PYTHONDONTWRITEBYTECODE=1`` would otherwise compile them again on every start: about 40 ms).
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import speed  # noqa: E402  (the environment, process measurement)

SENTENCE = "Allo scopo di indagare, è stata istituita un'inchiesta.\n"
"""FLORES dev line 96 (memorised): 'An inquiry was established to investigate.'"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="runs of each command (median reported)")
    parser.add_argument("--model", default="memorising", help="a model name of bench/realistic_models.py")
    parser.add_argument("--sentence", default=SENTENCE.strip(),
                        help="the input (default %(default)r, a sentence the memorising model learnt)")
    args = parser.parse_args()
    model_dir, ct2_dir = speed.prepare_model(args.model)
    compileall.compile_dir(str(BENCH.parent / "src" / "it2en"), quiet=1)
    venv_it2en = Path(speed.PY).with_name("it2en")
    it2en = [str(venv_it2en)] if venv_it2en.is_file() else [speed.PY, "-m", "it2en"]
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "one.txt"
        source.write_text(args.sentence + "\n", encoding="utf-8")
        commands = {
            "python -c pass": [speed.PY, "-c", "pass"],
            "minimal CTranslate2 script": [speed.PY, str(BENCH / "minimal_ct2.py"), str(ct2_dir), str(source)],
            "it2en translate --backend ctranslate2": [*it2en, "translate", "--no-memory", "-m", str(model_dir), "-q",
                                                      "--backend", "ctranslate2", str(source)],
        }
        env = speed._env()
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for cmd in commands.values():  # warm-up: disk cache, .pyc
            speed.run_measured(cmd, env)
        for _ in range(args.runs):
            for name, cmd in commands.items():
                wall, _, rc, err = speed.run_measured(cmd, env)
                if rc != 0:
                    raise SystemExit(f"{name} failed (exit {rc}):\n{err}")
                times[name].append(wall)
                cpu[name].append(speed.LAST_RUN["cpu_s"])
    medians = {name: statistics.median(values) for name, values in times.items()}
    cpu_medians = {name: statistics.median(values) for name, values in cpu.items()}
    minimal, minimal_cpu = medians["minimal CTranslate2 script"], cpu_medians["minimal CTranslate2 script"]
    print(f"One sentence ({args.sentence!r}), model {args.model}, median of {args.runs} runs, interleaved "
          f"({speed.cpu_stall_us() and 'CPU contention applies: see CPU s'}):\n")
    print("| command | median wall s | ÷ minimal script | median CPU s (user + system) | ÷ minimal script |")
    print("|---|--:|--:|--:|--:|")
    for name, value in medians.items():
        print(f"| {name} | {value:.3f} | {value / minimal:.2f}× | {cpu_medians[name]:.3f} | "
              f"{cpu_medians[name] / minimal_cpu:.2f}× |")
    ratio = medians["it2en translate --backend ctranslate2"] / minimal
    print(f"\nGoal it2en ≤ 1.5× the minimal script's process time: {'met' if ratio <= 1.5 else 'NOT met'} "
          f"({ratio:.2f}× in wall time; "
          f"{cpu_medians['it2en translate --backend ctranslate2'] / minimal_cpu:.2f}× in CPU time, which "
          "other jobs on a shared machine disturb less)")


if __name__ == "__main__":
    main()
