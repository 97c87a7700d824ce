"""The review page (``-f review``) without a browser: self-contained, every sentence a row,
flags in words, shading by confidence, prose rather than markup, the corrections' shape that
``it2en memory import`` takes, and the index page of a batch. The browser: test_review_browser.py."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from it2en import formats
from it2en.api import ArticleTranslator
from it2en.article import Article, needs_review
from it2en.memory_exchange import read_edited_json
from it2en.render import FLAG_WORDS, REVIEW_INDEX, OutputMeta, render_review

from conftest import ARTICLES, MARKDOWN_SOURCES, SEED
from test_memory import CountingEngine

META = OutputMeta("test-model", "0123456789abcdef", review_below=0.5)


def translated(path: Path) -> Article:
    """A corpus article translated by a stand-in engine no check flags, without a memory."""
    article = formats.parse(path.read_text(encoding="utf-8"), name=str(path))
    return ArticleTranslator(engine=CountingEngine()).translate_article(article)


def mixed_article(path: Path) -> tuple[Article, list[int], list[int]]:
    """The article with every third translated sentence doubtful (confidence 0.2, or a flag)
    and the others confident (0.9); returns it with the row numbers of each kind."""
    article = translated(path)
    confident, doubtful = [], []
    rows = [s for s in article.segments() if s.source]
    for number, segment in enumerate(rows, start=1):
        if not segment.translatable:
            continue
        segment.flags = []
        segment.confidence = 0.9
        if number % 3 == 0:
            segment.confidence = 0.2
        if number % 6 == 0:
            segment.confidence, segment.flags = None, ["too_long"]  # no score yet: the flag decides
        (doubtful if needs_review(segment, META.review_below) else confident).append(number)
    return article, confident, doubtful


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text of <script>/<style> elements."""

    def __init__(self, page: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.inline: dict[str, list[str]] = {"script": [], "style": []}
        self._open = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._open = tag if tag in self.inline else None

    def handle_data(self, data):
        if self._open:
            self.inline[self._open].append(data)
            self._open = None

    def find(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k, "").split().count(v) for k, v in attrs.items())]


def page_data(page: str) -> dict:
    """The article data the page's "Save corrections" starts from."""
    return json.loads(re.search(r'<script type="application/json" id="it2en-data">(.*?)</script>', page, re.S).group(1))


def test_the_page_is_self_contained(tmp_path):
    page = render_review(translated(SEED), META)
    elements = Elements(page)
    assert not elements.find("link") and not elements.find("img") and not elements.find("iframe")
    assert not any("src" in attrs for _, attrs in elements.tags)  # no script, style or image from elsewhere
    assert all(not attrs.get("href", "#").startswith(("http:", "https:", "//")) for _, attrs in elements.tags)
    css = "".join(elements.inline["style"])
    assert "url(" not in css and "@import" not in css and "@font-face" not in css
    assert "fetch(" not in page and "XMLHttpRequest" not in page
    assert "Save corrections" in page and "Only what needs review" in page and 'id="counter"' in page


def test_every_sentence_is_a_row_and_every_translation_is_editable():
    article = translated(SEED)
    page = render_review(article, META)
    elements = Elements(page)
    rows = [s for s in article.segments() if s.source]
    assert len(elements.find("div", **{"class": "seg"})) == len(rows)
    assert len(elements.find("textarea")) == sum(s.translatable and s.target is not None for s in rows)
    assert len(elements.find("section", **{"class": "block"})) == sum(any(s.source for s in b.segments)
                                                                     for b in article.blocks)
    data = page_data(page)
    assert [s["source"] for b in data["blocks"] for s in b["segments"]] == [s.source for s in rows]
    headline = next(s for s in rows if s.translatable).target
    assert f"<h1>{headline}</h1>" in page.replace("&#x27;", "'")


def test_flags_are_said_in_words_and_confidence_shades():
    article, confident, doubtful = mixed_article(SEED)
    page = render_review(article, META)
    elements = Elements(page)
    assert {a["id"] for a in elements.find("div", **{"class": "review"})} == {f"s-{n}" for n in doubtful}
    assert {a["id"] for a in elements.find("div", **{"class": "low"})} == {
        f"s-{n}" for n, s in enumerate((s for s in article.segments() if s.source), 1) if s.confidence == 0.2}
    assert not elements.find("div", **{"class": "mid"})  # 0.9 is confident: no shade
    assert FLAG_WORDS["too_long"] in page and "confidence 20%" in page and "confidence 90%" in page
    assert "too_long" not in re.sub(r"<script.*?</script>", "", page, flags=re.S)  # the words, not the code


def test_a_page_without_confidence_still_marks_the_flagged_sentences():
    article = translated(SEED)
    target = article.translatable_segments()[2]
    target.flags = ["placeholder_rescued"]
    page = render_review(article, META)
    elements = Elements(page)
    assert len(elements.find("div", **{"class": "review"})) == 1
    assert not elements.find("div", **{"class": "low"}) and "confidence" not in page.split("<main>")[1]
    assert "put back" in page  # placeholder_rescued, said for the reader


def test_markdown_articles_show_their_prose_not_their_markup():
    source = next(p for p in MARKDOWN_SOURCES if "](" in p.read_text(encoding="utf-8"))
    article = translated(source)
    page = render_review(article, META)
    texts = [s["source"] + s["target"] for b in page_data(page)["blocks"] for s in b["segments"]]
    assert texts and not any("](" in t or "**" in t for t in texts)
    shown = re.findall(r'<p class="it" lang="it">(.*?)</p>', page, re.S)
    assert len(shown) == len([s for s in article.segments() if s.source]) and not any("](" in t for t in shown)


def test_markup_in_the_text_cannot_break_out_of_the_page():
    hostile = "Titolo </script><script>alert(1)</script>\n\nUna frase con <b>tag</b> & altro. <!-- fine\n"
    article = ArticleTranslator(engine=CountingEngine()).translate_article(formats.parse(hostile, name="x.txt"))
    page = render_review(article, META)
    elements = Elements(page)
    assert len(elements.find("script")) == 2 and not elements.find("b")
    assert page_data(page)["blocks"][0]["segments"][0]["source"].startswith("Titolo </script>")


def test_saved_corrections_are_what_memory_import_takes(tmp_path):
    """What "Save corrections" writes (the page's data, one target changed): the importer's
    shape, one human entry for the edited sentence, every other one unchanged."""
    article = translated(MARKDOWN_SOURCES[0])
    data = page_data(render_review(article, META))
    segments = [s for b in data["blocks"] for s in b["segments"] if s["translate"]]
    segments[1]["target"] = "Written by the reviewer."
    saved = tmp_path / data["corrections_file"]
    saved.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    imported = read_edited_json(saved)
    assert [(e.source, e.target) for e in imported.entries] == [(segments[1]["source"], "Written by the reviewer.")]
    assert imported.unchanged == len(segments) - 1


def test_a_batch_writes_one_page_per_article_and_an_index(tmp_path, engine_cli):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for path in ARTICLES[:2]:
        (inbox / path.name).write_bytes(path.read_bytes())
    result = engine_cli(CountingEngine(), "inbox", "-d", "out", "-f", "review", "-q")
    assert result.exit_code == 0, result.output
    pages = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert pages == sorted([REVIEW_INDEX] + [f"{p.stem}.en.review.html" for p in ARTICLES[:2]])
    index = (tmp_path / "out" / REVIEW_INDEX).read_text(encoding="utf-8")
    links = {a["href"] for a in Elements(index).find("a") if "#" not in a["href"]}
    assert links == {f"{p.stem}.en.review.html" for p in ARTICLES[:2]}
    for page in links:  # each sentence listed is one its page marks for review, and the count says so
        marked = {a["id"] for a in Elements((tmp_path / "out" / page).read_text(encoding="utf-8")).find(
            "div", **{"class": "review"})}
        listed = {a["href"].split("#")[1] for a in Elements(index).find("a") if a["href"].startswith(page + "#")}
        assert listed == marked
        assert f"{len(marked)} of " in index

    result = engine_cli(CountingEngine(), "inbox", "-d", "out", "-f", "review", "--skip-existing", "-q")
    assert result.exit_code == 0, result.output
    again = (tmp_path / "out" / REVIEW_INDEX).read_text(encoding="utf-8")
    assert {a["href"] for a in Elements(again).find("a")} == links and again.count("kept from an earlier run") == 2


def test_the_index_lists_the_sentences_that_need_review(tmp_path):
    from it2en.batch import Job, Status, Summary, write_review_index

    article, _, doubtful = mixed_article(SEED)
    job = Job(str(SEED), tmp_path / "sub" / "seed.en.review.html", status=Status.TRANSLATED, article=article)
    index = write_review_index(Summary([job]), tmp_path, META).read_text(encoding="utf-8")
    hrefs = [a["href"] for a in Elements(index).find("a")]
    assert hrefs == ["sub/seed.en.review.html"] + [f"sub/seed.en.review.html#s-{n}" for n in doubtful]
    assert f"{len(doubtful)} of " in index


def test_the_index_never_replaces_an_input(tmp_path, engine_cli):
    (tmp_path / "out").mkdir()
    index = tmp_path / "out" / REVIEW_INDEX
    index.write_text("<p>Un articolo che si chiama come l'indice.</p>\n", encoding="utf-8")
    result = engine_cli(CountingEngine(), index, "-d", "out", "-f", "review")
    assert result.exit_code == 2 and "it is an input file" in result.stderr
    assert index.read_text(encoding="utf-8").startswith("<p>Un articolo")


def test_informational_marks_alone_never_send_a_sentence_to_review():
    from it2en.article import INFORMATIONAL_FLAGS, Segment, needs_review

    for flag in INFORMATIONAL_FLAGS:
        assert not needs_review(Segment("Una frase.", target="A sentence.", flags=[flag], confidence=0.9), 0.5)
    assert needs_review(Segment("Una frase.", target="A sentence.", flags=["retried", "repetition"], confidence=0.9), 0.5)
    assert needs_review(Segment("Una frase.", target="A sentence.", flags=["split"], confidence=0.2), 0.5)
    assert not needs_review(Segment("Una frase.", target=None, confidence=None), 0.5)
