"""Acronyms masked, dropped placeholders rescued, and the three held-out cases of issue 10."""

from __future__ import annotations

import re

import pytest
from conftest import FLORES

from it2en.fidelity import postedit
from it2en.fidelity.glossary import Entry, Glossary
from it2en.fidelity.placeholders import masked_spans, protect
from it2en.fidelity.rescue import translate_around
from it2en.formats.text import parse
from it2en.pipeline import translate_articles
from it2en.sentences import split_sentences

DROP = re.compile(r"\b(?:[XZQKJWYV]{1,3})\d+\b")


class Dropper:
    """A fake model that drops every placeholder token and copies the rest."""

    name = "dropper"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def translate(self, texts, **kwargs):
        self.seen += texts
        return [re.sub(r"\s+", " ", DROP.sub("", t)).strip() for t in texts]


def _acronyms(text: str) -> list[str]:
    return [text[s:e] for s, e, kind in masked_spans(text) if kind == "acronym"]


# ----------------------------------------------------------------------------- acronyms


@pytest.mark.parametrize("sentence, expected", [
    ("Lo ha detto il presidente dell'USOC ai giornalisti.", ["USOC"]),
    ("Secondo dell’USACE la base USAF è chiusa.", ["USACE", "USAF"]),
    ("Il CNR e l'A.R.T.I. hanno firmato.", ["CNR", "A.R.T.I."]),
    ("Il chip H800, la tomba KV62 e il COVID-19.", ["H800", "KV62", "COVID-19"]),
    ("La banca MUFG e la DRV.", ["MUFG", "DRV"]),
    ("Ha firmato l'A.R.T.I.", ["A.R.T.I"]),  # the final dot ends the sentence, outside the span
])
def test_acronyms_and_code_like_names_are_masked(sentence: str, expected: list[str]):
    assert _acronyms(sentence) == expected


@pytest.mark.parametrize("sentence", [
    "IL motivo delle preoccupazioni era la crisi.",  # an Italian word in capitals
    "Fondare la repubblica nel XXI secolo.",  # a Roman numeral: "21st century"
    "La UE e l'ONU chiedono il PIL.",  # Italian acronyms the model translates (EU, UN, GDP)
    "ATTENZIONE CHIUSURA STRADA per lavori.",  # shouting, not acronyms
    "La S.p.A. di Mario e la D. Lgs. di ieri.",
    "Una A maiuscola e la X sola.",
])
def test_ordinary_capitals_are_not_acronyms(sentence: str):
    assert _acronyms(sentence) == []


def test_the_elided_article_stays_the_models_job():
    protected = protect("Lo ha annunciato dall'USOC il portavoce.")
    assert protected.text == "Lo ha annunciato dall'X1 il portavoce."  # "dall'" is translated


def test_a_shouted_headline_keeps_known_acronyms_only():
    cased = postedit.to_sentence_case("LA NATO E IL CNR APPROVANO IL PIANO")
    assert _acronyms(cased) == ["NATO", "CNR"]  # known acronyms; "APPROVANO", "PIANO" are words


# ----------------------------------------------------------------------------- rescue


def _dictionary(words: dict[str, str]):
    def translate(texts):
        return [words.get(t, t) for t in texts]
    return translate


def test_the_pieces_around_a_lost_span_are_translated_and_the_span_put_between():
    words = {"Il sito": "The site", "è stato aggiornato": "has been updated",
             "Il presidente dell'": "The president of the", "ha parlato": "spoke"}
    out = translate_around([("Il sito (X1) è stato aggiornato.", "X", {1}),
                            ("Il presidente dell'X1 ha parlato.", "X", {1})], _dictionary(words))
    assert out == ["The site (X1) has been updated.", "The president of the X1 spoke."]


def test_a_piece_that_loses_its_own_token_is_cut_again():
    def drop(texts):
        return [DROP.sub("", t).strip() for t in texts]
    (out,) = translate_around([("Secondo X1, il X2 è cresciuto del X3 nel 2020.", "X", {2})], drop)
    assert [m for m in DROP.findall(out)] == ["X1", "X2", "X3"]
    assert out.endswith("nel 2020.") and out.startswith("Secondo X1, il X2 ")


def test_a_piece_gets_no_capital_or_full_stop_it_did_not_have():
    words = {"Il sito": "The site.", "è nuovo": "It is new"}
    (out,) = translate_around([("Il sito X1 è nuovo.", "X", {1})], _dictionary(words))
    assert out == "The site X1 it is new."


INVARIANT_SOURCES = [
    "Leggi https://www.esempio.it/pagina?id=3&x=1 o scrivi a mario.rossi@esempio.it, segui @MarioRossi e #Italia2024.",
    "Costa 1.000,50 € con il 5,9% in più su 17.500 copie, tra 4,2-3,9 milioni di lettori.",
    "Lo ha detto il presidente dell'USOC, mentre dell'USACE e del CNR parla l'A.R.T.I. con il chip H800.",
    "Alle 18.15 del 23.03.2020 la versione 2.0 era su terremotocentroitalia.info per 2.000.000 di persone.",
]


def _expected(source: str) -> list[str]:
    """What must be in the output: every masked span of the source, numbers in English form."""
    protected = protect(source, english_numbers=True)
    return protected.restored


def test_invariant_a_model_that_drops_every_placeholder_loses_nothing():
    lines = FLORES.joinpath("ita_Latn.dev").read_text("utf-8").splitlines()
    sources = INVARIANT_SOURCES + [line for line in lines if masked_spans(line)][:60]
    text = "\n\n".join(sources) + "\n"
    engine = Dropper()
    (article,) = translate_articles([parse(text, name="a")], engine)
    assert not any(DROP.search(seen) for seen in engine.seen[-50:])  # the rescue pieces hold no token
    for block, source in zip(article.blocks, sources):
        target = block.target
        for span in _expected(source):
            assert span in target, (span, target)
        for segment in block.segments:
            assert "placeholder_lost" not in segment.flags
            if protect(segment.source).tokens:
                assert "placeholder_rescued" in segment.flags
    # The spans by hand, for the first sentences: numbers in English form.
    joined = article.blocks[1].target + article.blocks[2].target
    for span in ["€1,000.50", "5.9%", "17,500", "4.2–3.9", "USOC", "USACE", "CNR", "A.R.T.I.", "H800"]:
        assert span in joined


def test_a_rescued_glossary_term_is_flagged_glossary_rescued():
    glossary = Glossary([Entry("Consiglio dei Ministri", "Council of Ministers")])
    (article,) = translate_articles([parse("Il Consiglio dei Ministri ha approvato.\n", name="a")],
                                    Dropper(), glossary=glossary)
    (segment,) = article.blocks[0].segments
    assert "Council of Ministers" in segment.target
    assert "glossary_rescued" in segment.flags and "placeholder_rescued" not in segment.flags


# ----------------------------------------------------------------------------- held-out cases


def test_a_closing_quotation_mark_the_model_drops_is_put_back():
    source = "La legge prevede che “le zone colpite siano ricostruite entro dieci anni.”"
    model = 'The law provides that "the affected areas are rebuilt within ten years.'
    target = postedit.match_quote_style(source, postedit.match_final_punctuation(source, model))
    assert postedit.close_quotation(source, target) == (
        "The law provides that “the affected areas are rebuilt within ten years.”")
    outside = "La legge prevede che “le zone colpite siano ricostruite entro dieci anni”."
    assert postedit.close_quotation(outside, target) == (
        "The law provides that “the affected areas are rebuilt within ten years”.")
    whole = "The law provides that “the affected areas are rebuilt within ten years.”"
    assert postedit.close_quotation(source, whole) == whole  # nothing to add


class _QuoteDropper:
    name = "quote-dropper"

    def translate(self, texts, **kwargs):
        return [t.replace("”", "").replace('"', "") if t.count("“") else t for t in texts]


def test_the_closing_quotation_mark_survives_the_pipeline():
    text = "La legge prevede che “le zone colpite siano ricostruite entro dieci anni.”\n"
    (article,) = translate_articles([parse(text, name="a")], _QuoteDropper())
    assert article.blocks[0].target.endswith("anni.”")


def test_a_legislative_decree_is_not_split():
    sentence = "Lo prevede il D. Lgs. 33/2013 sulla trasparenza degli enti pubblici."
    assert split_sentences(sentence) == [(sentence, "")]


@pytest.mark.parametrize("quotation", [
    '"Mike parla molto durante l\'udienza…Io mi stavo preparando…"',
    '"Mike parla molto durante l\'udienza… Io mi stavo preparando…"',
    "«Mike parla molto durante l’udienza…Io mi stavo preparando…»",
])
def test_an_ellipsis_inside_a_quotation_is_not_a_sentence_end(quotation: str):
    text = f"Il testimone ha detto {quotation} e poi è uscito. Il giudice ha preso nota."
    pieces = [piece for piece, _ in split_sentences(text)]
    assert pieces == [f"Il testimone ha detto {quotation} e poi è uscito.", "Il giudice ha preso nota."]
    assert split_sentences("Aspettavo… Poi è arrivato.")[0][0] == "Aspettavo…"  # outside: an end


def test_a_shouted_headline_is_checked_against_the_spans_the_model_saw():
    class Translator:
        name = "fake"

        def translate(self, texts, **kwargs):
            return ['Rome, the mayor: "enough" with the delays of the ' + DROP.findall(t)[0]
                    if DROP.search(t) else "The text was passed." for t in texts]

    text = "ROMA, IL SINDACO: «BASTA» CON I RITARDI DEL CNR\n\nIl testo è passato.\n"
    (article,) = translate_articles([parse(text, name="a")], Translator())
    headline = article.blocks[0].segments[0]
    assert headline.target == "ROME, THE MAYOR: «ENOUGH» WITH THE DELAYS OF THE CNR"
    assert "placeholder_lost" not in headline.flags  # BASTA is a shouted word, not an acronym
