"""The benchmark models: one whose outputs never end, and two whose outputs end as real ones do.

No real weights can be downloaded here, so the benchmarks build their models (once, cached
under ``bench/out/models/``) and convert each to CTranslate2 int8 where it2en looks for it
(``$IT2EN_CACHE_DIR`` = ``bench/out/cache``):

* ``never-ending``: random weights, opus-mt-it-en's exact shape
  (``tests/marian_factory.build_opus_mt_shaped``). It never emits ``</s>``: every output runs
  to its cap. The worst case for time and above all memory.
* ``calibrated``: the same random model, with a constant bias on the ``</s>`` logit
  (``final_logits_bias``) calibrated so that the median output/input token ratio on FLORES
  dev sentences matches the human pairs' median (:func:`flores_ratios`, :func:`calibrate`).
  The full shape's cost per step, with outputs that end; lengths do not follow each source
  as a real model's do (a constant bias ends a random model's outputs at random steps), so the
  spread of ratios is wider than the human one (both are written to ``calibration.json``).
* ``memorising``: a small MarianMT (d_model 64, 2+2 layers) trained here on the first
  FLORES dev documents (38 documents, 120 sentence pairs) until it gives back their English,
  with part of the decoder's input dropped so that it must read the source (see
  ``DECODER_INPUT_DROPOUT``): outputs end about where the references end (``training.json``
  records the exact matches and the length ratios). Its input is those documents as
  paragraphs (``memorised_article``).

``python bench/realistic_models.py [NAME...]`` builds them and prints what was measured.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
MODELS = OUT / "models"
CACHE_DIR = OUT / "cache"
NAMES = ("never-ending", "calibrated", "memorising")
BEAMS = 4

MEMORISED_DOCS = 38  # the first 38 FLORES dev documents: 120 sentence pairs
MEMORISING_SHAPE = dict(d_model=64, layers=2, heads=4, ffn=256, spm_vocab=1000)
TRAIN_SECONDS = 900  # of training: what it reached is recorded
TRAIN_LR = 5e-4
"""5e-3 (the first recipe) collapsed the encoder: its output became the same for every input and
the model answered every sentence with one memorised sentence."""
DECODER_INPUT_DROPOUT = 0.3
"""The share of the decoder's input tokens replaced by padding in training: with 120 targets the
decoder could otherwise predict each next token from the previous ones alone and never learn
to read the source."""
MASKED_REPEATS = 4
"""Each masked pair is trained this many times per epoch: its source differs from the raw pair's
by one token, and learnt once the model answers from memory (``HIV`` where the source says
``X1``), losing the token, where a real model copies it."""
TRAIN_BATCH = 24  # pairs per step, of similar lengths (little padding)
CALIBRATION_SENTENCES = 64  # FLORES dev sentences 401-464 (not memorised)


def corpus_dir() -> Path:
    return Path(os.environ.get("IT2EN_CORPUS") or ROOT.parent / "shared" / "corpus")


def say(message: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def flores_pairs() -> list[tuple[str, str]]:
    flores = corpus_dir() / "flores200"
    ita = (flores / "ita_Latn.dev").read_text(encoding="utf-8").splitlines()
    eng = (flores / "eng_Latn.dev").read_text(encoding="utf-8").splitlines()
    return list(zip(ita, eng, strict=True))


def flores_documents() -> list[tuple[int, int]]:
    """(first line, end line) of each FLORES dev document, from docs_dev.tsv."""
    rows = (corpus_dir() / "flores200" / "docs_dev.tsv").read_text(encoding="utf-8").splitlines()
    header = rows[0].split("\t")
    docs = []
    for row in rows[1:]:
        cells = dict(zip(header, row.split("\t")))
        docs.append((int(cells["first_line"]) - 1, int(cells["last_line"])))
    return docs


def memorised_pairs() -> list[tuple[str, str]]:
    end = flores_documents()[MEMORISED_DOCS - 1][1]
    return flores_pairs()[:end]


def masked_pairs(pairs: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[str]]:
    """The pairs whose source it2en masks, as it2en sends them (``X1`` for ``JAS``, for ``17,5``),
    with the same tokens in the English.

    opus-mt copies such code-like tokens through (``fidelity.placeholders``); a memoriser that
    learnt only the raw pairs has never seen them and answers a masked sentence with noise,
    which it2en's checks then retry and rescue: work a real model does not cause. Returns the
    pairs, and the Italian of the pairs left out because a masked text is written otherwise in
    the reference (``02:30`` as ``0230``: where its token goes is unknown).
    """
    from it2en.fidelity.placeholders import protect

    found, left_out = [], []
    for ita, eng in pairs:
        protected = protect(ita, english_numbers=True)
        if not protected.tokens:
            continue
        target = eng
        for token, text in zip(protected.tokens, protected.restored):
            target = target.replace(text, token, 1) if text in target else ""
        if target:
            found.append((protected.text, target))
        else:
            left_out.append(ita)
    return found, left_out


def one_sentence(text: str) -> bool:
    """Whether it2en takes ``text`` as one sentence (a memoriser knows no answer for a part of a pair)."""
    from it2en.formats import text as structure

    return len(list(structure.parse(text, name="line").translatable_segments())) == 1


def memorised_article(folder: Path) -> Path:
    """The memorised documents as one article: one paragraph per document, blank lines between.

    Left out: pairs that it2en cuts into several sentences (the memoriser learnt the whole line,
    never its parts, and would answer each part with noise that no real model gives) and pairs
    whose masked form it could not learn (:func:`masked_pairs`).
    """
    pairs = flores_pairs()
    _, unlearnt = masked_pairs(memorised_pairs())
    paragraphs = [" ".join(ita for ita, _ in pairs[a:b] if one_sentence(ita) and ita not in unlearnt)
                  for a, b in flores_documents()[:MEMORISED_DOCS]]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "flores-memorised.txt"
    path.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- token ratios


def token_ratio(source_tokens: int, output_tokens: int) -> float:
    """Output tokens ÷ source tokens, ``</s>`` counted on neither side."""
    return output_tokens / max(1, source_tokens)


def flores_ratios(model_dir: Path, pairs: list[tuple[str, str]]) -> list[float]:
    """The human pairs' output/input token ratios with the model's own SentencePiece models."""
    import sentencepiece

    from it2en.engines.punctuation import punctuation_normalizer

    normalize = punctuation_normalizer("it")
    source = sentencepiece.SentencePieceProcessor(model_file=str(model_dir / "source.spm"))
    target = sentencepiece.SentencePieceProcessor(model_file=str(model_dir / "target.spm"))
    return [token_ratio(len(source.encode(normalize(ita))), len(target.encode(eng))) for ita, eng in pairs]


def quantiles(values: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(values, n=10)
    return {"p10": cuts[0], "p25": statistics.quantiles(values, n=4)[0], "median": statistics.median(values),
            "p75": statistics.quantiles(values, n=4)[2], "p90": cuts[8], "mean": statistics.fmean(values)}


def decoded_ratios(ct2_dir: Path, sentences: list[str]) -> tuple[list[float], int]:
    """Each sentence decoded alone-ish (batches of 16, beam 4, it2en's cap): ratios, and how many hit the cap."""
    import ctranslate2
    import sentencepiece

    from it2en.engines.punctuation import punctuation_normalizer
    from it2en.generation import GenerationSettings

    normalize = punctuation_normalizer("it")
    spm = sentencepiece.SentencePieceProcessor(model_file=str(ct2_dir / "source.spm"))
    translator = ctranslate2.Translator(str(ct2_dir), compute_type="int8", intra_threads=len(os.sched_getaffinity(0)))
    settings = GenerationSettings(beams=BEAMS)
    ratios, capped = [], 0
    for start in range(0, len(sentences), 16):
        batch = [spm.encode(normalize(s), out_type=str) + ["</s>"] for s in sentences[start : start + 16]]
        steps = max(1, settings.max_new_tokens(max(map(len, batch))) - 1)
        for tokens, result in zip(batch, translator.translate_batch(batch, beam_size=BEAMS, max_decoding_length=steps)):
            out = len(result.hypotheses[0])
            capped += out >= steps
            ratios.append(token_ratio(len(tokens) - 1, out))
    return ratios, capped


# --------------------------------------------------------------------------- building


def _convert(model_dir: Path) -> Path:
    """The model's CTranslate2 int8 copy, where it2en looks for it (converted once)."""
    os.environ["IT2EN_CACHE_DIR"] = str(CACHE_DIR)
    from it2en import models
    from it2en.engines.ctranslate2 import convert_to_ctranslate2, is_converted
    from it2en.engines.factory import ct2_cache_dir

    spec = models.resolve(str(model_dir))
    located = models.locate(spec, download=False)
    ct2_dir = ct2_cache_dir(f"{spec.cache_key}-{located.revision}")
    if not is_converted(ct2_dir):
        say(f"converting {model_dir.name} to CTranslate2 int8 in {ct2_dir} (once) ...")
        convert_to_ctranslate2(located.path, ct2_dir, quantization="int8")
    return ct2_dir


def _build_atomically(target: Path, build) -> None:
    if (target / "model.safetensors").is_file():
        return
    building = target.with_name(target.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    build(building)
    shutil.rmtree(target, ignore_errors=True)
    building.rename(target)


def build_never_ending(target: Path) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from marian_factory import build_opus_mt_shaped

    say(f"building the never-ending opus-mt-shaped random model in {target} (once) ...")
    build_opus_mt_shaped(target)


def _with_eos_bias(source: Path, target: Path, bias: float) -> None:
    """A copy of the random model ``source`` whose ``</s>`` logit gets ``bias`` added."""
    import torch
    from transformers import MarianMTModel

    model = MarianMTModel.from_pretrained(source)
    with torch.no_grad():
        model.final_logits_bias.zero_()
        model.final_logits_bias[0, model.config.eos_token_id] = bias
    model.save_pretrained(target)
    for name in ("source.spm", "target.spm", "vocab.json", "tokenizer_config.json"):
        shutil.copy(source / name, target / name)


def calibrate(never_ending: Path, target: Path) -> dict:
    """Bisect the ``</s>`` bias until the median decoded ratio matches FLORES's human median."""
    pairs = flores_pairs()[400 : 400 + CALIBRATION_SENTENCES]
    human = flores_ratios(never_ending, pairs)
    goal = statistics.median(human)
    say(f"calibrating the </s> bias: FLORES human median output/input token ratio {goal:.3f}")
    scratch = OUT / "calibration"
    low, high = 0.0, 4.0  # a larger bias ends outputs sooner (the random logits spread over about ±2)
    trials = []
    best = None
    for _ in range(7):
        bias = (low + high) / 2
        shutil.rmtree(scratch, ignore_errors=True)
        _with_eos_bias(never_ending, scratch / "hf", bias)
        ct2 = scratch / "ct2"
        from it2en.engines.ctranslate2 import convert_to_ctranslate2

        convert_to_ctranslate2(scratch / "hf", ct2, quantization="int8")
        ratios, capped = decoded_ratios(ct2, [ita for ita, _ in pairs])
        median = statistics.median(ratios)
        trials.append({"bias": bias, "median_ratio": median, "capped": capped})
        say(f"  bias {bias:.3f}: median ratio {median:.3f}, {capped} of {len(pairs)} at the cap")
        if best is None or abs(median - goal) < abs(best[1] - goal):
            best = (bias, median, ratios, capped)
        if abs(median - goal) < 0.02:
            break
        if median > goal:
            low = bias
        else:
            high = bias
    bias, median, ratios, capped = best
    _with_eos_bias(never_ending, target, bias)
    shutil.rmtree(scratch, ignore_errors=True)
    return {"bias": bias, "sentences": f"FLORES dev lines {401}-{400 + len(pairs)}", "human": quantiles(human),
            "model": quantiles(ratios), "model_capped": capped, "trials": trials}


def train_memorising(target: Path) -> dict:
    """Train a small MarianMT on the memorised FLORES pairs until it gives their English back."""
    import torch

    sys.path.insert(0, str(ROOT / "tests"))
    from marian_factory import build_random_marian
    from transformers import MarianMTModel, MarianTokenizer

    from it2en.engines.punctuation import punctuation_normalizer

    shape = dict(MEMORISING_SHAPE)
    say(f"training the memorising model in {target} (once; a few minutes on 2 cores) ...")
    build_random_marian(target, d_model=shape["d_model"], layers=shape["layers"], heads=shape["heads"],
                        ffn=shape["ffn"], spm_vocab=shape["spm_vocab"], seed=0)
    tokenizer = MarianTokenizer.from_pretrained(target)
    model = MarianMTModel.from_pretrained(target)
    for embedding in (model.model.encoder.embed_positions, model.model.decoder.embed_positions):
        # Sinusoidal and never saved (transformers recomputes them on loading), yet trainable
        # parameters: trained, the model would lose what it learnt into them on saving.
        embedding.weight.requires_grad_(False)
    normalize = punctuation_normalizer("it")
    masked, left_out = masked_pairs(memorised_pairs())
    pairs = sorted(memorised_pairs() + masked * MASKED_REPEATS, key=lambda pair: len(pair[1]))
    batches = []
    for first in range(0, len(pairs), TRAIN_BATCH):
        chunk = pairs[first : first + TRAIN_BATCH]
        batch = tokenizer([normalize(ita) for ita, _ in chunk], text_target=[eng for _, eng in chunk],
                          padding=True, return_tensors="pt")
        batch["labels"][batch["labels"] == tokenizer.pad_token_id] = -100
        batches.append(batch)
    torch.manual_seed(0)
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    model.config.dropout = 0.0
    model.train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=TRAIN_LR, weight_decay=0.0)
    started = time.perf_counter()
    # warm-up, then down to zero as the time budget runs out
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: min(
        (step + 1) / 30, max(0.02, 1 - (time.perf_counter() - started) / TRAIN_SECONDS)))
    pad_row = model.get_input_embeddings().weight[model.config.pad_token_id]
    rng = random.Random(0)
    epoch = 0
    while time.perf_counter() - started < TRAIN_SECONDS:
        epoch += 1
        total = 0.0
        for batch in rng.sample(batches, len(batches)):
            loss = model(**batch, decoder_input_ids=_dropped_decoder_inputs(model, batch["labels"])).loss
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            with torch.no_grad():
                pad_row.zero_()  # Marian decodes from a zero embedding: train as it will run
            total += loss.item()
        mean = total / len(batches)
        if epoch % 5 == 1:
            say(f"  epoch {epoch}: mean loss {mean:.4f} ({time.perf_counter() - started:.0f} s)")
    model.eval()
    with torch.no_grad():
        eval_loss = sum(model(**batch).loss.item() for batch in batches) / len(batches)
    model.save_pretrained(target)
    reloaded = MarianMTModel.from_pretrained(target).eval()
    with torch.no_grad():
        reloaded_loss = sum(reloaded(**batch).loss.item() for batch in batches) / len(batches)
    return {"pairs": len(pairs), "masked_pairs": len(masked), "masked_repeats": MASKED_REPEATS,
            "masked_left_out": len(left_out),
            "epochs": epoch, "final_mean_loss": mean, "eval_loss": eval_loss,
            "reloaded_loss": reloaded_loss,
            "train_s": time.perf_counter() - started, **shape}


def _dropped_decoder_inputs(model, labels):
    """The labels shifted right (what the decoder reads), with DECODER_INPUT_DROPOUT of them padding."""
    import torch

    start, pad = model.config.decoder_start_token_id, model.config.pad_token_id
    inputs = labels.new_full(labels.shape, start)
    inputs[:, 1:] = labels[:, :-1]
    inputs[inputs == -100] = pad
    dropped = (torch.rand(inputs.shape) < DECODER_INPUT_DROPOUT) & (torch.arange(inputs.shape[1]) > 0)
    inputs[dropped] = pad
    return inputs


def prepare(name: str) -> tuple[Path, Path]:
    """Build (once) the named model and its CTranslate2 int8 copy; return both folders."""
    if name not in NAMES:
        raise SystemExit(f"unknown model {name!r}: choose one of {', '.join(NAMES)}")
    MODELS.mkdir(parents=True, exist_ok=True)
    never_ending = MODELS / "never-ending"
    _build_atomically(never_ending, build_never_ending)
    target = MODELS / name
    if name == "calibrated":
        def build(folder: Path) -> None:
            info = calibrate(never_ending, folder)
            (folder / "calibration.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
        _build_atomically(target, build)
    elif name == "memorising":
        def build(folder: Path) -> None:
            info = train_memorising(folder)
            ct2 = _convert(folder)
            pairs = memorised_pairs()
            ratios, capped = decoded_ratios(ct2, [ita for ita, _ in pairs])
            info["exact"] = _exact_matches(ct2, pairs)
            info["ratios"] = {"model": quantiles(ratios), "human": quantiles(flores_ratios(folder, pairs)),
                              "capped": capped}
            (folder / "training.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
            shutil.rmtree(ct2, ignore_errors=True)  # the folder is renamed: converted again below
        _build_atomically(target, build)
    return target, _convert(target)


def _exact_matches(ct2_dir: Path, pairs: list[tuple[str, str]]) -> int:
    """How many memorised sentences come back exactly as their reference (CTranslate2, beam 4)."""
    import ctranslate2
    import sentencepiece

    from it2en.engines.punctuation import punctuation_normalizer

    normalize = punctuation_normalizer("it")
    source = sentencepiece.SentencePieceProcessor(model_file=str(ct2_dir / "source.spm"))
    target = sentencepiece.SentencePieceProcessor(model_file=str(ct2_dir / "target.spm"))
    translator = ctranslate2.Translator(str(ct2_dir), compute_type="int8")
    batch = [source.encode(normalize(ita), out_type=str) + ["</s>"] for ita, _ in pairs]
    results = translator.translate_batch(batch, beam_size=BEAMS, max_decoding_length=256)
    return sum(target.decode_pieces(r.hypotheses[0]) == eng for r, (_, eng) in zip(results, pairs))


def main() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    for name in sys.argv[1:] or NAMES:
        model_dir, ct2_dir = prepare(name)
        print(name, model_dir, ct2_dir)
        for info in ("calibration.json", "training.json"):
            if (model_dir / info).is_file():
                print((model_dir / info).read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
