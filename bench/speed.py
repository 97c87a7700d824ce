"""Speed, memory and start-up of it2en, side by side with minimal scripts, on three models.

    python bench/speed.py            # every model, every system, 2 rounds (the full run)
    python bench/speed.py --blocks 3 # the articles' first 3 blocks only (a shorter run)
    python bench/speed.py --quick    # smoke run: a few blocks, one round, fewer start-up runs

The models (bench/realistic_models.py, built once under bench/out/models/, each with its
CTranslate2 int8 copy): ``never-ending`` (random weights, opus-mt-it-en's shape: every output
runs to its cap, the worst case for memory), ``calibrated`` (the same with its </s> logit biased
so that output/input token ratios centre on FLORES's human ones) and ``memorising`` (a small
MarianMT that learnt 120 FLORES pairs: outputs end about where the references end; see README
"Benchmarks"). Per model, the
systems run each in its own process, with beam 4 and the same cap rule
(GenerationSettings.max_new_tokens(source tokens, </s> included)):

  naive        transformers' translation pipeline called once per paragraph
  reference    one ctranslate2.Translator.translate_batch over the sentences it2en extracts
               (max_batch_size=2048, batch_type="tokens": CTranslate2's own batching)
  minimal-hf   a minimal transformers script over the same sentences: sorted batches of 16,
               model.generate(num_beams=4)
  it2en-ct2    `it2en translate -m DIR -q -d OUT --backend ctranslate2 FILES...`
  it2en-hf     the same with --backend transformers

The goal figures are wall-time ratios for the same input (whole processes); tok/s counts every
generated token, retries included, as work, and is shown beside them. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))
import realistic_models  # noqa: E402  (the benchmark models; light: heavy imports inside)

OUT = BENCH / "out"
CACHE_DIR = OUT / "cache"  # $IT2EN_CACHE_DIR for every run: it2en finds its CTranslate2 copy here
PY = sys.executable
BEAMS = 4
REFERENCE_BATCH_TOKENS = 2048  # the reference: CTranslate2's own batching, 2048 source tokens a batch

# The default run takes the four articles whole (about 20 minutes per round on 2 cores: a random
# model runs every sentence to its cap; see bench/README.md); --blocks N their first N blocks
# (headline, standfirst or disclaimer, first paragraph ...); --quick the first QUICK_BLOCKS blocks
# of QUICK_ARTICLE.
QUICK_ARTICLE = "01_tci_2016-11-04_emergenza-roulotte.txt"
QUICK_BLOCKS = 2
HEAVY = ("torch", "transformers", "ctranslate2")

MINIMAL_HF_BATCH = 16  # the minimal transformers script: sorted batches of 16 sentences

MODELS = ("never-ending", "calibrated", "memorising")
SYSTEMS = ("naive", "reference", "minimal-hf", "it2en-ct2", "it2en-hf")
LABELS = {
    "naive": "naive: transformers pipeline, per paragraph",
    "reference": "reference: one ctranslate2 translate_batch",
    "minimal-hf": "minimal transformers script, batches of 16",
    "it2en-ct2": "it2en translate --backend ctranslate2",
    "it2en-hf": "it2en translate --backend transformers",
}
BASELINE = {"it2en-ct2": "reference", "it2en-hf": "minimal-hf", "naive": "minimal-hf"}
"""The system each one is compared with, for the same input."""

_BLANK = re.compile(r"\n[ \t]*(?:\r?\n[ \t]*)+")


def corpus_dir() -> Path:
    return Path(os.environ.get("IT2EN_CORPUS") or ROOT.parent / "shared" / "corpus")


def source_articles() -> list[Path]:
    corpus = corpus_dir()
    files = sorted((corpus / "articles").glob("*.txt")) + [corpus / "seed_cina-ia-deepseek.txt"]
    missing = [str(f) for f in files if not f.is_file()]
    if missing or len(files) < 2:
        raise SystemExit(f"corpus not found ({', '.join(missing) or corpus}); set $IT2EN_CORPUS")
    return files


def blocks(text: str) -> list[str]:
    """The non-empty blocks of an article: text between blank lines."""
    return [b for b in _BLANK.split(text) if b.strip()]


def first_blocks(text: str, count: int) -> str:
    """The article up to the end of its ``count``-th block, layout kept verbatim."""
    for match in _BLANK.finditer(text):
        if len(blocks(text[: match.start()])) >= count:
            return text[: match.start()] + "\n"
    return text


def prepare_corpus(quick: bool, count: int | None, model: str = "never-ending") -> list[Path]:
    """The inputs of this run for ``model``, written under bench/out/corpus/ (the same files for every system).

    The random models take the corpus articles (``count``: the first that many blocks of each,
    None: whole); the memorising model the FLORES documents it learnt, as one article.
    """
    if model == "memorising":
        return [realistic_models.memorised_article(OUT / "corpus" / "flores")]
    count = QUICK_BLOCKS if quick else count
    folder = OUT / "corpus" / ("quick" if quick else "articles") / (f"first{count}" if count else "whole")
    folder.mkdir(parents=True, exist_ok=True)
    chosen = []
    for path in source_articles():
        if quick and path.name != QUICK_ARTICLE:
            continue
        text = path.read_text(encoding="utf-8")
        target = folder / path.name
        target.write_text(first_blocks(text, count) if count else text, encoding="utf-8")
        chosen.append(target)
    return chosen


# --------------------------------------------------------------------------- model set-up


def prepare_model(name: str) -> tuple[Path, Path]:
    """Build the model and its CTranslate2 copy (once, bench/realistic_models.py), in a child process.

    The parent stays small: a child's peak RSS (``ru_maxrss``) starts from its parent's RSS
    at fork time, so a parent holding torch would inflate every measured peak.
    """
    result = OUT / "run" / f"prepare-{name}.json"
    result.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([PY, str(Path(__file__).resolve()), "--worker", "prepare", "--model", name,
                           "--result", str(result)], env=_env(), cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"building the benchmark model {name} failed (exit {proc.returncode})")
    paths = json.loads(result.read_text(encoding="utf-8"))
    return Path(paths["model_dir"]), Path(paths["ct2_dir"])


def worker_prepare(name: str) -> dict:
    model_dir, ct2_dir = realistic_models.prepare(name)
    return {"model_dir": str(model_dir), "ct2_dir": str(ct2_dir)}


# --------------------------------------------------------------------------- workers


def worker_naive(model_dir: Path, files: list[Path]) -> dict:
    """transformers, the way people use it: the translation pipeline, one call per paragraph."""
    start = time.perf_counter()
    import torch
    import transformers
    from transformers.utils import logging as hf_logging

    from it2en.generation import GenerationSettings

    hf_logging.set_verbosity_error()
    generation = GenerationSettings(beams=BEAMS)
    try:
        pipe = transformers.pipeline("translation", model=str(model_dir), device="cpu")
        kind = f"pipeline('translation'), transformers {transformers.__version__}"
        tokenizer, model = pipe.tokenizer, pipe.model

        def run(text: str, cap: int) -> list[int]:
            out = pipe(text, num_beams=BEAMS, max_new_tokens=cap, return_tensors=True)
            return out[0]["translation_token_ids"].tolist()

    except KeyError:
        # transformers 5 removed the translation pipeline: do exactly what it did (tokenize
        # the one text, model.generate under no_grad, decode, skipping special tokens).
        from transformers import MarianMTModel, MarianTokenizer

        kind = f"the translation pipeline's steps (removed in transformers {transformers.__version__})"
        tokenizer = MarianTokenizer.from_pretrained(str(model_dir))
        model = MarianMTModel.from_pretrained(str(model_dir)).eval()

        def run(text: str, cap: int) -> list[int]:
            inputs = tokenizer(text, return_tensors="pt")
            with torch.no_grad():
                ids = model.generate(**inputs, num_beams=BEAMS, max_new_tokens=cap)[0].tolist()
            tokenizer.decode(ids, skip_special_tokens=True)
            return ids

    load_s = time.perf_counter() - start
    skip = {tokenizer.eos_token_id, tokenizer.pad_token_id, model.config.decoder_start_token_id}
    tokens = paragraphs = 0
    start = time.perf_counter()
    for path in files:
        for block in blocks(path.read_text(encoding="utf-8")):
            source_tokens = len(tokenizer(block)["input_ids"])  # </s> included
            ids = run(block, generation.max_new_tokens(source_tokens))
            tokens += sum(i not in skip for i in ids)
            paragraphs += 1
    return {"tokens": tokens, "inputs": paragraphs, "decode_s": time.perf_counter() - start,
            "load_s": load_s, "kind": kind, "threads": torch.get_num_threads()}


def worker_reference(ct2_dir: Path, files: list[Path]) -> dict:
    """A minimal CTranslate2 program: it2en's sentences, one translate_batch call."""
    start = time.perf_counter()
    import ctranslate2
    import sentencepiece

    from it2en.engines.transformers import available_cores
    from it2en.generation import GenerationSettings

    generation = GenerationSettings(beams=BEAMS)
    spm = sentencepiece.SentencePieceProcessor(model_file=str(ct2_dir / "source.spm"))
    translator = ctranslate2.Translator(str(ct2_dir), device="cpu", compute_type="int8",
                                        inter_threads=1, intra_threads=available_cores())
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    sources = [spm.encode(text, out_type=str) + ["</s>"] for text in it2en_sentences(files)]
    # One call, so one cap: the rule applied to the call's longest source, as it2en applies it
    # to each of its batches. cap - 1 steps: transformers forces </s> on the last allowed step.
    cap = generation.max_new_tokens(max(len(s) for s in sources))
    results = translator.translate_batch(
        sources, beam_size=BEAMS, max_decoding_length=max(1, cap - 1),
        max_batch_size=REFERENCE_BATCH_TOKENS, batch_type="tokens",
    )
    special = {"</s>", "<unk>", "<pad>"}
    tokens = sum(sum(t not in special for t in r.hypotheses[0]) for r in results)
    return {"tokens": tokens, "inputs": len(sources), "decode_s": time.perf_counter() - start,
            "load_s": load_s, "cap": cap - 1, "kind": f"ctranslate2 {ctranslate2.__version__}"}


def it2en_sentences(files: list[Path]) -> list[str]:
    """The sentences it2en extracts from the files, each unique one once (as it2en translates them)."""
    from it2en.formats import text as structure

    sentences: dict[str, None] = {}
    for path in files:
        article = structure.parse(path.read_text(encoding="utf-8"), name=str(path))
        for segment in article.translatable_segments():
            sentences.setdefault(segment.source, None)
    return list(sentences)


def worker_minimal_hf(model_dir: Path, files: list[Path]) -> dict:
    """A minimal transformers program: it2en's sentences, sorted, batches of 16, generate(num_beams=4)."""
    start = time.perf_counter()
    import torch
    from transformers import MarianMTModel, MarianTokenizer
    from transformers.utils import logging as hf_logging

    from it2en.generation import GenerationSettings

    hf_logging.set_verbosity_error()
    generation = GenerationSettings(beams=BEAMS)
    tokenizer = MarianTokenizer.from_pretrained(str(model_dir))
    model = MarianMTModel.from_pretrained(str(model_dir)).eval()
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    sentences = sorted(it2en_sentences(files), key=lambda text: len(tokenizer(text)["input_ids"]))
    skip = {tokenizer.eos_token_id, tokenizer.pad_token_id}
    tokens = 0
    for first in range(0, len(sentences), MINIMAL_HF_BATCH):
        inputs = tokenizer(sentences[first : first + MINIMAL_HF_BATCH], return_tensors="pt", padding=True)
        cap = generation.max_new_tokens(inputs["input_ids"].shape[1])
        with torch.inference_mode():
            ids = model.generate(**inputs, num_beams=BEAMS, max_new_tokens=cap)
        tokenizer.batch_decode(ids, skip_special_tokens=True)
        tokens += sum(sum(i not in skip for i in row[1:].tolist()) for row in ids)
    return {"tokens": tokens, "inputs": len(sentences), "decode_s": time.perf_counter() - start,
            "load_s": load_s, "kind": f"transformers generate, batches of {MINIMAL_HF_BATCH}",
            "threads": torch.get_num_threads()}


# --------------------------------------------------------------------------- running systems


def _env(**extra: str) -> dict:
    env = dict(os.environ)
    env.update(IT2EN_CACHE_DIR=str(CACHE_DIR), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")])))
    env.update(extra)
    return env


def cpu_stall_us() -> int | None:
    """Microseconds, since boot, during which some task waited for a CPU (Linux PSI)."""
    try:
        text = Path("/proc/pressure/cpu").read_text()
    except OSError:
        return None
    found = re.search(r"some .*total=(\d+)", text)
    return int(found.group(1)) if found else None


LAST_RUN: dict = {}
CORES: set[int] = set()  # --cores N: every process pinned to these (it2en and the workers follow)


def run_measured(cmd: list[str], env: dict, *, stdout=subprocess.DEVNULL) -> tuple[float, int, int, str]:
    """Run one process; its wall time, its own peak RSS (wait4), exit status and stderr tail.

    LAST_RUN gets the process's CPU seconds and the share of its wall time during which some
    task on the machine waited for a CPU (contention from other users of a shared machine).
    """
    stall = cpu_stall_us()
    start = time.perf_counter()
    pin = (lambda: os.sched_setaffinity(0, CORES)) if CORES else None
    proc = subprocess.Popen(cmd, env=env, stdout=stdout, stderr=subprocess.PIPE, cwd=ROOT, preexec_fn=pin)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    after = cpu_stall_us()
    LAST_RUN.clear()
    LAST_RUN.update(cpu_s=usage.ru_utime + usage.ru_stime,
                    contention=None if stall is None or after is None else (after - stall) / 1e6 / wall)
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    return wall, usage.ru_maxrss * 1024, proc.returncode, err.decode("utf-8", "replace")[-2000:]


def run_system(system: str, files: list[Path], model_dir: Path, ct2_dir: Path, args) -> dict:
    result_file = OUT / "run" / f"{system}.json"
    result_file.parent.mkdir(parents=True, exist_ok=True)
    result_file.unlink(missing_ok=True)
    if system in ("naive", "reference", "minimal-hf"):
        extra = {}
        if system == "naive" and args.naive_pythonpath:
            extra["PYTHONPATH"] = os.pathsep.join([args.naive_pythonpath, str(ROOT / "src")])
        cmd = [PY, str(Path(__file__).resolve()), "--worker", system, "--result", str(result_file),
               "--model", str(ct2_dir if system == "reference" else model_dir), *map(str, files)]
        env = _env(**extra)
    else:
        backend = "ctranslate2" if system == "it2en-ct2" else "transformers"
        out_dir = OUT / "run" / system
        cmd = [PY, str(BENCH / "it2en_counted.py"), "translate", "--no-memory", "-m", str(model_dir), "-q",
               "--backend", backend, "-d", str(out_dir), "--overwrite", *map(str, files)]
        env = _env(IT2EN_BENCH_COUNTS=str(result_file))
    wall, rss, rc, err = run_measured(cmd, env)
    if rc != 0 or not result_file.is_file():
        raise SystemExit(f"{system} failed (exit {rc}):\n{err}")
    data = json.loads(result_file.read_text(encoding="utf-8"))
    if system.startswith("it2en"):
        data["decode_s"] = data["engine_s"]
        data["first_pass_s"] = data["engine_s"] - data["retry_s"] - data["rescue_s"]
        data["first_pass_tokens"] = data["tokens"]
        data["tokens"] = data["tokens"] + data["retry_tokens"] + data["rescue_tokens"]
    data.update(wall_s=wall, rss=rss, **LAST_RUN)
    return data


# --------------------------------------------------------------------------- start-up


def startup(files: list[Path], runs: int) -> dict:
    venv_it2en = Path(PY).with_name("it2en")
    it2en_cmd = [str(venv_it2en)] if venv_it2en.is_file() else [PY, "-m", "it2en"]
    commands = {
        "it2en --help": [*it2en_cmd, "--help"],
        "bare Typer app --help": [PY, str(BENCH / "bare_typer_app.py"), "--help"],
        'python -c "import typer, rich"': [PY, "-c", "import typer, rich"],
        f"it2en inspect {files[0].name}": [*it2en_cmd, "inspect", str(files[0])],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    env = _env()
    for name, cmd in commands.items():  # one warm-up each: disk cache, .pyc
        run_measured(cmd, env)
    for _ in range(runs):
        for name, cmd in commands.items():
            wall, _, rc, err = run_measured(cmd, env)
            if rc != 0:
                raise SystemExit(f"{name} failed (exit {rc}):\n{err}")
            times[name].append(wall)
    medians = {name: statistics.median(values) for name, values in times.items()}
    imports = {}
    probe = ("import json, sys\nsys.argv = ['it2en', *sys.argv[1:]]\nfrom it2en.cli import main\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             f"sys.stderr.write('HEAVY=' + json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n")
    for args in (["--help"], ["inspect", str(files[0])], ["models"]):
        _, _, _, err = run_measured([PY, "-c", probe, *args], env)
        found = re.search(r"HEAVY=(\[.*?\])", err)
        label = "it2en " + " ".join(Path(a).name if "/" in a else a for a in args)
        imports[label] = json.loads(found.group(1)) if found else ["probe failed: " + err[-200:]]
    return {"runs": runs, "median_s": medians, "heavy_imports": imports}


# --------------------------------------------------------------------------- report


def summarise(rounds: list[dict]) -> dict:
    """Each system's best round (shortest wall time: the least disturbed on a shared machine), and
    the ratios of those best figures; peak RSS is the highest seen in any round."""
    table = {}
    for system in SYSTEMS:
        if system not in rounds[0]:
            continue
        runs = [r[system] for r in rounds]
        best = min(runs, key=lambda d: d["wall_s"])
        row = dict(best)
        row["tok_s"] = best["tokens"] / best["wall_s"]
        row["decode_tok_s"] = max(d["tokens"] / d["decode_s"] for d in runs)
        row["rss"] = max(d["rss"] for d in runs)
        row["walls"] = [d["wall_s"] for d in runs]
        table[system] = row
    for system, row in table.items():
        base = BASELINE.get(system)
        if base in table:
            other = table[base]
            # speed = baseline wall ÷ system wall, for the same input: the goal figure (> 1: faster)
            row["ratios"] = {"base": base, "speed": other["wall_s"] / row["wall_s"],
                             "decode_speed": other["decode_s"] / row["decode_s"],
                             "first_pass_speed": other["decode_s"] / row.get("first_pass_s", row["decode_s"]),
                             "tok_s": row["tok_s"] / other["tok_s"], "rss": row["rss"] / other["rss"]}
    return table


def retry_share(row: dict) -> str:
    """Retries' and rescues' share of decoding time, with how many sentences and pieces each decoded."""
    if "retry_s" not in row or not row.get("engine_s"):
        return "–"
    return (f"{row['retry_s'] / row['engine_s']:.0%} + {row['rescue_s'] / row['engine_s']:.0%} "
            f"({row['retry_sentences']:.0f} + {row['rescue_sentences']:.0f} of {row['sentences']:.0f})")


def render(model: str, table: dict, meta: dict) -> str:
    lines = [f"### Model `{model}`: {meta['inputs']}", "",
             "| system | wall s | speed ÷ baseline (same input, wall) | first pass ÷ baseline (decode s) | "
             "output tokens | tok/s | tok/s ÷ baseline | decode s | load s | "
             "retries + rescues: share of decode s (retried sentences + rescued pieces, of first-pass sentences) | "
             "peak RSS MB | CPU contention |",
             "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for system, row in table.items():
        tokens = f"{row['tokens']:.0f}"
        if row.get("retry_tokens") or row.get("rescue_tokens"):
            tokens += f" ({row['retry_tokens']:.0f} retry, {row['rescue_tokens']:.0f} rescue)"
        contention = "–" if row.get("contention") is None else f"{row['contention']:.0%}"
        r = row.get("ratios")
        speed = f"{r['speed']:.2f}× ({r['base']})" if r else "–"
        first = f"{r['first_pass_speed']:.2f}×" if r and "first_pass_s" in row else "–"
        tok_ratio = f"{r['tok_s']:.2f}×" if r else "–"
        lines.append(f"| {LABELS[system]} | {row['wall_s']:.2f} | {speed} | {first} | {tokens} | {row['tok_s']:.1f} | "
                     f"{tok_ratio} | {row['decode_s']:.2f} | {row['load_s']:.2f} | {retry_share(row)} | "
                     f"{row['rss'] / 2**20:.0f} | {contention} |")
    return "\n".join(lines)


def render_startup(start: dict) -> str:
    med = start["median_s"]
    bare, plain = med["bare Typer app --help"], med['python -c "import typer, rich"']
    lines = ["", f"Start-up (median of {start['runs']} runs each, interleaved):", "",
             "| command | median ms | ÷ bare Typer app --help | ÷ import typer, rich |",
             "|---|--:|--:|--:|"]
    for name, value in med.items():
        lines.append(f"| `{name}` | {value * 1000:.0f} | {value / bare:.2f}× | {value / plain:.2f}× |")
    lines += ["", "Heavy modules (" + ", ".join(HEAVY) + ") imported: " + "; ".join(
        f"`{cmd}`: {', '.join(mods) or 'none'}" for cmd, mods in start["heavy_imports"].items()) + "."]
    return "\n".join(lines)


def goals(tables: dict[str, dict], start: dict | None) -> list[tuple[str, bool, str]]:
    """The issue's goals, for the models, systems and baselines that were run."""
    out = []
    for model in ("memorising", "calibrated"):
        row = tables.get(model, {}).get("it2en-ct2", {})
        if row.get("ratios"):
            speed = row["ratios"]["speed"]
            out.append((f"{model}: it2en ctranslate2 ≥ 0.9× the reference's speed (wall, same input)",
                        speed >= 0.9, f"{speed:.2f}× (decode only {row['ratios']['decode_speed']:.2f}×, "
                        f"first pass only {row['ratios']['first_pass_speed']:.2f}×)"))
        row = tables.get(model, {}).get("it2en-hf", {})
        if row.get("ratios"):
            speed = row["ratios"]["speed"]
            out.append((f"{model}: it2en transformers ≥ 0.9× the minimal transformers script's speed",
                        speed >= 0.9, f"{speed:.2f}× (decode only {row['ratios']['decode_speed']:.2f}×, "
                        f"first pass only {row['ratios']['first_pass_speed']:.2f}×)"))
    row = tables.get("never-ending", {}).get("it2en-ct2")
    if row:
        out.append(("never-ending: peak RSS with ctranslate2 < 700 MB", row["rss"] < 700 * 2**20,
                    f"{row['rss'] / 2**20:.0f} MB"))
    if start:
        med = start["median_s"]
        ratio = med["it2en --help"] / med["bare Typer app --help"]
        out.append(("`it2en --help` ≤ 1.5× a bare Typer app's --help", ratio <= 1.5, f"{ratio:.2f}×"))
        heavy = {cmd: mods for cmd, mods in start["heavy_imports"].items() if mods}
        out.append(("--help, inspect, models import no torch/transformers/ctranslate2", not heavy,
                    "none imported" if not heavy else json.dumps(heavy)))
    return out


def _say(message: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"smoke run: the first {QUICK_BLOCKS} blocks of one article ({QUICK_ARTICLE}), one round")
    parser.add_argument("--blocks", type=int, default=None,
                        help="only the first N blocks of each article (default: whole articles)")
    parser.add_argument("--repeat", type=int, default=None, help="rounds of all systems (default 2; --quick: 1)")
    parser.add_argument("--startup-runs", type=int, default=None, help="runs per start-up command (default 10; --quick: 3)")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated subset of " + ",".join(SYSTEMS))
    parser.add_argument("--cores", type=int, default=None,
                        help="pin every process to the first N allowed cores (default: all); "
                             "every system then uses N threads")
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up measurements")
    parser.add_argument("--naive-pythonpath", default=os.environ.get("BENCH_NAIVE_PYTHONPATH"),
                        help="prepended to PYTHONPATH for the naive system only (a folder holding "
                             "transformers 4.x, whose pipeline('translation') still exists)")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of " + ",".join(MODELS))
    parser.add_argument("--worker", choices=("prepare", "naive", "reference", "minimal-hf"), help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        if args.worker == "prepare":
            data = worker_prepare(args.model)
        else:
            work = {"naive": worker_naive, "reference": worker_reference, "minimal-hf": worker_minimal_hf}[args.worker]
            data = work(Path(args.model), [Path(f) for f in args.files])
        Path(args.result).write_text(json.dumps(data), encoding="utf-8")
        return

    repeat = args.repeat or (1 if args.quick else 2)
    startup_runs = args.startup_runs or (3 if args.quick else 10)
    systems = [s for s in args.systems.split(",") if s]
    models = [m for m in args.models.split(",") if m]
    unknown = (set(systems) - set(SYSTEMS)) | (set(models) - set(MODELS))
    if unknown:
        parser.error(f"unknown systems or models: {', '.join(sorted(unknown))}")
    if args.cores:
        CORES.update(sorted(os.sched_getaffinity(0))[: args.cores])
    prepared = {model: prepare_model(model) for model in models}
    inputs = {model: prepare_corpus(args.quick, args.blocks, model) for model in models}
    began = time.perf_counter()

    start = None
    if not args.no_startup:
        _say(f"start-up: {startup_runs} runs of each command, interleaved ...")
        start = startup(inputs[models[0]], startup_runs)

    rounds: dict[str, list[dict]] = {model: [] for model in models}
    for number in range(repeat):
        for model in models:
            model_dir, ct2_dir = prepared[model]
            order = systems if number % 2 == 0 else systems[::-1]
            results = {}
            for system in order:
                _say(f"round {number + 1}/{repeat}, model {model}: {system} ...")
                data = run_system(system, inputs[model], model_dir, ct2_dir, args)
                contention = data.get("contention")
                _say(f"  {data['wall_s']:.1f} s, {data['tokens']} tokens, {data['tokens'] / data['wall_s']:.1f} tok/s, "
                     f"decode {data['decode_s']:.1f} s, cpu {data['cpu_s']:.0f} s, "
                     f"peak RSS {data['rss'] / 2**20:.0f} MB"
                     + ("" if contention is None else f", CPU contention {contention:.0%}"))
                results[system] = data
            rounds[model].append(results)

    tables = {model: summarise(rounds[model]) for model in models}
    count = QUICK_BLOCKS if args.quick else args.blocks
    meta = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "rounds": repeat,
            "cores": len(CORES) or len(os.sched_getaffinity(0)), "command": " ".join(sys.argv)}
    report = [f"Run {meta['date']} (`{meta['command']}`): beam {BEAMS}; {repeat} round(s), systems interleaved "
              f"(order reversed every other round); each system's best round (shortest wall); "
              f"{meta['cores']} core{'s' * (meta['cores'] > 1)}, machine shared with other jobs. "
              "Speed ÷ baseline = the baseline's wall time ÷ the system's, for the same input (whole "
              "processes; the goal figure); baselines: it2en ctranslate2 ← reference, it2en transformers "
              "and naive ← minimal transformers script. tok/s counts every generated token, retries included.", ""]
    for model in models:
        files = inputs[model]
        what = ("FLORES dev documents 1-38 as one article" if model == "memorising" else
                (f"the first {count} blocks of " if count else "the whole of ")
                + f"{len(files)} article{'s' * (len(files) > 1)}")
        report += [render(model, tables[model], {"inputs": what}), ""]
    if start:
        report.append(render_startup(start))
    checks = goals(tables, start)
    report += ["", "Goals:", ""] + [f"- {'met' if ok else 'NOT met'}: {name}: {detail}" for name, ok, detail in checks]
    notes = [f"naive = {t['naive']['kind']}" for t in list(tables.values())[:1] if "naive" in t]
    if notes:
        report += ["", "Notes:", ""] + [f"- {note}." for note in notes]
    report += ["", f"Total benchmark time: {time.perf_counter() - began:.0f} s."]
    text = "\n".join(report)
    print(text)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (OUT / f"speed-{stamp}.md").write_text(text + "\n", encoding="utf-8")
    (OUT / f"speed-{stamp}.json").write_text(json.dumps(
        {"meta": meta, "rounds": rounds, "tables": tables, "startup": start,
         "goals": [{"goal": g, "met": ok, "detail": d} for g, ok, d in checks]}, indent=2, default=str),
        encoding="utf-8")
    _say(f"written to {OUT / f'speed-{stamp}.md'} and .json")


if __name__ == "__main__":
    main()
