"""The model's confidence in each sentence: what it ranks, that both engines compute the same
figure, that the memory keeps it, and how ``--review-below`` and ``--strict`` use it."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from it2en.api import ArticleTranslator
from it2en.engines import Translation
from it2en.engines.ctranslate2 import CTranslate2Translator
from it2en.engines.transformers import TransformersTranslator
from it2en.generation import GenerationSettings
from it2en.memory import Entry, TranslationMemory

ENGINE_TOLERANCE = 1e-3
"""How far the two engines' confidences in the same translation may differ (float32 both; the
measured gap is about 1e-6: the order of float sums)."""


def engines(model_dir: Path, ct2_dir: Path, beams: int):
    generation = GenerationSettings(beams=beams)
    return (TransformersTranslator(model_dir, generation=generation, quiet=True),
            CTranslate2Translator(ct2_dir, generation=generation, quiet=True, compute_type="default"))


def ranked_correctly(higher: list[float], lower: list[float]) -> float:
    """The share of (higher, lower) pairs in that order: 1 is a perfect ranking, 0.5 a coin."""
    return sum(h > low for h in higher for low in lower) / (len(higher) * len(lower))


@pytest.mark.parametrize("backend", ["transformers", "ctranslate2"])
def test_memorised_sentences_get_more_confidence_than_unseen_ones(
        memorising_model_dir, memorising_ct2_dir, memorising_pairs, backend):
    learnt, unseen = memorising_pairs
    engine = dict(zip(("transformers", "ctranslate2"), engines(memorising_model_dir, memorising_ct2_dir, 4)))[backend]
    known = engine.translate_detailed([it for it, _ in learnt])
    assert sum(t.text == en for t, (_, en) in zip(known, learnt)) >= len(learnt) - 2  # it did learn them
    new = engine.translate_detailed([it for it, _ in unseen])
    sure, unsure = [t.confidence for t in known], [t.confidence for t in new]
    assert all(0 < c <= 1 for c in sure + unsure)
    assert sum(sure) / len(sure) > sum(unsure) / len(unsure) + 0.05
    assert ranked_correctly(sure, unsure) >= 0.9


@pytest.mark.parametrize("beams", [1, 4])
def test_the_engines_agree_on_confidence(memorising_model_dir, memorising_ct2_dir, memorising_pairs, beams):
    """The same translation gets the same confidence from both engines (outputs that end)."""
    sentences = [it for pair in memorising_pairs for it, _ in pair]
    hf, ct2 = engines(memorising_model_dir, memorising_ct2_dir, beams)
    ours, theirs = hf.translate_detailed(sentences), ct2.translate_detailed(sentences)
    same = [(a, b) for a, b in zip(ours, theirs) if a.text == b.text]
    assert len(same) >= len(sentences) - 2  # a near tie between two beams may go either way
    for a, b in same:
        assert a.confidence == pytest.approx(b.confidence, abs=ENGINE_TOLERANCE), a.text


def test_the_engines_agree_on_confidence_at_the_cap(tiny_model_dir, ct2_float32_dir):
    """A random model never ends: the </s> transformers forces at the cap is not the model's choice
    and is not counted, as CTranslate2 never decodes that step."""
    sentences = ["Il gatto è sul tavolo.", "Ciao.", "Oggi piove molto a Roma e a Milano."]
    hf, ct2 = engines(tiny_model_dir, ct2_float32_dir, 4)
    for a, b in zip(hf.translate_detailed(sentences), ct2.translate_detailed(sentences)):
        assert a.text == b.text
        assert a.confidence == pytest.approx(b.confidence, abs=ENGINE_TOLERANCE)


def test_scores_change_no_translation_and_come_with_alignments(memorising_model_dir, memorising_ct2_dir,
                                                               memorising_pairs):
    sentences = [it for it, _ in memorising_pairs[1][:3]]
    for engine in engines(memorising_model_dir, memorising_ct2_dir, 4):
        plain = engine.translate(sentences)
        scored = engine.translate_detailed(sentences, aligned=True)
        assert [t.text for t in scored] == plain
        assert [(t.text, t.alignment) for t in scored] == engine.translate_aligned(sentences)
        assert all(t.confidence is not None for t in scored)
        assert all(t.confidence is None for t in engine.translate_detailed(sentences, scored=False))


# --------------------------------------------------------------------------- through the pipeline


def json_segments(output: str) -> list[dict]:
    return [s for line in output.splitlines() for b in json.loads(line)["blocks"] for s in b["segments"]]


def test_confidence_is_in_json_and_survives_the_memory(memorising_model_dir, memorising_pairs, tmp_path):
    learnt, unseen = memorising_pairs
    article = "\n\n".join(it for it, _ in learnt[:3] + unseen[:2]) + "\n"
    engine = TransformersTranslator(memorising_model_dir, generation=GenerationSettings(), quiet=True)
    memory = tmp_path / "memory.sqlite"
    first = json_segments(ArticleTranslator(engine=engine, memory=memory).translate_text(article, format="json"))
    assert {s["origin"] for s in first} == {"model"}
    assert all(0 < s["confidence"] <= 1 for s in first)
    again = json_segments(ArticleTranslator(engine=engine, memory=memory).translate_text(article, format="json"))
    assert {s["origin"] for s in again} == {"memory"}
    assert [s["confidence"] for s in again] == [s["confidence"] for s in first]
    with TranslationMemory(memory) as store:
        store.store([Entry.human(learnt[0][0], "A person's English.")])
    human = json_segments(ArticleTranslator(engine=engine, memory=memory).translate_text(article, format="json"))
    assert (human[0]["origin"], human[0]["target"], human[0]["confidence"]) == ("human", "A person's English.", 1)


def test_a_memory_file_of_the_first_schema_is_migrated(tmp_path):
    """A memory written before confidence was recorded: its entries stay, machine ones with no
    confidence (unknown), human ones with 1."""
    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE entries (key TEXT PRIMARY KEY, origin TEXT NOT NULL, source TEXT NOT NULL,
            target TEXT NOT NULL, model TEXT NOT NULL DEFAULT '', model_id TEXT NOT NULL DEFAULT '',
            revision TEXT NOT NULL DEFAULT '', settings TEXT NOT NULL DEFAULT '',
            glossary TEXT NOT NULL DEFAULT '[]', flags TEXT NOT NULL DEFAULT '[]', created TEXT NOT NULL
        ) WITHOUT ROWID;
        PRAGMA application_id = 1769222757;
        PRAGMA user_version = 1;
    """)
    human = Entry.human("Una frase.", "A sentence.")
    machine = Entry("machine", "Un'altra.", "Another.", "m", "m", "", "beams=4", "[]", [], "2026-01-01T00:00:00Z")
    for entry in (human, machine):
        old.execute("INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?)", entry.row()[:-1])
    old.commit()
    old.close()
    with TranslationMemory(path) as store:
        found = {e.origin: e for e in store.entries()}
        assert (found["human"].target, found["human"].confidence) == ("A sentence.", 1)
        assert (found["machine"].target, found["machine"].confidence) == ("Another.", None)
        store.store([Entry("machine", "Terza.", "Third.", "m", "m", "", "beams=4", confidence=0.25)])
        assert store.lookup([Entry("machine", "Terza.", "", "m", "m", "", "beams=4").key]).popitem()[1].confidence == 0.25
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA user_version").fetchone()[0] == 2
    with TranslationMemory(path) as store:  # opened again: nothing left to migrate
        assert len(list(store.entries())) == 3


# --------------------------------------------------------------------------- the command line

SURE, UNSURE = "Il governo approva la legge.", "Il sindaco parla domani."


class ScoredEngine:
    """A fake engine with fixed answers and confidences."""

    name = "scored"
    answers = {SURE: ("The government passes the law.", 0.9), UNSURE: ("The mayor speaks tomorrow.", 0.3)}

    def translate(self, sentences, *, no_repeat_ngram_size=0):
        return [t.text for t in self.translate_detailed(sentences)]

    def translate_detailed(self, sentences, *, aligned=False, no_repeat_ngram_size=0):
        return [Translation(*self.answers[s][:1], None, self.answers[s][1]) for s in sentences]


@pytest.fixture
def article(tmp_path):
    (tmp_path / "a.txt").write_text(f"{SURE}\n\n{UNSURE}\n", encoding="utf-8")
    return "a.txt"


def test_json_carries_each_translated_segment_confidence(engine_cli, article):
    result = engine_cli(ScoredEngine(), article, "-f", "json", "--no-memory")
    assert result.exit_code == 0
    assert [(s["target"], s["confidence"]) for s in json_segments(result.stdout)] == [
        ("The government passes the law.", 0.9), ("The mayor speaks tomorrow.", 0.3)]


def test_the_summary_counts_the_sentences_that_need_review(engine_cli, article, tmp_path):
    default = engine_cli(ScoredEngine(), article, "--no-memory")
    assert default.exit_code == 0 and default.stderr.strip() == "it2en: 1 of 2 sentences need review"
    lenient = engine_cli(ScoredEngine(), article, "--no-memory", "--review-below", "0.2")
    assert lenient.exit_code == 0 and lenient.stderr == ""
    (tmp_path / "b.txt").write_text(f"{UNSURE}\n", encoding="utf-8")
    both = engine_cli(ScoredEngine(), article, "b.txt", "-f", "json", "--no-memory", "--review-below", "0.95")
    assert both.stderr.splitlines()[-1] == "it2en: 2 translated, 0 skipped, 0 failed; 3 of 3 sentences need review"


def test_strict_fails_on_low_confidence_only_when_review_below_is_given(engine_cli, article):
    plain = engine_cli(ScoredEngine(), article, "--no-memory", "--strict")
    assert plain.exit_code == 0
    strict = engine_cli(ScoredEngine(), article, "--no-memory", "--strict", "--review-below", "0.5")
    assert strict.exit_code == 3
    assert strict.stdout == "The government passes the law.\n\nThe mayor speaks tomorrow.\n"  # still written
    assert re.search(r"a\.txt: segment 2: confidence 0\.30: Il sindaco parla domani\.", strict.stderr)
    assert "segment 1" not in strict.stderr
    assert "less confident than 0.5" in strict.stderr
    assert engine_cli(ScoredEngine(), article, "--no-memory", "--strict", "--review-below", "0.25").exit_code == 0


def test_review_below_is_a_share(engine_cli, article):
    result = engine_cli(ScoredEngine(), article, "--review-below", "1.5")
    assert result.exit_code == 2 and "1.5" in result.stderr and "Traceback" not in result.stderr


class RetriedEngine:
    """Answers a sentence empty (flagged) at first, and well on the retry (no repeated n-grams)."""

    name = "retried"

    def __init__(self, retry_confidence: float, retry_text: str = "The government passes the law.") -> None:
        self.retry = Translation(retry_text, None, retry_confidence)

    def translate(self, sentences, *, no_repeat_ngram_size=0):
        return [t.text for t in self.translate_detailed(sentences, no_repeat_ngram_size=no_repeat_ngram_size)]

    def translate_detailed(self, sentences, *, aligned=False, no_repeat_ngram_size=0):
        return [self.retry if no_repeat_ngram_size else Translation("", None, 0.95) for _ in sentences]


@pytest.mark.parametrize("retry_text, kept", [("The government passes the law.", 0.4), ("", 0.95)])
def test_a_retried_segment_has_the_confidence_of_the_answer_it_keeps(retry_text, kept):
    translator = ArticleTranslator(engine=RetriedEngine(0.4, retry_text))
    (segment,) = json_segments(translator.translate_text(f"{SURE}\n", format="json"))
    assert "retried" in segment["flags"]
    assert (segment["target"] == "The government passes the law.") == (retry_text != "")
    assert segment["confidence"] == kept
