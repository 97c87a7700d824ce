"""Numbers in English form: the strict conversion rule, the number_mismatch check, and the
pipeline, JSON and --keep-number-format around them."""

from __future__ import annotations

import json

import pytest
from conftest import CORPUS, FLORES

from it2en.article import Article
from it2en.engines import IdentityTranslator
from it2en.fidelity import numbers
from it2en.fidelity.placeholders import protect, restore
from it2en.formats.text import parse
from it2en.pipeline import translate_articles
from it2en.render import OutputMeta, article_dict

NEWS = CORPUS / "opus-mt-outputs" / "newssyscomb2009.ita"
MODEL = CORPUS / "opus-mt-outputs" / "newssyscomb2009.ita-eng.output"
ARTICLE = CORPUS / "articles" / "01_tci_2016-11-04_emergenza-roulotte.txt"
SOURCES = {"news": NEWS, "model": MODEL, "flores": FLORES / "ita_Latn.dev", "article": ARTICLE, "issue": None}
LEFT = None  # "left as is"

# (where the form was seen, the masked span, the words after it, the English form or LEFT)
TABLE = [
    ("news", "29,8%", " dei voti", "29.8%"),
    ("news", "5,5%", ".", "5.5%"),
    ("news", "25,6", "", "25.6"),
    ("news", "1,6", " chilometri", "1.6"),
    ("news", "83.000", " unità", "83,000"),
    ("news", "100.000", " autovetture", "100,000"),
    ("news", "8.000", "", "8,000"),
    ("news", "6,7", "", "6.7"),
    ("news", "2.000", " unità", "2,000"),
    ("news", "22.000", " unità", "22,000"),
    ("news", "4.000", " in meno", "4,000"),
    ("news", "1,8", "", "1.8"),
    ("news", "4,37", " metri", "4.37"),
    ("news", "200.000", " unità", "200,000"),
    ("news", "3,90", " metri", "3.90"),  # decimals kept exactly: no rounding to 3.9
    ("news", "1,69", " metri", "1.69"),
    ("news", "2,50", " metri", "2.50"),
    ("news", "1,52", " metri", "1.52"),
    ("news", "1.4", ",", LEFT),  # an engine size: a dot and one digit is never Italian
    ("news", "1.2", " è", LEFT),
    ("news", "6.000", " giri", "6,000"),
    ("news", "4.900", " giri", "4,900"),
    ("news", "9,9%", " dei titoli", "9.9%"),
    ("news", "25,25", " dollari", "25.25"),
    ("news", "31,25", "", "31.25"),
    ("news", "17.00", " il titolo", LEFT),  # a time
    ("news", "6,79%", " a", "6.79%"),
    ("news", "23,07", " dollari", "23.07"),
    ("news", "85.000", " dipendenti", "85,000"),
    ("news", "171,790", " metri quadrati", LEFT),  # English thousands or Italian thousandths?
    ("news", "5.0", " della", LEFT),  # a hall number, a version
    ("news", "15.445", " metri", "15,445"),
    ("model", "3,90", " meters", "3.90"),  # the model left it Italian: an English reader sees 390
    ("flores", "2,3 milioni", "", LEFT),  # not a span: the scale word is the model's to translate
    ("flores", "14,7", " miliardi", "14.7"),
    ("flores", "5.000.000", "", "5,000,000"),
    ("flores", "300.948", "", "300,948"),
    ("flores", "1.1", "", LEFT),
    ("flores", "6,34", "", "6.34"),
    ("flores", "104.500", "", "104,500"),
    ("flores", "17,1", "", "17.1"),
    ("article", "17.500", " in palazzetti", "17,500"),
    ("article", "1.600", " trovano", "1,600"),
    ("issue", "1.983,73", "", "1,983.73"),
    ("issue", "10.809,25", "", "10,809.25"),
    ("issue", "4,2-3,9", " milioni", "4.2–3.9"),
    ("issue", "1.000,50 €", "", "€1,000.50"),
    ("issue", "€ 1.000,50", "", "€1,000.50"),
    ("issue", "5,9 %", "", "5.9%"),
    ("issue", "3,5", " milioni", "3.5"),
    ("issue", "2.000.000", "", "2,000,000"),
    ("issue", "1,50", " euro", "1.50"),
    ("issue", "3.5", "", LEFT),
    ("issue", "2.0", "", LEFT),
    ("issue", "18.15", "", LEFT),
    ("issue", "23.03.2020", "", LEFT),
    ("issue", "23/03/2020", "", LEFT),
    ("issue", "1,125", " miliardi", "1.125"),  # a scale word makes a comma and three digits a decimal
    ("issue", "2,375%", "", "2.375%"),
    ("issue", "0,750", " litri", "0.750"),
    ("issue", "0.500", "", LEFT),
    ("issue", "2-3,5", " milioni", "2–3.5"),
]


def test_the_table_is_large_and_taken_from_the_corpus():
    assert len(TABLE) >= 40
    assert sum(1 for where, *_ in TABLE if where != "issue") >= 40
    for where, span, after, _ in TABLE:
        if SOURCES[where] is not None:
            assert span + after in SOURCES[where].read_text("utf-8"), (where, span + after)


@pytest.mark.parametrize("where, span, after, expected", TABLE, ids=[f"{t[1]}{t[2]}" for t in TABLE])
def test_english_form(where: str, span: str, after: str, expected: str | None):
    assert numbers.english_form(span, after) == expected


@pytest.mark.parametrize("sentence, english", [
    ("Oltre 17.500 persone, 1.600 alloggi e 8.400 ospiti.", "Oltre 17,500 persone, 1,600 alloggi e 8,400 ospiti."),
    ("Costa 1.000,50 € con il 5,9% in più.", "Costa €1,000.50 con il 5.9% in più."),
    ("Stime tra 4,2-3,9 milioni e 2.000.000 di euro.", "Stime tra 4.2–3.9 milioni e 2,000,000 di euro."),
    ("Alle 18.15 del 23.03.2020, versione 2.0, 171,790 metri.", "Alle 18.15 del 23.03.2020, versione 2.0, 171,790 metri."),
])
def test_protect_puts_numbers_back_in_english_form(sentence: str, english: str):
    protected = protect(sentence, english_numbers=True)
    assert restore(protected.text, protected) == (english, [])
    assert restore(protected.text, protect(sentence)) == (sentence, [])  # the default keeps the form


@pytest.mark.parametrize("source, target, italian, flagged", [
    ("Più di 17.500 persone.", "More than 17,500 people.", False, False),
    ("Più di 17.500 persone.", "More than 17.5 people.", False, True),
    ("Più di 17.500 persone.", "More than 17.500 people.", True, False),  # --keep-number-format
    ("Più di 17.500 persone.", "More than 17,500 people.", True, True),
    ("Il 5,9% nel 2020.", "5.9 per cent in 2020.", False, False),
    ("Il 5,9% nel 2020.", "5.9 per cent in 2021.", False, True),
    ("Su 171,790 metri.", "On 171,790 metres.", False, False),  # ambiguous: either reading agrees
    ("Costa 1.000,50 €.", "It costs €1,000.50.", False, False),
    ("Costa 1.000,50 €.", "It costs €1,000.",False, True),
    ("Negli anni '70, 2 volte.", "In the 1970s, twice.", False, False),  # decades and single digits
    ("Alle 18.15 del 23.03.2020.", "At 18.15 on 23.03.2020.", False, False),
    ("Alle 18.15 del 23.03.2020.", "At 6.15 pm on 23 March 2020.", False, True),
    ("Dal 10 al 12.", "From 12 to 10.", False, False),  # values, not order
    ("10 e 10.", "10 and ten.", False, True),  # each occurrence counts
    ("Senza numeri.", "Without numbers: 42.", False, False),
    ("A 160 km/h.", "At 160km/h.", False, False),  # a unit glued on by the model
    ("Al 190° posto, alla 60ma edizione.", "Ranked 190th, at the 60th edition.", False, False),  # ordinals
    ("Al 190° posto.", "Ranked 19th.", False, True),
    ("Il JAS 39C e l'A1GP.", "The JAS 39C and the A1GP.", False, False),
    ("Il JAS 39C.", "The JAS 38C.", False, True),
])
def test_number_mismatch_compares_values_not_strings(source, target, italian, flagged):
    assert numbers.mismatch(source, target, target_italian=italian) is flagged


def _translate(text: str, engine, **options) -> Article:
    (article,) = translate_articles([parse(text, name="a")], engine, **options)
    return article


def test_pipeline_writes_english_numbers_and_lists_the_conversions():
    text = "Titolo\n\nOltre 17.500 persone e 1.600 alloggi, alle 18.15.\n"
    article = _translate(text, IdentityTranslator())
    segment = article.blocks[1].segments[0]
    assert segment.target == "Oltre 17,500 persone e 1,600 alloggi, alle 18.15."
    data = article_dict(article, OutputMeta())
    item = data["blocks"][1]["segments"][0]
    assert item["numbers"] == [{"source": "17.500", "english": "17,500"}, {"source": "1.600", "english": "1,600"}]
    assert "number_mismatch" not in item["flags"]
    assert "numbers" not in data["blocks"][0]["segments"][0]
    kept = _translate(text, IdentityTranslator(), keep_number_format=True)
    assert kept.blocks[1].segments[0].target == "Oltre 17.500 persone e 1.600 alloggi, alle 18.15."
    assert kept.blocks[1].segments[0].conversions == []
    assert "number_mismatch" not in kept.blocks[1].segments[0].flags


class _Rewriter:
    """A fake engine that writes every number its way: "17.5" for whatever it was given."""

    name = "rewriter"

    def translate(self, texts, **kwargs):
        return [t.replace("2006", "2007") for t in texts]


def test_a_changed_value_is_flagged_number_mismatch():
    article = _translate("Titolo\n\nNel 2006 erano 17.500 persone.\n", _Rewriter())
    flags = article.blocks[1].segments[0].flags
    assert "number_mismatch" in flags


def test_keep_number_format_on_the_command_line(engine_cli, tmp_path):
    (tmp_path / "a.txt").write_text("Oltre 17.500 persone e il 5,9% in più.\n", encoding="utf-8")
    english = engine_cli(IdentityTranslator(), "a.txt", "-f", "json")
    assert english.exit_code == 0, english.stderr
    item = json.loads(english.stdout)["blocks"][0]["segments"][0]
    assert item["target"] == "Oltre 17,500 persone e il 5.9% in più."
    assert item["numbers"] == [{"source": "17.500", "english": "17,500"}, {"source": "5,9%", "english": "5.9%"}]
    kept = engine_cli(IdentityTranslator(), "a.txt", "--keep-number-format")
    assert kept.stdout == "Oltre 17.500 persone e il 5,9% in più.\n"
