"""The two models of models.toml side by side, and what the canary costs.

    python bench/model_speed.py                            # 4 sentences, 3 rounds, both engines
    python bench/model_speed.py --sentences 2 --repeat 1   # a quicker run

No real weights can be downloaded here, so both models are random-weight models of the real
shapes (built once under ``bench/out/models/``): ``never-ending`` (opus-mt-it-en's shape,
``bench/realistic_models.py``) and ``tc-big-shaped`` (opus-mt-tc-big-it-en's,
``tests/marian_factory.build_tc_big_shaped``). Both have SentencePiece models trained on the
same FLORES lines, so a sentence is the same number of source tokens for both, and both decode
with models.toml's settings (beam 4, the same cap rule). A random model never emits ``</s>``:
every output runs to its cap, so the figure is the cost of the same number of decoding steps,
not of real outputs (a bigger real model does not write longer translations).

Per engine (CTranslate2 int8, transformers float32, both on CPU) the two models are loaded, then
timed in alternating rounds, wall and CPU seconds; the figure is the median of the rounds'
tc-big ÷ opus-mt ratios (the machine is shared: CPU seconds are the steadier). The canary
(``it2en.canary.run_canary``: five built-in sentences) runs once per revision: it is timed once
per engine on two models of opus-mt's shape, ``calibrated`` (outputs end about where real ones
do: the realistic cost) and ``never-ending`` (every output to its cap: the worst case), and set
against the load time.
Results: stdout (Markdown) and ``bench/out/model_speed.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import realistic_models  # noqa: E402  (the benchmark models; heavy imports inside)

MODELS = {"opus-mt-it-en": "never-ending", "opus-mt-tc-big-it-en": "tc-big-shaped"}
ENGINES = ("ctranslate2", "transformers")


def build_tc_big(target: Path) -> None:
    sys.path.insert(0, str(realistic_models.ROOT / "tests"))
    from marian_factory import build_tc_big_shaped

    realistic_models.say(f"building the tc-big-shaped random model in {target} (once) ...")
    build_tc_big_shaped(target)


def model_folders() -> dict[str, tuple[Path, Path]]:
    """models.toml name → (transformers folder, CTranslate2 int8 folder), built once."""
    folders = {"opus-mt-it-en": realistic_models.prepare("never-ending")}
    tc_big = realistic_models.MODELS / MODELS["opus-mt-tc-big-it-en"]
    realistic_models._build_atomically(tc_big, build_tc_big)
    folders["opus-mt-tc-big-it-en"] = (tc_big, realistic_models._convert(tc_big))
    return folders


def load(engine: str, folders: tuple[Path, Path], generation):
    if engine == "ctranslate2":
        from it2en.engines.ctranslate2 import CTranslate2Translator

        return CTranslate2Translator(folders[1], generation=generation, device="cpu", quiet=True)
    from it2en.engines.transformers import TransformersTranslator

    return TransformersTranslator(folders[0], generation=generation, device="cpu", quiet=True)


def timed(action) -> tuple[float, float]:
    """Wall and CPU seconds (all the process's threads) of ``action()``. On a shared machine the
    CPU seconds are the steadier figure: other people's work lengthens the wall time only."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def measure(engine: str, folders: dict, sentences: list[str], repeat: int, with_canary: bool) -> dict:
    from it2en import canary, models

    catalog = models.load_catalog()
    loaded, result = {}, {}
    for name in MODELS:
        holder = []
        load_wall, load_cpu = timed(lambda: holder.append(load(engine, folders[name], catalog.models[name].generation)))
        loaded[name] = holder[0]
        result[name] = {"load_s": load_wall, "load_cpu_s": load_cpu, "rounds": []}
        realistic_models.say(f"{engine} {name}: loaded in {load_wall:.2f} s ({load_cpu:.2f} s CPU)")
    if with_canary:  # it runs once per revision: timed on models of opus-mt's shape, the default
        result["canary"] = {}
        ending = load(engine, realistic_models.prepare("calibrated"), catalog.models["opus-mt-it-en"].generation)
        for kind, translator in (("calibrated", ending), ("never-ending", loaded["opus-mt-it-en"])):
            verdict = []
            wall, cpu = timed(lambda: verdict.append(canary.run_canary(translator)))
            result["canary"][kind] = {"wall_s": wall, "cpu_s": cpu, "passed": verdict[0].passed}
            realistic_models.say(f"{engine} canary on the {kind} model: {wall:.2f} s ({cpu:.2f} s CPU)")
        del ending
    for round_ in range(repeat):
        for name in MODELS:
            wall, cpu = timed(lambda: loaded[name].translate(sentences))
            result[name]["rounds"].append({"wall_s": wall, "cpu_s": cpu})
        realistic_models.say(f"{engine} round {round_ + 1}: " + ", ".join(
            f"{n} {result[n]['rounds'][-1]['wall_s']:.2f} s ({result[n]['rounds'][-1]['cpu_s']:.2f} s CPU)"
            for n in MODELS))
    base, big = (result[name]["rounds"] for name in MODELS)
    for kind in ("wall_s", "cpu_s"):
        for name in MODELS:
            result[name][f"median_{kind}"] = statistics.median(r[kind] for r in result[name]["rounds"])
        result[f"ratio_{kind}"] = statistics.median(b[kind] / a[kind] for a, b in zip(base, big))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=4, help="FLORES dev sentences per round")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds per engine")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--no-canary", action="store_true", help="do not time the canary")
    args = parser.parse_args()

    folders = model_folders()
    sentences = [ita for ita, _ in realistic_models.flores_pairs()[: args.sentences]]
    report = {
        "command": " ".join(["python", "bench/model_speed.py", *sys.argv[1:]]),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.processor() or platform.machine()}, {_cores()} cores",
        "sentences": len(sentences),
        "engines": {e: measure(e, folders, sentences, args.repeat, not args.no_canary)
                    for e in args.engines.split(",")},
    }
    out = realistic_models.OUT / "model_speed.json"
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"{report['date']}, {report['machine']}: {len(sentences)} FLORES sentences, beam 4, "
          f"{args.repeat} alternating rounds; random models run every output to its cap")
    print("\n| engine | opus-mt-it-en s (CPU s) | tc-big s (CPU s) | tc-big ÷ opus-mt, wall | CPU |")
    print("|---|---|---|---|---|")
    for engine, r in report["engines"].items():
        base, big = (r[name] for name in MODELS)
        print(f"| {engine} | {base['median_wall_s']:.2f} ({base['median_cpu_s']:.2f}) | "
              f"{big['median_wall_s']:.2f} ({big['median_cpu_s']:.2f}) | "
              f"{r['ratio_wall_s']:.2f}× | {r['ratio_cpu_s']:.2f}× |")
    print("\n| engine | opus-mt-it-en load s (CPU s) | canary, outputs end (calibrated) s (CPU s) | "
          "canary, outputs to the cap (never-ending) s (CPU s) |")
    print("|---|---|---|---|")
    for engine, r in report["engines"].items():
        load, canary = r["opus-mt-it-en"], r.get("canary")
        if canary is None:
            continue
        print(f"| {engine} | {load['load_s']:.2f} ({load['load_cpu_s']:.2f}) | "
              + " | ".join(f"{canary[k]['wall_s']:.2f} ({canary[k]['cpu_s']:.2f})" for k in ("calibrated", "never-ending"))
              + " |")
    print(f"\n(written to {out})")


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()
