"""Articles → translated articles: one engine, every unique sentence once, results put back.

The sentences of all articles are de-duplicated and sent to the engine in article order, a
chunk at a time, so an article is complete (and can be written) as soon as its last sentence
comes back, while the engine still sees large sorted batches. Each translation is restored
(placeholders, capitals, final punctuation, quotation style), checked, and retried once with
safer decoding when a check flags it; the better attempt is kept with its flags.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable, Iterable

from it2en.fidelity import checks, markup, numbers, placeholders, postedit, quotes, rescue
from it2en.fidelity import glossary as glossary_module
from it2en.article import INFORMATIONAL_FLAGS, Article, Block, Segment
from it2en.engines import Alignment, Translation, Translator, translate_detailed
from it2en.sentences import split_long

if TYPE_CHECKING:
    from it2en.fidelity.glossary import Glossary
    from it2en.memory import Entry, GuardedMemory

# Sentences longer than this many tokens are cut at clause boundaries before translation:
# half of opus-mt's 512-position limit, past which its output degrades and the cap bites.
DEFAULT_SEGMENT_TOKENS = 256
CHUNK_SENTENCES = 256
RETRY_NO_REPEAT_NGRAM = 3
# Segment notes that describe what was done, not a problem: they never fail --strict.
# Where the inline markup went, not how good the translation is: never retried for, never
# weighed against a retry's flags; still a warning, and --strict fails on it.
PLACEMENT_FLAGS = frozenset({"markup_moved", "quote_restored"})


@dataclass
class _Prepared:
    """What the model sees for one segment, and what is needed to put its answer back."""

    segment: Segment
    protected: placeholders.Protected
    shouting: bool
    context: str
    """The block's text: the quotation style to follow when the segment shows none itself."""
    keep_number_format: bool = False
    glossary: list[tuple[str, str]] = field(default_factory=list)
    """The glossary entries applied to this segment, as ``(it, en)`` (``en`` empty: kept as is)."""
    lost_tokens: list[int] = field(default_factory=list)
    """The placeholder tokens (by number) missing from the kept attempt: the rescue's work."""


@dataclass
class _Job:
    text: str
    users: list[tuple[Article, _Prepared]] = field(default_factory=list)
    aligned: bool = False
    """A user carries inline markup: the engine is asked for a word alignment too."""
    glossary: tuple = ()
    """The glossary entries applied to ``text``: part of its translation memory key."""
    kept: str | None = None
    """The model answer the first user kept (the better attempt): what the memory stores."""
    kept_confidence: float | None = None
    """The model's confidence in ``kept``: stored with it."""


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


def _prepare(block: Block, segment: Segment, shouting: bool, *, glossary: Glossary | None = None,
             keep_number_format: bool = False) -> _Prepared:
    text = postedit.to_sentence_case(segment.source) if shouting else segment.source
    matches = glossary.find(text) if glossary is not None else []
    protected = placeholders.protect(text, segment.verbatim, english_numbers=not keep_number_format,
                                     terms=[m.span for m in matches])
    masked = {o for o, k in zip(protected.originals, protected.kinds) if k == "glossary"}
    applied = [m.entry.pair for m in matches if m.text in masked]
    segment.conversions = [(o, r) for o, r, k in zip(protected.originals, protected.restored, protected.kinds)
                           if k == "number" and o != r]
    segment.glossary = list(dict.fromkeys(applied))
    return _Prepared(segment, protected, shouting, block.source, keep_number_format, segment.glossary)


def annotate(article: Article, *, glossary: Glossary | None = None, keep_number_format: bool = False) -> None:
    """Record on every translatable segment the number conversions and glossary entries that
    translation will apply, without translating (``inspect``)."""
    for block in article.blocks:
        shouting = postedit.is_shouting(block.source)
        for segment in block.segments:
            if segment.translatable and not checks.looks_english(segment.source):
                _prepare(block, segment, shouting, glossary=glossary, keep_number_format=keep_number_format)


def _finish(prepared: _Prepared, raw: str, alignment: Alignment | None = None) -> tuple[str, list[str]]:
    """Turn the model's answer into the segment's target, and check it.

    ``alignment`` (words of the masked sentence and of ``raw``) puts back the quotation marks
    the model dropped; without it, a dropped quotation is only flagged."""
    source = prepared.segment.source
    text, lost = placeholders.restore(raw, prepared.protected)
    cleaned = checks.strip_known_junk(text, source)
    junk, text = cleaned != text, cleaned
    if prepared.shouting:
        text = postedit.to_upper(text)
    text = postedit.match_final_punctuation(source, text)
    text = postedit.match_quote_style(source, text, context=prepared.context)
    text = postedit.close_quotation(source, text)
    text, quote_flags = _put_back_quotes(prepared, raw, text, alignment)
    if prepared.glossary:
        text = glossary_module.capitalise_start(text, [en for _, en in prepared.glossary])
    plain_source, plain_target = _without_terms(prepared, text)
    put_back = dict(zip(prepared.protected.originals, prepared.protected.restored))
    verbatim = [put_back.get(span, span) for span in placeholders.verbatim_spans(plain_source)]
    if prepared.shouting:
        verbatim = [postedit.to_upper(span) for span in verbatim]
    flags = checks.check_translation(source, text, verbatim=verbatim)
    if numbers.mismatch(plain_source, plain_target, target_italian=prepared.keep_number_format):
        flags.append("number_mismatch")
    if lost and "placeholder_lost" not in flags:
        flags.append("placeholder_lost")
    if junk and "junk_appended" not in flags:
        flags.append("junk_appended")  # removed, but said: a retry may give a cleaner sentence
    return text, flags + quote_flags


def _put_back_quotes(prepared: _Prepared, raw: str, target: str,
                     alignment: Alignment | None) -> tuple[str, list[str]]:
    """``target`` with the source's dropped quotation marks around their aligned words
    (``fidelity.quotes``), and ``quote_restored`` / ``quote_dropped`` when it applies."""
    source = prepared.segment.source
    if quotes.count_marks(target) >= quotes.count_marks(source):
        return target, []
    repair = quotes.restore_quotes(source, target, _projected(prepared, raw, target, alignment))
    return repair.text, (["quote_restored"] if repair.restored else []) + (["quote_dropped"] if repair.dropped else [])


def _without_terms(prepared: _Prepared, target: str) -> tuple[str, str]:
    """The (sentence-cased) source and the target without their glossary terms, for the checks:
    ``Legge 104`` → ``Disability Act`` loses no number."""
    protected = prepared.protected
    source = postedit.to_sentence_case(prepared.segment.source) if prepared.shouting else prepared.segment.source
    for original, restored, kind in zip(protected.originals, protected.restored, protected.kinds):
        if kind == "glossary":
            source = source.replace(original, " ", 1)
            target = target.replace(restored, " ", 1)
    return source, target


def translate_articles(
    articles: Iterable[Article],
    engine: Translator,
    *,
    segment_tokens: int = DEFAULT_SEGMENT_TOKENS,
    on_article_done: Callable[[Article], None] = lambda article: None,
    on_progress: Callable[[int, int], None] = lambda done, total: None,
    chunk_sentences: int = CHUNK_SENTENCES,
    glossary: Glossary | None = None,
    keep_number_format: bool = False,
    memory: GuardedMemory | None = None,
) -> list[Article]:
    """Translate the articles in place; call ``on_article_done`` as each one completes.

    ``on_progress(done, total)`` counts unique sentences sent to the engine. ``glossary``: the
    user's terms, masked and put back in English; ``keep_number_format``: numbers keep the
    source's form instead of the English one. With ``memory``, human entries are taken first,
    remembered model answers next, and only the remaining sentences reach the engine; each
    finished article's new answers are stored in one go. Sentences with inline markup are not
    recalled (the word alignment that places their markup is not stored): they reach the engine.
    """
    articles = list(articles)
    count_tokens = getattr(engine, "count_tokens", estimate_tokens)
    jobs: dict[str, _Job] = {}
    pending: dict[int, int] = {}
    for article in articles:
        split_overlong(article, count_tokens, segment_tokens)
    human = memory.human(s.source for a in articles for s in a.translatable_segments()) if memory else {}
    needed_by: dict[int, set[str]] = {}
    for article in articles:
        needed = needed_by[id(article)] = set()
        for block in article.blocks:
            shouting = postedit.is_shouting(block.source)
            for segment in block.segments:
                if not segment.translatable:
                    continue
                if segment.split:
                    segment.flags.append("split")
                if segment.source in human:
                    segment.target, segment.origin, segment.confidence = human[segment.source], "human", 1.0
                    if segment.markup:  # no alignment with a human sentence: the rule places it
                        _transfer_markup(segment, None)
                    continue
                if checks.looks_english(segment.source):
                    segment.target = segment.source
                    for element in segment.markup:  # the source's own places
                        element.target_start, element.target_end = element.start, element.end
                    segment.flags.append("kept_english")
                    continue
                prepared = _prepare(block, segment, shouting, glossary=glossary,
                                    keep_number_format=keep_number_format)
                job = jobs.setdefault(prepared.protected.text, _Job(
                    prepared.protected.text, glossary=tuple(prepared.glossary)))
                job.users.append((article, prepared))
                job.aligned = job.aligned or bool(segment.markup)
                needed.add(job.text)
        pending[id(article)] = len(needed)
    ordered = list(jobs.values())
    if memory is not None:
        remembered = memory.machine({job.text: (job.text, job.glossary) for job in ordered if not job.aligned})
        for job in ordered:
            if job.text in remembered:
                _recall(job, remembered[job.text])
                for article in {id(a): a for a, _ in job.users}.values():
                    pending[id(article)] -= 1
        ordered = [job for job in ordered if job.text not in remembered]

    def article_done(article: Article) -> None:
        if memory is not None:
            memory.remember(_new_entries(article, needed_by[id(article)], jobs, memory))
        on_article_done(article)

    for article in articles:
        if pending[id(article)] == 0:
            article_done(article)
    on_progress(0, len(ordered))
    for start in range(0, len(ordered), chunk_sentences):
        chunk = ordered[start : start + chunk_sentences]
        outputs = _translate(engine, chunk)
        flagged = [job for job, answer in zip(chunk, outputs, strict=True) if _apply(job, answer)]
        if flagged:
            retried = _translate(engine, flagged, no_repeat_ngram_size=RETRY_NO_REPEAT_NGRAM)
            for job, answer in zip(flagged, retried, strict=True):
                _apply(job, answer, retry=True)
            _rescue([job for job in flagged if any(p.lost_tokens for _, p in job.users)], engine)
        on_progress(start + len(chunk), len(ordered))
        for job in chunk:
            for article in {id(a): a for a, _ in job.users}.values():
                pending[id(article)] -= 1
                if pending[id(article)] == 0:
                    article_done(article)
    return articles


def _translate(engine: Translator, jobs: list[_Job], **options: int) -> list[Translation]:
    """The engine's answer for each job, in order, scored; with a word alignment when a job needs one.

    One call either way, so a sentence is batched (and capped) alike whether or not it or its
    neighbours carry markup: markup never changes a translation. Chunks of plain sentences pay
    nothing for alignment; only an answer with fewer quotation marks than its sentence is asked
    for again, aligned (a few in a hundred)."""
    texts = [job.text for job in jobs]
    if any(job.aligned for job in jobs):
        return translate_detailed(engine, texts, aligned=True, **options)
    answers = translate_detailed(engine, texts, **options)
    lost = [n for n, (text, answer) in enumerate(zip(texts, answers))
            if quotes.count_marks(answer.text) < quotes.count_marks(text)]
    if lost and callable(getattr(engine, "translate_aligned", None)):  # an engine without: the loss is flagged
        for n, answer in zip(lost, translate_detailed(engine, [texts[n] for n in lost], aligned=True, **options)):
            answers[n] = answer
    return answers


def _recall(job: _Job, entry: Entry) -> None:
    """Put a remembered answer into every segment that asked for it, as if the model had given it:
    post-editing and checks run again, the flags stored with it come back (they warn again), and
    so does the confidence stored with it."""
    for _, prepared in job.users:
        target, flags = _finish(prepared, entry.target)
        segment = prepared.segment
        info = [f for f in segment.flags if f in INFORMATIONAL_FLAGS]
        segment.target, segment.origin, segment.confidence = target, "memory", entry.confidence
        segment.flags = info + flags + [f for f in entry.flags if f not in flags and f not in info]


def _new_entries(article: Article, texts: set[str], jobs: dict[str, _Job], memory: GuardedMemory) -> list:
    """The model answers this article brought that the memory does not hold yet (each once)."""
    from it2en.memory import Entry

    entries = []
    for text in texts:
        job = jobs[text]
        flags = job.users[0][1].segment.flags
        if job.kept is None or job.aligned or "quote_restored" in flags:  # alignment not stored: never recalled
            continue
        entries.append(Entry.machine(job.text, job.kept, memory.context, job.glossary, flags,
                                     confidence=job.kept_confidence))
        job.kept = None  # stored with the first article that needed it
    return entries


def _apply(job: _Job, answer: Translation, *, retry: bool = False) -> bool:
    """Put one model answer into every segment that asked for it; True if any was flagged.

    On a retry, a segment takes the new answer only if its checks come out better; the segment's
    confidence is that of the answer it keeps.
    """
    raw, alignment = answer.text, answer.alignment
    flagged = False
    for index, (_, prepared) in enumerate(job.users):
        target, flags = _finish(prepared, raw, alignment)
        segment = prepared.segment
        info = [f for f in segment.flags if f in INFORMATIONAL_FLAGS]
        taken = True
        lost = _lost_tokens(prepared.protected, raw)
        if retry:
            old = [f for f in segment.flags if f not in INFORMATIONAL_FLAGS and f not in PLACEMENT_FLAGS]
            taken = checks.score(_problems(flags)) < checks.score(old)
            if taken:
                _keep(job, index, prepared, target, info + flags, lost, answer)
            segment.flags.append("retried")
        else:
            _keep(job, index, prepared, target, info + flags, lost, answer)
        segment.origin = "model"
        if taken and segment.markup:
            _place_markup(prepared, raw, alignment)
        flagged = flagged or bool(_problems(flags))
    return flagged


def _problems(flags: list[str]) -> list[str]:
    """The flags a retry is for: not where markup or quotation marks were placed."""
    return [f for f in flags if f not in PLACEMENT_FLAGS]


def _keep(job: _Job, index: int, prepared: _Prepared, target: str, flags: list[str], lost: list[int],
          answer: Translation) -> None:
    """Make ``answer`` the segment's translation (the first user's answer is what the memory stores)."""
    segment = prepared.segment
    segment.target, segment.flags, segment.confidence = target, flags, answer.confidence
    prepared.lost_tokens = lost
    if index == 0:
        job.kept, job.kept_confidence = answer.text, answer.confidence


def _place_markup(prepared: _Prepared, raw: str, alignment: Alignment | None) -> None:
    """Set the target offsets of the segment's inline elements (``markup_moved`` if by rule).

    The engine aligned the words of the masked sentence with those of its raw answer; both are
    mapped onto the plain source and the final target (placeholders restored, punctuation and
    quotes post-edited) first. A target too short to hold every element leaves the segment
    untranslated, its markup where the source has it, and flagged.
    """
    _transfer_markup(prepared.segment, _projected(prepared, raw, prepared.segment.target, alignment))


def _projected(prepared: _Prepared, raw: str, target: str, alignment: Alignment | None) -> Alignment | None:
    """The engine's alignment (masked sentence → ``raw``) moved onto the plain source and ``target``."""
    if alignment is None:
        return None
    return markup.project_alignment(
        alignment,
        markup.map_words(prepared.protected.text.split(), prepared.segment.source.split()),
        markup.map_words(raw.split(), target.split()),
    )


def _transfer_markup(segment: Segment, alignment: Alignment | None) -> None:
    try:
        segment.markup, moved = markup.transfer_markup(segment.source, segment.markup, segment.target, alignment)
    except markup.MarkupTransferError:
        segment.target, segment.confidence, moved = None, None, True
    if moved:
        segment.flags.append("markup_moved")


def _lost_tokens(protected: placeholders.Protected, raw: str) -> list[int]:
    found = set(placeholders.token_indices(raw, protected.letter)) if protected.tokens else set()
    return [i for i in range(1, len(protected.tokens) + 1) if i not in found]


def _rescue(jobs: list[_Job], engine: Translator) -> None:
    """Segments whose kept attempt still lacks a placeholder: translate around the lost spans
    (``fidelity.rescue``), keep that, and flag it ``placeholder_rescued``/``glossary_rescued``.

    A rescued segment keeps the confidence of the whole-sentence answer it replaces: the model
    never scored the sentence as it now reads, and the flag sends it to review anyway."""
    if not jobs:
        return
    items = []
    for job in jobs:
        lost = set().union(*(p.lost_tokens for _, p in job.users))
        items.append((job.text, job.users[0][1].protected.letter, lost))
    raws = rescue.translate_around(items, engine.translate)
    for job, raw in zip(jobs, raws, strict=True):
        for _, prepared in job.users:
            if not prepared.lost_tokens or _lost_tokens(prepared.protected, raw):
                continue
            target, flags = _finish(prepared, raw)
            kinds = {prepared.protected.kinds[i - 1] for i in prepared.lost_tokens}
            marks = (["placeholder_rescued"] if kinds - {"glossary"} else []) + (
                ["glossary_rescued"] if "glossary" in kinds else [])
            segment = prepared.segment
            info = [f for f in segment.flags if f in INFORMATIONAL_FLAGS]
            segment.target, segment.flags = target, info + flags + marks
            prepared.lost_tokens = []
            job.kept = raw  # what the memory stores: the rescued answer, tokens and all
            if segment.markup:  # the pieces were translated apart: no alignment, the rule places it
                _place_markup(prepared, raw, None)


def estimate_tokens(text: str) -> int:
    """A SentencePiece-like estimate for engines without a tokenizer (about 4 characters a token)."""
    return len(text) // 4 + 2


def problems(article: Article, review_below: float | None = None) -> list[str]:
    """One line per flagged or split segment: ``NAME: segment N: flags: source…``; with
    ``review_below``, also per segment less confident than that (``confidence 0.31``)."""
    lines = []
    doubtful = {id(s) for s in less_confident(article, review_below)} if review_below is not None else set()
    for number, segment in enumerate(article.translatable_segments(), start=1):
        issues = [f for f in segment.flags if f not in INFORMATIONAL_FLAGS or f == "split"]  # a cut is said
        if id(segment) in doubtful:
            issues.append(f"confidence {segment.confidence:.2f}")
        if issues:
            excerpt = segment.source if len(segment.source) <= 60 else segment.source[:57] + "…"
            lines.append(f"{_printable(article.name)}: segment {number}: {', '.join(issues)}: "
                         f"{_printable(excerpt)}")
    office = article.format in ("docx", "odt")
    where = "paragraph" if office else "line"
    why = ("it holds tracked changes, a field's code or a content control" if office
           else "its markup could not be mapped to the source exactly")
    for line, words in article.kept_as_written:
        lines.append(f"{_printable(article.name)}: {where} {line}: kept_as_written ({why}, so it is not "
                     f"translated): {_printable(words)}")
    return lines


def _printable(text: str) -> str:
    """``text`` with control characters and line separators escaped (``\\x1b``, ``\\u2028``).

    A warning is one line on a terminal: a form feed, a vertical tab or U+2028 in the source
    must not break it, and an escape sequence copied from the input must not drive the terminal.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else ascii(ch)[1:-1] for ch in text)


def has_problems(article: Article, review_below: float | None = None) -> bool:
    """True when a segment carries a flag that --strict fails on, or prose was kept as written;
    with ``review_below``, also when a translated segment's confidence is below it."""
    return bool(article.kept_as_written) or any(
        f not in INFORMATIONAL_FLAGS for s in article.segments() for f in s.flags) or (
        review_below is not None and bool(less_confident(article, review_below)))


def less_confident(article: Article, below: float) -> list[Segment]:
    """The translated segments whose confidence is below ``below`` (a human one never is)."""
    return [s for s in article.segments()
            if s.target is not None and s.confidence is not None and s.confidence < below]
