"""Throughput and peak memory of the CTranslate2 engine under different batch budgets.

Run from the repository root: ``python bench/batch_budget.py [--budgets 2048,2560,3072,4096]``.
It takes the unique sentences of the four corpus articles (as ``bench/speed.py`` does, whole),
a model of ``bench/realistic_models.py`` (``--model``, default the never-ending one) and its int8
copy, and decodes every sentence once (beam 4, it2en's cap rule) in a fresh process per setting:

* ``positions N``: it2en's rule, a batch holds at most N × (longest source + its cap);
* ``source N``: the rule it2en had before, at most N source tokens (longest × sentences).

Each row gives generated tokens, decode seconds, tok/s and the process's peak RSS. This is how
``DEFAULT_BATCH_TOKENS`` was chosen; the settings run one after the other, so compare rows of
one run, on a quiet machine.
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


def unique_sentences() -> list[str]:
    from it2en.formats import text as structure

    found: dict[str, None] = {}
    for path in speed.source_articles():
        article = structure.parse(path.read_text(encoding="utf-8"), name=path.name)
        for segment in article.translatable_segments():
            found.setdefault(segment.source, None)
    return list(found)


def worker(ct2_dir: Path, rule: str, budget: int) -> dict:
    from it2en.engines.ctranslate2 import CTranslate2Translator
    from it2en.engines.transformers import plan_batches
    from it2en.generation import GenerationSettings

    generation = GenerationSettings(beams=speed.BEAMS)
    engine = CTranslate2Translator(ct2_dir, generation=generation, quiet=True, batch_tokens=budget)
    sentences = unique_sentences()
    sizes: list[int] = []
    tokens = 0
    original = engine._translate_tokens

    def counted(sources, no_repeat_ngram_size=0, **kwargs):
        nonlocal tokens
        outputs = original(sources, no_repeat_ngram_size, **kwargs)
        sizes.append(len(sources))
        tokens += sum(len(output) for output in outputs)
        return outputs

    start = time.perf_counter()
    if rule == "positions":  # it2en's engine as it runs: length bands, batches grown when outputs end
        engine._translate_tokens = counted
        engine.translate(sentences)
    else:  # the rule before issue 4: sentences × longest source ≤ budget, the batch's own cap
        encoded = [engine._encode(text) for text in sentences]
        for batch in plan_batches([len(e) for e in encoded], budget, lambda longest: 0):
            counted([encoded[i] for i in batch])
    decode_s = time.perf_counter() - start
    return {"rule": rule, "budget": budget, "batches": len(sizes), "largest": max(sizes),
            "tokens": tokens, "decode_s": decode_s,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budgets", default="2048,2560,3072,4096", help="position budgets to try")
    parser.add_argument("--source-budgets", default="2048", help="source-token budgets (the old rule)")
    parser.add_argument("--model", default="never-ending", help="a model of bench/realistic_models.py")
    parser.add_argument("--worker", nargs=3, metavar=("CT2_DIR", "RULE", "BUDGET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        ct2_dir, rule, budget = args.worker
        print(json.dumps(worker(Path(ct2_dir), rule, int(budget))))
        return
    _, ct2_dir = speed.prepare_model(args.model)
    settings = [("source", int(b)) for b in args.source_budgets.split(",") if b]
    settings += [("positions", int(b)) for b in args.budgets.split(",") if b]
    print("| rule | budget | batches | largest | tokens | decode s | tok/s | peak RSS MB |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|")
    for rule, budget in settings:
        proc = subprocess.run([speed.PY, __file__, "--worker", str(ct2_dir), rule, str(budget)],
                              env=speed._env(), capture_output=True, text=True, check=True)
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"| {rule} | {budget} | {row['batches']} | {row['largest']} | {row['tokens']} | "
              f"{row['decode_s']:.1f} | {row['tokens'] / row['decode_s']:.1f} | {row['peak_mb']:.0f} |",
              flush=True)


if __name__ == "__main__":
    main()
