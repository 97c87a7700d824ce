"""Articles → translated articles: one engine, every unique sentence once, results put back.

The sentences of all articles are de-duplicated and sent to the engine in article order, a
chunk at a time, so an article is complete (and can be written) as soon as its last sentence
comes back, while the engine still sees large sorted batches. Each translation is restored
(placeholders, capitals, final punctuation, quotation style), checked, and retried once with
safer decoding when a check flags it; the better attempt is kept with its flags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable

from it2en.fidelity import checks, placeholders, postedit
from it2en.article import Article, Block, Segment
from it2en.engines import Translator
from it2en.sentences import split_long

if TYPE_CHECKING:
    from it2en.memory import GuardedMemory

# Sentences longer than this many tokens are cut at clause boundaries before translation:
# half of opus-mt's 512-position limit, past which its output degrades and the cap bites.
DEFAULT_SEGMENT_TOKENS = 256
CHUNK_SENTENCES = 256
RETRY_NO_REPEAT_NGRAM = 3
# Segment notes that describe what was done, not a problem: they never fail --strict.
INFO_FLAGS = frozenset({"kept_english", "split", "retried"})


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
    glossary: tuple = ()
    """The glossary entries applied to ``text``: part of its translation memory key."""
    kept: str | None = None
    """The model answer the first user kept (the better attempt): what the memory stores."""


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
            for index, (text, gap) in enumerate(parts):
                last = index == len(parts) - 1
                pieces.append(Segment(source=text, gap=gap + (segment.gap if last else ""),
                                      translatable=checks.is_translatable(text), split=True))
        block.segments = pieces
    return cut


def _prepare(block: Block, segment: Segment, shouting: bool) -> _Prepared:
    text = postedit.to_sentence_case(segment.source) if shouting else segment.source
    return _Prepared(segment, placeholders.protect(text), shouting, block.source)


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
    memory: GuardedMemory | None = None,
) -> list[Article]:
    """Translate the articles in place; call ``on_article_done`` as each one completes.

    ``on_progress(done, total)`` counts unique sentences sent to the engine. With ``memory``,
    human entries are taken first, remembered model answers next, and only the remaining
    sentences reach the engine; each finished article's new answers are stored in one go.
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
                    segment.target, segment.origin = human[segment.source], "human"
                    continue
                if checks.looks_english(segment.source):
                    segment.target = segment.source
                    segment.flags.append("kept_english")
                    continue
                prepared = _prepare(block, segment, shouting)
                job = jobs.setdefault(prepared.protected.text, _Job(
                    prepared.protected.text, glossary=tuple(getattr(prepared, "glossary", ()))))
                job.users.append((article, prepared))
                needed.add(job.text)
        pending[id(article)] = len(needed)
    ordered = list(jobs.values())
    if memory is not None:
        remembered = memory.machine({job.text: (job.text, job.glossary) for job in ordered})
        for job in ordered:
            if job.text in remembered:
                _recall(job, remembered[job.text].target, remembered[job.text].flags)
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
        outputs = engine.translate([job.text for job in chunk])
        flagged = [job for job, raw in zip(chunk, outputs, strict=True) if _apply(job, raw)]
        if flagged:
            retried = engine.translate([job.text for job in flagged], no_repeat_ngram_size=RETRY_NO_REPEAT_NGRAM)
            for job, raw in zip(flagged, retried, strict=True):
                _apply(job, raw, retry=True)
        on_progress(start + len(chunk), len(ordered))
        for job in chunk:
            for article in {id(a): a for a, _ in job.users}.values():
                pending[id(article)] -= 1
                if pending[id(article)] == 0:
                    article_done(article)
    return articles


def _recall(job: _Job, raw: str, stored_flags: list[str]) -> None:
    """Put a remembered answer into every segment that asked for it, as if the model had given it:
    post-editing and checks run again, and the flags stored with it come back (they warn again)."""
    for _, prepared in job.users:
        target, flags = _finish(prepared, raw)
        segment = prepared.segment
        info = [f for f in segment.flags if f in INFO_FLAGS]
        segment.target, segment.origin = target, "memory"
        segment.flags = info + flags + [f for f in stored_flags if f not in flags and f not in info]


def _new_entries(article: Article, texts: set[str], jobs: dict[str, _Job], memory: GuardedMemory) -> list:
    """The model answers this article brought that the memory does not hold yet (each once)."""
    from it2en.memory import Entry

    entries = []
    for text in texts:
        job = jobs[text]
        if job.kept is None:
            continue
        flags = job.users[0][1].segment.flags
        entries.append(Entry.machine(job.text, job.kept, memory.context, job.glossary, flags))
        job.kept = None  # stored with the first article that needed it
    return entries


def _apply(job: _Job, raw: str, *, retry: bool = False) -> bool:
    """Put one model answer into every segment that asked for it; True if any was flagged.

    On a retry, a segment takes the new answer only if its checks come out better.
    """
    flagged = False
    for index, (_, prepared) in enumerate(job.users):
        target, flags = _finish(prepared, raw)
        segment = prepared.segment
        info = [f for f in segment.flags if f in INFO_FLAGS]
        if retry:
            old = [f for f in segment.flags if f not in INFO_FLAGS]
            if checks.score(flags) < checks.score(old):
                segment.target, segment.flags = target, info + flags
                job.kept = raw if index == 0 else job.kept
            segment.flags.append("retried")
        else:
            segment.target, segment.flags = target, info + flags
            job.kept = raw if index == 0 else job.kept
        segment.origin = "model"
        flagged = flagged or bool(flags)
    return flagged


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
