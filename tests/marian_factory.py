"""Build MarianMT model folders offline: random weights, real loading code.

Model weights cannot be downloaded on development and CI machines, so tests and benchmarks
build a model folder laid out exactly like ``Helsinki-NLP/opus-mt-it-en``:

``config.json``, ``generation_config.json``, ``model.safetensors`` (``save_pretrained``),
``source.spm`` / ``target.spm`` (SentencePiece unigram models trained here on a few hundred
FLORES lines), ``vocab.json`` (the joint Marian vocabulary: ``</s>`` id 0, ``<unk>`` id 1,
the pieces of both SentencePiece models, ``<pad>`` last) and ``tokenizer_config.json``.

* :func:`build_random_marian` — a tiny model (d_model 16, one layer each side) for tests;
* :func:`build_opus_mt_shaped` — the benchmark model with exactly opus-mt-it-en's shape
  (vocabulary 80,379, d_model 512, 6+6 layers, 8 heads, FFN 2048: 85.4 M parameters);
* :func:`build_tc_big_shaped` — the same for opus-mt-tc-big-it-en's shape (vocabulary about
  54k, d_model 1024, 6+6 layers, 16 heads, FFN 4096: about 232 M parameters).

A random model never learns to emit ``</s>``: every output runs to the token cap.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

# opus-mt-it-en's config.json values (Helsinki-NLP/opus-mt-it-en, config of 2020-08-19).
OPUS_MT_IT_EN_VOCAB_SIZE = 80_379
OPUS_MT_IT_EN_SHAPE = dict(vocab_size=OPUS_MT_IT_EN_VOCAB_SIZE, d_model=512, layers=6, heads=8, ffn=2048,
                           activation="swish")
# opus-mt-tc-big-it-en's shape: transformer-big with ReLU; a vocabulary of about 54k makes its
# published 232 M parameters (the exact size does not change the cost per token much).
TC_BIG_IT_EN_SHAPE = dict(vocab_size=54_000, d_model=1024, layers=6, heads=16, ffn=4096, activation="relu")
_OPUS_MT_COMMON = dict(
    activation_dropout=0.0,
    attention_dropout=0.0,
    dropout=0.1,
    encoder_layerdrop=0.0,
    decoder_layerdrop=0.0,
    max_position_embeddings=512,
    scale_embedding=True,
    share_encoder_decoder_embeddings=True,
    tie_word_embeddings=True,
    eos_token_id=0,
    bos_token_id=0,
    forced_eos_token_id=0,
    is_encoder_decoder=True,
    use_cache=True,
    architectures=["MarianMTModel"],
)
# The real tokenizer_config.json is exactly this (42 bytes).
_TOKENIZER_CONFIG = {"target_lang": "en", "source_lang": "it"}

_CORPUS_FILES = ("flores200/ita_Latn.dev", "flores200/eng_Latn.dev")


def corpus_dir() -> Path:
    """The shared test corpus: ``$IT2EN_CORPUS``, else ``../shared/corpus`` beside the checkout."""
    env = os.environ.get("IT2EN_CORPUS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def default_training_lines(limit: int | None = 300) -> tuple[list[str], list[str]]:
    """Italian and English FLORES dev lines (the first ``limit`` of each; None: all 997)."""
    root = corpus_dir()
    sides = []
    for name in _CORPUS_FILES:
        path = root / name
        if not path.is_file():
            raise FileNotFoundError(
                f"test corpus not found at {path}; set $IT2EN_CORPUS to the shared corpus folder"
            )
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        sides.append(lines[:limit] if limit else lines)
    return sides[0], sides[1]


def _train_spm(lines: list[str], vocab_size: int) -> bytes:
    """A SentencePiece unigram model (as OPUS-MT uses) trained in memory, quietly."""
    import sentencepiece as spm

    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=buffer,
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=1.0,
        hard_vocab_limit=False,  # a few hundred lines cannot always fill a large vocabulary
        num_threads=1,  # deterministic
        minloglevel=2,
    )
    return buffer.getvalue()


def _pieces(model: bytes) -> list[str]:
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_proto=model)
    return [
        sp.id_to_piece(i)
        for i in range(sp.get_piece_size())
        if not (sp.is_control(i) or sp.is_unknown(i) or sp.is_unused(i))
    ]


def build_random_marian(
    out_dir: Path,
    *,
    vocab_size: int | None = None,
    d_model: int = 16,
    layers: int = 1,
    heads: int = 2,
    ffn: int = 32,
    spm_vocab: int = 400,
    training_lines: list[str] | None = None,
    seed: int = 0,
    init_std: float = 0.02,
    activation: str = "swish",
    shape: dict | None = None,
) -> Path:
    """Write a random-weight MarianMT folder to ``out_dir`` and return it.

    ``training_lines``: text for both SentencePiece models (default: FLORES Italian lines for
    ``source.spm``, English lines for ``target.spm``). ``vocab_size``: the joint vocabulary
    size including ``</s>``, ``<unk>`` and ``<pad>``; when larger than the pieces found,
    synthetic pieces fill the gap (default: exactly the pieces found). ``shape``
    (:data:`OPUS_MT_IT_EN_SHAPE`, :data:`TC_BIG_IT_EN_SHAPE`) overrides the sizes and the
    activation, and trains the SentencePiece models on all FLORES lines.
    """
    import torch
    from transformers import GenerationConfig, MarianConfig, MarianMTModel
    from transformers.utils import logging as hf_logging

    if shape is not None:
        vocab_size, d_model, layers, heads, ffn, activation = (
            shape[k] for k in ("vocab_size", "d_model", "layers", "heads", "ffn", "activation"))

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    if training_lines is None:
        limit = None if shape is not None else 300
        source_lines, target_lines = default_training_lines(limit)
    else:
        source_lines = target_lines = list(training_lines)
    source_spm = _train_spm(source_lines, spm_vocab)
    target_spm = _train_spm(target_lines, spm_vocab)
    (out_dir / "source.spm").write_bytes(source_spm)
    (out_dir / "target.spm").write_bytes(target_spm)

    # The joint vocabulary, laid out like opus-mt's vocab.json.
    tokens = ["</s>", "<unk>"]
    seen = set(tokens) | {"<pad>"}
    for piece in _pieces(source_spm) + _pieces(target_spm):
        if piece not in seen:
            seen.add(piece)
            tokens.append(piece)
    if vocab_size is None:
        vocab_size = len(tokens) + 1
    if vocab_size < len(tokens) + 1:
        raise ValueError(f"vocab_size {vocab_size} < {len(tokens) + 1} pieces needed")
    filler = 0
    while len(tokens) < vocab_size - 1:
        piece = f"▁synth{filler}"
        filler += 1
        if piece not in seen:
            tokens.append(piece)
    tokens.append("<pad>")
    vocab = {token: i for i, token in enumerate(tokens)}
    pad_id = vocab["<pad>"]
    (out_dir / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False, indent=2), encoding="utf-8")
    (out_dir / "tokenizer_config.json").write_text(json.dumps(_TOKENIZER_CONFIG), encoding="utf-8")

    config = MarianConfig(
        vocab_size=vocab_size,
        decoder_vocab_size=vocab_size,
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        encoder_ffn_dim=ffn,
        decoder_ffn_dim=ffn,
        pad_token_id=pad_id,
        decoder_start_token_id=pad_id,
        init_std=init_std,
        activation_function=activation,
        **_OPUS_MT_COMMON,
    )
    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()  # "Writing model shards" on stderr
    try:
        torch.manual_seed(seed)
        model = MarianMTModel(config).eval()
        with torch.no_grad():
            # Marian starts decoding from a zero embedding: the <pad> row is zero, as in the
            # converted checkpoints (CTranslate2 relies on it: start_from_zero_embedding).
            model.get_input_embeddings().weight[pad_id].zero_()
        model.generation_config = GenerationConfig(
            bad_words_ids=[[pad_id]],
            bos_token_id=0,
            decoder_start_token_id=pad_id,
            eos_token_id=0,
            forced_eos_token_id=0,
            max_length=512,
            num_beams=4,
            pad_token_id=pad_id,
        )
        model.save_pretrained(out_dir)
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
    return out_dir


def build_opus_mt_shaped(out_dir: Path, *, spm_vocab: int = 8000, seed: int = 0) -> Path:
    """The benchmark model: opus-mt-it-en's exact shape with random weights (85.4 M params).

    Vocabulary 80,379 with ``<pad>`` last (synthetic pieces fill what the SentencePiece models
    trained on the 997 FLORES lines do not cover), d_model 512, 6+6 layers, 8 heads, FFN 2048,
    swish, static sinusoidal positions, shared embeddings, scaled embeddings.
    """
    return build_random_marian(out_dir, spm_vocab=spm_vocab, seed=seed, shape=OPUS_MT_IT_EN_SHAPE)


def build_tc_big_shaped(out_dir: Path, *, spm_vocab: int = 8000, seed: int = 0) -> Path:
    """The benchmark model of opus-mt-tc-big-it-en's shape with random weights (about 232 M
    params, 0.9 GB in float32): d_model 1024, 6+6 layers, 16 heads, FFN 4096, ReLU, shared
    embeddings over a vocabulary of about 54k."""
    return build_random_marian(out_dir, spm_vocab=spm_vocab, seed=seed, shape=TC_BIG_IT_EN_SHAPE)


MEMORISING_SHAPE = dict(d_model=32, layers=1, heads=2, ffn=64)
MEMORISING_STEPS = 120
MEMORISED_PAIRS = 14
"""Short FLORES pairs the memorising model learns (the tests' and bench/confidence_cost.py's)."""


def short_flores_pairs(count: int, *, max_words: int = 10) -> list[tuple[str, str]]:
    """The first ``count`` FLORES dev pairs whose Italian has at most ``max_words`` words."""
    italian, english = default_training_lines(None)
    pairs = [(it, en) for it, en in zip(italian, english) if len(it.split()) <= max_words]
    return pairs[:count]


def train_memorising_marian(out_dir: Path, pairs: list[tuple[str, str]], *, steps: int = MEMORISING_STEPS,
                            seed: int = 0) -> Path:
    """A tiny MarianMT that learnt ``pairs`` by heart (seconds on 2 cores), saved to ``out_dir``.

    A random model is equally unsure of everything; this one gives the learnt sentences' English
    back with high probability and is unsure of any other sentence: what a confidence measure
    must tell apart. The source is normalised as the engines normalise it, so the model is
    trained on exactly what it will see.
    """
    import torch
    from transformers import MarianMTModel, MarianTokenizer

    from it2en.engines.punctuation import punctuation_normalizer

    build_random_marian(out_dir, seed=seed, **MEMORISING_SHAPE)
    tokenizer = MarianTokenizer.from_pretrained(out_dir)
    model = MarianMTModel.from_pretrained(out_dir)
    for embedding in (model.model.encoder.embed_positions, model.model.decoder.embed_positions):
        embedding.weight.requires_grad_(False)  # sinusoidal, recomputed on loading: never trained
    normalize = punctuation_normalizer("it")
    batch = tokenizer([normalize(it) for it, _ in pairs], text_target=[en for _, en in pairs],
                      padding=True, return_tensors="pt")
    batch["labels"][batch["labels"] == tokenizer.pad_token_id] = -100
    torch.manual_seed(seed)
    model.train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.0)
    pad_row = model.get_input_embeddings().weight[model.config.pad_token_id]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # products this small gain nothing from a second thread, and wait for it
    try:
        for _ in range(steps):
            loss = model(**batch).loss
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            with torch.no_grad():
                pad_row.zero_()  # Marian decodes from a zero embedding: train as it will run
    finally:
        torch.set_num_threads(threads)
    model.eval()
    model.save_pretrained(out_dir)
    return out_dir
