"""GPU check, for a machine with CUDA: both engines on ``--device cuda`` run in float16.

Run from the repository root: ``python bench/gpu_check.py [--out DIR]``. It builds the tiny
test model and a random model of opus-mt-it-en's shape offline, then for each backend:
the device and number type the engine picked, the throughput on FLORES sentences (beam 4,
the models.toml cap rule), and a whole ``it2en translate --device cuda`` run (and one with ``--backend auto``) of the seed
article with its segment count checked. Results go to stdout and DIR/gpu_check.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))

from marian_factory import build_opus_mt_shaped, build_random_marian, corpus_dir  # noqa: E402

from it2en.engines.factory import create_translator  # noqa: E402
from it2en.generation import GenerationSettings  # noqa: E402


def engine_facts(engine) -> dict:
    if engine.name == "transformers":
        return {"device": str(engine._model.device), "dtype": str(engine._model.dtype)}
    return {"device": engine._translator.device, "compute_type": engine._translator.compute_type}


def engine_throughput(model: Path, backend: str, sentences: list[str]) -> dict:
    """The engine's own device and number type, and its speed on ``sentences`` (beam 4)."""
    try:
        engine = create_translator(model, backend=backend, device="cuda", generation=GenerationSettings(),
                                   ct2_cache_key=f"gpu-shaped-{backend}", quiet=True)
        facts = engine_facts(engine)
        engine.translate(sentences[:8])  # warm-up
        start = time.perf_counter()
        outputs = engine.translate(sentences)
        seconds = time.perf_counter() - start
    except Exception as exc:  # noqa: BLE001 - a report, not a test: say what failed
        return {"error": f"{type(exc).__name__}: {exc}"}
    # A random model never emits </s>: every output runs to its cap, so count tokens.
    tokens = sum(len(engine._encode(o)) - 1 for o in outputs)
    return {**facts, "sentences": len(outputs), "seconds": round(seconds, 2),
            "approx_output_tokens_per_s": round(tokens / seconds)}


def whole_run(model: Path, backend: str, cache: Path) -> dict:
    """``it2en translate SEED --device cuda`` as a user runs it: exit status, segments, notes."""
    seed = corpus_dir() / "seed_cina-ia-deepseek.txt"
    env = {**os.environ, "IT2EN_CACHE_DIR": str(cache),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    cli = subprocess.run(
        [sys.executable, "-m", "it2en", "translate", "--no-memory", str(seed), "-m", str(model), "--device", "cuda",
         "--backend", backend, "--beams", "2", "-f", "json"],
        capture_output=True, text=True, env=env,
    )
    entry: dict = {"cli_exit": cli.returncode,
                   "cli_stderr": "\n".join(l for l in cli.stderr.splitlines() if "warning:" not in l)[-800:]}
    if cli.returncode == 0:
        segments = [s for b in json.loads(cli.stdout)["blocks"] for s in b["segments"] if s["translate"]]
        entry.update(cli_segments=len(segments), cli_segments_translated=sum(bool(s["target"]) for s in segments))
    return entry


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    parser.add_argument("--sentences", type=int, default=200)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="it2en-gpu-"))
    tiny = build_random_marian(work / "tiny", init_std=1.0)
    shaped = build_opus_mt_shaped(work / "opus-shaped")
    sentences = (corpus_dir() / "flores200" / "ita_Latn.dev").read_text(encoding="utf-8").splitlines()[: args.sentences]
    report = {
        backend: {**(engine_throughput(shaped, backend, sentences) if backend != "auto" else {}),
                  **whole_run(tiny, backend, work / "cache")}
        for backend in ("transformers", "ctranslate2", "auto")
    }
    print(json.dumps(report, indent=2))
    (args.out / "gpu_check.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
