"""it2en's Moses punctuation normaliser gives sacremoses' output, character for character."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sacremoses import MosesPunctNormalizer

from conftest import ARTICLES, CORPUS, FLORES, MARKDOWN_SOURCES
from it2en.engines.punctuation import punctuation_normalizer
from it2en.engines.transformers import source_normalizer


def corpus_lines() -> list[str]:
    """Every line of every text in the corpus: FLORES, articles (text and Markdown), opus-mt."""
    files = [*sorted(FLORES.glob("*.dev")), *sorted(FLORES.glob("*.paragraphs.txt")), *ARTICLES,
             *MARKDOWN_SOURCES, *sorted((CORPUS / "opus-mt-outputs").glob("newssyscomb2009.*"))]
    lines = []
    for path in files:
        lines += path.read_text(encoding="utf-8").splitlines()
    return lines


def test_identical_to_sacremoses_on_the_whole_corpus():
    lines = corpus_lines()
    assert len(lines) > 4500  # FLORES both sides, paragraphs, articles, Markdown, opus-mt outputs
    moses = MosesPunctNormalizer(lang="it").normalize
    ours = punctuation_normalizer("it")
    different = [(line, moses(line), ours(line)) for line in lines if moses(line) != ours(line)]
    assert different == []
    # The corpus exercises the rules: many lines change (curly quotes, apostrophes, «», dashes …).
    assert sum(moses(line) != line for line in lines) > 200


# The characters the rules look at, with letters, digits and spaces around them.
_SPECIAL = "\r()%:;`'\"„“”–—´‘’‚…«»\u00a0º,.!?<nC cm0123456789 aZé\t"


@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet=_SPECIAL, max_size=40), lang=st.sampled_from(["it", "en", "fr", "de", "cs"]))
def test_identical_to_sacremoses_on_the_characters_its_rules_touch(text, lang):
    assert punctuation_normalizer(lang)(text) == MosesPunctNormalizer(lang=lang).normalize(text)


@pytest.mark.parametrize("text, expected", [
    ("«Ciao»  disse ( forse ) .", '"Ciao" disse (forse).'),
    ("l’anno “bello”… 12\u00a0000", "l'anno \"bello\"... 12.000"),
    ("", ""),
])
def test_what_the_engines_apply(text, expected):
    assert source_normalizer("it")(text) == expected
    assert source_normalizer(None)(text) == expected  # no source_lang in the folder: Italian


def test_the_one_sentence_path_does_not_import_sacremoses():
    import subprocess
    import sys

    code = ("import sys\nfrom it2en.engines.transformers import source_normalizer\n"
            "source_normalizer('it')('Buongiorno a tutti.')\n"
            "print('sacremoses' in sys.modules, 'regex' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
