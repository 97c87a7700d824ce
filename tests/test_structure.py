"""Structure: the layout round trip (invariant 1), block kinds and verbatim frames (invariant 3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from it2en.article import BlockKind
from it2en.render import OutputMeta, render_text
from it2en.formats.text import parse

from conftest import CORPUS
CORPUS_FILES = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix in {".txt", ".dev", ".it"})
from conftest import SEED


def roundtrip(text: str) -> str:
    return render_text(parse(text), OutputMeta())


def test_corpus_is_there():
    assert SEED.is_file(), f"the shared corpus is expected at {CORPUS}"
    assert len(CORPUS_FILES) >= 8


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_layout_round_trip_on_corpus(path: Path):
    text = path.read_text(encoding="utf-8")
    assert roundtrip(text) == text


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_round_trip_keeps_newline_style_and_trailing_spaces(newline: str):
    text = newline.join(["Titolo  ", "", "  Primo paragrafo. Seconda frase.\t", "riga due", "", "", "- uno", "- due ", ""])
    assert roundtrip(text) == text
    assert roundtrip(text.rstrip()) == text.rstrip()


LINE = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=40)
MARKERS = st.sampled_from(["", "", "", "# ", "## ", "> ", "- ", "* ", "1. ", "  ", "“", "«", "**", "Disclaimer: ", "Nota: "])
ENDINGS = st.sampled_from(["\n", "\n", "\r\n", "\r", "\n\n", "\n\n\n", "  \n", "\n \n"])


@st.composite
def documents(draw):
    lines = draw(st.lists(st.tuples(MARKERS, LINE, ENDINGS), max_size=12))
    text = "".join(marker + line + ending for marker, line, ending in lines)
    if draw(st.booleans()):
        text = text.rstrip("\r\n")
    return draw(st.sampled_from(["", "\n", " \n\n"])) + text


@settings(max_examples=300, deadline=None)
@given(documents())
def test_round_trip_on_generated_documents(text: str):
    article = parse(text)
    assert render_text(article, OutputMeta()) == text
    for segment in article.segments():
        assert "\n" not in segment.source and "\r" not in segment.source
        if segment.translatable:
            assert segment.source.strip() == segment.source and segment.source


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_round_trip_on_any_unicode(text: str):
    assert roundtrip(text) == text


def kinds(text: str) -> list[str]:
    return [b.kind.value for b in parse(text).blocks]


def test_seed_article_kinds_and_frames():
    article = parse(SEED.read_text(encoding="utf-8"))
    found = [b.kind for b in article.blocks]
    assert found[:3] == [BlockKind.HEADLINE, BlockKind.HEADLINE, BlockKind.DISCLAIMER]
    assert {BlockKind.PARAGRAPH, BlockKind.HEADING, BlockKind.QUOTE, BlockKind.BOILERPLATE} <= set(found)
    disclaimer = article.blocks[2]
    assert disclaimer.prefix == "Disclaimer: " and disclaimer.label_target is None
    quote = next(b for b in article.blocks if b.kind is BlockKind.QUOTE)
    assert (quote.prefix, quote.suffix) == ("“", "”")
    assert quote.source.startswith("La Banca di Cina") and quote.source.endswith("anni…")
    assert article.blocks[-1].suffix == " *"
    assert [b.kind for b in article.blocks[-3:]] == [BlockKind.BOILERPLATE] * 3


def test_markdown_markers_are_frames():
    article = parse("# Titolo\n\n## Sezione\n\n> Una citazione.\n> Seconda riga.\n\n- uno\n- due\n1. tre\n")
    assert [(b.kind.value, b.prefix) for b in article.blocks] == [
        ("headline", "# "), ("heading", "## "), ("quote", "> "),
        ("list_item", "- "), ("list_item", "- "), ("list_item", "1. "),
    ]
    quote = article.blocks[2]
    assert [s.source for s in quote.segments] == ["Una citazione.", "Seconda riga."]
    assert quote.segments[0].gap == "\n> "
    assert article.blocks[3].separator == "\n"


@pytest.mark.parametrize("opening, closing", [("“", "”"), ("«", "»"), ('"', '"')])
def test_whole_block_quotation_marks_are_frames(opening, closing):
    block = parse(f"Titolo\n\nTesto.\n\n{opening}Non ci fermeremo. Mai.{closing}\n").blocks[2]
    assert (block.kind, block.prefix, block.suffix) == (BlockKind.QUOTE, opening, closing)
    assert [s.source for s in block.segments] == ["Non ci fermeremo.", "Mai."]


def test_two_quotations_side_by_side_are_not_one_frame():
    block = parse("Titolo\n\nTesto.\n\n“Sì” e “no” sono parole.\n").blocks[2]
    assert block.prefix == "" and block.kind is BlockKind.PARAGRAPH


def test_italian_label_is_translated_english_label_kept():
    italian = parse("Titolo\n\nAvvertenza: Questo non è un consiglio.\n").blocks[1]
    assert italian.kind is BlockKind.DISCLAIMER
    assert (italian.prefix, italian.label_target) == ("Avvertenza: ", "Disclaimer: ")
    nota = parse("Titolo\n\nNOTA: testo.\n").blocks[1]
    assert nota.label_target == "NOTE: "
    english = parse("Titolo\n\nDisclaimer: Questo non è un consiglio.\n").blocks[1]
    assert english.label_target is None


def test_headline_standfirst_heading_paragraph():
    text = "Tutte le bufale\n\nCome difenderci? Come evitarle?\n\nPrimo paragrafo lungo. Davvero.\n\nConclusioni\n\nFine del testo.\n"
    assert kinds(text) == ["headline", "standfirst", "paragraph", "heading", "paragraph"]


def test_line_breaks_inside_a_block_are_kept_as_gaps():
    block = parse("Titolo\n\nPrima riga.\nSeconda riga.\n").blocks[1]
    assert [s.source for s in block.segments] == ["Prima riga.", "Seconda riga."]
    assert block.segments[0].gap == "\n"


def test_pieces_without_letters_are_not_translatable():
    article = parse("Titolo\n\n---\n\n***\n\n…\n\n2024\n")
    assert not any(s.translatable for b in article.blocks[1:] for s in b.segments)


def test_empty_and_blank_documents():
    assert parse("").blocks == []
    article = parse(" \n\n\t\n")
    assert article.blocks == [] and article.leading == " \n\n\t\n"
