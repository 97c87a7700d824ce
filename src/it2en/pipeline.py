"""Articles → translated articles: one engine, every unique sentence once, results put back.

The sentences of all articles are de-duplicated and sent to the engine in article order, a
chunk at a time, so an article is complete (and can be written) as soon as its last sentence
comes back, while the engine still sees large sorted batches. Each translation is restored
(placeholders, capitals, final punctuation, quotation style), checked, and retried once with
safer decoding when a check flags it; the better attempt is kept with its flags.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Iterable

from it2en.fidelity import checks, markup, placeholders, postedit
from it2en.article import Article, Block, Segment
from it2en.engines import Alignment, Translator, translate_aligned
from it2en.sentences import split_long

# Sentences longer than this many tokens are cut at clause boundaries before translation:
# half of opus-mt's 512-position limit, past which its output degrades and the cap bites.
DEFAULT_SEGMENT_TOKENS = 256
CHUNK_SENTENCES = 256
RETRY_NO_REPEAT_NGRAM = 3
# Segment notes that describe what was done, not a problem: they never fail --strict.
INFO_FLAGS = frozenset({"kept_english", "split", "retried"})
# Where the inline markup went, not how good the translation is: never retried for, never
# weighed against a retry's flags; still a warning, and --strict fails on it.
PLACEMENT_FLAGS = frozenset({"markup_moved"})


@dataclass
class _Prepared:
    """What the model sees for one segment, and what is needed to put its answer back."""

    segment: Segment
    protected: placeholders.Protected
    shouting: bool
    context: str
    """The block's text: the quotation style to follow when the segment shows none itself."""


@dataclass
class _Job:
    text: str
    users: list[tuple[Article, _Prepared]] = field(default_factory=list)
    aligned: bool = False
    """A user carries inline markup: the engine is asked for a word alignment too."""


def split_overlong(article: Article, count_tokens: Callable[[str], int], limit: int) -> int:
    """Cut every segment over ``limit`` tokens into clause-sized pieces; return how many were cut."""
    cut = 0
    for block in article.blocks:
        pieces: list[Segment] = []
        for segment in block.segments:
            if not segment.translatable or count_tokens(segment.source) <= limit:
                pieces.append(segment)
                continue
            parts = split_long(segment.source, count_tokens, limit)
            cut += 1
            cut_pieces = []
            for index, (text, gap) in enumerate(parts):
                last = index == len(parts) - 1
                cut_pieces.append(Segment(source=text, gap=gap + (segment.gap if last else ""),
                                          translatable=checks.is_translatable(text), split=True,
                                          cut_from=segment))
            _share_markup(segment, cut_pieces)
            pieces.extend(cut_pieces)
        block.segments = pieces
    return cut


def _share_markup(whole: Segment, pieces: list[Segment]) -> None:
    """Give each piece of a cut segment its part of the inline markup and verbatim spans.

    An element that runs across a cut keeps its opening on the first piece it covers and its
    closing on the last (the other side of each part is empty), so it is still written once.
    A verbatim span across a cut is not masked (it is still verified).
    """
    offsets, at = [], 0
    for piece in pieces:  # each piece owns its source and the gap after it
        offsets.append(at)
        at += len(piece.source) + len(piece.gap)
    for element in whole.markup:
        covered = [n for n, piece in enumerate(pieces)
                   if element.start < offsets[n] + len(piece.source) + len(piece.gap) and offsets[n] < element.end]
        for n in covered:
            start = min(max(element.start - offsets[n], 0), len(pieces[n].source))
            end = min(element.end - offsets[n], len(pieces[n].source))
            pieces[n].markup.append(replace(
                element, start=start, end=max(start, end),
                opening=element.opening if n == covered[0] else "",
                closing=element.closing if n == covered[-1] else ""))
    for piece, offset in zip(pieces, offsets):
        piece.verbatim = [(s - offset, e - offset) for s, e in whole.verbatim
                          if offset <= s and e <= offset + len(piece.source)]


def _prepare(block: Block, segment: Segment, shouting: bool) -> _Prepared:
    text = postedit.to_sentence_case(segment.source) if shouting else segment.source
    return _Prepared(segment, placeholders.protect(text, segment.verbatim), shouting, block.source)


def _finish(prepared: _Prepared, raw: str) -> tuple[str, list[str]]:
    """Turn the model's answer into the segment's target, and check it."""
    source = prepared.segment.source
    text, lost = placeholders.restore(raw, prepared.protected)
    cleaned = checks.strip_known_junk(text, source)
    junk, text = cleaned != text, cleaned
    if prepared.shouting:
        text = postedit.to_upper(text)
    text = postedit.match_final_punctuation(source, text)
    text = postedit.match_quote_style(source, text, context=prepared.context)
    flags = checks.check_translation(source, text, verbatim=placeholders.verbatim_spans(source))
    if lost and "placeholder_lost" not in flags:
        flags.append("placeholder_lost")
    if junk and "junk_appended" not in flags:
        flags.append("junk_appended")  # removed, but said: a retry may give a cleaner sentence
    return text, flags


def translate_articles(
    articles: Iterable[Article],
    engine: Translator,
    *,
    segment_tokens: int = DEFAULT_SEGMENT_TOKENS,
    on_article_done: Callable[[Article], None] = lambda article: None,
    on_progress: Callable[[int, int], None] = lambda done, total: None,
    chunk_sentences: int = CHUNK_SENTENCES,
) -> list[Article]:
    """Translate the articles in place; call ``on_article_done`` as each one completes.

    ``on_progress(done, total)`` counts unique sentences sent to the engine.
    """
    articles = list(articles)
    count_tokens = getattr(engine, "count_tokens", estimate_tokens)
    jobs: dict[str, _Job] = {}
    pending: dict[int, int] = {}
    for article in articles:
        split_overlong(article, count_tokens, segment_tokens)
        needed = set()
        for block in article.blocks:
            shouting = postedit.is_shouting(block.source)
            for segment in block.segments:
                if not segment.translatable:
                    continue
                if segment.split:
                    segment.flags.append("split")
                if checks.looks_english(segment.source):
                    segment.target = segment.source
                    for element in segment.markup:  # the source's own places
                        element.target_start, element.target_end = element.start, element.end
                    segment.flags.append("kept_english")
                    continue
                prepared = _prepare(block, segment, shouting)
                job = jobs.setdefault(prepared.protected.text, _Job(prepared.protected.text))
                job.users.append((article, prepared))
                job.aligned = job.aligned or bool(segment.markup)
                needed.add(job.text)
        pending[id(article)] = len(needed)
    for article in articles:
        if pending[id(article)] == 0:
            on_article_done(article)
    ordered = list(jobs.values())
    on_progress(0, len(ordered))
    for start in range(0, len(ordered), chunk_sentences):
        chunk = ordered[start : start + chunk_sentences]
        outputs = _translate(engine, chunk)
        flagged = [job for job, (raw, alignment) in zip(chunk, outputs, strict=True) if _apply(job, raw, alignment)]
        if flagged:
            retried = _translate(engine, flagged, no_repeat_ngram_size=RETRY_NO_REPEAT_NGRAM)
            for job, (raw, alignment) in zip(flagged, retried, strict=True):
                _apply(job, raw, alignment, retry=True)
        on_progress(start + len(chunk), len(ordered))
        for job in chunk:
            for article in {id(a): a for a, _ in job.users}.values():
                pending[id(article)] -= 1
                if pending[id(article)] == 0:
                    on_article_done(article)
    return articles


def _translate(engine: Translator, jobs: list[_Job], **options: int) -> list[tuple[str, Alignment | None]]:
    """The engine's answer for each job, in order; with a word alignment for jobs that need one.

    Plain sentences go through ``engine.translate`` as always: only sentences with inline
    markup pay for the alignment."""
    answers: dict[int, tuple[str, Alignment | None]] = {}
    plain = [job for job in jobs if not job.aligned]
    marked = [job for job in jobs if job.aligned]
    if plain:
        for job, raw in zip(plain, engine.translate([job.text for job in plain], **options), strict=True):
            answers[id(job)] = (raw, None)
    if marked:
        for job, answer in zip(marked, translate_aligned(engine, [job.text for job in marked], **options), strict=True):
            answers[id(job)] = answer
    return [answers[id(job)] for job in jobs]


def _apply(job: _Job, raw: str, alignment: Alignment | None = None, *, retry: bool = False) -> bool:
    """Put one model answer into every segment that asked for it; True if any was flagged.

    On a retry, a segment takes the new answer only if its checks come out better.
    """
    flagged = False
    for _, prepared in job.users:
        target, flags = _finish(prepared, raw)
        segment = prepared.segment
        info = [f for f in segment.flags if f in INFO_FLAGS]
        taken = True
        if retry:
            old = [f for f in segment.flags if f not in INFO_FLAGS and f not in PLACEMENT_FLAGS]
            taken = checks.score(flags) < checks.score(old)
            if taken:
                segment.target, segment.flags = target, info + flags
            segment.flags.append("retried")
        else:
            segment.target, segment.flags = target, info + flags
        if taken and segment.markup:
            _place_markup(prepared, raw, alignment)
        flagged = flagged or bool(flags)
    return flagged


def _place_markup(prepared: _Prepared, raw: str, alignment: Alignment | None) -> None:
    """Set the target offsets of the segment's inline elements (``markup_moved`` if by rule).

    The engine aligned the words of the masked sentence with those of its raw answer; both are
    mapped onto the plain source and the final target (placeholders restored, punctuation and
    quotes post-edited) first. A target too short to hold every element leaves the segment
    untranslated, its markup where the source has it, and flagged.
    """
    segment = prepared.segment
    projected = None
    if alignment is not None:
        projected = markup.project_alignment(
            alignment,
            markup.map_words(prepared.protected.text.split(), segment.source.split()),
            markup.map_words(raw.split(), segment.target.split()),
        )
    try:
        segment.markup, moved = markup.transfer_markup(segment.source, segment.markup, segment.target, projected)
    except markup.MarkupTransferError:
        segment.target, moved = None, True
    if moved:
        segment.flags.append("markup_moved")


def estimate_tokens(text: str) -> int:
    """A SentencePiece-like estimate for engines without a tokenizer (about 4 characters a token)."""
    return len(text) // 4 + 2


def problems(article: Article) -> list[str]:
    """One line per flagged or split segment: ``NAME: segment N: flags: source…``."""
    lines = []
    for number, segment in enumerate(article.translatable_segments(), start=1):
        issues = [f for f in segment.flags if f not in INFO_FLAGS or f == "split"]  # a cut is said
        if issues:
            excerpt = segment.source if len(segment.source) <= 60 else segment.source[:57] + "…"
            lines.append(f"{_printable(article.name)}: segment {number}: {', '.join(issues)}: "
                         f"{_printable(excerpt)}")
    return lines


def _printable(text: str) -> str:
    """``text`` with control characters and line separators escaped (``\\x1b``, ``\\u2028``).

    A warning is one line on a terminal: a form feed, a vertical tab or U+2028 in the source
    must not break it, and an escape sequence copied from the input must not drive the terminal.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else ascii(ch)[1:-1] for ch in text)


def has_problems(article: Article) -> bool:
    """True when a segment carries a flag that --strict fails on."""
    return any(f not in INFO_FLAGS for s in article.segments() for f in s.flags)
