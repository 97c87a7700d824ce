"""Pipeline invariants with fake engines: nothing lost, the model only sees sentences, dedup, retries."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from it2en.api import ArticleTranslator
from it2en.engines import IdentityTranslator
from it2en.fidelity.placeholders import masked_spans
from it2en.pipeline import translate_articles
from it2en.render import OutputMeta, render_text
from it2en.formats.text import parse

from conftest import ARTICLES, CORPUS


class RecordingEngine:
    """Records what the model would see; answers with ``answer(sentence, attempt)``."""

    name = "recording"

    def __init__(self, answer=lambda s, retry: s):
        self.calls: list[list[str]] = []
        self.retries: list[list[str]] = []
        self.answer = answer

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 1

    def translate(self, sentences, *, no_repeat_ngram_size=0):
        (self.retries if no_repeat_ngram_size else self.calls).append(list(sentences))
        return [self.answer(s, bool(no_repeat_ngram_size)) for s in sentences]

    @property
    def seen(self) -> list[str]:
        return [s for call in self.calls + self.retries for s in call]


def run(texts, engine, **kwargs):
    articles = [parse(t, name=f"a{i}") for i, t in enumerate(texts)]
    done = []
    translate_articles(articles, engine, on_article_done=done.append, **kwargs)
    return articles, done


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: p.name)
def test_identity_engine_round_trip_through_pipeline(path: Path):
    text = path.read_text(encoding="utf-8")
    (article,), _ = run([text], IdentityTranslator(), keep_number_format=True)
    assert render_text(article, OutputMeta()) == text


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: p.name)
def test_model_sees_only_clean_sentences_and_nothing_is_lost(path: Path):
    engine = RecordingEngine(answer=lambda s, retry: "EN " + s)
    (article,), done = run([path.read_text(encoding="utf-8")], engine)
    assert done == [article]
    for sentence in engine.seen:
        assert sentence and sentence == sentence.strip()
        assert "\n" not in sentence and "\r" not in sentence
        assert re.search(r"[^\W\d_]", sentence), f"no letters: {sentence!r}"
    translatable = article.translatable_segments()
    assert translatable and all(s.target for s in translatable)
    assert all(s.target.startswith("EN ") or "kept_english" in s.flags for s in translatable)


def test_repeated_sentences_are_translated_once_across_articles():
    seed = (CORPUS / "seed_cina-ia-deepseek.txt").read_text(encoding="utf-8")
    engine = RecordingEngine()
    articles, done = run([seed, seed], engine)
    assert len(done) == 2
    first_pass = [s for call in engine.calls for s in call]
    assert len(first_pass) == len(set(first_pass))
    retried = [s for call in engine.retries for s in call]
    assert len(retried) == len(set(retried))
    headline = articles[0].blocks[0].segments[0].source
    assert first_pass.count(headline) == 1
    assert articles[1].blocks[1].segments[0].target == headline


def test_articles_complete_in_order_with_small_chunks():
    texts = [f"Titolo {i}\n\nPrima frase numero {i}. Seconda frase numero {i}.\n" for i in range(5)]
    engine = RecordingEngine()
    articles, done = run(texts, engine, chunk_sentences=2)
    assert done == articles
    assert len(engine.calls) > 1


def test_overlong_sentence_is_split_not_truncated():
    words = [f"parola{i}" for i in range(600)]
    text = "Titolo\n\n" + " ".join(words) + "\n"
    engine = RecordingEngine()
    (article,), _ = run([text], engine, segment_tokens=100)
    assert all(engine.count_tokens(s) <= 100 for s in engine.seen)
    pieces = article.blocks[1].segments
    assert len(pieces) >= 6 and all(s.split and "split" in s.flags for s in pieces)
    assert render_text(article, OutputMeta()) == text


def test_final_punctuation_is_restored_and_headline_gets_none():
    def answer(sentence, retry):
        return sentence.rstrip(".?") + ("." if not sentence.endswith("?") else "")

    (article,), _ = run(["Titolo senza punto\n\nÈ una domanda?\n"], RecordingEngine(answer))
    assert article.blocks[0].target == "Titolo senza punto"
    assert article.blocks[1].target == "È una domanda?"


def test_flagged_segment_is_retried_with_safer_decoding():
    def answer(sentence, retry):
        return "The results are clear." if retry else "I'm sorry " * 12

    engine = RecordingEngine(answer)
    (article,), _ = run(["Titolo\n\nI risultati sono chiari.\n"], engine)
    segment = article.blocks[1].segments[0]
    assert engine.retries, "the flagged segment was not retried"
    assert segment.target == "The results are clear."
    assert "retried" in segment.flags and "repetition" not in segment.flags


LOOPING = "I'm sorry " * 12  # repetition (and too long): a bad answer
JUNK = " (Translated with Google Translate)"  # junk_appended once removed: a mild one


@pytest.mark.parametrize(
    ("first", "retry", "kept"),
    [
        ("The results are clear." + JUNK, LOOPING, "The results are clear."),  # worse: first kept
        (LOOPING, "The results are plain." + JUNK, "The results are plain."),  # better, not clean: retry kept
        ("The results are clear." + JUNK, "The results are plain." + JUNK, "The results are clear."),  # tie: first
    ],
    ids=["worse-retry", "better-retry", "tied-retry"],
)
def test_the_better_attempt_is_kept(first: str, retry: str, kept: str):
    engine = RecordingEngine(lambda s, is_retry: "Title" if s == "Titolo" else retry if is_retry else first)
    (article,), _ = run(["Titolo\n\nI risultati sono chiari.\n"], engine)
    segment = article.blocks[1].segments[0]
    assert engine.retries == [["I risultati sono chiari."]]
    assert segment.target == kept
    assert segment.flags == ["junk_appended", "retried"]  # the kept attempt's flags, and the retry said


def test_a_segment_still_bad_after_retry_keeps_its_flag():
    engine = RecordingEngine(lambda s, retry: "No, no, no, no, no, no, no, no, no, no.")
    (article,), _ = run(["Titolo\n\nI risultati sono chiari e sono stati pubblicati ieri.\n"], engine)
    segment = article.blocks[1].segments[0]
    assert "repetition" in segment.flags and "retried" in segment.flags


def test_capital_headline_is_translated_in_sentence_case_and_returned_in_capitals():
    engine = RecordingEngine(lambda s, retry: "The " + s.lower())
    (article,), _ = run(["LA CINA IMPEGNA UN TRILIONE DI YUAN\n\nTesto.\n"], engine)
    assert engine.calls[0][0] == "La cina impegna un trilione di yuan"
    assert article.blocks[0].target == "THE LA CINA IMPEGNA UN TRILIONE DI YUAN"


def _upper_outside_masked(text: str) -> str:
    pieces, cursor = [], 0
    for start, end, _ in masked_spans(text):
        pieces += [text[cursor:start].upper(), text[start:end]]
        cursor = end
    return "".join(pieces) + text[cursor:].upper()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="abcdèà .,?!:;“”«»\n'’-*#>", max_size=60), max_size=8))
def test_translated_article_keeps_frames_separators_and_segment_order(lines):
    """The translated article, rendered, is the source's layout (a fresh parse: frames, gaps,
    separators) with each sentence's translation in its place and order. The fake engine
    upper-cases; hashtags are masked from it, and nothing else undoes it in this alphabet (no
    labels, no capitals to shout, no English function words to keep)."""
    text = "\n".join(lines)
    engine = RecordingEngine(lambda s, retry: s.upper())
    (article,), _ = run([text], engine)
    reference = parse(text)
    assert [(b.kind, b.prefix, b.suffix, b.separator) for b in article.blocks] == \
        [(b.kind, b.prefix, b.suffix, b.separator) for b in reference.blocks]
    assert [(s.source, s.gap) for s in article.segments()] == [(s.source, s.gap) for s in reference.segments()]
    expected = reference.leading + "".join(
        b.prefix
        + "".join((_upper_outside_masked(s.source) if s.translatable else s.source) + s.gap for s in b.segments)
        + b.suffix + b.separator
        for b in reference.blocks
    )
    assert render_text(article, OutputMeta()) == expected


def test_api_translate_text_with_identity_engine_needs_no_model():
    translator = ArticleTranslator(engine=IdentityTranslator())
    text = "Titolo\n\nUna frase. Un'altra.\n"
    assert translator.translate_text(text) == text
    assert ArticleTranslator(model="no-such-model").translate_text("\n\n") == "\n\n"


def test_appended_junk_is_removed_and_flagged():
    engine = RecordingEngine(lambda s, retry: "The results are clear. (Translated with Google Translate)")
    (article,), _ = run(["Titolo\n\nI risultati sono chiari.\n"], engine)
    segment = article.blocks[1].segments[0]
    assert segment.target == "The results are clear."
    assert "junk_appended" in segment.flags and "retried" in segment.flags


@pytest.fixture(scope="module")
def tiny_engine(tiny_model_dir):
    from it2en.engines.transformers import TransformersTranslator
    from it2en.generation import GenerationSettings

    return TransformersTranslator(tiny_model_dir, quiet=True,
                                  generation=GenerationSettings(beams=1, max_new_tokens_factor=0.5,
                                                                max_new_tokens_extra=2))


LINES = st.lists(st.text(alphabet="abcdeèàò .,?!:;“”«»'’-*#>0123456789", max_size=50), max_size=6)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(LINES)
def test_tiny_model_keeps_blocks_segments_and_line_breaks(tiny_engine, lines):
    text = "\n".join(lines)
    (article,), done = run([text], tiny_engine)
    reference = parse(text)
    assert len(done) == 1 and len(article.blocks) == len(reference.blocks)
    assert len(article.segments()) >= len(reference.segments())
    for segment in article.translatable_segments():
        assert segment.target is not None
    out = render_text(article, OutputMeta())
    assert out.count("\n") == text.count("\n")
    assert [b.separator for b in article.blocks] == [b.separator for b in reference.blocks]
