"""Throughput and peak memory of the CTranslate2 engine under different batch budgets.

Run from the repository root: ``python bench/batch_budget.py [--budgets 200,300,450,600]``.
It takes a model of ``bench/realistic_models.py`` (``--model``, default the never-ending one),
its int8 copy and the unique sentences ``bench/speed.py`` gives that model (the four corpus
articles whole; the memorising model the FLORES documents it learnt), and decodes every
sentence once (beam 4, it2en's cap rule) in a fresh process per setting:

* ``memory N``: the engine as it runs, ``batch_memory`` N MiB (length groups, a batch holds at
  most N MiB of decoding state as ``ModelShape.sentence_bytes`` counts it, grown when outputs
  are seen to end);
* ``source N``: the rule before issue 4, at most N source tokens (longest × sentences).

Each row gives batches, generated tokens, decode seconds, tok/s and the process's peak RSS.
This is how ``DEFAULT_BATCH_MEMORY`` was chosen; the settings run one after the other, so
compare rows of one run, on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent / "src"))

import speed  # noqa: E402  (bench/speed.py: the model, the corpus, the environment)


def unique_sentences(model: str) -> list[str]:
    """The sentences bench/speed.py gives ``model``: the corpus articles whole (the random
    models), the FLORES documents it learnt (the memorising model)."""
    return speed.it2en_sentences(speed.prepare_corpus(False, None, model))


def worker(ct2_dir: Path, model: str, rule: str, budget: int) -> dict:
    from it2en.engines.ctranslate2 import CTranslate2Translator
    from it2en.engines.transformers import plan_batches
    from it2en.generation import GenerationSettings

    generation = GenerationSettings(beams=speed.BEAMS)
    engine = CTranslate2Translator(ct2_dir, generation=generation, quiet=True, batch_memory=budget * 2**20)
    sentences = unique_sentences(model)
    sizes: list[int] = []
    submit = engine._submit

    def counted(sources, no_repeat_ngram_size=0, **kwargs):
        sizes.append(len(sources))
        return submit(sources, no_repeat_ngram_size, **kwargs)

    engine._submit = counted
    start = time.perf_counter()
    if rule == "memory":  # it2en's engine as it runs: length groups, batches grown when outputs end
        outputs = engine._decode([engine._encode(text) for text in sentences], 0)
    else:  # the rule before issue 4: sentences × longest source ≤ budget, the batch's own cap, one at a time
        encoded = [engine._encode(text) for text in sentences]
        outputs = []
        for batch in plan_batches([len(e) for e in encoded], budget, lambda longest: 0):
            outputs += engine._wait(counted([encoded[i] for i in batch]))
    tokens = sum(len(tokens) for tokens, *_ in outputs)
    decode_s = time.perf_counter() - start
    return {"rule": rule, "budget": budget, "batches": len(sizes), "largest": max(sizes),
            "tokens": tokens, "decode_s": decode_s,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budgets", default="200,300,450,600", help="batch memory budgets to try, MiB")
    parser.add_argument("--source-budgets", default="2048", help="source-token budgets (the old rule)")
    parser.add_argument("--model", default="never-ending", help="a model of bench/realistic_models.py")
    parser.add_argument("--worker", nargs=4, metavar=("CT2_DIR", "MODEL", "RULE", "BUDGET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        ct2_dir, model, rule, budget = args.worker
        print(json.dumps(worker(Path(ct2_dir), model, rule, int(budget))))
        return
    _, ct2_dir = speed.prepare_model(args.model)
    settings = [("source", int(b)) for b in args.source_budgets.split(",") if b]
    settings += [("memory", int(b)) for b in args.budgets.split(",") if b]
    print("| rule | budget | batches | largest | tokens | decode s | tok/s | peak RSS MB |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|")
    for rule, budget in settings:
        proc = subprocess.run([speed.PY, __file__, "--worker", str(ct2_dir), args.model, rule, str(budget)],
                              env=speed._env(), capture_output=True, text=True, check=True)
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"| {rule} | {budget} | {row['batches']} | {row['largest']} | {row['tokens']} | "
              f"{row['decode_s']:.1f} | {row['tokens'] / row['decode_s']:.1f} | {row['peak_mb']:.0f} |",
              flush=True)


if __name__ == "__main__":
    main()
