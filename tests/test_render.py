"""Writers: text is the input's layout; markdown, json and bilingual have the documented shapes."""

from __future__ import annotations

import json
from pathlib import PurePath

import pytest

from it2en.engines import IdentityTranslator
from it2en.pipeline import translate_articles
from it2en.render import WRITERS, OutputMeta, article_dict, render_bilingual, render_markdown
from it2en.formats.text import parse

ARTICLE = (
    "Titolo dell’articolo\n\n"
    "Avvertenza: Questo non è un consiglio.\n\n"
    "Primo paragrafo. Seconda frase.\nRiga a capo.\n\n"
    "Una sezione\n\n"
    "«Una citazione intera.»\n\n"
    "- primo punto\n- secondo punto\n\n"
    "Lascia un commento\n"
)


class Upper:
    name = "upper"

    def translate(self, sentences, *, no_repeat_ngram_size=0):
        return [s.upper() for s in sentences]


def translated(text=ARTICLE, engine=None):
    (article,) = translate_articles([parse(text, name="a.txt")], engine or Upper())
    return article


def test_text_writer_keeps_layout_and_translates_italian_label():
    out = WRITERS["text"].render(translated(), OutputMeta("m", "r"))
    assert out.split("\n")[2] == "Disclaimer: QUESTO NON È UN CONSIGLIO."
    assert out.count("\n") == ARTICLE.count("\n")
    assert "«UNA CITAZIONE INTERA.»" in out and "- PRIMO PUNTO\n- SECONDO PUNTO\n" in out


def test_markdown_writer_marks_kinds():
    out = render_markdown(translated(), OutputMeta())
    lines = out.split("\n")
    assert lines[0] == "# TITOLO DELL’ARTICOLO"
    assert "## UNA SEZIONE" in lines
    assert "> «UNA CITAZIONE INTERA.»" in lines
    assert "PRIMO PARAGRAFO. SECONDA FRASE.  \nRIGA A CAPO." in out  # a hard line break
    assert "- PRIMO PUNTO\n- SECONDO PUNTO" in out
    assert out.endswith("LASCIA UN COMMENTO\n")


def test_markdown_input_is_not_marked_twice():
    out = render_markdown(translated("# Titolo\n\n## Sezione\n\nTesto.\n"), OutputMeta())
    assert out == "# TITOLO\n\n## SEZIONE\n\nTESTO.\n"


def test_bilingual_pairs_each_block():
    out = render_bilingual(translated(), OutputMeta())
    assert out.startswith("> Titolo dell’articolo\n\nTITOLO DELL’ARTICOLO\n\n")
    assert "> Primo paragrafo. Seconda frase.\n> Riga a capo.\n\nPRIMO PARAGRAFO. SECONDA FRASE.\nRIGA A CAPO." in out


def test_json_shape_and_segment_counts():
    article = translated()
    data = json.loads(WRITERS["json"].render(article, OutputMeta("opus-mt-it-en", "abc123")))
    assert data["model"] == {"name": "opus-mt-it-en", "revision": "abc123"}
    assert [b["kind"] for b in data["blocks"]] == [
        "headline", "disclaimer", "paragraph", "heading", "quote", "list_item", "list_item", "boilerplate",
    ]
    assert data["blocks"][1]["prefix"] == "Disclaimer: "
    segments = [s for b in data["blocks"] for s in b["segments"] if s["translate"]]
    assert len(segments) == len(article.translatable_segments())
    assert all(s["target"] == s["source"].upper() for s in segments)


def test_inspect_shape_has_no_targets():
    data = article_dict(parse(ARTICLE))
    assert "model" not in data and all("target" not in b for b in data["blocks"])


@pytest.mark.parametrize(
    "fmt, name, expected",
    [("text", "articolo.txt", "articolo.en.txt"), ("text", "nota.md", "nota.en.md"),
     ("text", "senza", "senza.en.txt"), ("markdown", "a.txt", "a.en.md"),
     ("json", "a.txt", "a.en.json"), ("bilingual", "a.md", "a.en.bilingual.md"),
     ("review", "pagina.html", "pagina.en.review.html")],
)
def test_output_names(fmt, name, expected):
    assert WRITERS[fmt].output_name(PurePath(name)) == expected


def test_italian_label_comes_from_the_table_whatever_the_engine():
    article = translated("Titolo\n\nNota: una frase qualunque qui.\n", IdentityTranslator())
    assert WRITERS["text"].render(article, OutputMeta()).startswith("Titolo\n\nNote: ")


READER_LABELS = [  # the table as a reader of English expects it, then capitals and a spaced colon
    ("Avvertenza: ", "Disclaimer: "),
    ("Avvertenze: ", "Disclaimer: "),
    ("Esclusione di responsabilità: ", "Disclaimer: "),
    ("Avviso: ", "Notice: "),
    ("Nota: ", "Note: "),
    ("Attenzione: ", "Warning: "),
    ("Aggiornamento: ", "Update: "),
    ("Fonte: ", "Source: "),
    ("Fonti: ", "Sources: "),
    ("Foto: ", "Photo: "),
    ("Leggi anche: ", "See also: "),
    ("NOTA: ", "NOTE: "),
    ("Aggiornamento : ", "Update : "),
]


@pytest.mark.parametrize(("italian", "english"), READER_LABELS)
def test_every_italian_label_reads_as_english(italian: str, english: str):
    """Each label of the table, as an English reader expects it, written out here (not read
    from the table): parsed, translated by the identity engine, rendered."""
    body = "il testo che segue resta com'è, dopo l'etichetta."
    article = translated(f"Titolo\n\n{italian}{body}\n", IdentityTranslator())
    assert WRITERS["text"].render(article, OutputMeta()) == f"Titolo\n\n{english}{body}\n"


def test_the_label_table_is_the_one_tested():
    """A label added to the table must be added to the test above too."""
    from it2en.formats.text import LABEL_TRANSLATIONS

    assert set(LABEL_TRANSLATIONS) == {italian.rstrip(": ").lower() for italian, _ in READER_LABELS}
