"""The canary: a model that cannot translate is refused (registry and hub models) or warned about
(local folders), on first use, after ``it2en download`` and on demand (``models --check``)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import it2en.engines.factory
from it2en import canary, models
from it2en.api import ArticleTranslator
from it2en.cli import app
from it2en.errors import ModelUnavailableError

from conftest import CORPUS, SEED, TINY_FAST_FLAGS, put_in_hub_cache

COMMIT = "89abcdef0123456789abcdef0123456789abcdef"
TC_BIG = models.load_catalog().models["opus-mt-tc-big-it-en"]
FAIR_ENGLISH = dict(zip(canary.CANARY_SENTENCES, (
    "The government yesterday approved the new labour law, which will come into force on the first of January.",
    "According to the experts, the price of energy will continue to rise throughout the winter.",
    "The city opened a new library for children and their families.",
    "The president said that the country is ready to cooperate with all of its neighbours.",
    "The museum will be closed for works until the end of the month, but the garden will remain open.",
)))


class FairEngine:
    """Translates the canary sentences as a working model would; counts its calls."""

    name = "fair"

    def __init__(self) -> None:
        self.calls = 0

    def translate(self, sentences: list[str], *, no_repeat_ngram_size: int = 0) -> list[str]:
        self.calls += 1
        return [FAIR_ENGLISH.get(s, "A sentence.") for s in sentences]


@pytest.fixture(autouse=True)
def canary_on(monkeypatch):
    """The suite turns the canary off (its models are random); these tests need it on."""
    monkeypatch.delenv(canary.CANARY_ENV, raising=False)


@pytest.fixture
def fair_engine(monkeypatch) -> FairEngine:
    """Every engine it2en builds is this one: a model that passes the canary."""
    engine = FairEngine()
    monkeypatch.setattr(it2en.engines.factory, "create_translator", lambda *a, **k: engine)
    return engine


def canary_files(tmp_path) -> list:
    return sorted((tmp_path / "it2en-cache" / "canary").glob("*.json"))


def test_fair_translations_pass_and_copies_or_noise_fail():
    assert canary.run_canary(FairEngine()).clean == len(canary.CANARY_SENTENCES)

    class Echo(FairEngine):  # gives the Italian back
        def translate(self, sentences, **options):
            return list(sentences)

    verdict = canary.run_canary(Echo())
    assert not verdict.passed and verdict.clean == 0
    assert all({"copied_source", "not_english"} <= set(line.problems) for line in verdict.lines)


def test_the_judge_accepts_the_real_models_published_outputs():
    """The canary must never refuse opus-mt-it-en itself: its judge, applied to the real model's
    published news outputs, accepts every full sentence (eight words or more, ending with its
    punctuation, as the canary's are) and nearly all the other lines (headlines and bylines such
    as "William Woodruff" carry no function words)."""
    opus = CORPUS / "opus-mt-outputs"
    pairs = list(zip((opus / "newssyscomb2009.ita").read_text(encoding="utf-8").splitlines(),
                     (opus / "newssyscomb2009.ita-eng.output").read_text(encoding="utf-8").splitlines(),
                     strict=True))
    judged = [(len(source.split()) >= 8 and source.rstrip().endswith((".", "!", "?", '"', "”", "»")),
               canary.canary_problems(source, output)) for source, output in pairs]
    assert not [problems for sentence, problems in judged if sentence and problems]
    assert sum(bool(problems) for _, problems in judged) <= 0.05 * len(judged)


def test_one_odd_sentence_is_tolerated_two_are_not():
    class Odd(FairEngine):
        def __init__(self, odd: int) -> None:
            super().__init__()
            self.odd = odd

        def translate(self, sentences, **options):
            out = super().translate(sentences)
            return ["the the the the the the the the the"] * self.odd + out[self.odd:]

    assert canary.run_canary(Odd(1)).passed
    failing = canary.run_canary(Odd(2))
    assert not failing.passed and "repetition" in failing.lines[0].problems


def test_random_local_folder_gets_a_warning_and_translates(tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("IT2EN_CACHE_DIR", str(tmp_path / "it2en-cache"))
    notes: list[str] = []
    translator = ArticleTranslator(str(tiny_model_dir), backend="transformers", beams=1, notify=notes.append)
    assert translator.translate_text("Il governo ha approvato la legge.\n").strip()
    warning = next(n for n in notes if n.startswith("Warning:"))
    assert "cannot translate" in warning and "came out as «" in warning and canary.CANARY_ENV in warning
    [verdict_file] = canary_files(tmp_path)
    assert verdict_file.name.endswith("-transformers.json")
    assert json.loads(verdict_file.read_text(encoding="utf-8"))["passed"] is False


def test_broken_registry_model_is_refused_with_its_sample(tiny_model_dir, hub_cache, tmp_path):
    # The tiny random model, cached as the pinned tc-big: the real resolution and loading path.
    put_in_hub_cache(tiny_model_dir, hub_cache, TC_BIG.hub_id, TC_BIG.revision, ref=None)
    result = CliRunner().invoke(app, ["translate", str(SEED), "-m", TC_BIG.name, *TINY_FAST_FLAGS])
    assert result.exit_code == 69 and result.stdout == ""
    message = result.stderr
    assert f"Model '{TC_BIG.name}'" in message and "cannot translate" in message
    assert "came out as «" in message and canary.CANARY_SENTENCES[0][:30] in message
    assert f"it2en download {TC_BIG.name}" in message and f"it2en models --check {TC_BIG.name}" in message
    assert "Traceback" not in message
    assert len(canary_files(tmp_path)) == 1


def test_a_cached_failure_refuses_without_translating_again(tiny_model_dir, hub_cache, monkeypatch):
    put_in_hub_cache(tiny_model_dir, hub_cache, "Helsinki-NLP/opus-mt-it-en", COMMIT)
    options = dict(backend="transformers", beams=1)
    with pytest.raises(ModelUnavailableError, match="cannot translate"):
        ArticleTranslator(**options).engine
    monkeypatch.setattr(canary, "run_canary", lambda engine: pytest.fail("the verdict was cached"))
    with pytest.raises(ModelUnavailableError, match="came out as"):
        ArticleTranslator(**options).engine


def test_passing_hub_model_is_used_and_its_verdict_cached(tiny_model_dir, hub_cache, fair_engine, tmp_path):
    put_in_hub_cache(tiny_model_dir, hub_cache, "Helsinki-NLP/opus-mt-it-en", COMMIT)
    assert ArticleTranslator().engine is fair_engine and fair_engine.calls == 1
    [verdict_file] = canary_files(tmp_path)
    assert COMMIT in verdict_file.name and verdict_file.name.endswith("-fair.json")
    assert json.loads(verdict_file.read_text(encoding="utf-8"))["passed"] is True
    # Once per revision and engine: a second translator reuses the verdict.
    assert ArticleTranslator().translate_text("Una frase.\n") == "A sentence.\n"
    assert fair_engine.calls == 2  # the sentence itself, no second canary


def test_the_variable_turns_the_canary_off(tiny_model_dir, hub_cache, monkeypatch, tmp_path):
    put_in_hub_cache(tiny_model_dir, hub_cache, "Helsinki-NLP/opus-mt-it-en", COMMIT)
    monkeypatch.setenv(canary.CANARY_ENV, "off")
    assert ArticleTranslator(backend="transformers", beams=1).engine is not None
    assert canary_files(tmp_path) == []


def test_models_check_prints_what_a_broken_folder_produced(tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("IT2EN_CACHE_DIR", str(tmp_path / "it2en-cache"))
    monkeypatch.setenv(canary.CANARY_ENV, "off")  # --check runs all the same
    result = CliRunner().invoke(app, ["models", "--check", str(tiny_model_dir), "--backend", "transformers"])
    assert result.exit_code == 69
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert [source for _, source, _ in rows] == list(canary.CANARY_SENTENCES)
    assert all("not_english" in problems for problems, _, _ in rows)
    assert "cannot translate" in result.stderr and str(tiny_model_dir) in result.stderr


def test_models_check_passes_a_model_that_translates(tiny_model_dir, hub_cache, fair_engine):
    put_in_hub_cache(tiny_model_dir, hub_cache, "Helsinki-NLP/opus-mt-it-en", COMMIT)
    result = CliRunner().invoke(app, ["models", "--check", "opus-mt-it-en"])
    assert result.exit_code == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert rows == [["ok", source, english] for source, english in FAIR_ENGLISH.items()]
    assert "translates: 5 of 5" in result.stderr


def test_download_runs_the_canary(tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("IT2EN_CACHE_DIR", str(tmp_path / "it2en-cache"))
    result = CliRunner().invoke(app, ["download", str(tiny_model_dir), "--backend", "transformers"])
    assert result.exit_code == 0  # a local folder: warned about, not refused
    assert "Warning:" in result.stderr and "cannot translate" in result.stderr
    assert len(canary_files(tmp_path)) == 1


def test_models_table_shows_pins_scores_and_sizes():
    result = CliRunner().invoke(app, ["models"])
    assert result.exit_code == 0
    header, default, big = result.stdout.splitlines()
    assert "main (unpinned)" in default and "opus-2019-12-18" in default
    assert "29.5 / 0.600 / —" in default and " 33.5 " in default and " 85 M " in default
    assert TC_BIG.revision[:12] in big and TC_BIG.pinned
    assert "32.8 / 0.621 / 0.737" in big and " 34.3 " in big and " 232 M " in big
    # Aligned columns: every cell starts under its header.
    for column in ("pin", "parameters", "offline", "licence"):
        start = header.index(column)
        assert default[start - 1] == big[start - 1] == " " and default[start] != " " != big[start]
    assert "default" in result.stderr and "default" not in result.stdout
