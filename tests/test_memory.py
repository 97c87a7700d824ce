"""Translation memory: reuse after an edit, invalidation, human precedence, flags, the commands."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from it2en import pipeline
from it2en.api import ArticleTranslator
from it2en.cli import app
from it2en.generation import GenerationSettings
from it2en.memory import Entry, ModelContext, TranslationMemory, default_path, machine_key

from conftest import SEED

ARTICLE = "Il titolo\n\nLa prima frase del testo. La seconda frase del testo.\n\nUn altro paragrafo qui.\n"


def mirror(sentence: str, retry: bool = False) -> str:
    """A stand-in translation no check flags: lower-case words written backwards."""
    return re.sub(r"\b[a-zàèéìòù]{3,}\b", lambda m: m.group()[::-1], sentence)


class CountingEngine:
    """Answers with :func:`mirror`; records every sentence it was sent."""

    def __init__(self, name="counting", revision="r1", beams=4, answer=None):
        self.name = name
        self.revision = revision
        self.generation = GenerationSettings(beams=beams)
        self.sent: list[str] = []
        self.answer = answer or mirror

    def translate(self, sentences, *, no_repeat_ngram_size=0):
        self.sent.extend(sentences)
        return [self.answer(s, bool(no_repeat_ngram_size)) for s in sentences]


def translate(text, engine, memory_path, *, format="json"):
    translator = ArticleTranslator(engine=engine, memory=memory_path)
    return translator.translate_text(text, format=format)


def segments(rendered: str) -> list[dict]:
    return [s for b in json.loads(rendered)["blocks"] for s in b["segments"] if s["translate"]]


def test_default_file_is_in_the_cache_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("IT2EN_MEMORY")
    monkeypatch.setenv("IT2EN_CACHE_DIR", str(tmp_path / "c"))
    assert default_path() == tmp_path / "c" / "memory.sqlite"
    monkeypatch.delenv("IT2EN_CACHE_DIR")
    assert default_path().parts[-2:] == ("it2en", "memory.sqlite")
    monkeypatch.setenv("IT2EN_MEMORY", str(tmp_path / "m.sqlite"))
    assert default_path() == tmp_path / "m.sqlite"


def test_only_changed_sentences_reach_the_model_after_an_edit(tmp_path):
    memory = tmp_path / "tm.sqlite"
    original = SEED.read_text(encoding="utf-8")
    first = CountingEngine()
    translate(original, first, memory)
    assert first.sent
    # An edit: one sentence changed, one paragraph added after the headline.
    sentences = [s["source"] for s in segments(translate(original, CountingEngine(), tmp_path / "x.sqlite"))]
    changed = sentences[3]
    edited = original.replace(changed, changed.rstrip(".") + " ieri.").replace(
        "\n\n", "\n\nUn paragrafo nuovo aggiunto.\n\n", 1)
    second = CountingEngine()
    result = segments(translate(edited, second, memory))
    assert sorted(second.sent) == sorted([changed.rstrip(".") + " ieri.", "Un paragrafo nuovo aggiunto."])
    assert {s["origin"] for s in result} == {"memory", "model"}
    assert sum(s["origin"] == "model" for s in result) == 2
    # Same text as without the memory, sentence for sentence.
    fresh = segments(translate(edited, CountingEngine(), None))
    assert [s["target"] for s in result] == [s["target"] for s in fresh]


def test_a_repeated_run_sends_nothing_and_the_file_is_alone(tmp_path):
    memory = tmp_path / "tm.sqlite"
    translate(ARTICLE, CountingEngine(), memory)
    again = CountingEngine()
    translate(ARTICLE, again, memory)
    assert again.sent == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tm.sqlite"]  # no -wal, -shm or copy left


def test_no_memory_neither_reads_nor_writes(tmp_path):
    memory = tmp_path / "tm.sqlite"
    translate(ARTICLE, CountingEngine(), memory)
    engine = CountingEngine()
    ArticleTranslator(engine=engine, memory=False).translate_text(ARTICLE)
    assert len(engine.sent) == 4
    with TranslationMemory(memory) as store:
        assert store.stats().entries == 4


@pytest.mark.parametrize("change", [dict(name="other-model"), dict(revision="r2"), dict(beams=1)],
                         ids=["model", "revision", "beams"])
def test_a_changed_model_or_setting_never_reuses_a_machine_translation(tmp_path, change):
    memory = tmp_path / "tm.sqlite"
    translate(ARTICLE, CountingEngine(), memory)
    changed = CountingEngine(**change)
    translate(ARTICLE, changed, memory)
    assert len(changed.sent) == 4
    same = CountingEngine()
    translate(ARTICLE, same, memory)
    assert same.sent == []  # the first entries are still there for the first settings


def test_the_cap_rule_and_the_glossary_are_part_of_the_key():
    context = ModelContext.of("m", "org/m", "abc", GenerationSettings())
    capped = ModelContext.of("m", "org/m", "abc", GenerationSettings(max_new_tokens_factor=1.5))
    assert machine_key("Una frase.", context) != machine_key("Una frase.", capped)
    assert machine_key("Una frase.", context) != machine_key("Una frase.", context, [("frase", "phrase")])
    assert machine_key("Una frase.", context, [("a", "b"), ("c", "d")]) == machine_key(
        "Una frase.", context, (("c", "d"), ("a", "b")))


def test_glossary_entries_applied_invalidate_through_the_pipeline(tmp_path, monkeypatch):
    memory = tmp_path / "tm.sqlite"
    translate(ARTICLE, CountingEngine(), memory)
    real = pipeline._prepare

    def with_glossary(block, segment, shouting):
        prepared = real(block, segment, shouting)
        prepared.glossary = [("frase", "sentence")] if "frase" in segment.source else []
        return prepared

    monkeypatch.setattr(pipeline, "_prepare", with_glossary)
    engine = CountingEngine()
    translate(ARTICLE, engine, memory)
    assert sorted(engine.sent) == ["La prima frase del testo.", "La seconda frase del testo."]


def test_human_entries_win_under_any_model_before_the_model(tmp_path):
    memory = tmp_path / "tm.sqlite"
    translate(ARTICLE, CountingEngine(), memory)
    with TranslationMemory(memory) as store:
        store.store([Entry.human("La prima  frase del testo.", "The first sentence, as the editor wrote it.")])
    for engine in (CountingEngine(), CountingEngine(name="another", beams=2)):
        result = segments(translate(ARTICLE, engine, memory))
        assert "La prima frase del testo." not in engine.sent
        first = next(s for s in result if s["source"] == "La prima frase del testo.")
        assert first["target"] == "The first sentence, as the editor wrote it." and first["origin"] == "human"


def test_a_flagged_translation_is_stored_as_kept_and_warns_again(tmp_path):
    memory = tmp_path / "tm.sqlite"
    text = "Questa frase è abbastanza lunga da essere tradotta male dal modello.\n"
    answers = {False: "Bad.", True: "Worse."}
    engine = CountingEngine(answer=lambda s, retry: answers[retry])
    first = segments(translate(text, engine, memory))[0]
    assert first["flags"] == ["too_short", "retried"] and first["target"] == "Bad."  # the better attempt
    again = CountingEngine()
    second = segments(translate(text, again, memory))[0]
    assert again.sent == [] and second["origin"] == "memory"
    assert second["target"] == "Bad." and second["flags"] == ["too_short", "retried"]
    with TranslationMemory(memory) as store:
        assert store.stats().flagged == 1
        assert store.clear(flagged=True) == 1
    fixed = CountingEngine()
    assert segments(translate(text, fixed, memory))[0]["origin"] == "model" and fixed.sent


def test_post_editing_runs_again_on_a_remembered_answer(tmp_path):
    """The raw answer is stored: the source's final punctuation is restored on reuse as well."""
    memory = tmp_path / "tm.sqlite"
    translate("Una frase corta qui!\n", CountingEngine(answer=lambda s, r: "A short sentence here"), memory)
    with TranslationMemory(memory) as store:
        (entry,) = list(store.entries())
    assert entry.target == "A short sentence here"
    assert segments(translate("Una frase corta qui!\n", CountingEngine(), memory))[0]["target"] == \
        "A short sentence here!"


# ----------------------------------------------------------------------------- the commands


def cli(*args, env=None):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False, env=env)


def test_summary_line_and_json_origins_through_the_cli(engine_cli, tmp_path):
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "b.txt").write_text("Una frase nuova.\n", encoding="utf-8")
    first = engine_cli(CountingEngine(), "a.txt")
    assert first.exit_code == 0 and "memory" not in first.stderr
    single = engine_cli(CountingEngine(), "a.txt")
    assert single.stderr.strip() == "it2en: 4 of 4 sentences from the translation memory"
    both = engine_cli(CountingEngine(), "a.txt", "b.txt", "-f", "json")
    assert both.stderr.splitlines()[-1] == ("it2en: 2 translated, 0 skipped, 0 failed; "
                                            "4 of 5 sentences from the translation memory")
    off = engine_cli(CountingEngine(), "a.txt", "--no-memory", "-f", "json")
    assert {s["origin"] for s in segments(off.stdout)} == {"model"} and off.stderr == ""


def test_memory_option_names_another_file(engine_cli, tmp_path):
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    assert engine_cli(CountingEngine(), "a.txt", "--memory", "team.sqlite").exit_code == 0
    assert (tmp_path / "team.sqlite").is_file()
    stats = cli("memory", "stats", "--memory", tmp_path / "team.sqlite")
    assert stats.exit_code == 0 and "4 entries, 0 flagged" in stats.stdout
    assert "machine         4  counting" in stats.stdout


def test_stats_clear_by_model_and_origin(tmp_path, private_translation_memory):
    translate(ARTICLE, CountingEngine(), private_translation_memory)
    translate(ARTICLE, CountingEngine(name="other"), private_translation_memory)
    with TranslationMemory() as store:
        store.store([Entry.human("Il titolo", "The Headline")])
    stats = cli("memory", "stats")
    assert stats.exit_code == 0 and "9 entries" in stats.stdout and "(any model)" in stats.stdout
    cleared = cli("memory", "clear", "--model", "other")
    assert cleared.exit_code == 0 and "deleted 4 entries" in cleared.stderr
    assert "deleted 4 entries" in cli("memory", "clear", "--origin", "machine").stderr
    assert "deleted 1 entries" in cli("memory", "clear").stderr


def test_stats_without_a_memory_creates_nothing(tmp_path, private_translation_memory):
    stats = cli("memory", "stats")
    assert stats.exit_code == 0 and "no translation memory yet" in stats.stdout
    cleared = cli("memory", "clear")
    assert cleared.exit_code == 0 and "deleted 0 entries" in cleared.stderr
    assert not private_translation_memory.exists()
