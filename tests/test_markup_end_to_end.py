"""Invariant 3 on real runs of the CLI: a translated Markdown or HTML article parses to the
same tree as its source, apart from text (engines that change every word, and the tiny model);
with the identity engine the output is the input, byte for byte."""

from __future__ import annotations

import pytest
from conftest import FLORES, MARKDOWN_SOURCES
from hypothesis import given, settings
from hypothesis import strategies as st
from markup_cases import HTML_CASES, MARKDOWN_CASES, html_tree, markdown_tree

from it2en import formats
from it2en.engines import IdentityTranslator


class Shout:
    """Upper-cases every word: the translation differs, word order and lengths stay."""

    name = "shout"

    def translate(self, sentences, **kwargs):
        return [s.upper() for s in sentences]


class Reverse:
    """Reverses the word order: every inline element must follow its words elsewhere."""

    name = "reverse"

    def translate(self, sentences, **kwargs):
        return [" ".join(reversed(s.split(" "))) for s in sentences]


CASES = {path.name: path.read_text(encoding="utf-8") for path in MARKDOWN_SOURCES}
CASES.update({f"{name}.md": text for name, text in MARKDOWN_CASES.items()})
CASES.update({f"{name}.html": text for name, text in HTML_CASES.items()})


def tree(name: str, text: str):
    return html_tree(text) if name.endswith(".html") else markdown_tree(text)


@pytest.mark.parametrize("engine", [IdentityTranslator(), Shout(), Reverse()], ids=lambda e: e.name)
def test_every_case_keeps_its_tree_through_the_cli(engine_cli, tmp_path, engine):
    (tmp_path / "in").mkdir()
    for name, text in CASES.items():
        with open(tmp_path / "in" / name, "w", encoding="utf-8", newline="") as file:
            file.write(text)
    result = engine_cli(engine, "in", "-d", "out", "-q", "--keep-number-format")  # identity: 17.500 stays
    assert result.exit_code == 0, result.output
    for name, text in CASES.items():
        with open(tmp_path / "out" / name.replace(".", ".en.", 1), encoding="utf-8", newline="") as file:
            output = file.read()
        if engine.name == "identity":
            assert output == text, name
        else:
            assert tree(name, output) == tree(name, text), name


def test_tiny_model_keeps_markdown_and_html_trees(translate_cli, tmp_path):
    names = ["link_in_bold_in_list.md", "nested_emphasis.md", "fragment.html"]  # short: the tiny model runs to its cap
    for name in names:
        (tmp_path / name).write_text(CASES[name], encoding="utf-8")
    result = translate_cli(*names, "-d", "out", "-q")
    assert result.exit_code == 0, result.output
    for name in names:
        output = (tmp_path / "out" / name.replace(".", ".en.", 1)).read_text(encoding="utf-8")
        assert output != CASES[name]
        assert tree(name, output) == tree(name, CASES[name]), name


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_a_sentence_cut_for_length_comes_back_as_written(fmt):
    import textwrap

    from it2en.api import ArticleTranslator

    long = " ".join(f"la parola &amp; il *numero* {i}, e poi" for i in range(120)) + " fine."
    source = "Prima frase.\n" + textwrap.fill(long, 70) + " Dopo.\n"
    if fmt == "html":
        source = "<p>" + source.replace("*numero*", "<em>numero</em>") + "</p>\n"
    translator = ArticleTranslator(engine=IdentityTranslator())
    article = translator.translate_article(formats.parse(source, input_format=fmt))
    assert any(s.split for s in article.segments())  # the pipeline did cut it
    assert translator.render(article) == source
    name = "x.html" if fmt == "html" else "x.md"
    shouted = ArticleTranslator(engine=Shout()).translate_text(source, input_format=fmt)
    assert tree(name, shouted) == tree(name, source)


TITLE_LINES = [line for line in (FLORES / "ita_Latn.dev").read_text(encoding="utf-8").splitlines()[:200]
               if not any(ch in line for ch in "\"'()[]\\*_`<>&!#")]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(TITLE_LINES), st.sampled_from(TITLE_LINES), st.sampled_from(["link", "image"]),
                          st.sampled_from(['"', "'", "("])), min_size=1, max_size=3))
def test_random_titles_and_alt_texts_come_back_translated_inside_their_markup(cases):
    """A link or an image with a title (and an alt) on a word of a FLORES sentence: through the
    pipeline the sentence, the title and the alt are translated, each written in its own place."""
    from markdown_it import MarkdownIt

    from it2en.api import ArticleTranslator

    paragraphs, expected = [], []
    for number, (sentence, title, kind, quote) in enumerate(cases):
        words = sentence.split(" ")
        closing = ")" if quote == "(" else quote
        tail = f'(https://example.org/{number} {quote}{title}{closing})'
        if kind == "link":
            words[0] = f"[{words[0]}]{tail}"
            expected.append(("link", None, title.upper()))
        else:
            alt = " ".join(title.split(" ")[:3])
            words.insert(1, f"![{alt}]{tail}")
            expected.append(("image", alt.upper(), title.upper()))
        paragraphs.append(" ".join(words))
    source = "\n\n".join(paragraphs) + "\n"
    assert ArticleTranslator(engine=IdentityTranslator(), keep_number_format=True).translate_text(
        source, input_format="markdown") == source
    output = ArticleTranslator(engine=Shout(), keep_number_format=True).translate_text(source, input_format="markdown")
    assert markdown_tree(output) == markdown_tree(source)
    found = []
    for token in MarkdownIt("commonmark").parse(output):
        for child in token.children or []:
            if child.type == "link_open":
                found.append(("link", None, child.attrs.get("title")))
            elif child.type == "image":
                found.append(("image", child.content, child.attrs.get("title")))
    assert found == expected
