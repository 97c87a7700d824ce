"""Inline markup carried over by word alignment: the transfer rule, its fallback, and the
pipeline's two invariants (issue 9) as property tests on FLORES sentences with random nested
markup: the model sees exactly the plain sentence, and every element comes back exactly once,
nested as in the source, on a non-empty span."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from it2en.article import Article, Block, BlockKind, InlineMarkup, Segment, apply_markup
from it2en.engines import IdentityTranslator
from it2en.fidelity.markup import (
    MarkupTransferError,
    diagonal,
    map_words,
    project_alignment,
    transfer_markup,
    word_spans,
)
from it2en.fidelity.placeholders import protect, restore
from it2en.generation import GenerationSettings
from it2en.pipeline import has_problems, problems, translate_articles

from conftest import FLORES

LINES = [line for line in (FLORES / "ita_Latn.dev").read_text(encoding="utf-8").splitlines()[:300]
         if len(line.split()) <= 40]


def element(kind: str, text: str, words: str, opening: str, closing: str, occurrence: int = 0) -> InlineMarkup:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(words, start + 1)
    return InlineMarkup(kind, start, start + len(words), opening, closing)


def rendered(target: str, markup: list[InlineMarkup]) -> str:
    return apply_markup(target, markup, target=True)


# ----------------------------------------------------------------------------- transfer_markup

SOURCE = "Abbiamo parlato sull'emergenza neve in quell'area."
TARGET = "We talked about the snow emergency in that area."
# Abbiamo0 parlato1 sull'emergenza2 neve3 in4 quell'area.5 / We0 talked1 about2 the3 snow4 emergency5 in6 that7 area.8
ALIGNMENT = [(0, 0), (1, 1), (2, 2), (2, 3), (2, 5), (3, 4), (4, 6), (5, 7), (5, 8)]


@pytest.mark.parametrize("marked", [
    "Abbiamo parlato sull'**emergenza neve** in quell'area.",
    "**Abbiamo** parlato sull'*emergenza* neve in *quell'area*.",
    "[Abbiamo parlato sull'emergenza neve in quell'area.](https://x.it)",
    "Abbiamo <b>parlato </b>sull'emer<i>gen</i>za neve, in **quell'area**.",
    "***Abbiamo*** ~~parlato *sull'[emergenza](u)* neve~~ in quell'area.",
])
def test_identity_translation_keeps_every_offset(marked: str) -> None:
    source, markup = strip_markup(marked)
    placed, moved = transfer_markup(source, markup, source, diagonal(source, source))
    assert not moved
    assert [(e.target_start, e.target_end) for e in placed] == [(e.start, e.end) for e in markup]
    assert rendered(source, placed) == marked


def test_reordered_words_keep_their_markup() -> None:
    markup = [element("strong", SOURCE, "emergenza neve", "**", "**"), element("emphasis", SOURCE, "emergenza", "*", "*")]
    placed, moved = transfer_markup(SOURCE, markup, TARGET, ALIGNMENT)
    assert rendered(TARGET, placed) == "We talked about the **snow *emergency*** in that area."
    assert not moved
    assert [(e.start, e.end) for e in placed] == [(e.start, e.end) for e in markup]  # copies; source kept


def test_punctuation_at_the_edges_follows_the_source() -> None:
    markup = [element("link", SOURCE, "quell'area", "[", "](u)")]
    placed, _ = transfer_markup(SOURCE, markup, TARGET, ALIGNMENT)
    assert rendered(TARGET, placed) == "We talked about the snow emergency in [that area](u)."
    whole = [InlineMarkup("link", 0, len(SOURCE), "[", "](u)")]
    placed, _ = transfer_markup(SOURCE, whole, TARGET, ALIGNMENT)
    assert rendered(TARGET, placed) == "[We talked about the snow emergency in that area.](u)"


def test_child_of_a_moved_parent_stays_inside_it() -> None:
    markup = [element("emphasis", SOURCE, "Abbiamo", "*", "*"),
              element("strong", SOURCE, "parlato sull'emergenza", "**", "**"),
              element("link", SOURCE, "sull'emergenza", "[", "](u)")]
    # "Abbiamo" and "parlato" both on "talked": the parent collides with its sibling and is
    # moved by rule, away from where its child's word ("about") was aligned
    placed, moved = transfer_markup(SOURCE, markup, TARGET, [(0, 1), (1, 1), (2, 2)])
    assert moved
    (sibling, outer, inner) = placed
    assert outer.target_start <= inner.target_start < inner.target_end <= outer.target_end
    assert sibling.target_end <= outer.target_start or outer.target_end <= sibling.target_start
    assert rendered(TARGET, placed).count("**") == 2


def test_crossing_siblings_are_placed_apart() -> None:
    markup = [element("emphasis", SOURCE, "Abbiamo", "*", "*"), element("link", SOURCE, "parlato", "[", "](u)")]
    placed, moved = transfer_markup(SOURCE, markup, TARGET, [(0, 1), (1, 1)])  # both on "talked"
    assert moved
    (first, second) = placed
    assert first.target_end <= second.target_start or second.target_end <= first.target_start
    assert all(e.target_end > e.target_start for e in placed)


def test_without_alignment_a_fully_marked_sentence_wraps_the_whole_translation() -> None:
    markup = [InlineMarkup("strong", 0, len(SOURCE) - 1, "**", "**")]
    placed, moved = transfer_markup(SOURCE, markup, TARGET, None)
    assert moved and rendered(TARGET, placed) == "**We talked about the snow emergency in that area.**"
    # a link on two words goes on two words at its proportional place
    placed, moved = transfer_markup(SOURCE, [element("link", SOURCE, "Abbiamo parlato", "[", "](u)")], TARGET, None)
    assert moved and rendered(TARGET, placed) == "[We talked](u) about the snow emergency in that area."
    # an element whose words have no link goes next to the target of the nearest aligned word
    placed, moved = transfer_markup(SOURCE, [element("emphasis", SOURCE, "neve", "*", "*")], TARGET, [(2, 5), (4, 6)])
    assert moved and rendered(TARGET, placed) == "We talked about the snow *emergency* in that area."


def test_siblings_share_a_one_word_translation() -> None:
    markup = [element("emphasis", SOURCE, "Abbiamo", "*", "*"), element("strong", SOURCE, "parlato", "**", "**"),
              element("link", SOURCE, "neve", "[", "](u)")]
    placed, moved = transfer_markup(SOURCE, markup, "Spoken.", [(0, 0), (1, 0), (3, 0)])
    assert moved
    spans = sorted((e.target_start, e.target_end) for e in placed)
    assert all(s < e for s, e in spans) and all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    with pytest.raises(MarkupTransferError):
        transfer_markup(SOURCE, markup, "Sì", [(0, 0)])


def test_map_words_follows_restored_placeholders_and_post_editing() -> None:
    assert map_words(["See", "X1", "now"], ["See", "https://a.it/x", "now."]) == [[0], [1], [2]]
    assert map_words(["a", "X1", "b"], ["a", "`x", "y`", "b"]) == [[0], [1, 2], [3]]
    assert map_words(["a", "b", "junk"], ["a", "b"]) == [[0], [1], []]
    assert project_alignment([(0, 1), (1, 0), (5, 0)], [[0], [1, 2]], [[0], [1]]) == [(0, 1), (1, 0), (2, 0)]


def test_protect_masks_extra_verbatim_spans() -> None:
    text = "Usa il comando git status e visita https://x.it subito."
    start = text.index("git status")
    protected = protect(text, [(start, start + len("git status"))])
    assert "git status" not in protected.text and "https" not in protected.text
    assert protected.kinds == ["verbatim", "url"]
    assert restore(protected.text, protected) == (text, [])
    overlapping = protect(text, [(text.index("https"), len(text) - 1)])
    assert overlapping.kinds == ["verbatim"]


# ----------------------------------------------------------------------------- random nested markup

KINDS = [("emphasis", "*", "*"), ("strong", "**", "**"), ("strikethrough", "~~", "~~"),
         ("link", "[", "](https://example.org/{n})"), ("html", '<span class="c{n}">', "</span>")]


@st.composite
def marked_segments(draw) -> tuple[str, list[InlineMarkup]]:
    """A FLORES sentence with up to ~10 nested elements on its words: some start after an
    apostrophe (``sull'**emergenza**``), some leave a word's final punctuation out."""
    text = draw(st.sampled_from(LINES))
    words = word_spans(text)
    markup: list[InlineMarkup] = []

    def grow(lo: int, hi: int, bounds: tuple[int, int], depth: int) -> None:
        cursor = lo
        for _ in range(draw(st.integers(0, 2 if depth < 3 else 0))):
            if cursor >= hi:
                return
            a = draw(st.integers(cursor, hi - 1))
            b = draw(st.integers(a + 1, min(hi, a + 5)))
            start, end = words[a][0], words[b - 1][1]
            if draw(st.booleans()):
                apostrophe = text.rfind("'", start, words[a][1] - 1)
                start = apostrophe + 1 if apostrophe >= 0 else start
            if draw(st.booleans()):
                while end > start + 1 and not text[end - 1].isalnum():
                    end -= 1
            start, end = max(start, bounds[0]), min(end, bounds[1])
            if end <= start:
                return
            kind, opening, closing = draw(st.sampled_from(KINDS))
            n = len(markup)
            markup.append(InlineMarkup(kind, start, end, opening.format(n=n), closing.format(n=n)))
            grow(a, b, (start, end), depth + 1)
            cursor = b

    grow(0, len(words), (0, len(text)), 0)
    return text, markup


def strip_markup(marked: str) -> tuple[str, list[InlineMarkup]]:
    """Parse the few test forms (``**…**``, ``*…*``, ``~~…~~``, ``[…](u)``, ``<b>…</b>``) by hand."""
    import re

    token = re.compile(r"\*\*\*|\*\*|\*|~~|\[|\]\([^)]*\)|<(/?)(\w+)>")
    plain, stack, found = [], [], []
    at = 0
    for match in token.finditer(marked):
        plain.append(marked[at:match.start()])
        at = match.end()
        offset = len("".join(plain))
        piece = match.group(0)
        closes = (stack and (stack[-1][0] == piece or (piece.startswith("](") and stack[-1][0] == "[")
                             or (match.group(1) and stack[-1][0] == f"<{match.group(2)}>")))
        if closes:
            opening, start, index = stack.pop()
            found[index] = InlineMarkup("x", start, offset, opening, piece)
        else:
            stack.append((piece, offset, len(found)))
            found.append(None)
    plain.append(marked[at:])
    return "".join(plain), found


def article_of(segments: list[tuple[str, list[InlineMarkup]]]) -> Article:
    block = Block(BlockKind.PARAGRAPH, "", [Segment(source=text, gap=" ", markup=[InlineMarkup(**vars(e)) for e in markup])
                                            for text, markup in segments])
    block.segments[-1].gap = ""
    return Article([block])


def assert_markup_kept(original: list[tuple[str, list[InlineMarkup]]], article: Article) -> None:
    """Invariant 2: every element exactly once, same markup, nesting kept, non-empty."""
    for (text, markup), segment in zip(original, article.segments(), strict=True):
        assert segment.source == text
        if segment.target is None:  # left untranslated: the source as written
            assert segment.output == apply_markup(text, markup)
            continue
        assert [(e.kind, e.opening, e.closing, e.start, e.end) for e in segment.markup] == \
               [(e.kind, e.opening, e.closing, e.start, e.end) for e in markup]
        spans = [(e.target_start, e.target_end) for e in segment.markup]
        assert all(0 <= s < e <= len(segment.target) for s, e in spans), (segment.target, spans)
        for i, a in enumerate(markup):
            for j in range(i + 1, len(markup)):
                b = markup[j]
                (sa, ea), (sb, eb) = spans[i], spans[j]
                if a.start <= b.start and b.end <= a.end:  # b inside a in the source
                    assert sa <= sb and eb <= ea, (segment.target, a, b, spans)
                else:  # siblings (or b's ancestors are a's siblings): apart in the target
                    assert ea <= sb or eb <= sa, (segment.target, a, b, spans)
        output = segment.output
        for e in segment.markup:  # numbered markup: each piece is written once
            unique = {"link": e.closing, "html": e.opening}.get(e.kind)
            if unique:
                assert output.count(unique) == 1, (output, unique)


class ReorderingEngine:
    """Swaps each pair of words (``a b c d`` → ``b a d c``) and says so in its alignment."""

    name = "reordering"

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.aligned_calls = 0

    @staticmethod
    def _swap(words: list[str]) -> list[int]:
        order = list(range(len(words)))
        for i in range(0, len(words) - 1, 2):
            order[i], order[i + 1] = order[i + 1], order[i]
        return order

    def translate(self, sentences, *, no_repeat_ngram_size=0):
        return [text for text, _ in self._run(sentences)]

    def translate_aligned(self, sentences, *, no_repeat_ngram_size=0):
        self.aligned_calls += 1
        return self._run(sentences)

    def _run(self, sentences):
        self.seen.extend(sentences)
        answers = []
        for sentence in sentences:
            words = sentence.split()
            order = self._swap(words)
            answers.append((" ".join(words[i] for i in order), [(i, position) for position, i in enumerate(order)]))
        return answers


class RecordingEngine(IdentityTranslator):
    def __init__(self) -> None:
        self.seen: list[str] = []

    def translate(self, sentences, *, no_repeat_ngram_size=0):
        self.seen.extend(sentences)
        return super().translate(sentences)

    def translate_aligned(self, sentences, *, no_repeat_ngram_size=0):
        self.seen.extend(sentences)
        return super().translate_aligned(sentences)


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.lists(marked_segments(), min_size=1, max_size=3))
def test_markup_never_changes_what_the_model_sees(segments) -> None:
    """Invariant 1: the sentences sent for the marked-up article are those sent for the plain one."""
    marked, plain = RecordingEngine(), RecordingEngine()
    translate_articles([article_of(segments)], marked)
    translate_articles([article_of([(text, []) for text, _ in segments])], plain)
    assert sorted(marked.seen) == sorted(plain.seen)
    assert not any(ch in s for s in marked.seen for ch in ("**", "~~", "](", "<span"))


@FAST
@given(st.lists(marked_segments(), min_size=1, max_size=3))
def test_identity_engine_gives_back_the_marked_source(segments) -> None:
    article = article_of(segments)
    translate_articles([article], IdentityTranslator(), keep_number_format=True)  # 9.000 stays 9.000
    assert_markup_kept(segments, article)
    for (text, markup), segment in zip(segments, article.segments()):
        assert segment.output == apply_markup(text, markup)
        assert "markup_moved" not in segment.flags


@FAST
@given(st.lists(marked_segments(), min_size=1, max_size=3))
def test_reordering_engine_keeps_every_element(segments) -> None:
    article = article_of(segments)
    engine = ReorderingEngine()
    translate_articles([article], engine)
    assert_markup_kept(segments, article)
    assert (engine.aligned_calls > 0) == any(markup for _, markup in segments)


def test_reordering_engine_moves_markup_with_its_words() -> None:
    text = "Il gatto nero dorme sul divano."
    markup = [element("strong", text, "nero", "**", "**"), element("link", text, "sul divano", "[", "](u)")]
    article = article_of([(text, markup)])
    translate_articles([article], ReorderingEngine())
    (segment,) = article.segments()
    assert segment.output == "gatto Il dorme **nero** [divano. sul](u)."
    assert "markup_moved" not in segment.flags
    assert segment.output.replace("**", "").replace("[", "").replace("](u)", "") == segment.target


def test_plain_text_never_asks_for_alignment() -> None:
    engine = ReorderingEngine()
    translate_articles([article_of([(LINES[0], []), (LINES[1], [])])], engine)
    assert engine.aligned_calls == 0 and len(engine.seen) == 2


def test_verbatim_spans_are_masked_and_come_back() -> None:
    text = "Esegui pip install it2en e poi riprova."
    start = text.index("pip install it2en")
    segment = Segment(source=text, verbatim=[(start, start + len("pip install it2en"))],
                      markup=[element("code", text, "pip install it2en", "`", "`")])
    article = Article([Block(BlockKind.PARAGRAPH, "", [segment])])
    engine = RecordingEngine()
    translate_articles([article], engine)
    assert all("pip" not in s for s in engine.seen)
    assert segment.output == "Esegui `pip install it2en` e poi riprova."


def test_kept_english_and_untranslatable_segments_keep_their_markup() -> None:
    english = "This is **clearly** written in English and it has the usual words."
    text, markup = strip_markup(english)
    article = article_of([(text, markup), ("***", [])])
    translate_articles([article], ReorderingEngine())
    assert "kept_english" in article.segments()[0].flags
    assert article.segments()[0].output == english


class ShortEngine(ReorderingEngine):
    def _run(self, sentences):
        self.seen.extend(sentences)
        return [("Ok", [(0, 0)]) for _ in sentences]


def test_markup_moved_is_a_warning_and_fails_strict() -> None:
    text = "Il gatto dorme sul divano di casa."
    markup = [element("emphasis", text, "gatto", "*", "*"), element("strong", text, "divano", "**", "**"),
              element("link", text, "casa", "[", "](u)")]
    article = article_of([(text, markup)])
    translate_articles([article], ShortEngine())
    (segment,) = article.segments()
    assert "markup_moved" in segment.flags
    assert segment.output.count("**") == 2 and segment.output.count("](u)") == 1
    assert has_problems(article) and "markup_moved" in problems(article)[0]
    # one character cannot hold three elements: the sentence stays as written, flagged
    class TinyEngine(ShortEngine):
        def _run(self, sentences):
            return [("O", [(0, 0)]) for _ in sentences]
    article = article_of([(text, markup)])
    translate_articles([article], TinyEngine())
    (segment,) = article.segments()
    assert segment.target is None and "markup_moved" in segment.flags
    assert segment.output == apply_markup(text, markup)


def test_an_element_across_a_cut_is_written_once() -> None:
    text = ", ".join(["uno due tre quattro"] * 12) + "."
    markup = [InlineMarkup("strong", 4, len(text) - 1, "**", "**"), element("emphasis", text, "tre", "*", "*", 7)]
    article = article_of([(text, markup)])
    translate_articles([article], IdentityTranslator(), segment_tokens=20)
    assert len(article.segments()) > 1
    assert "".join(s.output + s.gap for s in article.segments()) == apply_markup(text, markup)


# ----------------------------------------------------------------------------- the tiny model

@pytest.fixture(scope="module", params=["ctranslate2", "transformers"])
def tiny_engine(request: pytest.FixtureRequest, tiny_model_dir: Path, tiny_ct2_dir: Path):
    small = GenerationSettings(beams=2, max_new_tokens_factor=1.0, max_new_tokens_extra=2)
    if request.param == "ctranslate2":
        from it2en.engines.ctranslate2 import CTranslate2Translator

        return CTranslate2Translator(tiny_ct2_dir, generation=small, quiet=True)
    from it2en.engines.transformers import TransformersTranslator

    return TransformersTranslator(tiny_model_dir, generation=small, quiet=True)


def test_tiny_model_keeps_every_element(tiny_engine) -> None:
    @settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
    @given(st.lists(marked_segments(), min_size=1, max_size=2))
    def check(segments) -> None:
        article = article_of(segments)
        translate_articles([article], tiny_engine)
        assert_markup_kept(segments, article)

    check()
