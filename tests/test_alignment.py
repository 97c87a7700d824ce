"""Word alignments from both engines' attention (tiny random model): shapes, agreement, beams.

A random model's alignments say nothing about meaning; what is checked is that each engine reads
the attention of the tokens it returned (the chosen beam's, in transformers), that both engines
read the same head, that asking for alignment never changes a translation, and that the
subword-to-word rule is right on a hand-made attention matrix.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from it2en.engines import IdentityTranslator, translate_aligned
from it2en.engines.alignment import attention_alignment, piece_words
from it2en.engines.ctranslate2 import CTranslate2Translator
from it2en.engines.transformers import TransformersTranslator
from it2en.generation import GenerationSettings

from conftest import FLORES

GREEDY = GenerationSettings(beams=1, max_new_tokens_factor=1.0, max_new_tokens_extra=2)
BEAMS = GenerationSettings(beams=3, max_new_tokens_factor=1.0, max_new_tokens_extra=2)
LINES = (FLORES / "ita_Latn.dev").read_text(encoding="utf-8").splitlines()[600:606] + [
    "«Sì», ha detto l’assessore a X1.", "Ciao!"]



def test_piece_words_and_the_argmax_rule() -> None:
    source = ["▁Il", "▁gat", "to", "▁dorme", ".", "</s>"]
    target = ["▁The", "▁cat", "▁sleep", "s", "."]
    assert piece_words(source) == ([0, 1, 1, 2, 2, -1], ["Il", "gatto", "dorme."])
    attention = [  # rows: target pieces; columns: source pieces (</s> is ignored, however large)
        [0.6, 0.1, 0.0, 0.0, 0.0, 0.3],
        [0.0, 0.2, 0.3, 0.1, 0.0, 0.4],  # "gat" + "to" = 0.5 > "dorme" 0.1
        [0.0, 0.0, 0.0, 0.1, 0.0, 0.9],
        [0.0, 0.1, 0.1, 0.1, 0.2, 0.5],  # "sleeps" sums its two rows: dorme 0.4 > gatto 0.3
        [0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
    ]
    # "." is a piece of the word "sleeps." (no ▁), so the target has three words
    assert attention_alignment(attention, source, target, "Il gatto dorme.", "The cat sleeps.") == [
        (0, 0), (1, 1), (2, 2)]


def test_words_are_mapped_to_the_texts_the_pipeline_knows() -> None:
    # Moses normalisation turned « » into ", so the pieces' words differ from the sentence's
    source = ["▁\"", "S", "ì", "\"", "▁disse", "</s>"]
    attention = [[0.9, 0, 0, 0, 0.1, 0], [0.1, 0, 0, 0, 0.9, 0]]
    pairs = attention_alignment(attention, source, ["▁Yes", "▁said"], "« Sì » disse", "Yes said")
    assert (3, 1) in pairs and {a for a, _ in pairs} <= {0, 1, 2, 3} and {b for _, b in pairs} == {0, 1}


def test_identity_engine_aligns_the_diagonal_and_fakes_without_alignment_still_translate() -> None:
    assert IdentityTranslator().translate_aligned(["a b c"]) == [("a b c", [(0, 0), (1, 1), (2, 2)])]

    class Plain:
        name = "plain"

        def translate(self, sentences, *, no_repeat_ngram_size=0):
            return [s.upper() for s in sentences]

    assert translate_aligned(Plain(), ["a b"]) == [("A B", None)]


@pytest.mark.parametrize("settings", [GREEDY, BEAMS], ids=["greedy", "beams3"])
@pytest.mark.parametrize("backend", ["transformers", "ctranslate2"])
def test_alignment_never_changes_the_translation(
    backend: str, settings: GenerationSettings, tiny_model_dir: Path, tiny_ct2_dir: Path
) -> None:
    if backend == "transformers":
        engine = TransformersTranslator(tiny_model_dir, generation=settings, quiet=True)
    else:
        engine = CTranslate2Translator(tiny_ct2_dir, generation=settings, quiet=True)
    lines = LINES[:3] + LINES[-2:]
    aligned = engine.translate_aligned(lines)
    assert [text for text, _ in aligned] == engine.translate(lines)
    for sentence, (text, pairs) in zip(lines, aligned):
        assert pairs, sentence
        assert all(0 <= i < len(sentence.split()) and 0 <= j < len(text.split()) for i, j in pairs)
        assert {j for _, j in pairs} == set(range(len(text.split())))  # every target word has a source word
    if backend == "transformers":  # the fast path is back once the aligned call is over
        assert engine._model.config._attn_implementation == "sdpa"


@pytest.mark.parametrize("settings", [GREEDY, BEAMS], ids=["greedy", "beams3"])
def test_both_engines_read_the_same_attention(settings: GenerationSettings, tiny_model_dir: Path,
                                              ct2_float32_dir: Path, tiny_batch_memory) -> None:
    """float32 CTranslate2 decodes exactly as transformers, so the attention rows of the tokens
    each returns must agree (transformers reading another beam's or another head's would not);
    their alignments then agree but for near-ties of the argmax."""
    budget = tiny_batch_memory(256, settings.beams)
    hf = TransformersTranslator(tiny_model_dir, generation=settings, quiet=True, batch_memory=budget)
    ct2 = CTranslate2Translator(ct2_float32_dir, generation=settings, quiet=True, batch_memory=budget,
                                compute_type="float32")
    for line in LINES[:3]:
        ((pieces, ct2_rows, _),) = ct2._wait(ct2._submit([ct2._encode(line)], aligned=True))
        ((ids, hf_rows),) = hf._generate_ids_aligned([hf._encode(line)])
        assert hf._tokenizer.convert_ids_to_tokens(ids)[: len(pieces)] == pieces
        for ct2_row, hf_row in zip(ct2_rows, hf_rows[: len(pieces)], strict=True):
            assert ct2_row == pytest.approx(hf_row, abs=1e-3)
    ours, theirs = ct2.translate_aligned(LINES[:3]), hf.translate_aligned(LINES[:3])
    assert [t for t, _ in ours] == [t for t, _ in theirs]
    same = sum(len(set(a) & set(b)) for (_, a), (_, b) in zip(ours, theirs))
    assert same >= 0.9 * sum(len(b) for _, b in theirs)


def test_transformers_takes_the_chosen_beams_attention(tiny_model_dir: Path) -> None:
    """The attention rows of the kept hypothesis are those a forced pass over its tokens gives."""
    import torch

    engine = TransformersTranslator(tiny_model_dir, generation=BEAMS, quiet=True)
    batch = [engine._encode(line) for line in LINES[:3]]
    rows = engine._generate_ids_aligned(batch)
    for source, (ids, attention) in zip(batch, rows):
        decoder = torch.tensor([[engine._model.config.decoder_start_token_id] + ids])
        with torch.inference_mode():
            engine._model.set_attn_implementation("eager")
            forced = engine._model(input_ids=torch.tensor([source]), decoder_input_ids=decoder,
                                   output_attentions=True).cross_attentions[-1][0, 0]
            engine._model.set_attn_implementation("sdpa")
        assert len(attention) >= len([i for i in ids if i not in (engine._eos_id, engine._pad_id)])
        for step, row in enumerate(attention):
            assert row == pytest.approx(forced[step].tolist(), abs=1e-4)
