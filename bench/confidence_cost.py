"""What scoring costs: ``translate_detailed`` (with each sentence's confidence) against ``translate``.

The pipeline always asks for scores; the scores come with the decoding (CTranslate2's
``return_scores``; in transformers, a logits processor that keeps each beam's best few
log-probabilities per step), so the ratio should stay within noise. Two models, per backend,
the same sentences both ways, interleaved, best of ``--rounds``, beam 4, the usual cap:

* ``memorising-small``: the tests' tiny memorising model (trained once here, seconds): its
  outputs end, as real ones do;
* ``never-ending``: the random model of opus-mt-it-en's exact shape (bench/realistic_models.py):
  every output runs to its cap over an 80k vocabulary, where keeping the best scores of every
  step costs the most.

    python bench/confidence_cost.py [--sentences 16] [--rounds 3]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE.parent / "tests"))

import realistic_models  # noqa: E402
from marian_factory import MEMORISED_PAIRS, short_flores_pairs, train_memorising_marian  # noqa: E402

from it2en.generation import GenerationSettings  # noqa: E402


def memorising_small() -> tuple[Path, Path]:
    """The tests' memorising model (their learnt pairs), built once under bench/out/models."""
    from it2en.engines.ctranslate2 import convert_to_ctranslate2

    target = realistic_models.MODELS / "memorising-small"
    if not (target / "config.json").is_file():
        building = target.with_name(target.name + ".tmp")
        shutil.rmtree(building, ignore_errors=True)
        train_memorising_marian(building, short_flores_pairs(MEMORISED_PAIRS))
        building.rename(target)
    ct2 = target.with_name(target.name + "-ct2")
    if not ct2.is_dir():
        convert_to_ctranslate2(target, ct2)
    return target, ct2


def measure(name: str, model_dir: Path, ct2_dir: Path, sentences: list[str], rounds: int) -> None:
    from it2en.engines.ctranslate2 import CTranslate2Translator
    from it2en.engines.transformers import TransformersTranslator

    settings = GenerationSettings(beams=4)
    engines = {"ctranslate2": CTranslate2Translator(ct2_dir, generation=settings, quiet=True),
               "transformers": TransformersTranslator(model_dir, generation=settings, quiet=True)}
    for backend, engine in engines.items():
        best = {"plain": float("inf"), "scored": float("inf")}
        for _ in range(rounds):
            for kind, call in (("plain", engine.translate), ("scored", engine.translate_detailed)):
                start = time.perf_counter()
                call(sentences)
                best[kind] = min(best[kind], time.perf_counter() - start)
        print(f"| {name} | {backend} | {best['plain']:.2f} | {best['scored']:.2f} | "
              f"{best['scored'] / best['plain']:.2f}× |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    italian = [it for it, _ in short_flores_pairs(MEMORISED_PAIRS + args.sentences)]
    # half learnt, half never seen: confident and unsure outputs alike
    mixed = italian[: args.sentences // 2] + italian[MEMORISED_PAIRS: MEMORISED_PAIRS + args.sentences // 2]
    print(f"{len(mixed)} short FLORES sentences, beam 4, best of {args.rounds} rounds")
    print("| model | backend | translate s | translate_detailed s | ratio |")
    print("|---|---|--:|--:|--:|")
    measure("memorising-small", *memorising_small(), mixed, args.rounds)
    measure("never-ending", *realistic_models.prepare("never-ending"), mixed, args.rounds)


if __name__ == "__main__":
    main()
