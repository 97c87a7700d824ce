"""What asking the engine for a word alignment costs: ``translate_aligned`` against ``translate``.

Only sentences that carry inline markup (Markdown, HTML) are translated with alignment; this
measures, per backend, the wall time of the same sentences both ways, interleaved, best of
``--rounds``. The model is bench/speed.py's random model with opus-mt-it-en's exact shape (built
once under bench/out/), beam 4, the usual cap (2 × source tokens + 10): a random model runs every
output to its cap, so the figures are per generated token as much as per sentence.

    python bench/alignment_cost.py [--sentences 24] [--rounds 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from speed import prepare_model  # noqa: E402

from it2en.generation import GenerationSettings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--model", default="memorising", choices=("never-ending", "calibrated", "memorising"))
    args = parser.parse_args()
    sys.path.insert(0, str(HERE.parent / "tests"))
    from marian_factory import corpus_dir

    lines = (corpus_dir() / "flores200" / "ita_Latn.dev").read_text(encoding="utf-8").splitlines()[: args.sentences]
    model_dir, ct2_dir = prepare_model(args.model)
    settings = GenerationSettings(beams=4)
    from it2en.engines.ctranslate2 import CTranslate2Translator
    from it2en.engines.transformers import TransformersTranslator

    engines = {
        "ctranslate2": CTranslate2Translator(ct2_dir, generation=settings, quiet=True),
        "transformers": TransformersTranslator(model_dir, generation=settings, quiet=True),
    }
    print(f"{len(lines)} FLORES sentences, beam 4, best of {args.rounds} rounds")
    print("| backend | translate s | translate_aligned s | ratio |")
    print("|---|--:|--:|--:|")
    for name, engine in engines.items():
        best = {"plain": float("inf"), "aligned": float("inf")}
        for _ in range(args.rounds):
            for kind, call in (("plain", engine.translate), ("aligned", engine.translate_aligned)):
                start = time.perf_counter()
                call(lines)
                best[kind] = min(best[kind], time.perf_counter() - start)
        print(f"| {name} | {best['plain']:.1f} | {best['aligned']:.1f} | {best['aligned'] / best['plain']:.2f}× |",
              flush=True)


if __name__ == "__main__":
    main()
