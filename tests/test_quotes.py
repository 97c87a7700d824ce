"""Quotation marks the model drops come back around their aligned words, or the sentence says so.

A fake engine that drops quotation marks and returns a known alignment checks the placement;
the published outputs of the real opus-mt-it-en give real drops; both tiny-model engines (whose
alignments mean nothing) check the invariants: marks are put back or the sentence is flagged
``quote_dropped``, never invented, never lost silently.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from it2en import formats
from it2en.engines import IdentityTranslator
from it2en.engines.ctranslate2 import CTranslate2Translator
from it2en.engines.transformers import TransformersTranslator
from it2en.fidelity.quotes import count_marks, quoted_spans, restore_quotes
from it2en.generation import GenerationSettings
from it2en.pipeline import translate_articles

from conftest import CORPUS, FLORES

OPUS = CORPUS / "opus-mt-outputs"
PUBLISHED = list(zip((OPUS / "newssyscomb2009.ita").read_text(encoding="utf-8").splitlines(),
                     (OPUS / "newssyscomb2009.ita-eng.output").read_text(encoding="utf-8").splitlines(), strict=True))
"""The real opus-mt-it-en's translations of the WMT news lines, line by line."""
QUOTED_FLORES = [line for line in (FLORES / "ita_Latn.dev").read_text(encoding="utf-8").splitlines()
                 if count_marks(line)]


def without_marks(text: str) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with its double quotation marks dropped, and each word aligned to itself."""
    kept = [(i, "".join(c for c in word if c not in '"“”«»')) for i, word in enumerate(text.split())]
    kept = [(i, word) for i, word in kept if word]
    return " ".join(word for _, word in kept), [(i, j) for j, (i, _) in enumerate(kept)]


class DropsQuotes:
    """An engine that answers each sentence (itself, or what ``answers`` holds for it) without its
    quotation marks; ``translate_aligned`` adds the alignment ``alignments`` holds, else each
    word to itself. With ``inner``: the inner engine's answers and alignments, marks dropped."""

    name = "drops-quotes"

    def __init__(self, answers: dict[str, str] | None = None,
                 alignments: dict[str, list[tuple[int, int]]] | None = None, *, inner=None) -> None:
        self.answers, self.alignments, self.inner = answers or {}, alignments or {}, inner
        self.aligned_calls: list[str] = []

    def _answers(self, sentences: list[str], options: dict) -> list[tuple[str, list[tuple[int, int]]]]:
        if self.inner is None:
            results = []
            for sentence in sentences:
                text, diagonal = without_marks(self.answers.get(sentence, sentence))
                results.append((text, self.alignments.get(sentence, diagonal)))
            return results
        results = []
        for raw, alignment in self.inner.translate_aligned(sentences, **options):
            text, kept = without_marks(raw)
            new_index = {old: new for new, (old, _) in enumerate(kept)}
            results.append((text, [(i, new_index[j]) for i, j in alignment if j in new_index]))
        return results

    def translate(self, sentences, *, no_repeat_ngram_size=0):
        options = {"no_repeat_ngram_size": no_repeat_ngram_size} if no_repeat_ngram_size else {}
        return [text for text, _ in self._answers(sentences, options)]

    def translate_aligned(self, sentences, *, no_repeat_ngram_size=0):
        self.aligned_calls += sentences
        options = {"no_repeat_ngram_size": no_repeat_ngram_size} if no_repeat_ngram_size else {}
        return self._answers(sentences, options)


class DropsQuotesUnaligned:
    """:class:`DropsQuotes` without ``translate_aligned``: an engine that gives no alignment."""

    name = "drops-quotes"

    def __init__(self, answers: dict[str, str] | None = None) -> None:
        self.inner = DropsQuotes(answers)

    def translate(self, sentences, *, no_repeat_ngram_size=0):
        return self.inner.translate(sentences, no_repeat_ngram_size=no_repeat_ngram_size)


class Answers:
    """An engine that answers with the given translations as they are (no alignment)."""

    name = "answers"

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers

    def translate(self, sentences, *, no_repeat_ngram_size=0):
        return [self.answers.get(s, s) for s in sentences]


def translated(text: str, engine) -> list:
    """The segments of ``text`` (plain text) translated by ``engine``, numbers as written."""
    article = formats.parse(text, name="a.txt", input_format="text")
    translate_articles([article], engine, keep_number_format=True)
    return list(article.translatable_segments())


# ----------------------------------------------------------------------------- the rules


def test_quotations_pair_by_kind_and_straight_marks_by_their_neighbours():
    text = 'Il "Traffic Flow" (ovvero «flusso del “traffico”») e un "segno.'
    pairs, unpaired = quoted_spans(text)
    assert [text[a:b + 1] for a, b in pairs] == ['"Traffic Flow"', "«flusso del “traffico”»", "“traffico”"]
    assert [text[i] for i in unpaired] == ['"']


def test_a_dropped_quotation_goes_around_its_aligned_words_in_the_source_style():
    source = "Lo prevede la legge 353/2000, “finalizzata alla tutela della vita”."
    target = "This is provided for by Law 353/2000, aimed at protecting life."
    alignment = [(0, 0), (1, 2), (3, 5), (4, 6), (5, 7), (5, 8), (7, 9), (9, 10)]
    repair = restore_quotes(source, target, alignment)
    assert repair.text == "This is provided for by Law 353/2000, “aimed at protecting life”."
    assert (repair.restored, repair.dropped) == (1, 0)


def test_a_quotation_before_a_comma_closes_before_it():
    source = '"È un diritto di tutti e una conquista sociale", spiega il presidente.'
    target = "It is a right of all and a social achievement, explains the president."
    alignment = [(0, 0), (0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7), (8, 8), (7, 9), (9, 10),
                 (10, 11), (11, 12)]
    assert restore_quotes(source, target, alignment).text == (
        '"It is a right of all and a social achievement", explains the president.')


def test_a_dropped_gloss_gets_no_invented_marks():
    source = 'Il "Traffic Flow" (ovvero "flusso del traffico") è importante.'
    target = "Traffic Flow is important."
    repair = restore_quotes(source, target, [(1, 0), (2, 1), (7, 2), (8, 3)])  # the gloss: no target word
    assert repair.text == '"Traffic Flow" is important.'
    assert (repair.restored, repair.dropped) == (1, 1)


def test_without_alignment_nothing_is_placed_and_the_loss_is_counted():
    repair = restore_quotes('È uno di questi famigerati "Wildbiesler".', "He is one of these infamous Wildbiesler.", None)
    assert repair.text == "He is one of these infamous Wildbiesler." and (repair.restored, repair.dropped) == (0, 1)


def test_a_quotation_the_translation_kept_is_not_doubled():
    source = 'Ha detto "sì" e poi "no".'
    target = 'He said "yes" and then no.'
    repair = restore_quotes(source, target, [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 5)])
    assert repair.text == 'He said "yes" and then "no".' and repair.restored == 1


def test_unpaired_marks_of_a_quotation_over_several_sentences_go_back_at_their_edge():
    assert restore_quotes("«Andiamo a casa.", "Let's go home.", None).text == "«Let's go home."
    assert restore_quotes("patrimonio comune dell‘umanità.\"", "common heritage of humanity.", None).text == (
        'common heritage of humanity."')
    assert restore_quotes("ha dichiarato: «Sono contento.", "he said: I'm happy.",
                          [(0, 0), (1, 1), (2, 2), (3, 3)]).text == "he said: «I'm happy."


@pytest.mark.parametrize("line", QUOTED_FLORES[:40])
def test_flores_sentences_get_every_dropped_mark_back_with_a_faithful_alignment(line):
    target, alignment = without_marks(line)
    assert restore_quotes(line, target, alignment).text == line


# ----------------------------------------------------------------------------- the real model's drops


def test_published_real_outputs_drop_marks_and_get_them_back():
    """The real opus-mt-it-en dropped the marks of ``"Wildbiesler"``: put back with an alignment
    of its words, flagged ``quote_dropped`` without one."""
    source, published = next((s, o) for s, o in PUBLISHED if "Wildbiesler" in s)
    assert published == "Bob is one of these infamous Wildbiesler."
    alignment = [(0, 0), (2, 1), (3, 2), (4, 3), (5, 4), (6, 5), (7, 6)]  # "insomma": no counterpart
    (segment,) = translated(source + "\n", DropsQuotes({source: published}, {source: alignment}))
    assert segment.target == 'Bob is one of these infamous "Wildbiesler".'
    assert "quote_restored" in segment.flags and "quote_dropped" not in segment.flags
    (segment,) = translated(source + "\n", DropsQuotesUnaligned({source: published}))
    assert segment.target == published and "quote_dropped" in segment.flags


def test_no_published_output_loses_a_mark_silently():
    """Every real output with quotation marks in its source, answered as published (no
    alignment): as many marks as the source, or flagged; none added."""
    lines = {s: o for s, o in PUBLISHED if count_marks(s)}
    segments = [s for s in translated("\n\n".join(lines) + "\n", Answers(lines)) if count_marks(s.source)]
    losing = [s for s in segments if count_marks(s.target) < count_marks(s.source)]
    assert losing and all("quote_dropped" in s.flags for s in losing)
    assert all("quote_dropped" not in s.flags for s in segments if s not in losing)


# ----------------------------------------------------------------------------- the pipeline


def test_every_flores_quotation_comes_back_when_the_engine_drops_them_all(engine_cli, tmp_path):
    """Identity without its marks, aligned word to word: the article comes back as written, and
    only the answers that lost marks were asked for an alignment."""
    text = "\n\n".join(QUOTED_FLORES) + "\n"
    engine = DropsQuotes()
    segments = translated(text, engine)
    assert all(s.target == s.source and "quote_restored" in s.flags for s in segments if count_marks(s.source))
    assert all("quote_restored" not in s.flags for s in segments if not count_marks(s.source))
    assert all(count_marks(sentence) for sentence in engine.aligned_calls)  # only those were asked again
    assert len(set(engine.aligned_calls)) == len({s.source for s in segments if count_marks(s.source)})
    (tmp_path / "a.txt").write_text(QUOTED_FLORES[1] + "\n", encoding="utf-8")
    result = engine_cli(DropsQuotes(), "a.txt", "-f", "json", "-q")
    (segment,) = [s for b in json.loads(result.stdout)["blocks"] for s in b["segments"]]
    assert segment["target"] == QUOTED_FLORES[1] and "quote_restored" in segment["flags"]


def test_without_an_alignment_every_dropped_quotation_is_flagged_never_invented():
    segments = translated("\n\n".join(QUOTED_FLORES) + "\n", DropsQuotesUnaligned())
    quoted = [s for s in segments if count_marks(s.source)]
    for segment in quoted:  # only a quotation's unpaired mark at the sentence's edge is put back by rule
        if count_marks(segment.target) < count_marks(segment.source):
            assert "quote_dropped" in segment.flags
        else:
            assert segment.target == segment.source and not quoted_spans(segment.source)[0]
    assert sum("quote_dropped" in s.flags for s in quoted) > len(quoted) / 2


def test_a_held_out_style_article_keeps_every_mark():
    first = "Lo prevede la legge 353/2000, “finalizzata alla tutela della vita”."
    second = '"È un diritto di tutti e una conquista sociale", spiega il presidente.'
    answers = {first: "This is provided for by Law 353/2000, aimed at protecting life.",
               second: "It is a right of all and a social achievement, explains the president."}
    alignments = {first: [(0, 0), (1, 2), (3, 5), (4, 6), (5, 7), (5, 8), (7, 9), (9, 10)],
                  second: [(0, 0), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7), (8, 8), (7, 9), (9, 10),
                           (10, 11), (11, 12)]}
    segments = translated(f"{first} {second}\n", DropsQuotes(answers, alignments))
    assert [s.target for s in segments] == [
        "This is provided for by Law 353/2000, “aimed at protecting life”.",
        '"It is a right of all and a social achievement", explains the president.']
    assert all("quote_restored" in s.flags for s in segments)


SETTINGS = GenerationSettings(beams=1, max_new_tokens_factor=1.0, max_new_tokens_extra=2)


@pytest.mark.parametrize("backend", ["transformers", "ctranslate2"])
def test_both_engines_put_marks_back_or_flag_them(backend, tiny_model_dir: Path, tiny_ct2_dir: Path):
    """The tiny model's alignments are random: only the invariants hold."""
    if backend == "transformers":
        inner = TransformersTranslator(tiny_model_dir, generation=SETTINGS, quiet=True)
    else:
        inner = CTranslate2Translator(tiny_ct2_dir, generation=SETTINGS, quiet=True)
    engine = DropsQuotes(inner=inner)
    segments = translated("\n\n".join(sorted(QUOTED_FLORES, key=len)[:4]) + "\n", engine)
    quoted = [s for s in segments if count_marks(s.source)]
    assert quoted and engine.aligned_calls
    for segment in quoted:
        assert count_marks(segment.target) <= count_marks(segment.source)  # never invented
        assert "quote_restored" not in segment.flags or count_marks(segment.target) > 0
        assert count_marks(segment.target) == count_marks(segment.source) or "quote_dropped" in segment.flags
        for mark in re.findall(r'["“”«»]', segment.target):
            assert mark in segment.source  # the source's style


def test_inspect_lists_each_quotation_it_watches(tmp_path):
    from typer.testing import CliRunner

    from it2en.cli import app

    (tmp_path / "a.txt").write_text('Bob è uno di questi famigerati "Wildbiesler". Dice «sì».\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["inspect", str(tmp_path / "a.txt")], catch_exceptions=False)
    assert result.exit_code == 0
    assert 'quotation: "Wildbiesler"' in result.stdout and "quotation: «sì»" in result.stdout
