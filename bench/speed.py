"""Speed, memory and start-up of it2en, side by side with the naive way and a minimal reference.

    python bench/speed.py            # the full run: the corpus's four articles, whole, 2 rounds
    python bench/speed.py --blocks 3 # the first 3 blocks of each article only (a shorter run)
    python bench/speed.py --quick    # smoke run: one article, one round, fewer start-up runs

Offline, it builds (once, cached under bench/out/) a random-weight MarianMT model with exactly
opus-mt-it-en's shape (tests/marian_factory.build_opus_mt_shaped) and its CTranslate2 int8
copy, then runs four systems, each in its own process, with beam 4 and the same cap rule
(GenerationSettings.max_new_tokens(source tokens, </s> included)):

  naive      transformers' translation pipeline called once per paragraph (each non-empty
             block of an article); the cap comes from the paragraph's tokens
  reference  one ctranslate2.Translator.translate_batch call over the sentences it2en
             extracts (structure.parse + segments), sentencepiece pieces + </s>
  it2en ct2  `it2en translate -m DIR -q -d OUT --backend ctranslate2 FILES...`
  it2en hf   the same with --backend transformers

A random model never emits </s>, so every output runs to its cap: tokens/s is the honest
throughput figure, wall time depends on the cap rule. See bench/README.md.
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
OUT = BENCH / "out"
MODEL_DIR = OUT / "opus-mt-shaped"
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

SYSTEMS = ("naive", "reference", "it2en-ct2", "it2en-hf")
LABELS = {
    "naive": "naive: transformers pipeline, per paragraph",
    "reference": "reference: one ctranslate2 translate_batch",
    "it2en-ct2": "it2en translate --backend ctranslate2",
    "it2en-hf": "it2en translate --backend transformers",
}

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


def prepare_corpus(quick: bool, count: int | None) -> list[Path]:
    """The inputs of this run, written under bench/out/corpus/ (the same files for every system).

    ``count``: the first that many blocks of each article (None: whole articles).
    """
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


def prepare_models() -> tuple[Path, Path]:
    """Build the model and its CTranslate2 copy (once), in a child process.

    The parent stays small: a child's peak RSS (``ru_maxrss``) starts from its parent's RSS
    at fork time, so a parent holding torch would inflate every measured peak.
    """
    result = OUT / "run" / "prepare.json"
    result.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([PY, str(Path(__file__).resolve()), "--worker", "prepare", "--result", str(result)],
                          env=_env(), cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"building the benchmark model failed (exit {proc.returncode})")
    paths = json.loads(result.read_text(encoding="utf-8"))
    return Path(paths["model_dir"]), Path(paths["ct2_dir"])


def worker_prepare() -> dict:
    """Build the opus-mt-shaped model and its CTranslate2 copy where it2en will look for it."""
    os.environ["IT2EN_CACHE_DIR"] = str(CACHE_DIR)
    if not (MODEL_DIR / "model.safetensors").is_file():
        _say(f"building the opus-mt-it-en-shaped random model in {MODEL_DIR} (once) ...")
        sys.path.insert(0, str(ROOT / "tests"))
        import shutil

        from marian_factory import build_opus_mt_shaped

        building = MODEL_DIR.with_name(MODEL_DIR.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        build_opus_mt_shaped(building)
        shutil.rmtree(MODEL_DIR, ignore_errors=True)
        building.rename(MODEL_DIR)
    from it2en import models
    from it2en.engines.ctranslate2 import convert_to_ctranslate2, is_converted
    from it2en.engines.factory import ct2_cache_dir

    spec = models.resolve(str(MODEL_DIR))
    located = models.locate(spec, download=False)
    ct2_dir = ct2_cache_dir(f"{spec.cache_key}-{located.revision}")  # the key it2en's API uses
    if not is_converted(ct2_dir):
        _say(f"converting it to CTranslate2 int8 in {ct2_dir} (once) ...")
        convert_to_ctranslate2(located.path, ct2_dir, quantization="int8")
    return {"model_dir": str(MODEL_DIR), "ct2_dir": str(ct2_dir)}


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

    from it2en.formats import text as structure
    from it2en.engines.transformers import available_cores
    from it2en.generation import GenerationSettings

    generation = GenerationSettings(beams=BEAMS)
    spm = sentencepiece.SentencePieceProcessor(model_file=str(ct2_dir / "source.spm"))
    translator = ctranslate2.Translator(str(ct2_dir), device="cpu", compute_type="int8",
                                        inter_threads=1, intra_threads=available_cores())
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    sentences: dict[str, None] = {}  # unique, in order: it2en translates each once too
    for path in files:
        article = structure.parse(path.read_text(encoding="utf-8"), name=str(path))
        for segment in article.translatable_segments():
            sentences.setdefault(segment.source, None)
    sources = [spm.encode(text, out_type=str) + ["</s>"] for text in sentences]
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
    if system in ("naive", "reference"):
        extra = {}
        if system == "naive" and args.naive_pythonpath:
            extra["PYTHONPATH"] = os.pathsep.join([args.naive_pythonpath, str(ROOT / "src")])
        cmd = [PY, str(Path(__file__).resolve()), "--worker", system, "--result", str(result_file),
               "--model", str(model_dir if system == "naive" else ct2_dir), *map(str, files)]
        env = _env(**extra)
    else:
        backend = "ctranslate2" if system == "it2en-ct2" else "transformers"
        out_dir = OUT / "run" / system
        cmd = [PY, str(BENCH / "it2en_counted.py"), "translate", "-m", str(model_dir), "-q",
               "--backend", backend, "-d", str(out_dir), "--overwrite", *map(str, files)]
        env = _env(IT2EN_BENCH_COUNTS=str(result_file))
    wall, rss, rc, err = run_measured(cmd, env)
    if rc != 0 or not result_file.is_file():
        raise SystemExit(f"{system} failed (exit {rc}):\n{err}")
    data = json.loads(result_file.read_text(encoding="utf-8"))
    if system.startswith("it2en"):
        data["decode_s"] = data["engine_s"]
        data["first_pass_tokens"] = data["tokens"]
        data["tokens"] = data["tokens"] + data["retry_tokens"]
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
    """Each system's best round (highest tok/s: the least disturbed on a shared machine), and
    the ratios of those best figures; peak RSS is the highest seen in any round."""
    table = {}
    for system in SYSTEMS:
        if system not in rounds[0]:
            continue
        runs = [r[system] for r in rounds]
        best = max(runs, key=lambda d: d["tokens"] / d["wall_s"])
        row = dict(best)
        row["tok_s"] = best["tokens"] / best["wall_s"]
        row["decode_tok_s"] = max(d["tokens"] / d["decode_s"] for d in runs)
        row["rss"] = max(d["rss"] for d in runs)
        row["walls"] = [d["wall_s"] for d in runs]
        table[system] = row
    for system, row in table.items():
        ratios = {}
        for base in ("naive", "reference"):
            if base in table:
                other = table[base]
                ratios.update({f"tok_s/{base}": row["tok_s"] / other["tok_s"],
                               f"decode_tok_s/{base}": row["decode_tok_s"] / other["decode_tok_s"],
                               f"wall_s/{base}": row["wall_s"] / other["wall_s"],
                               f"rss/{base}": row["rss"] / other["rss"]})
        row["ratios"] = ratios
    return table


def render(table: dict, start: dict | None, meta: dict) -> str:
    lines = [f"Run {meta['date']}: {meta['inputs']}; beam {BEAMS}; {meta['rounds']} round(s), systems "
             f"interleaved (order reversed every other round); each system's best round; "
             f"{meta['cores']} core{'s' * (meta['cores'] > 1)} (machine shared with other jobs).", ""]
    lines += ["| system | wall s | output tokens | tok/s | decode s | decode tok/s | load s | "
              "peak RSS MB | CPU contention |",
              "|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for system, row in table.items():
        tokens = f"{row['tokens']:.0f}"
        if row.get("retry_tokens"):
            tokens += f" ({row['retry_tokens']:.0f} retry)"
        contention = "–" if row.get("contention") is None else f"{row['contention']:.0%}"
        lines.append(f"| {LABELS[system]} | {row['wall_s']:.1f} | {tokens} | {row['tok_s']:.1f} | "
                     f"{row['decode_s']:.1f} | {row['decode_tok_s']:.1f} | {row['load_s']:.1f} | "
                     f"{row['rss'] / 2**20:.0f} | {contention} |")
    lines += ["", "Ratios (×, system ÷ baseline, from the figures above; tok/s: higher is faster; "
              "wall and RSS: lower is better):", "",
              "| system | tok/s ÷ naive | tok/s ÷ ref | decode tok/s ÷ naive | decode tok/s ÷ ref | "
              "wall ÷ naive | wall ÷ ref | RSS ÷ naive | RSS ÷ ref |",
              "|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for system, row in table.items():
        r = row["ratios"]
        cells = [r.get(k) for k in ("tok_s/naive", "tok_s/reference", "decode_tok_s/naive",
                                     "decode_tok_s/reference", "wall_s/naive", "wall_s/reference",
                                     "rss/naive", "rss/reference")]
        lines.append(f"| {LABELS[system]} | " + " | ".join("–" if c is None else f"{c:.2f}×" for c in cells) + " |")
    if start:
        med = start["median_s"]
        bare, plain = med["bare Typer app --help"], med['python -c "import typer, rich"']
        lines += ["", f"Start-up (median of {start['runs']} runs each, interleaved):", "",
                  "| command | median ms | ÷ bare Typer app --help | ÷ import typer, rich |",
                  "|---|--:|--:|--:|"]
        for name, value in med.items():
            lines.append(f"| `{name}` | {value * 1000:.0f} | {value / bare:.2f}× | {value / plain:.2f}× |")
        lines += ["", "Heavy modules (" + ", ".join(HEAVY) + ") imported: " + "; ".join(
            f"`{cmd}`: {', '.join(mods) or 'none'}" for cmd, mods in start["heavy_imports"].items()) + "."]
    return "\n".join(lines)


def goals(table: dict, start: dict | None) -> list[tuple[str, bool, str]]:
    """The issue's goals, for the systems and baselines that were run."""
    out = []

    def ratio_goal(system: str, base: str, least: float, name: str) -> None:
        r = table.get(system, {}).get("ratios", {})
        if f"tok_s/{base}" in r:
            out.append((name, r[f"tok_s/{base}"] >= least,
                        f"{r[f'tok_s/{base}']:.2f}× (decode only: {r[f'decode_tok_s/{base}']:.2f}×)"))

    ratio_goal("it2en-ct2", "reference", 0.9, "it2en ctranslate2 ≥ 0.9× the reference's tok/s")
    ratio_goal("it2en-ct2", "naive", 7, "it2en ctranslate2 ≥ 7× the naive way's tok/s")
    if "it2en-ct2" in table:
        rss = table["it2en-ct2"]["rss"]
        out.append(("peak RSS with ctranslate2 < 700 MB", rss < 700 * 2**20, f"{rss / 2**20:.0f} MB"))
    ratio_goal("it2en-hf", "naive", 3, "it2en transformers ≥ 3× the naive way's tok/s")
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
    parser.add_argument("--worker", choices=("prepare", "naive", "reference"), help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        if args.worker == "prepare":
            data = worker_prepare()
        else:
            work = worker_naive if args.worker == "naive" else worker_reference
            data = work(Path(args.model), [Path(f) for f in args.files])
        Path(args.result).write_text(json.dumps(data), encoding="utf-8")
        return

    repeat = args.repeat or (1 if args.quick else 2)
    startup_runs = args.startup_runs or (3 if args.quick else 10)
    systems = [s for s in args.systems.split(",") if s]
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        parser.error(f"unknown systems: {', '.join(sorted(unknown))}")
    if args.cores:
        CORES.update(sorted(os.sched_getaffinity(0))[: args.cores])
    model_dir, ct2_dir = prepare_models()
    files = prepare_corpus(args.quick, args.blocks)
    began = time.perf_counter()

    start = None
    if not args.no_startup:
        _say(f"start-up: {startup_runs} runs of each command, interleaved ...")
        start = startup(files, startup_runs)

    rounds = []
    for number in range(repeat):
        order = systems if number % 2 == 0 else systems[::-1]
        results = {}
        for system in order:
            _say(f"round {number + 1}/{repeat}: {system} ...")
            data = run_system(system, files, model_dir, ct2_dir, args)
            contention = data.get("contention")
            _say(f"  {data['wall_s']:.1f} s, {data['tokens']} tokens, {data['tokens'] / data['wall_s']:.1f} tok/s, "
                 f"decode {data['tokens'] / data['decode_s']:.1f} tok/s, cpu {data['cpu_s']:.0f} s, "
                 f"peak RSS {data['rss'] / 2**20:.0f} MB"
                 + ("" if contention is None else f", CPU contention {contention:.0%}"))
            results[system] = data
        rounds.append(results)

    table = summarise(rounds)
    count = QUICK_BLOCKS if args.quick else args.blocks
    inputs = ((f"the first {count} blocks of " if count else "the whole of ")
              + f"{len(files)} article{'s' * (len(files) > 1)} (" + ", ".join(f.name for f in files) + ")")
    meta = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "inputs": inputs,
            "rounds": repeat, "cores": len(CORES) or len(os.sched_getaffinity(0)), "command": " ".join(sys.argv)}
    report = render(table, start, meta)
    checks = goals(table, start)
    report += "\n\nGoals:\n\n" + "\n".join(
        f"- {'met' if ok else 'NOT met'}: {name}: {detail}" for name, ok, detail in checks)
    notes = []
    if "naive" in table:
        notes.append(f"naive = {table['naive']['kind']}")
    for system in ("it2en-ct2", "it2en-hf"):
        if system in table and table[system].get("retry_sentences"):
            row = table[system]
            first_s = row["engine_s"] - row["retry_s"]
            note = (f"{system}: {row['retry_sentences']:.0f} of {row['sentences']:.0f} sentences retried "
                    f"(a random model's output fails it2en's checks): {row['retry_tokens']:.0f} of the "
                    f"{row['tokens']:.0f} tokens; its first pass alone: {row['first_pass_tokens']:.0f} tokens "
                    f"in {first_s:.1f} s, {row['first_pass_tokens'] / first_s:.1f} tok/s")
            base = "reference" if system == "it2en-ct2" else "naive"
            if base in table:
                ratio = row["first_pass_tokens"] / first_s / table[base]["decode_tok_s"]
                note += f" ({ratio:.2f}× the {base}'s decode tok/s)"
            notes.append(note)
    if notes:
        report += "\n\nNotes:\n\n" + "\n".join(f"- {note}." for note in notes)
    report += f"\n\nTotal benchmark time: {time.perf_counter() - began:.0f} s."
    print(report)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (OUT / f"speed-{stamp}.md").write_text(report + "\n", encoding="utf-8")
    (OUT / f"speed-{stamp}.json").write_text(json.dumps(
        {"meta": meta, "rounds": rounds, "table": table, "startup": start,
         "goals": [{"goal": g, "met": ok, "detail": d} for g, ok, d in checks]}, indent=2, default=str),
        encoding="utf-8")
    _say(f"written to {OUT / f'speed-{stamp}.md'} and .json")


if __name__ == "__main__":
    main()
