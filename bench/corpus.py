"""``it2en corpus`` on Ray Data against ``it2en translate`` in one process, on the same articles.

    python bench/corpus.py                 # 32 articles of FLORES sentences, beam 4
    python bench/corpus.py --articles 8    # a shorter run

Offline. It builds once, into the git-ignored ``bench/out/corpus-model/``, a small random-weight
MarianMT (d_model 256, 3+3 layers, 4 heads, FFN 1024, SentencePiece vocabularies of 1,000
pieces) whose ``</s>`` logit gets a bias chosen so that its outputs END, at about the source's
length (a random model without it never emits ``</s>`` and runs every sentence to its cap,
which would measure the cap rule, not the systems). The articles are FLORES-200 dev Italian
sentences, 8 to an article, each article different (it2en translates a repeated sentence only
once). Every system runs in its own process, CTranslate2 int8, beam 4:

  one process   ``it2en translate FILES -d OUT`` with ``$IT2EN_THREADS`` = 1
  corpus 1x1    ``it2en corpus in.jsonl -o out.jsonl --workers 1 --cores-per-worker 1``
  corpus 2x1    ``it2en corpus ... --workers 2 --cores-per-worker 1``

Each system runs on half of the articles and on all of them; the figures are marginal
(extra articles ÷ extra seconds), so that start-up (Python imports, Ray's start, loading the
model in each actor) drops out. The corpus runs take ``--batch-articles`` = a quarter of the
articles: the half run is two batches (one each for two actors), the full run four, so the
extra work is whole rounds for one actor and for two. Wall times with start-up are printed too. Source tokens are
counted with the model's SentencePiece (``</s>`` included), as ``it2en corpus`` reports them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
MODEL_DIR = OUT / "corpus-model"
WORK = OUT / "corpus-run"
PY = sys.executable
SENTENCES_PER_ARTICLE = 8
BEAMS = 4
TARGET_LENGTH_RATIO = 1.0
"""Output length ÷ source length the ``</s>`` bias is tuned for (greedy, on 64 FLORES lines)."""


def environment() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT / 'tests'}",
           "IT2EN_CACHE_DIR": str(OUT / "cache"), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false"}
    env.setdefault("IT2EN_CORPUS", str(ROOT.parent / "shared" / "corpus"))
    return env


def italian_lines() -> list[str]:
    sys.path.insert(0, str(ROOT / "tests"))
    from marian_factory import default_training_lines

    return default_training_lines(None)[0]


def build_model() -> dict:
    """The small random MarianMT with an ``</s>`` bias tuned so outputs end near the source's length."""
    info_path = MODEL_DIR / "bench-model.json"
    if info_path.is_file():
        return json.loads(info_path.read_text())
    sys.path.insert(0, str(ROOT / "tests"))
    import torch
    from transformers import MarianMTModel, MarianTokenizer

    from marian_factory import build_random_marian

    build_random_marian(MODEL_DIR, d_model=256, layers=3, heads=4, ffn=1024, spm_vocab=1000, init_std=0.5)
    model = MarianMTModel.from_pretrained(MODEL_DIR).eval()
    tokenizer = MarianTokenizer.from_pretrained(MODEL_DIR)
    batch = tokenizer(italian_lines()[:32], return_tensors="pt", padding=True)
    source_tokens = int(batch["attention_mask"].sum())
    chosen, ratio = 0.0, None
    for bias in (0, 16, 24, 32, 40, 48, 64, 80, 96, 128, 160, 200):  # random logits are large
        with torch.no_grad():
            model.final_logits_bias[0, 0] = float(bias)
            out = model.generate(**batch, num_beams=1, max_new_tokens=128, forced_eos_token_id=None)
        ratio = int((out != model.config.pad_token_id).sum()) / source_tokens
        print(f"  </s> bias {bias:>4}: greedy output/source length {ratio:.2f}", file=sys.stderr)
        chosen = bias
        if ratio <= TARGET_LENGTH_RATIO:
            break
    model.save_pretrained(MODEL_DIR)
    info = {"eos_bias": chosen, "length_ratio_greedy": round(ratio, 3),
            "shape": "d_model 256, 3+3 layers, 4 heads, FFN 1024, spm 1000+1000, init_std 0.5"}
    info_path.write_text(json.dumps(info))
    return info


def make_articles(count: int) -> tuple[list[str], int]:
    """``count`` different articles of FLORES sentences, and their source tokens."""
    import sentencepiece

    lines = italian_lines()
    needed = count * SENTENCES_PER_ARTICLE
    if needed > len(lines):
        raise SystemExit(f"--articles {count} needs {needed} FLORES lines; there are {len(lines)}")
    spm = sentencepiece.SentencePieceProcessor(model_file=str(MODEL_DIR / "source.spm"))
    articles = []
    for start in range(0, needed, SENTENCES_PER_ARTICLE):
        chunk = lines[start : start + SENTENCES_PER_ARTICLE]
        articles.append(chunk[0].rstrip(".") + "\n\n" + " ".join(chunk[1:4]) + "\n\n" + " ".join(chunk[4:]) + "\n")
    tokens = sum(len(spm.encode(line)) + 1 for line in lines[:needed])
    return articles, tokens


def run(command: list[str], *, threads: int | None = None) -> float:
    env = environment()
    if threads:
        env["IT2EN_THREADS"] = str(threads)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds


def system_command(system: str, folder: Path, articles: list[str], batch_articles: int) -> tuple[list[str], int | None]:
    folder.mkdir(parents=True, exist_ok=True)
    common = ["-m", str(MODEL_DIR), "--backend", "ctranslate2", "--beams", str(BEAMS), "-q"]
    if system == "one process":
        files = []
        for number, text in enumerate(articles):
            path = folder / f"a{number:04d}.txt"
            path.write_text(text, encoding="utf-8")
            files.append(str(path))
        return [PY, "-m", "it2en", "translate", "--no-memory", *files, "-d", str(folder / "en"), "--overwrite", *common], 1
    source = folder / "in.jsonl"
    source.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n"
                              for i, t in enumerate(articles)), encoding="utf-8")
    workers = "1" if system == "corpus 1x1" else "2"
    target = folder / f"out-{time.monotonic_ns()}.jsonl"
    return [PY, "-m", "it2en", "corpus", str(source), "-o", str(target), "--workers", workers,
            "--cores-per-worker", "1", "--batch-articles", str(batch_articles), *common], None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=32, help="articles in the full run (half in the small one)")
    parser.add_argument("--batch-articles", type=int, help="it2en corpus --batch-articles (default: a quarter of "
                        "--articles, so that the full run is 4 batches: 2 per actor with 2 actors)")
    parser.add_argument("--model", type=Path, help="a MarianMT folder whose outputs end, e.g. bench/out/models/memorising "
                        "(python bench/realistic_models.py memorising); default: build the small biased model")
    args = parser.parse_args()
    os.environ.update({k: v for k, v in environment().items() if k.startswith(("IT2EN", "HF_", "TRANSFORMERS"))})
    sys.path.insert(0, str(ROOT / "src"))
    global MODEL_DIR
    if args.model:
        MODEL_DIR = args.model.resolve()
        info = {"shape": MODEL_DIR.name, "eos_bias": "its own", "length_ratio_greedy": "its own"}
    else:
        info = build_model()
    full, full_tokens = make_articles(args.articles)
    small_count = max(1, args.articles // 2)
    small, small_tokens = full[:small_count], make_articles(small_count)[1]
    # Warm-up: the CTranslate2 conversion into the cache, outside every timing.
    warm = WORK / "warm.txt"
    warm.parent.mkdir(parents=True, exist_ok=True)
    warm.write_text(full[0], encoding="utf-8")
    run([PY, "-m", "it2en", "translate", "--no-memory", str(warm), "-m", str(MODEL_DIR), "--backend", "ctranslate2", "-q"])
    rows = []
    for system in ("one process", "corpus 1x1", "corpus 2x1"):
        times = {}
        for label, articles in (("small", small), ("full", full)):
            command, threads = system_command(system, WORK / system.replace(" ", "-") / label, articles,
                                              args.batch_articles or max(1, args.articles // 4))
            times[label] = run(command, threads=threads)
            print(f"{system:<12} {label:<5} {len(articles):>4} articles {times[label]:7.1f} s", file=sys.stderr)
        extra = times["full"] - times["small"]
        rows.append({"system": system, "wall_full": times["full"], "wall_small": times["small"],
                     "rows_per_s": (len(full) - len(small)) / extra if extra > 0 else float("nan"),
                     "tokens_per_s": (full_tokens - small_tokens) / extra if extra > 0 else float("nan")})
    base = {r["system"]: r for r in rows}
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"\nMeasured {when}; model: {MODEL_DIR.relative_to(ROOT) if MODEL_DIR.is_relative_to(ROOT) else MODEL_DIR} ({info['shape']}, </s> bias {info['eos_bias']}, "
          f"greedy output/source length {info['length_ratio_greedy']}); {len(full)} articles "
          f"({len(full) * SENTENCES_PER_ARTICLE} sentences, {full_tokens} source tokens), beam {BEAMS}, "
          f"--batch-articles {args.batch_articles or max(1, args.articles // 4)}, "
          f"{os.cpu_count()} cores.\n")
    print("| system | wall s (all articles, with start-up) | wall s (half) | marginal rows/s | marginal source tokens/s | ÷ one process |")
    print("|---|--:|--:|--:|--:|--:|")
    for row in rows:
        ratio = row["tokens_per_s"] / base["one process"]["tokens_per_s"]
        print(f"| {row['system']} | {row['wall_full']:.1f} | {row['wall_small']:.1f} | {row['rows_per_s']:.2f} | "
              f"{row['tokens_per_s']:.0f} | {ratio:.2f}× |")
    one, two = base["corpus 1x1"]["tokens_per_s"], base["corpus 2x1"]["tokens_per_s"]
    overhead = base["one process"]["tokens_per_s"] / one
    print(f"\nscaling 2 actors ÷ 1 actor: {two / one:.2f}×; Ray's overhead at one actor "
          f"(one process's rate ÷ corpus 1x1's): {overhead:.2f}× (goal ≤ 1.15×)")


if __name__ == "__main__":
    main()
