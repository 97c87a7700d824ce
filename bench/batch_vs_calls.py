"""One ``it2en translate`` call over N articles against N separate calls, same model and settings.

Run from the repository root: ``python bench/batch_vs_calls.py [--articles 20] [--backend B]``.
The articles are the first N FLORES-200 dev documents (one paragraph each, under a one-line
title), written to ``bench/out/batch/``. The model is the random model of opus-mt-it-en's shape
that ``bench/speed.py`` builds (``bench/out/opus-mt-shaped``); a random model runs every output
to its cap, so both ways do exactly the same decoding work and the difference is what one
process and one model load save. Prints wall seconds and CPU seconds (the child processes'
user + system time, which other work on a shared machine disturbs far less) for each way, and
their ratios.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
MODEL = OUT / "opus-mt-shaped"


def corpus() -> Path:
    return Path(os.environ.get("IT2EN_CORPUS", ROOT.parent / "shared" / "corpus"))


def flores_paragraphs() -> list[str]:
    """The FLORES-200 dev documents, one paragraph each: blank lines separate them in the file."""
    text = (corpus() / "flores200" / "ita_Latn.dev.paragraphs.txt").read_text(encoding="utf-8")
    paragraphs = [paragraph.strip() for paragraph in text.strip().split("\n\n")]
    # An empty article loads no model and would flatter the separate calls; a line break inside
    # a paragraph means documents were not separated by blank lines.
    if not all(paragraphs) or any("\n" in paragraph for paragraph in paragraphs):
        sys.exit("the FLORES paragraphs file is not one paragraph a document, blank lines between")
    return paragraphs


def write_articles(folder: Path, count: int) -> list[Path]:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    paragraphs = flores_paragraphs()
    if len(paragraphs) < count:
        sys.exit(f"only {len(paragraphs)} FLORES documents, {count} asked for")
    paths = []
    for number, paragraph in enumerate(paragraphs[:count], start=1):
        title = " ".join(paragraph.split()[:6]).rstrip(".,;:")
        path = folder / f"articolo{number:02d}.txt"
        path.write_text(f"{title}\n\n{paragraph}\n", encoding="utf-8")
        paths.append(path)
    return paths


def run(args: list[str], env: dict) -> None:
    subprocess.run([sys.executable, "-m", "it2en", "translate", "--no-memory", *args], check=True, env=env)


def timed(work) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of the child processes it ran (user + system)."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    work()
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--backend", default="ctranslate2", choices=["ctranslate2", "transformers"])
    parser.add_argument("--beams", type=int, default=4)
    options = parser.parse_args()
    if not MODEL.is_dir():
        sys.exit(f"{MODEL} is missing: run `python bench/speed.py --quick` once to build it.")
    env = {**os.environ, "IT2EN_CACHE_DIR": str(OUT / "cache"), "HF_HUB_OFFLINE": "1"}
    articles = write_articles(OUT / "batch" / "in", options.articles)
    common = ["-m", str(MODEL), "--backend", options.backend, "--beams", str(options.beams), "-q"]
    run([str(articles[0]), "-o", str(OUT / "batch" / "warm.txt"), *common], env)  # conversion, caches
    one_dir, many_dir = OUT / "batch" / "one-call", OUT / "batch" / "separate-calls"
    for folder in (one_dir, many_dir):
        shutil.rmtree(folder, ignore_errors=True)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    one_call, one_cpu = timed(lambda: run([*map(str, articles), "-d", str(one_dir), *common], env))
    separate, separate_cpu = timed(lambda: [run([str(a), "-d", str(many_dir), *common], env) for a in articles])
    words = sum(len(article.read_text(encoding="utf-8").split()) for article in articles)
    print(f"{when}: {len(articles)} articles ({words} words), --backend {options.backend}, beam {options.beams}")
    print(f"{'':16}{'wall':>9}{'CPU':>9}")
    print(f"{'one call':16}{one_call:8.1f}s{one_cpu:8.1f}s")
    print(f"{'separate calls':16}{separate:8.1f}s{separate_cpu:8.1f}s")
    print(f"{'ratio':16}{separate / one_call:8.2f}x{separate_cpu / one_cpu:8.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
