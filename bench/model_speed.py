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
timed in alternating rounds (the machine is shared: the ratio of medians is the figure). The
canary (``it2en.models.run_canary``: five built-in sentences) is timed once per model and engine
after loading, as it runs once per revision, and set against the load time.
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


def measure(engine: str, folders: dict, sentences: list[str], repeat: int) -> dict:
    from it2en import models

    catalog = models.load_catalog()
    loaded, result = {}, {}
    for name in MODELS:
        start = time.perf_counter()
        loaded[name] = load(engine, folders[name], catalog.models[name].generation)
        load_s = time.perf_counter() - start
        canary = models.run_canary(loaded[name])
        result[name] = {"load_s": load_s, "canary_s": canary.seconds, "canary_passed": canary.passed,
                        "rounds_s": []}
        realistic_models.say(f"{engine} {name}: loaded in {load_s:.2f} s, canary {canary.seconds:.2f} s")
    for round_ in range(repeat):
        for name in MODELS:
            start = time.perf_counter()
            loaded[name].translate(sentences)
            result[name]["rounds_s"].append(time.perf_counter() - start)
        realistic_models.say(f"{engine} round {round_ + 1}: "
                             + ", ".join(f"{n} {result[n]['rounds_s'][-1]:.2f} s" for n in MODELS))
    for name in MODELS:
        result[name]["median_s"] = statistics.median(result[name]["rounds_s"])
    base, big = (result[name]["median_s"] for name in MODELS)
    result["ratio"] = big / base
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=4, help="FLORES dev sentences per round")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds per engine")
    parser.add_argument("--engines", default=",".join(ENGINES))
    args = parser.parse_args()

    folders = model_folders()
    sentences = [ita for ita, _ in realistic_models.flores_pairs()[: args.sentences]]
    report = {
        "command": " ".join(["python", "bench/model_speed.py", *sys.argv[1:]]),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.processor() or platform.machine()}, {_cores()} cores",
        "sentences": len(sentences),
        "engines": {e: measure(e, folders, sentences, args.repeat) for e in args.engines.split(",")},
    }
    out = realistic_models.OUT / "model_speed.json"
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"{report['date']}, {report['machine']}: {len(sentences)} FLORES sentences, beam 4, "
          f"median of {args.repeat} rounds; random models run every output to its cap")
    print("\n| engine | model | load s | canary s | canary ÷ load | round s (median) | tc-big ÷ opus-mt |")
    print("|---|---|---|---|---|---|---|")
    for engine, result in report["engines"].items():
        for name, ratio in zip(MODELS, ("1", f"{result['ratio']:.2f}×")):
            r = result[name]
            print(f"| {engine} | {name} | {r['load_s']:.2f} | {r['canary_s']:.2f} | "
                  f"{r['canary_s'] / r['load_s']:.2f} | {r['median_s']:.2f} | {ratio} |")
    print(f"\n(written to {out})")


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()
