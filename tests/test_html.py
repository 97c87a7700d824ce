"""HTML in, the same HTML out: tags, attributes, entities, scripts and comments kept."""

from __future__ import annotations

import pytest
from conftest import MARKDOWN_SOURCES
from markup_cases import HTML_CASES, MARKDOWN_CASES, html_tree
from test_markdown import fake_translate

from it2en import formats
from it2en.engines import IdentityTranslator
from it2en.formats import html, markdown
from it2en.render import OutputMeta, render_text


def _rendered(source: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(source)


RENDERED = {path.name: _rendered(path.read_text(encoding="utf-8")) for path in MARKDOWN_SOURCES}
RENDERED.update({f"md-{name}": _rendered(source) for name, source in MARKDOWN_CASES.items()})
ALL_CASES = {**RENDERED, **HTML_CASES}


@pytest.mark.parametrize("name", sorted(ALL_CASES))
def test_identity_round_trip_is_byte_for_byte(name):
    source = ALL_CASES[name]
    assert render_text(html.parse(source), OutputMeta()) == source


@pytest.mark.parametrize("name", sorted(ALL_CASES))
def test_translated_output_parses_to_the_same_tree(name):
    source = ALL_CASES[name]
    article = html.parse(source)
    output = render_text(fake_translate(article), OutputMeta())
    assert output != source or not article.translatable_segments()
    assert html_tree(output) == html_tree(source)


@pytest.mark.parametrize("source", MARKDOWN_SOURCES, ids=lambda p: p.stem[:2])
def test_html_rendering_of_a_corpus_post_gives_the_sentences_of_the_post(source):
    text = source.read_text(encoding="utf-8")
    body = text[text.index("\n---\n", 4) + 5:]  # the front matter is not part of the HTML page
    from_markdown = [s.source for s in markdown.parse(body).translatable_segments()]
    from_html = [s.source for s in html.parse(_rendered(body)).translatable_segments()]
    assert from_html == from_markdown


def test_what_is_translated_and_what_is_kept():
    article = html.parse(HTML_CASES["page"])
    seen = [(b.kind.value, s.source) for b in article.blocks for s in b.segments if s.translatable]
    assert seen == [
        ("headline", "Il titolo della pagina"), ("standfirst", "Una descrizione della pagina."),
        ("headline", "Titolo per i social"), ("headline", "Il grande titolo"),
        ("paragraph", "Una frase con un collegamento."),
        ("paragraph", "Seconda frase su un’altra riga & fine."), ("paragraph", "Il sito"),
        ("paragraph", "Una foto del mare"), ("paragraph", "Scrivi qui")]
    output = render_text(fake_translate(article), OutputMeta())
    for kept in ('var testo = "non tradurre <p>";', "p { color: red; }", "<!-- commento -->",
                 "<pre>  codice   non toccato </pre>", 'href="https://example.org" title="IL SITO"'):
        assert kept in output
    assert '<html lang="en">' in output and 'alt="UNA FOTO DEL MARE"' in output
    assert "<h1>IL <em>GRANDE</em> TITOLO</h1>" in output
    assert 'content="UNA DESCRIZIONE DELLA PAGINA."' in output


def test_entities_are_decoded_for_the_model_and_escaped_on_the_way_out():
    article = html.parse(HTML_CASES["entities"])
    assert article.translatable_segments()[0].source == "Perché “citare” <tag> e\xa0spazi."
    output = render_text(fake_translate(article), OutputMeta())
    assert output == "<p>PERCHÉ “CITARE” &lt;TAG> E\xa0SPAZI.</p>"
    assert html_tree(output) == html_tree(HTML_CASES["entities"])


def test_attribute_values_are_escaped_for_their_quotes():
    article = html.parse('<img alt="Una foto" src="a.png"> <img alt=\'Una\' src="b.png">')
    fake_translate(article, lambda s: 'A "photo"' if s == "Una foto" else "It's")
    assert render_text(article, OutputMeta()) == '<img alt="A &quot;photo&quot;" src="a.png"> <img alt=\'It&#39;s\' src="b.png">'


def test_inline_tags_are_elements_and_br_a_hard_break():
    article = html.parse(HTML_CASES["fragment"])
    first = article.translatable_segments()[0]
    assert first.source == "Un frammento senza pagina."
    assert [(m.kind, m.opening, m.closing) for m in first.markup] == [("html", "<strong>", "</strong>")]
    assert [s.source for s in article.translatable_segments()][1] == "Nuova riga."


def test_soft_line_breaks_in_a_paragraph_are_spaces_and_rewrapped():
    source = "<p>Una frase lunga che va\n   a capo nel sorgente e poi\n   continua. Fine.</p>\n"
    article = html.parse(source)
    assert article.translatable_segments()[0].source == "Una frase lunga che va a capo nel sorgente e poi continua."
    assert render_text(article, OutputMeta()) == source
    output = render_text(fake_translate(article), OutputMeta())
    assert output.count("\n") >= 2 and "\n   " in output and html_tree(output) == html_tree(source)


def test_inspect_and_cli_identity_on_html(engine_cli, tmp_path):
    (tmp_path / "pagina.html").write_text(HTML_CASES["page"], encoding="utf-8")
    (tmp_path / "frammento.htm").write_text(HTML_CASES["fragment"], encoding="utf-8")
    result = engine_cli(IdentityTranslator(), "pagina.html", "frammento.htm", "-d", "en", "-q")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "en" / "pagina.en.html").read_text(encoding="utf-8") == HTML_CASES["page"]
    assert (tmp_path / "en" / "frammento.en.htm").read_text(encoding="utf-8") == HTML_CASES["fragment"]
    bilingual = engine_cli(IdentityTranslator(), "pagina.html", "-f", "bilingual", "-q")
    assert bilingual.exit_code == 0 and "> Il titolo della pagina\n\nIl titolo della pagina\n" in bilingual.stdout
    assert formats.detect("x.HTM") == "html" and formats.detect("-") == "text"


def test_markdown_output_of_html_input_is_plain_sentences_by_kind():
    from it2en.api import ArticleTranslator

    out = ArticleTranslator(engine=IdentityTranslator()).translate_text(HTML_CASES["page"], input_format="html",
                                                                       format="markdown")
    assert out.startswith("# Il titolo della pagina\n\n**Una descrizione della pagina.**\n")
    assert "<" not in out and "Una frase con un collegamento. Seconda frase" in out


def test_an_image_on_its_own_line_of_a_paragraph_has_its_alt_translated():
    source = '<p class="lead">Il <em>rifugio</em> &egrave; aperto.<br>\n<img src="neve.jpg" alt="La neve sul rifugio"></p>\n'
    article = html.parse(source)
    assert [s.source for s in article.translatable_segments()] == ["Il rifugio è aperto.", "La neve sul rifugio"]
    output = render_text(fake_translate(article), OutputMeta())
    assert 'alt="LA NEVE SUL RIFUGIO"' in output and html_tree(output) == html_tree(source)
    inline = html.parse('<p>Testo <img alt="Una foto"> dentro.</p>').translatable_segments()
    # inside a sentence: the tag is a verbatim piece of it, its alt a segment of its own
    assert [s.source for s in inline] == ['Testo <img alt="Una foto"> dentro.', "Una foto"]


def test_attributes_of_tags_inside_a_sentence_are_translated_into_those_tags():
    source = '<p>Vedi <a href="x" title="Il sito">il sito</a> e <img src="a.png" alt="Una foto"> oggi.</p>\n'
    article = html.parse(source)
    assert [s.source for s in article.translatable_segments()] == [
        'Vedi il sito e <img src="a.png" alt="Una foto"> oggi.', "Il sito", "Una foto"]
    assert [b.inside for b in article.blocks] == [False, True, True]
    for segment in article.translatable_segments():
        segment.target = {"Il sito": 'The "site" & <more>'}.get(segment.source, segment.source.upper())
        for element in segment.markup:
            element.target_start, element.target_end = element.start, element.end
        cuts = [0, *(k for span in segment.verbatim for k in span), len(segment.source)]
        segment.target = "".join(segment.source[a:b] if (a, b) in segment.verbatim else segment.target[a:b]
                                 for a, b in zip(cuts, cuts[1:])) if segment.verbatim else segment.target
    output = render_text(article, OutputMeta())
    assert output == ('<p>VEDI <a href="x" title="The &quot;site&quot; &amp; &lt;more>">IL SITO</a> E '
                      '<img src="a.png" alt="UNA FOTO"> OGGI.</p>\n')
    assert html_tree(output) == html_tree(source)
