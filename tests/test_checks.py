"""Checks: the model's known failure modes are flagged, good translations are not."""

from __future__ import annotations


import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from it2en.fidelity.checks import (
    FLAG_DESCRIPTIONS,
    SEVERITY,
    best_attempt,
    check_translation,
    is_translatable,
    looks_english,
    score,
    strip_known_junk,
)
from it2en.fidelity.checks import _IT, _words  # what looks_english counts
from it2en.fidelity.placeholders import verbatim_spans

from conftest import ARTICLES, FLORES
FLORES_IT = FLORES / "ita_Latn.dev"
FLORES_EN = FLORES / "eng_Latn.dev"

LONG_IT = ("Il debutto del modello AI R1 di DeepSeek ha innescato un cambiamento trasformativo nel "
           "panorama tecnologico negli Stati Uniti e in Europa.")
LONG_EN = ("The debut of DeepSeek's R1 AI model has triggered a transformative change in the "
           "technology landscape in the United States and Europe.")


def flags(source: str, target: str) -> list[str]:
    return check_translation(source, target, verbatim=verbatim_spans(source))


# ----------------------------------------------------------------------------- good ones pass


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (LONG_IT, LONG_EN),
        ("Sì.", "Yes."),
        ("Non lo so.", "I don't know."),
        ("Grazie, davvero", "Thank you, really"),
        ("Lascia un commento", "Leave a comment"),
        ("Fonte e immagini", "Source and images"),
        ("Mapillary", "Mapillary"),
        ("Alberto Puliafito Slow News - Covid19Italia.Help", "Alberto Puliafito Slow News - Covid19Italia.Help"),
        ("No, no, no, no!", "No, no, no, no!"),
        ("Ahahahahahah, che ridere.", "Hahahahahaha, how funny."),
        ("Di queste, più di 17.500 in palazzetti, mentre oltre 1.600 trovano alloggio.",
         "Of these, more than 17.500 in sports halls, while over 1.600 find accommodation."),
        ("NVIDIA è scesa del 13% nelle prime contrattazioni pre-mercato.",
         "NVIDIA fell 13 per cent in early pre-market trading."),
        ("Il pubblico ha risposto (Applausi)", "The audience responded (Applause)"),
    ],
)
def test_good_translations_are_not_flagged(source: str, target: str):
    assert flags(source, target) == []


def test_flores_human_translations_are_not_flagged():
    """997 human Italian→English pairs: no length, loop, copy, junk or stock-phrase flag.

    (Numbers are left out: human translators localise them, and the pipeline masks the
    Italian-format ones, so the model never gets the chance.)
    """
    italian = FLORES_IT.read_text("utf-8").splitlines()
    english = FLORES_EN.read_text("utf-8").splitlines()
    flagged = [(s, t, check_translation(s, t)) for s, t in zip(italian, english)]
    assert [f for f in flagged if f[2]] == []


# ----------------------------------------------------------------------------- failure modes


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        (LONG_IT, "", ["empty"]),
        (LONG_IT, "   ", ["empty"]),
        (LONG_IT, "I don't know.", ["too_short", "stock_phrase", "placeholder_lost"]),  # AI, R1
        ("Come si fa, allora, a evitare le bufale?", "I don't know.", ["stock_phrase"]),
        ("Contate su di noi.", "Thank you.", ["stock_phrase"]),
        ("Questo finanziamento mira a rafforzare l'autosufficienza della Cina.", "- What?",
         ["too_short", "stock_phrase", "junk_appended"]),
        ("Sì.", "Yes, yes, yes, yes, yes, yes, yes, yes, yes.", ["too_long", "repetition"]),
        ("Mi dispiace.", "I'm sorry I'm sorry I'm sorry", ["repetition"]),
        ("No.", "No, no, no, no, no, no", ["too_long", "repetition"]),
        ("Assolutamente no, non è vero.", "No, no, no, no, no, no, it's not true.", ["repetition"]),
        (LONG_IT, LONG_EN[:-1] + " and Europe and Europe and Europe and Europe.", ["repetition"]),
        ("Ahah, che ridere.", "Hahahahahahahahahahahahahaha, how funny.", ["repetition"]),
        (LONG_IT, LONG_IT, ["copied_source"]),
        (LONG_IT, LONG_IT.replace("Stati Uniti", "United States"), ["copied_source"]),
        ("Di queste, più di 17.500 in palazzetti, mentre oltre 1.600 trovano alloggio.",
         "Of these, more than 17,500 in sports halls, while over 1,600 find accommodation.",
         ["placeholder_lost"]),
        ("DeepSeek afferma che il suo modello è stato addestrato con 2000 GPU H800.",
         "DeepSeek claims that its model was trained with 200 H800 GPUs.", ["placeholder_lost"]),
        ("Il modulo è su https://www.terremotocentroitalia.info/segnala.",
         "The form is on https: //www.terremotocentroitalia.info/signal.", ["placeholder_lost"]),
        (LONG_IT, LONG_EN + " (Translated with Google Translate)", ["junk_appended"]),
        (LONG_IT, LONG_EN + "\nTranslated with www.DeepL.com/Translator (free version)", ["junk_appended"]),
        (LONG_IT, LONG_EN + " Subtitles by the Amara.org community", ["junk_appended"]),
        (LONG_IT, LONG_EN + " (Applause)", ["junk_appended"]),
        (LONG_IT, "- " + LONG_EN, ["junk_appended"]),
    ],
)
def test_failure_modes_are_flagged(source: str, target: str, expected: list[str]):
    assert flags(source, target) == expected


def test_compression_catches_a_long_degenerate_loop():
    source = ("Ci sono tante realtà in Italia e nel mondo che lavorano per scovare le bufale e per "
              "smentirle, e che contribuiscono a diffondere contenuti verificati.")
    target = ("There are many realities in Italy and in the world that work to find hoaxes, "
              + "to find hoaxes and to deny them, " * 8)
    assert "compression" in check_translation(source, target)
    assert "repetition" in check_translation(source, target)


def test_compression_ignores_short_and_normal_text():
    assert check_translation("Sì sì sì.", "Yes yes yes.") == []
    paragraphs = (FLORES / "eng_Latn.dev.paragraphs.txt").read_text("utf-8").split("\n\n")
    italian = (FLORES / "ita_Latn.dev.paragraphs.txt").read_text("utf-8").split("\n\n")
    assert len(italian) == len(paragraphs) == 281
    for source, target in zip(italian, paragraphs):
        assert "compression" not in check_translation(source, target)


def test_verbatim_spans_count_each_occurrence_and_match_whole_numbers():
    assert check_translation("Dal 10 al 12.", "From 10 to 12.", verbatim=["10", "12"]) == []
    assert check_translation("Dal 10 al 12.", "From 100 to 12.", verbatim=["10", "12"]) == ["placeholder_lost"]
    assert check_translation("10 e 10.", "10 and ten.", verbatim=["10", "10"]) == ["placeholder_lost"]
    assert check_translation("Il 13%.", "13 per cent.", verbatim=["13"]) == []


def test_flag_names_are_documented_and_ranked():
    assert set(SEVERITY) == set(FLAG_DESCRIPTIONS)
    assert all(name.isidentifier() and name.islower() for name in FLAG_DESCRIPTIONS)


# ----------------------------------------------------------------------------- junk


@pytest.mark.parametrize(
    ("target", "stripped"),
    [
        (LONG_EN + " (Translated with Google Translate)", LONG_EN),
        (LONG_EN + "\n\nTranslated with www.DeepL.com/Translator (free version)", LONG_EN),
        (LONG_EN + " Subtitles by the Amara.org community", LONG_EN),
        (LONG_EN + " (Applause) ♪", LONG_EN),
        ("- " + LONG_EN, LONG_EN),
        (LONG_EN, LONG_EN),
        ("(Applause)", "(Applause)"),  # never the whole text
    ],
)
def test_strip_known_junk(target: str, stripped: str):
    assert strip_known_junk(target) == stripped


def test_strip_known_junk_keeps_what_the_source_accounts_for():
    source = "Il libro, tradotto da Anna Rossi, esce domani."
    target = "The book comes out tomorrow, translated by Anna Rossi"
    assert strip_known_junk(target, source) == target
    assert strip_known_junk("The audience responded (Applause)", "Il pubblico ha risposto (Applausi)") == \
        "The audience responded (Applause)"
    assert strip_known_junk("- Yes, of course.", "- Sì, certo.") == "- Yes, of course."


# ----------------------------------------------------------------------------- language, letters


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("Disclaimer: This article does not constitute investment advice. The author does not hold "
         "positions in any of the stocks mentioned.", True),
        ("“We are not going to stop, and we will not let anyone tell us what to do,” he said.", True),
        ("Questo articolo non costituisce un consiglio di investimento.", False),
        ("Leave a comment", False),  # too short to tell: translated (the model copies it)
        ("It is on the table.", False),  # five words, four of them English: still too short
        ("He said it was not so", True),  # six
        ("The end", False),
        ("La Cina impegna 1 trilione di yuan per potenziare la filiera dell’intelligenza artificiale", False),
        ("Il debutto di The Walking Dead e di House of the Dragon su Sky è previsto per la fine dell'anno.", False),
        ("", False),
    ],
)
def test_looks_english(text: str, english: bool):
    assert looks_english(text) is english


def test_looks_english_on_flores():
    italian = FLORES_IT.read_text("utf-8").splitlines()
    english = FLORES_EN.read_text("utf-8").splitlines()
    assert not any(looks_english(line) for line in italian)
    assert sum(looks_english(line) for line in english) / len(english) > 0.85


def test_looks_english_on_corpus_articles():
    for path in ARTICLES:
        for line in path.read_text("utf-8").splitlines():
            assert not looks_english(line), line


@pytest.mark.parametrize(
    ("text", "translatable"),
    [("---", False), ("***", False), ("…", False), ("2020", False), ("17.500", False),
     ("🙂🚀", False), ("", False), ("  ", False), ("Sì", True), ("COVID-19", True), ("h24", True),
     ("È", True)],
)
def test_is_translatable(text: str, translatable: bool):
    assert is_translatable(text) is translatable


# ----------------------------------------------------------------------------- scoring


def test_score_orders_attempts():
    assert score([]) == 0
    assert score(["kept_english", "split", "retried"]) == 0
    assert score(["empty"]) > score(["too_short", "placeholder_lost"]) > score(["junk_appended"])
    assert score(["repetition", "compression"]) > score(["repetition"])
    attempts = [("I'm sorry I'm sorry I'm sorry", ["repetition"]), ("I'm sorry.", [])]
    assert best_attempt(attempts) == 1
    assert best_attempt([("a", []), ("b", [])]) == 0  # a tie keeps the first
    with pytest.raises(ValueError):
        best_attempt([])


# ----------------------------------------------------------------------------- robustness


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.text(max_size=200), st.lists(st.text(max_size=8), max_size=4))
def test_checks_never_crash_on_any_unicode(source: str, target: str, verbatim: list[str]):
    result = check_translation(source, target, verbatim=verbatim)
    assert set(result) <= set(FLAG_DESCRIPTIONS)
    assert len(result) == len(set(result))
    assert isinstance(looks_english(target), bool)
    assert isinstance(is_translatable(target), bool)
    stripped = strip_known_junk(target, source)
    assert isinstance(stripped, str) and len(stripped) <= len(target)
    if target.strip():
        assert stripped.strip() or not target.strip()


ENGLISH_LINES = [line for line in FLORES_EN.read_text("utf-8").splitlines() if looks_english(line)]
"""FLORES-200 English sentences that ``looks_english`` recognises (most of them)."""
LOOKALIKE_LINES = [line for line in ENGLISH_LINES if set(_words(line)) & _IT]
"""Those with words that are Italian function words too ("ha", "per", "con"): English text that
only ``looks_english`` keeps from being flagged as an Italian source copied back."""
ENGLISH_TEXT = st.tuples(
    st.lists(st.sampled_from(LOOKALIKE_LINES), min_size=1, max_size=3),
    st.lists(st.sampled_from(ENGLISH_LINES), max_size=2),
).map(lambda parts: " ".join(parts[0] + parts[1]))


def test_the_english_lines_are_real_english_with_italian_lookalikes():
    assert len(ENGLISH_LINES) > 0.9 * len(FLORES_EN.read_text("utf-8").splitlines())
    assert len(LOOKALIKE_LINES) > 50


@settings(max_examples=100, deadline=None)
@given(ENGLISH_TEXT)
def test_identity_of_english_text_is_never_flagged_as_copied(text: str):
    assert looks_english(text), "the generator must produce text the property is about"
    assert "copied_source" not in check_translation(text, text)
