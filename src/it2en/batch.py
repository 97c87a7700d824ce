"""Many inputs, one run: plan the outputs, contain each input's failure, write as each completes.

Everything that can be refused before the model loads is refused in ``plan()`` (two inputs
mapped to one output, an output that is an input). Reading and decoding errors belong to one
input only: it is reported and the others go on. ``run()`` returns the tally the CLI turns
into its summary line and exit status.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path, PurePath
from typing import BinaryIO, Callable

from it2en import formats, web, writing
from it2en.api import ArticleTranslator
from it2en.article import DEFAULT_REVIEW_BELOW, Article, needs_review
from it2en.errors import It2enError, OutputCreateError, UsageError
from it2en.render import REVIEW_INDEX, WRITERS, OutputMeta, render_review_index

STDIN = "-"
FOLDER_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".odt")


class Status(str, Enum):
    PENDING = "pending"
    TRANSLATED = "translated"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass
class Job:
    """One input and where its translation goes (``output`` None: standard output)."""

    source: str
    output: Path | None
    status: Status = Status.PENDING
    reason: str = ""
    error: It2enError | None = None
    article: Article | None = None
    rendered: str | bytes | None = None


@dataclass
class Summary:
    jobs: list[Job] = field(default_factory=list)
    review_below: float = DEFAULT_REVIEW_BELOW
    """A translated sentence less confident than this needs review (see :func:`needs_review`)."""

    def count(self, status: Status) -> int:
        return sum(job.status is status for job in self.jobs)

    def line(self) -> str:
        line = (f"{self.count(Status.TRANSLATED)} translated, {self.count(Status.SKIPPED)} skipped, "
                f"{self.count(Status.FAILED)} failed")
        return "; ".join(part for part in (line, self.memory_line(), self.review_line()) if part)

    def notes_line(self) -> str:
        """The memory and review counts of one article's run; empty when there is nothing to say."""
        return "; ".join(part for part in (self.memory_line(), self.review_line()) if part)

    def _translated_segments(self) -> list:
        return [s for job in self.jobs if job.article is not None and job.status is Status.TRANSLATED
                for s in job.article.translatable_segments()]

    def review_line(self) -> str:
        """``N of M sentences need review`` (a flag, or a confidence below ``review_below``);
        empty when none does."""
        segments = self._translated_segments()
        count = sum(needs_review(s, self.review_below) for s in segments)
        return f"{count} of {len(segments)} sentences need review" if count else ""

    def memory_line(self) -> str:
        """``N of M sentences from the translation memory (K human)``; empty when none came from it."""
        origins = [s.origin for s in self._translated_segments()]
        remembered = sum(o in ("memory", "human") for o in origins)
        if not remembered:
            return ""
        human = sum(o == "human" for o in origins)
        return (f"{remembered} of {len(origins)} sentences from the translation memory"
                + (f" ({human} human)" if human else ""))


def expand_inputs(inputs: list[str], *, output_dir: Path | None = None,
                  whole_page: bool = False) -> list[tuple[str, PurePath]]:
    """Each input with the relative path its output takes under ``-d`` (folders recurse).

    A folder's files inside ``output_dir`` (``it2en translate inbox -d inbox/english``) are
    earlier outputs, not articles: they are left out, so such a run can be repeated. A web
    address is named by its slug: an article is Markdown, a ``whole_page`` HTML.
    """
    expanded = []
    for item in inputs:
        path = Path(item)
        if web.is_address(item):
            expanded.append((item, PurePath(web.slug(item) + (".html" if whole_page else ".md"))))
        elif item != STDIN and path.is_dir():
            skip = _inside(output_dir, path)
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in FOLDER_SUFFIXES
                           and not (skip and p.relative_to(path).parts[: len(skip)] == skip))
            if not found:
                raise UsageError(f"{item}: the folder holds no .txt, .md, .markdown, .html, .htm, .docx or .odt file to translate.")
            expanded.extend((str(p), p.relative_to(path)) for p in found)
        else:
            expanded.append((item, PurePath("stdin.txt" if item == STDIN else path.name)))
    return expanded


def _inside(output_dir: Path | None, folder: Path) -> tuple[str, ...]:
    """``output_dir`` as path parts relative to ``folder`` when it is a sub-folder of it, else ()."""
    if output_dir is None:
        return ()
    try:
        return output_dir.resolve().relative_to(folder.resolve()).parts
    except ValueError:
        return ()


def plan(
    inputs: list[str],
    *,
    output: Path | None = None,
    output_dir: Path | None = None,
    format: str = "text",
    skip_existing: bool = False,
    overwrite: bool = False,
    whole_page: bool = False,
) -> list[Job]:
    """Map inputs to outputs and refuse, before any work, what cannot be done safely."""
    if output is not None and output_dir is not None:
        raise UsageError("Use either -o/--output (one input) or -d/--output-dir, not both.")
    if skip_existing and overwrite:
        raise UsageError("--skip-existing and --overwrite contradict each other: pick one.")
    if inputs.count(STDIN) > 1:
        raise UsageError("Standard input ('-') can be read only once.")
    expanded = expand_inputs(inputs, output_dir=output_dir, whole_page=whole_page)
    if output is not None and len(expanded) > 1:
        raise UsageError(f"-o/--output takes one input, but {len(expanded)} were given: use -d DIR.")
    if output_dir is None and output is None and len(expanded) > 1 and format != "json":
        raise UsageError(
            f"{len(expanded)} inputs cannot share standard output as {format}: give -d DIR for one "
            "file each, or -f json for JSON Lines."
        )
    writer = WRITERS[format]
    jobs = []
    for source, relative in expanded:
        if output_dir is not None:
            target = output_dir / relative.parent / writer.output_name(relative)
        else:
            target = output
        jobs.append(Job(source=source, output=target))
    _refuse_collisions(jobs)
    if format == "review" and output_dir is not None:
        _refuse_input_overwrite(output_dir / REVIEW_INDEX, jobs)
    for job in jobs:
        if job.output is None or not job.output.exists():
            continue
        if skip_existing:
            job.status, job.reason = Status.SKIPPED, f"{job.output} exists (--skip-existing)"
        elif not overwrite and output_dir is not None:  # -o names its file: replacing it is the point
            job.status = Status.FAILED
            job.reason = f"{job.output} exists; use --overwrite to replace it or --skip-existing to keep it"
            job.error = OutputCreateError(job.reason)
    return jobs


def _refuse_collisions(jobs: list[Job]) -> None:
    seen: dict[Path, str] = {}
    for job in jobs:
        if job.output is None:
            continue
        key = job.output.resolve()
        if key in seen:
            raise UsageError(f"{seen[key]} and {job.source} would both be written to {job.output}: "
                             "rename one, or translate them into different folders.")
        seen[key] = job.source
        _refuse_input_overwrite(job.output, jobs)


def _refuse_input_overwrite(output: Path, jobs: list[Job]) -> None:
    for source in (Path(j.source) for j in jobs if j.source != STDIN and not web.is_address(j.source)):
        if writing.same_file(output, source):
            raise UsageError(f"Refusing to write {output}: it is an input file.")


def load(jobs: list[Job], *, encoding: str | None = None, stdin: BinaryIO | None = None,
         input_format: str = "auto", translate_keys: tuple[str, ...] = (),
         fetch: web.FetchOptions | None = None) -> None:
    """Read and parse every pending input (its format by suffix, or ``input_format``; a web
    address: its article as Markdown, or its page as HTML, see ``it2en.web``); a failure
    stays with its job."""
    for job in jobs:
        if job.status is not Status.PENDING:
            continue
        try:
            job.article = load_article(job.source, encoding=encoding, stdin=stdin, input_format=input_format,
                                       translate_keys=translate_keys, fetch=fetch)
        except It2enError as error:
            job.status, job.reason, job.error = Status.FAILED, str(error), error


def load_article(source: str, *, encoding: str | None = None, stdin: BinaryIO | None = None,
                 input_format: str = "auto", translate_keys: tuple[str, ...] = (),
                 fetch: web.FetchOptions | None = None) -> Article:
    """One input parsed: a web address fetched (its article as Markdown, or with ``whole_page``
    the page as HTML), a file or stdin read as its format needs (bytes for a document package)."""
    if web.is_address(source):
        options = fetch or web.FetchOptions()
        if encoding and not options.encoding:
            options = replace(options, encoding=encoding)
        text, chosen = web.read_address(source, options)
        return formats.parse(text, name=source, input_format=chosen, translate_keys=translate_keys)
    return formats.load(source, encoding=encoding, input_format=input_format, translate_keys=translate_keys,
                        stdin=stdin)


def run(
    jobs: list[Job],
    translator: ArticleTranslator,
    *,
    format: str = "text",
    stdout: BinaryIO | None = None,
    on_job_done: Callable[[Job], None] = lambda job: None,
    on_progress: Callable[[int, int], None] = lambda done, total: None,
    review_below: float = DEFAULT_REVIEW_BELOW,
) -> Summary:
    """Translate every loaded job and write each output as soon as its article is complete.

    Outputs for standard output are written in input order, whatever order articles finish in.
    ``review_below``: the confidence under which the summary counts a sentence as needing review.
    """
    stdout = stdout or getattr(sys.stdout, "buffer", sys.stdout)  # None when stdout is closed
    by_article = {id(job.article): job for job in jobs if job.article is not None}
    stdout_queue = [job for job in jobs if job.article is not None and job.output is None]

    def article_done(article: Article) -> None:
        job = by_article[id(article)]
        job.rendered = translator.render(article, format, review_below=review_below)
        if job.output is not None:
            try:
                writing.write_atomic(job.output, job.rendered)
            except It2enError as error:
                job.status, job.reason, job.error = Status.FAILED, str(error), error
                on_job_done(job)
                return
            job.status = Status.TRANSLATED
            on_job_done(job)
            return
        while stdout_queue and stdout_queue[0].rendered is not None:
            ready = stdout_queue.pop(0)
            writing.write_stream(stdout, ready.rendered)
            ready.status = Status.TRANSLATED
            on_job_done(ready)

    translator.translate_articles(
        [job.article for job in jobs if job.article is not None],
        on_article_done=article_done,
        on_progress=on_progress,
    )
    return Summary(jobs, review_below)


def write_review_index(summary: Summary, output_dir: Path, meta: OutputMeta) -> Path:
    """``DIR/review-index.html``: the review pages of this run (and those kept by
    ``--skip-existing``), each with its sentences that need review."""
    index = output_dir / REVIEW_INDEX
    pages = [(job.output.relative_to(output_dir).as_posix(),
              job.article if job.status is Status.TRANSLATED else None)
             for job in summary.jobs
             if job.output is not None and job.status in (Status.TRANSLATED, Status.SKIPPED)]
    writing.write_atomic(index, render_review_index(pages, replace(meta, review_below=summary.review_below)))
    return index
