"""Italian sentence splitting and cutting of over-long sentences: nothing lost, no split after
abbreviations, FLORES-200 boundary recall, and the token limit always met."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from it2en.sentences import split_long, split_sentences

ROOT = Path(__file__).resolve().parent.parent


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_sentence_split", ROOT / "bench" / "sentence_split.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bench = _load_bench()
from conftest import CORPUS  # noqa: E402


def sentences(text: str) -> list[str]:
    pairs = split_sentences(text)
    assert "".join(s + g for s, g in pairs) == text
    return [s for s, _ in pairs]


# --- targeted cases -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Il Sig. Rossi ha parlato con la Dott.ssa Bianchi ieri.",
        "La Sig.ra Verdi e il Dott. Neri sono arrivati.",
        "Nel 1977, il dott. Damadian portò a termine la prima scansione.",
        "Secondo l'art. 5 della legge, vedi pag. 12 del n. 3 della rivista.",
        "Il Prof. Esposito e l'Avv. De Luca hanno firmato.",
        "La Fiat S.p.A. ha chiuso il bilancio, come la Rossi s.r.l. del resto.",
        "Lo ha scritto G. Rossi su un giornale locale.",
        "Il PIL è cresciuto del 5.9 per cento alle 18.15 di ieri.",
        "Alcuni frutti, p.es. mele e pere, costano meno.",
        "Mele, pere, ecc. sono in offerta.",
        "Compra mele, pere ecc. e torna a casa.",
        "Vedi cfr. Rossi e sec. XIX per i dettagli.",
        "Nel 44 a.C. Cesare fu ucciso.",
        "Lo ha detto il Prof. La Rosa.",
        "Lo ha firmato A. Di Maio.",
        "Ne hanno parlato A. I. Rossi e B. Verdi.",
        "Il decreto No. 5 è stato approvato.",
    ],
)
def test_no_split_inside_sentence(text):
    assert sentences(text) == [text]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Mele, pere ecc. Poi è arrivato il resto.", ["Mele, pere ecc.", "Poi è arrivato il resto."]),
        ("Compra frutta etc. Domani si vedrà.", ["Compra frutta etc.", "Domani si vedrà."]),
        ("Intorno al 10000 a.C. La popolazione crebbe.", ["Intorno al 10000 a.C.", "La popolazione crebbe."]),
        ("Il Napoli ha vinto la Serie A. Il campionato è finito.",
         ["Il Napoli ha vinto la Serie A.", "Il campionato è finito."]),
        ("Lo sapeva la S.p.A. Questo è il punto.", ["Lo sapeva la S.p.A.", "Questo è il punto."]),
        ("Ha risposto di no. Marco ha riso.", ["Ha risposto di no.", "Marco ha riso."]),
        ("Aspetta… Poi vedremo.", ["Aspetta…", "Poi vedremo."]),
        ("Davvero? Sì! Certo.", ["Davvero?", "Sì!", "Certo."]),
        ("Ha detto: «Basta.» Poi è uscito.", ["Ha detto: «Basta.»", "Poi è uscito."]),
        ("Ha detto: “Basta!” Poi è uscito.", ["Ha detto: “Basta!”", "Poi è uscito."]),
    ],
)
def test_splits(text, expected):
    assert sentences(text) == expected


def test_gaps_are_verbatim_whitespace():
    pairs = split_sentences("Prima frase.  \tSeconda frase.\u00a0Terza frase.  ")
    assert pairs == [("Prima frase.", "  \t"), ("Seconda frase.", "\u00a0"), ("Terza frase.", "  ")]


def test_missing_space_after_period_keeps_everything():
    text = "Prima di tutto: i sentimenti.Queste non-notizie semplificano."
    assert sentences(text) == [text]


def test_edges():
    assert split_sentences("") == []
    assert split_sentences("   ") == [("   ", "")]
    assert split_sentences("  Uno. Due.") == [("  Uno.", " "), ("Due.", "")]
    assert split_sentences("Titolo senza punto") == [("Titolo senza punto", "")]


def test_module_does_not_import_torch_or_transformers():
    code = "import sys, it2en.sentences; sys.exit(bool({'torch', 'transformers'} & set(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    assert subprocess.run([sys.executable, "-c", code], env=env).returncode == 0


# --- real text --------------------------------------------------------------------------------


def _abbreviations() -> set[str]:
    """Moses' Italian list plus common Italian abbreviations, lower-cased, without the period."""
    words = {
        "sig", "sigg", "dott", "prof", "avv", "ing", "arch", "geom", "rag", "on", "sen", "art",
        "artt", "n", "nn", "nr", "pag", "pagg", "p", "pp", "cap", "vol", "fig", "tab", "cfr", "ca",
        "sec", "ecc", "etc", "p.es", "es", "s.p.a", "s.r.l", "a.c", "d.c", "tel", "vs",
    }
    for line in (CORPUS / "nonbreaking_prefix.it").read_text(encoding="utf-8").splitlines():
        entry = line.split("#")[0].strip()
        if entry:
            words.add(entry.lower())
    return words


def _boundaries_after_abbreviations(text: str, abbreviations: set[str]) -> list[int]:
    found, offset = [], 0
    for sentence, gap in split_sentences(text)[:-1]:
        offset += len(sentence)
        word = re.split(r"['’]", sentence.split()[-1].lstrip("\"'«“‘(["))[-1]
        if word.endswith(".") and word[:-1].lower() in abbreviations:
            found.append(offset)
        offset += len(gap)
    return found


def test_articles_never_split_after_an_abbreviation():
    abbreviations = _abbreviations()
    files = sorted((CORPUS / "articles").glob("*.txt")) + [CORPUS / "seed_cina-ia-deepseek.txt"]
    assert len(files) == 4
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            body = line.lstrip()
            bad = _boundaries_after_abbreviations(body, abbreviations)
            assert not bad, f"{path.name}: split after an abbreviation in {body!r}"


def test_flores_splits_after_an_abbreviation_only_where_a_line_ends():
    """FLORES has abbreviations too (dott., a.C., Jr.); a split after one is right only where
    the gold itself ends a sentence, as in "intorno al 10000 a.C. La popolazione"."""
    abbreviations = _abbreviations()
    for document in bench.flores_documents(CORPUS):
        paragraph = " ".join(document)
        line_ends = {sum(len(line) + 1 for line in document[:i]) - 1 for i in range(1, len(document))}
        for offset in _boundaries_after_abbreviations(paragraph, abbreviations):
            assert offset in line_ends, paragraph[max(0, offset - 60):offset + 30]


def test_flores_boundary_recall():
    documents = bench.flores_documents(CORPUS)
    score = bench.score("it2en", bench.it2en_split, documents)
    assert score.total == 716
    assert score.recall >= 0.993, score.misses


def test_a_very_long_line_completes_and_loses_nothing():
    """Every FLORES document in one line of 148,000 characters, split in a child process: a hang
    or a blow-up in time fails here (at 120 s, a hundred times what it takes) instead of stopping
    the suite. How fast it splits is a figure of ``bench/sentence_split.py``, not a unit test's."""
    documents = bench.flores_documents(CORPUS)
    text = " ".join(" ".join(document) for document in documents)
    code = ("import sys; from it2en.sentences import split_sentences; text = sys.stdin.read(); "
            "pairs = split_sentences(text); assert ''.join(s + g for s, g in pairs) == text; print(len(pairs))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True, text=True,
                            encoding="utf-8", env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = sum(len(document) for document in documents)
    assert lines - 10 <= int(result.stdout) <= lines + 150  # about one sentence per FLORES line


# --- properties -------------------------------------------------------------------------------

_NO_NEWLINE = st.text(st.characters(blacklist_characters="\n\r"), max_size=200)
_PIECES = st.sampled_from([
    "Il", "Sig.", "Dott.ssa", "art.", "n.", "5.9", "ecc.", "a.C.", "S.p.A.", "G.", "La", "casa.",
    "fine!", "vero?", "«Basta.»", "“Sì”", "…", "...", "(nota).", "no.", "È", "l’uomo", "18.15",
    "p.es.", "A.", "post.", ";", ":", "—", ",", "e", "che",
])
_SPACES = st.sampled_from([" ", " ", " ", "  ", "\t", "\u00a0", "\u2009", ""])
_ITALIANISH = st.lists(st.tuples(_PIECES, _SPACES), max_size=40).map(lambda xs: "".join(a + b for a, b in xs))


@settings(max_examples=300, deadline=None)
@given(st.one_of(_NO_NEWLINE, _ITALIANISH))
def test_split_sentences_loses_nothing(text):
    pairs = split_sentences(text)
    assert "".join(s + g for s, g in pairs) == text
    assert all(s for s, _ in pairs)
    assert all(not g.strip() for _, g in pairs)
    for s, _ in pairs[1:]:
        assert not s[0].isspace()
    for s, _ in pairs[:-1]:
        assert not s[-1].isspace()


def _words(text: str) -> int:
    return len(text.split())


def _chars(text: str) -> int:
    return len(text) // 4 + 1


@settings(max_examples=300, deadline=None)
@given(st.one_of(_NO_NEWLINE, _ITALIANISH), st.sampled_from([_words, _chars]), st.integers(1, 12))
def test_split_long_fits_and_loses_nothing(text, count_tokens, limit):
    pieces = split_long(text, count_tokens, limit)
    assert "".join(p + g for p, g in pieces) == text
    assert all(p for p, _ in pieces)
    assert all(count_tokens(p) <= limit for p, _ in pieces)
    assert all(not g.strip() for _, g in pieces)
    if text and count_tokens(text) <= limit:
        assert pieces == [(text, "")]


# --- cutting over-long sentences --------------------------------------------------------------


def test_split_long_prefers_strong_punctuation():
    text = "uno due tre, quattro cinque; sei sette, otto nove dieci"
    assert split_long(text, _words, 6) == [("uno due tre, quattro cinque;", " "), ("sei sette, otto nove dieci", "")]


def test_split_long_takes_the_most_balanced_cut():
    text = "a, b, c, d, e, f, g, h"
    assert split_long(text, _words, 7) == [("a, b, c, d,", " "), ("e, f, g, h", "")]


def test_split_long_uses_conjunctions_before_plain_spaces():
    text = "il governo ha deciso di intervenire subito perché la situazione era grave"
    assert split_long(text, _words, 8) == [
        ("il governo ha deciso di intervenire subito", " "),
        ("perché la situazione era grave", ""),
    ]


def test_split_long_falls_back_to_spaces_then_characters():
    assert split_long("uno due tre quattro", _words, 2) == [("uno due", " "), ("tre quattro", "")]
    url = "https://example.org/" + "x" * 60
    pieces = split_long(url, _chars, 5)
    assert "".join(p + g for p, g in pieces) == url
    assert all(g == "" and _chars(p) <= 5 for p, g in pieces)


def test_split_long_leaves_fitting_sentences_alone():
    assert split_long("Breve frase.", _words, 5) == [("Breve frase.", "")]
    assert split_long("", _words, 5) == []


def test_split_long_refuses_an_impossible_limit():
    with pytest.raises(ValueError):
        split_long("abc", _chars, 0)


def test_split_long_long_sentence_gets_fewest_even_pieces():
    clause = "il governo ha approvato il decreto che riguarda le imprese del settore"
    text = ", ".join([clause] * 40) + "; " + " e ".join([clause] * 30) + "."  # 869 words
    pieces = split_long(text, _words, 100)
    assert "".join(p + g for p, g in pieces) == text
    assert len(pieces) == 9
    assert all(90 <= _words(p) <= 100 for p, _ in pieces)
    assert pieces[0][0].endswith(",")


def test_split_long_cuts_even_a_run_of_spaces():
    pieces = split_long(" " * 8, _chars, 2)
    assert "".join(p + g for p, g in pieces) == " " * 8
    assert len(pieces) == 2 and all(p and _chars(p) <= 2 for p, _ in pieces)
