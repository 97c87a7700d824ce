"""What the translation memory saves on a revised corpus, and what it costs on a fresh one.

    python bench/memory.py              # 3 rounds (about 5 minutes on 2 cores)
    python bench/memory.py --rounds 1   # a shorter run

The corpus's articles (``articles/*.txt`` and the seed article) are translated with the
CTranslate2 backend (beam 4, int8, CPU) in four ways, interleaved in each round:

  fresh, no memory     the corpus, --no-memory
  fresh, memory        the corpus into an empty memory (the memory's lookup and store cost)
  revised, no memory   the corpus with every tenth sentence changed, --no-memory
  revised, memory      the same, with the memory the fresh run filled

Each run is ``batch.plan/load/run`` as ``it2en translate FILES -d OUT`` does it, inside one
process with the engine already loaded, so the figures compare translation work, not start-up.

The model: a random MarianMT folder (tests/marian_factory.build_random_marian: d_model 256,
3+3 layers, 4 heads, FFN 1024, SentencePiece vocabularies of 2,000 pieces) whose ``</s>``
logit gets a bias chosen here so that outputs END at about the source's length, as a real
model's do (a random model without it runs every sentence to the cap). It is built once under
bench/out/memory-model/ and converted to CTranslate2 int8 where it2en looks for it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "memory"
MODEL_DIR = ROOT / "bench" / "out" / "memory-model"
SHAPE = dict(d_model=256, layers=3, heads=4, ffn=1024, spm_vocab=2000, init_std=0.5)
TARGET_LENGTH_RATIO = 1.1
"""The ``</s>`` bias is set so that outputs are about this many times the source's tokens."""
CHANGED_EVERY = 10  # every tenth sentence of the corpus is changed: 10%


def corpus_files() -> list[Path]:
    corpus = Path(os.environ.get("IT2EN_CORPUS") or ROOT.parent / "shared" / "corpus")
    files = sorted((corpus / "articles").glob("*.txt")) + [corpus / "seed_cina-ia-deepseek.txt"]
    if not all(f.is_file() for f in files) or len(files) < 2:
        raise SystemExit(f"corpus not found at {corpus}; set $IT2EN_CORPUS")
    return files


def revise(text: str, counter: list[int]) -> tuple[str, int]:
    """``text`` with every CHANGED_EVERY-th sentence of the corpus changed (a word added)."""
    from it2en.formats.text import parse

    article = parse(text)
    changed = 0
    for segment in article.translatable_segments():
        counter[0] += 1
        if counter[0] % CHANGED_EVERY == 0:
            match = re.search(r"[.!?…:;]*\W*$", segment.source)
            segment.target = segment.source[: match.start()] + " ancora oggi" + segment.source[match.start():]
            changed += 1
    from it2en.render import OutputMeta, render_text

    for block in article.blocks:
        block.label_target = None  # the Italian label (Avvertenza:) stays as it is
    return render_text(article, OutputMeta()), changed


def build_model() -> Path:
    """The random model with a calibrated ``</s>`` bias (built once), and its CT2 copy's cache."""
    if (MODEL_DIR / "model.safetensors").is_file():
        return MODEL_DIR
    sys.path.insert(0, str(ROOT / "tests"))
    import torch
    from marian_factory import build_random_marian
    from transformers import MarianMTModel, MarianTokenizer

    building = MODEL_DIR.with_name(MODEL_DIR.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    build_random_marian(building, **SHAPE)
    model = MarianMTModel.from_pretrained(building).eval()
    tokenizer = MarianTokenizer.from_pretrained(building)
    sample = _sample_sentences(12)
    batch = tokenizer(sample, return_tensors="pt", padding=True)
    source_tokens = batch["attention_mask"].sum().item()

    def length_ratio(bias: float) -> float:
        model.final_logits_bias.zero_()
        model.final_logits_bias[0, 0] = bias
        with torch.no_grad():
            out = model.generate(**batch, num_beams=1, do_sample=False, max_new_tokens=80)
        return (out[:, 1:] != model.config.pad_token_id).sum().item() / source_tokens

    low, high = 0.0, 96.0  # large random weights: logits spread over tens of units
    for step in range(7):  # outputs shorten as the bias grows: bisect to the wanted length (greedy)
        middle = (low + high) / 2
        ratio = length_ratio(middle)
        print(f"</s> bias {middle:.2f}: outputs {ratio:.2f}x the source tokens", file=sys.stderr, flush=True)
        if ratio > TARGET_LENGTH_RATIO:
            low = middle
        else:
            high = middle
    model.final_logits_bias.zero_()
    model.final_logits_bias[0, 0] = (low + high) / 2
    model.save_pretrained(building)
    (building / "eos_bias.json").write_text(json.dumps({"bias": (low + high) / 2,
                                                        "length_ratio": length_ratio((low + high) / 2)}))
    shutil.rmtree(MODEL_DIR, ignore_errors=True)
    building.rename(MODEL_DIR)
    return MODEL_DIR


def _sample_sentences(count: int) -> list[str]:
    from it2en.formats.text import parse

    sentences = []
    for path in corpus_files():
        sentences += [s.source for s in parse(path.read_text(encoding="utf-8")).translatable_segments()]
    return sentences[:: max(1, len(sentences) // count)][:count]


def _time_memory_calls() -> list[float]:
    """Add the time spent in every memory call (open, lookups, stores, close) to the cell returned.

    Wall-time ratios on a busy machine cannot resolve a few percent; this is the memory's own cost.
    """
    from it2en import memory

    spent = [0.0]

    def timed(method):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - started
        return wrapper

    for name in ("open", "human", "machine", "remember", "close"):
        setattr(memory.GuardedMemory, name, timed(getattr(memory.GuardedMemory, name)))
    return spent


def _flores_lines(count: int) -> list[str]:
    corpus = Path(os.environ.get("IT2EN_CORPUS") or ROOT.parent / "shared" / "corpus")
    return (corpus / "flores200" / "ita_Latn.dev").read_text(encoding="utf-8").splitlines()[-count:]


def run_once(files: list[Path], translator, out: Path) -> float:
    from it2en import batch

    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    jobs = batch.plan([str(f) for f in files], output_dir=out)
    batch.load(jobs)
    summary = batch.run(jobs, translator)
    elapsed = time.perf_counter() - started
    assert summary.count(batch.Status.TRANSLATED) == len(files), summary.line()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ["IT2EN_CACHE_DIR"] = str(OUT / "cache")  # where the CTranslate2 copy is kept
    OUT.mkdir(parents=True, exist_ok=True)
    model_dir = build_model()

    from it2en.api import ArticleTranslator
    from it2en.memory import TranslationMemory

    fresh = OUT / "corpus" / "v1"
    revised = OUT / "corpus" / "v2"
    for folder in (fresh, revised):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    counter, changed, total = [0], 0, 0
    for path in corpus_files():
        text = path.read_text(encoding="utf-8")
        (fresh / path.name).write_text(text, encoding="utf-8")
        new, count = revise(text, counter)
        (revised / path.name).write_text(new, encoding="utf-8")
        changed += count
    total = counter[0]
    v1, v2 = sorted(fresh.glob("*.txt")), sorted(revised.glob("*.txt"))

    warm_up = "".join(f"{line}\n\n" for line in _flores_lines(8))  # not corpus sentences

    def translator(memory: Path | bool):
        """A translator with its engine loaded and warmed up (CTranslate2's first call is slower)."""
        t = ArticleTranslator(str(model_dir), backend="ctranslate2", device="cpu", memory=memory)
        t.translate_text(warm_up)
        return t

    inside_memory = _time_memory_calls()
    fresh_file, revised_file = OUT / "fresh.sqlite", OUT / "revised.sqlite"
    for path in (fresh_file, revised_file, OUT / "filled.sqlite"):
        path.unlink(missing_ok=True)
    systems = {"fresh": translator(False), "fresh_memory": translator(fresh_file),
               "revised": translator(False), "revised_memory": translator(revised_file)}
    times: dict[str, list[float]] = {k: [] for k in systems}
    memory_times: dict[str, list[float]] = {"fresh_memory": [], "revised_memory": []}
    sent: dict[str, int] = {}
    for round_number in range(args.rounds):
        fresh_file.unlink()  # an empty memory for the fresh run (created again when opened)
        names = list(systems)
        order = names[2:] + names[:2] if round_number % 2 else names
        for name in order:  # fresh runs first in even rounds, revised runs first in odd ones (round 0 fills)
            if name == "revised_memory":
                shutil.copyfile(OUT / "filled.sqlite", revised_file)
            inside_memory[0] = 0.0
            times[name].append(run_once(v1 if name.startswith("fresh") else v2, systems[name], OUT / name))
            if name in memory_times:
                memory_times[name].append(inside_memory[0])
            if name == "fresh_memory":
                shutil.copyfile(fresh_file, OUT / "filled.sqlite")  # what the revised run starts from
        with TranslationMemory(OUT / "filled.sqlite") as store:
            sent["entries_after_fresh"] = store.stats().entries
        with TranslationMemory(revised_file) as store:
            sent["entries_after_revised"] = store.stats().entries
        print(f"round {round_number + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()),
              file=sys.stderr, flush=True)
    median = {k: statistics.median(v) for k, v in times.items()}
    bias = json.loads((model_dir / "eos_bias.json").read_text())
    report = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "model": f"random MarianMT {SHAPE}, </s> bias {bias['bias']:.2f} (greedy outputs "
                 f"{bias['length_ratio']:.2f}x the source tokens), CTranslate2 int8, beam 4, CPU",
        "output_chars_per_source_char": sum(len(p.read_text(encoding="utf-8")) for p in (OUT / "fresh").rglob("*.txt"))
        / sum(len(p.read_text(encoding="utf-8")) for p in v1),
        "cpu_count": os.cpu_count(),
        "articles": len(v1), "sentences": total, "changed_sentences": changed,
        "rounds": args.rounds, "median_s": median,
        "revised_ratio": median["revised_memory"] / median["revised"],
        "fresh_ratio": median["fresh_memory"] / median["fresh"],
        "median_s_inside_memory": {k: statistics.median(v) for k, v in memory_times.items()},
        "fresh_memory_cost": statistics.median(memory_times["fresh_memory"]) / median["fresh"],
        **sent,
    }
    (OUT / "result.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    print(f"revised corpus with/without memory: {report['revised_ratio']:.3f}x (goal <= 0.2x); "
          f"fresh corpus with/without memory: {report['fresh_ratio']:.3f}x (goal <= 1.05x); time inside "
          f"the memory on the fresh run: {report['fresh_memory_cost']:.4f}x the run without memory")


if __name__ == "__main__":
    main()
