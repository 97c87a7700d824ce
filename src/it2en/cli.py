"""The ``it2en`` command: maps flags to library calls and domain errors to exit codes.

Only translations (and the listings of ``inspect``/``models``) go to stdout; progress, notes,
warnings and errors go to stderr. Heavy libraries are imported only once a model is needed,
so ``--help``, ``inspect`` and ``models`` start fast.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import traceback
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from it2en import batch, formats, models, versions, writing
from it2en.article import DEFAULT_REVIEW_BELOW
from it2en.errors import ExitCode, It2enError, ModelUnavailableError, UsageError
from it2en.web import DEFAULT_MAX_MB, DEFAULT_TIMEOUT, FetchOptions, is_address

EXAMPLES = """
Examples:

  it2en translate https://www.example.it/notizie/la-cina-impegna.html -d english/

  it2en translate https://www.example.it/notizie/pagina.html --whole-page -o page.en.html

  it2en translate articolo.txt > article.txt

  curl -s https://example.org/articolo.txt | it2en translate -

  it2en translate inbox/*.txt -d english/ --skip-existing

  it2en translate inbox/ -d english/ -f bilingual

  it2en translate inbox/ -d review/ -f review     # review/review-index.html lists them

  it2en translate a.txt b.txt -f json > all.jsonl

  it2en translate post.md -o post.en.md          # Markdown in, the same Markdown out

  it2en translate pagina.html -o page.html        # tags and attributes kept

  it2en translate comunicato.docx -d english/     # english/comunicato.en.docx, layout kept

  cat post.md | it2en translate --input-format markdown -

  it2en translate post.md --translate-keys tagline,lead

  it2en translate articolo.txt --glossary redazione.tsv --keep-number-format

  it2en translate articolo.txt -f json --review-below 0.4 --strict
"""

app = typer.Typer(
    name="it2en",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_versions(value: bool) -> None:
    if value:
        typer.echo("\n".join(f"{name} {version}" for name, version in versions().items()))
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(False, "--version", callback=_print_versions, is_eager=True,
                                 help="Print it2en's version and those of its engines (torch, transformers, "
                                      "ctranslate2), then exit."),
) -> None:
    """Translate Italian articles into English, keeping headline, paragraphs, quotes and lists in place.

    Shell completion: it2en --install-completion (bash, zsh, fish, PowerShell), then open a new shell.
    """


class Format(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"
    bilingual = "bilingual"
    review = "review"


class InputFormat(str, Enum):
    auto = "auto"
    text = "text"
    markdown = "markdown"
    html = "html"
    docx = "docx"
    odt = "odt"


INPUT_FORMAT_HELP = ("auto: by suffix (.md .markdown: markdown, .html .htm: html, .docx: docx, .odt: odt, "
                     "else text); stdin is text. Example: --input-format docx")
TRANSLATE_KEYS_HELP = ("Front matter keys to translate besides title, subtitle, description, summary, "
                       "excerpt; comma-separated, e.g. tagline,lead.")


WHOLE_PAGE_OPTION = typer.Option(
    False, "--whole-page", help="A web address: keep the whole page (translated as HTML, markup kept) instead of its article.")
SAVE_SOURCE_OPTION = typer.Option(
    None, "--save-source", metavar="FILE",
    help="A web address: also save what is translated (the article as Markdown, or the page) to FILE, "
         "to translate again offline. Example: --save-source articolo.md")
TIMEOUT_OPTION = typer.Option(
    DEFAULT_TIMEOUT, "--timeout", min=0.01, envvar="IT2EN_TIMEOUT", metavar="SECONDS",
    help="A web address: give up when the page has not come in this many seconds (or $IT2EN_TIMEOUT).")
MAX_PAGE_OPTION = typer.Option(
    DEFAULT_MAX_MB, "--max-page-mb", min=0.0001, metavar="MB", help="A web address: refuse a larger page.")


def _fetch_options(whole_page: bool, save_source: Optional[Path], timeout: float, max_page_mb: float) -> FetchOptions:
    return FetchOptions(whole_page=whole_page, save_source=save_source, timeout=timeout,
                        max_bytes=int(max_page_mb * 1024 * 1024))


def _check_save_source(save_source: Optional[Path], sources: list[str]) -> None:
    if save_source is not None and (len(sources) != 1 or not is_address(sources[0])):
        raise UsageError("--save-source saves one web page: give exactly one http:// or https:// address.")


def _keys(value: Optional[str]) -> tuple[str, ...]:
    return tuple(k.strip().lower() for k in (value or "").split(",") if k.strip())


class Backend(str, Enum):
    auto = "auto"
    transformers = "transformers"
    ctranslate2 = "ctranslate2"


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


class Terminated(BaseException):
    """Raised by the SIGTERM handler so that cleanup runs as for Ctrl-C."""


def _on_sigterm(signum, frame):
    raise Terminated()


def _stdin_is_terminal() -> bool:
    return sys.stdin is None or sys.stdin.isatty()


def _stdout_is_terminal() -> bool:
    return sys.stdout is not None and sys.stdout.isatty()


def _stdout():
    """Binary standard output; None when it is closed (``>&-``): writing then says so, exit 74."""
    return getattr(sys.stdout, "buffer", sys.stdout)


def _err(message: str) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")
    sys.stderr.flush()


def error_boundary(command):
    """Turn domain errors, interrupts and bugs into one stderr line and an exit status."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
        try:
            return command(*args, **kwargs)
        except It2enError as error:
            _err(f"it2en: error: {error}")
            raise typer.Exit(int(error.exit_code)) from None
        except KeyboardInterrupt:
            writing.remove_partial_files()
            _err("it2en: interrupted; finished outputs were kept, no partial file was left.")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except Terminated:
            writing.remove_partial_files()
            _err("it2en: terminated; finished outputs were kept, no partial file was left.")
            raise typer.Exit(int(ExitCode.TERMINATED)) from None
        except BrokenPipeError:
            # The reader (head, less) went away: stop quietly like any Unix filter.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(int(ExitCode.BROKEN_PIPE)) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception:
            _err("it2en: internal error (a bug in it2en); please report it with this trace:")
            _err(traceback.format_exc())
            raise typer.Exit(int(ExitCode.SOFTWARE)) from None
        finally:
            signal.signal(signal.SIGTERM, previous)

    return wrapper


class _Reporter:
    """Progress on stderr: a rich bar on a terminal, plain lines with -v, nothing with -q."""

    def __init__(self, *, quiet: bool, verbose: bool, total_articles: int,
                 review_below: float | None = None) -> None:
        self.quiet = quiet
        self.review_below = review_below
        self.verbose = verbose and not quiet
        self.total_articles = total_articles
        self.articles_done = 0
        self.progress = None
        self.task = None
        if not quiet and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeRemainingColumn, TransferSpeedColumn)

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("sentences"),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )

    def __enter__(self):
        if self.progress:
            self.progress.start()
            self.task = self.progress.add_task(self._description(), total=None)
        return self

    def __exit__(self, *exc):
        if self.progress:
            self.progress.stop()

    def _description(self) -> str:
        return f"articles {self.articles_done}/{self.total_articles}"

    def note(self, message: str) -> None:
        if not self.quiet:
            if self.progress:
                self.progress.console.print(message, markup=False, highlight=False)
            else:
                _err(message)

    def sentences(self, done: int, total: int) -> None:
        if self.progress:
            self.progress.update(self.task, completed=done, total=total)

    def job_done(self, job: batch.Job) -> None:
        self.articles_done += 1
        if self.progress:
            self.progress.update(self.task, description=self._description())
        if job.status is batch.Status.FAILED:
            if self.total_articles > 1:  # one input: its error is raised and reported once
                _err(_failure(job))
        elif self.verbose:
            where = job.output or "stdout"
            count = len(job.article.translatable_segments()) if job.article else 0
            _err(f"translated {job.source} -> {where} ({count} segments)")
        if job.article is not None and not self.quiet:
            from it2en.pipeline import problems

            for line in problems(job.article, self.review_below):
                self.note(f"it2en: warning: {line}")


@app.command(epilog=EXAMPLES)
@error_boundary
def translate(
    inputs: Optional[list[str]] = typer.Argument(
        None, metavar="INPUT",
        help="Web addresses (http, https), files or folders (.txt .md .markdown .html .htm .docx .odt, "
             "recursively), or - for stdin. None: stdin."
    ),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write the one input's translation to this file."),
    output_dir: Optional[Path] = typer.Option(
        None, "-d", "--output-dir", help="One file per input: DIR/<stem>.en<suffix>, sub-folders kept."
    ),
    format: Format = typer.Option(Format.text, "-f", "--format",
                                  help="text keeps the input's layout and format (Markdown, HTML); review: an HTML page to "
                                       "correct in a browser (with -d, plus DIR/review-index.html)."),
    input_format: InputFormat = typer.Option(InputFormat.auto, "--input-format", help=INPUT_FORMAT_HELP),
    translate_keys: Optional[str] = typer.Option(None, "--translate-keys", metavar="KEYS", help=TRANSLATE_KEYS_HELP),
    model: Optional[str] = typer.Option(
        None, "-m", "--model", help="A models.toml name, a MarianMT folder or a hub id. Default: $IT2EN_MODEL or models.toml's."
    ),
    backend: Backend = typer.Option(Backend.auto, help="auto: ctranslate2 when installed, else transformers."),
    device: Device = typer.Option(Device.auto, help="auto: cuda when a GPU is visible, else cpu."),
    beams: Optional[int] = typer.Option(None, min=1, max=16, help="Beam size (default from models.toml)."),
    skip_existing: bool = typer.Option(False, "--skip-existing", help="Leave inputs whose output (-d or -o) exists."),
    overwrite: bool = typer.Option(False, "--overwrite", help="With -d: replace outputs that exist (-o always replaces its file)."),
    encoding: Optional[str] = typer.Option(None, help="Decode inputs with this encoding (default UTF-8), e.g. cp1252."),
    strict: bool = typer.Option(False, "--strict", help=f"Exit {int(ExitCode.FLAGGED)} when any segment was flagged (e.g. too_short, placeholder_lost, markup_moved: see the README's flags), or, with --review-below, was less confident than X."),
    review_below: Optional[float] = typer.Option(
        None, "--review-below", min=0.0, max=1.0, metavar="X",
        help=f"A sentence whose confidence (0-1, the model's, in -f json) is below X needs review: the summary "
             f"counts it, a warning names it, and --strict fails on it. Default for the count: "
             f"{DEFAULT_REVIEW_BELOW:g}. Example: --review-below 0.4 --strict"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Print nothing on stderr but errors."),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="One line per file on stderr."),
    glossary: Optional[list[Path]] = typer.Option(
        None, "--glossary", metavar="FILE",
        help="Terms to translate your way (TSV/CSV with it,en columns, or TOML); repeatable. "
             "Default: $IT2EN_GLOSSARY or glossary.tsv in the user config folder. "
             "Example: --glossary redazione.tsv"),
    keep_number_format: bool = typer.Option(
        False, "--keep-number-format", help="Keep numbers as the source writes them (17.500) instead of English (17,500)."),
    memory: Optional[Path] = typer.Option(
        None, "--memory", envvar="IT2EN_MEMORY", metavar="FILE",
        help="Translation memory file. Default: $IT2EN_MEMORY, else memory.sqlite in it2en's cache folder."),
    no_memory: bool = typer.Option(False, "--no-memory", help="Neither read nor write the translation memory."),
    whole_page: bool = WHOLE_PAGE_OPTION,
    save_source: Optional[Path] = SAVE_SOURCE_OPTION,
    timeout: float = TIMEOUT_OPTION,
    max_page_mb: float = MAX_PAGE_OPTION,
) -> None:
    """Translate Italian articles (files, or web pages by their address) into English, keeping their structure."""
    terms = _glossary(glossary)
    inputs = list(inputs or [])
    if not inputs:
        if _stdin_is_terminal():
            raise UsageError("no INPUT given and standard input is a terminal: name a file, or pipe text in with -.")
        inputs = [batch.STDIN]
    jobs = batch.plan(inputs, output=output, output_dir=output_dir, format=format.value,
                      skip_existing=skip_existing, overwrite=overwrite, whole_page=whole_page)
    _check_save_source(save_source, [job.source for job in jobs])
    batch.load(jobs, encoding=encoding, input_format=input_format.value, translate_keys=_keys(translate_keys),
               fetch=_fetch_options(whole_page, save_source, timeout, max_page_mb))
    if format is Format.text and _stdout_is_terminal() and any(
            job.output is None and job.article is not None and job.article.format in formats.OFFICE_FORMATS
            for job in jobs):
        raise UsageError("a translated .docx or .odt is a binary file, not for a terminal: give -o FILE "
                         "or -d DIR (or -f markdown to read it here).")
    from it2en.api import ArticleTranslator

    several = len(jobs) > 1
    reporter = _Reporter(quiet=quiet, verbose=verbose, total_articles=len(jobs), review_below=review_below)
    translator = ArticleTranslator(model, backend=backend.value, device=device.value, beams=beams,
                                   quiet=quiet, notify=reporter.note, glossary=terms,
                                   keep_number_format=keep_number_format,
                                   memory=False if no_memory else (memory or True))
    for job in jobs:
        if job.status is batch.Status.SKIPPED:
            reporter.note(f"it2en: skipped {job.source}: {job.reason}")
        elif job.status is batch.Status.FAILED and several:
            _err(_failure(job))
    if not several and jobs[0].status is batch.Status.FAILED:
        raise jobs[0].error or UsageError(jobs[0].reason)
    with reporter:
        summary = batch.run(jobs, translator, format=format.value, on_job_done=reporter.job_done,
                            on_progress=reporter.sentences,
                            review_below=DEFAULT_REVIEW_BELOW if review_below is None else review_below)
    if format is Format.review and output_dir is not None:
        batch.write_review_index(summary, output_dir, translator.meta)
    failed = summary.count(batch.Status.FAILED)
    if not several and failed:
        raise summary.jobs[0].error
    if failed:
        _err(f"it2en: {summary.line()}")
        raise typer.Exit(int(ExitCode.BATCH_PARTIAL))
    if several:
        reporter.note(f"it2en: {summary.line()}")
    elif summary.notes_line():
        reporter.note(f"it2en: {summary.notes_line()}")
    if strict and any(_flagged(job, review_below) for job in summary.jobs):
        below = f" or less confident than {review_below:g}" if review_below is not None else ""
        _err(f"it2en: --strict: some segments were flagged{below} (see the warnings above).")
        raise typer.Exit(int(ExitCode.FLAGGED))


def _glossary_files(paths: Optional[list[Path]]) -> list[Path]:
    """The files of --glossary FILE..., else the default glossary's (none: an empty list)."""
    from it2en.fidelity import glossary

    return list(paths) if paths else glossary.default_paths()


def _glossary(paths: Optional[list[Path]]):
    """The glossary of --glossary FILE..., else the default one; None when there is none."""
    from it2en.fidelity import glossary

    chosen = _glossary_files(paths)
    return glossary.load(chosen) if chosen else None


def _failure(job: batch.Job) -> str:
    """``it2en: SOURCE: REASON``, without naming the source twice (reading errors start with it)."""
    if job.error is not None and job.reason.startswith(f"{job.source}:"):
        return f"it2en: {job.reason}"
    return f"it2en: {job.source}: {job.reason}"


def _flagged(job: batch.Job, review_below: float | None = None) -> bool:
    from it2en.pipeline import has_problems

    return job.article is not None and has_problems(job.article, review_below)


@app.command()
@error_boundary
def inspect(
    input: str = typer.Argument("-", metavar="[INPUT]", help="A web address, a file, or - for stdin."),
    as_json: bool = typer.Option(False, "--json", help="The JSON shape of -f json, without translations."),
    encoding: Optional[str] = typer.Option(None, help="Decode the input with this encoding."),
    input_format: InputFormat = typer.Option(InputFormat.auto, "--input-format", help=INPUT_FORMAT_HELP),
    translate_keys: Optional[str] = typer.Option(None, "--translate-keys", metavar="KEYS", help=TRANSLATE_KEYS_HELP),
    glossary: Optional[list[Path]] = typer.Option(
        None, "--glossary", metavar="FILE", help="Show which terms of this glossary apply (default as for translate)."),
    keep_number_format: bool = typer.Option(False, "--keep-number-format", help="Show no number conversions."),
    whole_page: bool = WHOLE_PAGE_OPTION,
    save_source: Optional[Path] = SAVE_SOURCE_OPTION,
    timeout: float = TIMEOUT_OPTION,
    max_page_mb: float = MAX_PAGE_OPTION,
) -> None:
    """Show the blocks and the plain sentences the model will see (markup removed), without a model."""
    from it2en import pipeline
    from it2en.fidelity import placeholders, quotes
    from it2en.render import article_dict

    if input == "-" and _stdin_is_terminal():
        raise UsageError("no INPUT given and standard input is a terminal: name a file, or pipe text in.")
    _check_save_source(save_source, [input])
    article = batch.load_article(input, encoding=encoding, input_format=input_format.value,
                                 translate_keys=_keys(translate_keys),
                                 fetch=_fetch_options(whole_page, save_source, timeout, max_page_mb))
    pipeline.split_overlong(article, pipeline.estimate_tokens, pipeline.DEFAULT_SEGMENT_TOKENS)
    pipeline.annotate(article, glossary=_glossary(glossary), keep_number_format=keep_number_format)
    if as_json:
        writing.write_stream(_stdout(), json.dumps(article_dict(article), ensure_ascii=False) + "\n")
        return
    lines = []
    host = 0
    for number, block in enumerate(article.blocks, start=1):
        frames = "".join(f"  {name}={_short(value)!r}" for name, value in (("prefix", block.prefix), ("suffix", block.suffix))
                         if value.strip())
        inside = getattr(block, "inside", False)
        host = host if inside else number
        where = f"  (a title or alt text inside block {host}'s markup)" if inside else ""
        lines.append(f"{number:>3} {block.kind.value}{frames}{where}")
        for segment in block.segments:
            if segment.source:
                mark = "+" if segment.translatable else "="
                split = "  (split)" if segment.split else ""
                lines.append(f"      {mark} {segment.source}{split}")
                lines += [f"          glossary: {it} -> {en or '(kept as is)'}" for it, en in segment.glossary]
                lines += [f"          number: {it} -> {en}" for it, en in segment.conversions]
                lines += [f"          template: {tag} (kept as is)" for tag in placeholders.template_tags(segment.source)]
                lines += [f"          quotation: {segment.source[start:end + 1]} (marks put back if the model drops them)"
                          for start, end in quotes.quoted_spans(segment.source)[0]]
    writing.write_stream(_stdout(), "\n".join(lines) + "\n")


def _short(frame: str) -> str:
    """A frame as ``inspect`` shows it: a page's markup before a block can be megabytes long."""
    return frame if len(frame) <= 60 else frame[:28] + "…" + frame[-28:]


MODELS_EXAMPLES = """
Examples:

  it2en models

  it2en models --check opus-mt-tc-big-it-en

  it2en models --check ./my-finetuned-model
"""


@app.command("models", epilog=MODELS_EXAMPLES)
@error_boundary
def list_models(
    check: Optional[str] = typer.Option(
        None, "--check", metavar="NAME|DIR",
        help="Translate the built-in Italian test sentences with this model now and print what it "
             "produced; exit 69 when it cannot translate.",
    ),
    backend: Backend = typer.Option(Backend.auto, help="The engine --check runs."),
    device: Device = typer.Option(Device.auto, help="The device --check runs on."),
) -> None:
    """List the models of models.toml: pin, published scores, size, offline availability."""
    if check is not None:
        _check_model(check, backend.value, device.value)
        return
    catalog = models.load_catalog()
    writing.write_stream(_stdout(), _models_table(catalog))
    env = os.environ.get(models.MODEL_ENV)
    _err(f"* default{f' (overridden by ${models.MODEL_ENV}={env})' if env else ''}. Scores: OPUS-MT "
         "leaderboard. Fetch a model with 'it2en download NAME'; any MarianMT folder works with -m DIR.")


def _models_table(catalog: models.Catalog) -> str:
    """The catalog as a rich table, rendered to text: one line per model off a terminal (no width
    limit: a script reads it line by line), folded to the terminal's width on one."""
    import io

    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("", "name", "hub id", "pin", "release", "FLORES-101 BLEU / chrF / COMET",
                   "newstest2009 BLEU", "parameters", "offline", "licence", "description"):
        table.add_column(column, overflow="fold")
    for name, spec in catalog.models.items():
        quality = spec.quality
        table.add_row(
            "*" if name == catalog.default else "",
            name,
            spec.hub_id,
            spec.revision[:12] if spec.pinned else f"{spec.revision} (unpinned)",
            spec.release or "—",
            quality.flores,
            "—" if quality.newstest2009_bleu is None else f"{quality.newstest2009_bleu:.1f}",
            "—" if quality.parameters_millions is None else f"{quality.parameters_millions:g} M",
            "yes" if models.cached_path(spec) else "no",
            spec.license,
            spec.description,
        )
    buffer = io.StringIO()
    terminal = sys.stdout.isatty()
    Console(file=buffer, width=None if terminal else 10_000, force_terminal=terminal, no_color=not terminal,
            highlight=False).print(table)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def _check_model(reference: str, backend: str, device: str) -> None:
    """``it2en models --check``: every canary sentence and its output on stdout, the verdict on
    stderr, exit 69 when the model fails."""
    from it2en import canary

    located, verdict = canary.check(reference, backend=backend, device=device, notify=_err)
    lines = [f"{'ok' if not line.problems else ', '.join(line.problems)}\t{line.source}\t{line.output}"
             for line in verdict.lines]
    writing.write_stream(_stdout(), "\n".join(lines) + "\n")
    if not verdict.passed:
        raise canary.canary_refusal(located, verdict)
    _err(f"it2en: {located.spec.name} ({located.spec.label}, {verdict.engine} engine) translates: "
         f"{verdict.clean} of {len(verdict.lines)} test sentences came out as plausible English "
         f"in {verdict.seconds:.1f} s.")


@app.command()
@error_boundary
def download(
    name: Optional[str] = typer.Argument(None, help="A models.toml name or a hub id (default: the default model)."),
    backend: Backend = typer.Option(Backend.auto, help="auto/ctranslate2 also build the fast-engine copy."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress on stderr."),
) -> None:
    """Fetch a model (and its CTranslate2 copy) into the cache for offline use, and check that it translates."""
    spec = models.resolve(name)
    located = models.download(spec, quiet=quiet)
    notify = (lambda m: None) if quiet else _err
    from it2en import canary

    if canary.canary_enabled():
        engine = models.load_engine(located, backend=backend.value, device="cpu", notify=notify)  # builds the copy
        canary.ensure_translates(located, engine, notify=_err, fresh=True)
    elif backend is not Backend.transformers:
        from it2en.engines.factory import ctranslate2_available, ensure_ct2_copy

        if ctranslate2_available():
            ensure_ct2_copy(located.path, located.cache_key, quiet=True, notify=notify)
        elif backend is Backend.ctranslate2:
            raise ModelUnavailableError("ctranslate2 is not installed: install it, or use --backend transformers.")
    if not quiet:
        _err(f"it2en: {spec.name} ({located.revision}) is ready for offline use.")
    writing.write_stream(_stdout(), f"{located.path}\n")


glossary_app = typer.Typer(help="Work with glossaries (your own translations of terms).",
                           no_args_is_help=True, rich_markup_mode=None)
app.add_typer(glossary_app, name="glossary")


@glossary_app.command("check", epilog="Example:\n\n  it2en glossary check redazione.tsv")
@error_boundary
def glossary_check(
    file: Path = typer.Argument(..., metavar="FILE", help="A glossary: TSV or CSV with it,en columns, or TOML."),
) -> None:
    """Validate a glossary: empty terms, duplicates, conflicting entries, with line numbers."""
    from it2en.errors import GlossaryError
    from it2en.fidelity import glossary

    entries, problems = glossary.check(file)
    if problems:
        writing.write_stream(_stdout(), "".join(f"{p}\n" for p in problems))
        raise GlossaryError(f"{file}: {len(problems)} problem{'s' if len(problems) > 1 else ''} (listed on stdout)")
    kept = sum(1 for e in entries if not e.en)
    writing.write_stream(_stdout(), f"{file}: {len(entries)} entries ({kept} kept as is), no problems\n")


MEMORY_EXAMPLES = """
Examples:

  it2en memory stats

  it2en memory import corrected.en.json   (edited -f json output)

  it2en memory import team.tmx

  it2en memory export --tmx all.tmx

  it2en memory clear --flagged
"""

memory_app = typer.Typer(
    help="The translation memory: sentences translated before are not sent to the model again.",
    no_args_is_help=True, rich_markup_mode=None, context_settings={"help_option_names": ["-h", "--help"]},
    epilog=MEMORY_EXAMPLES,
)
app.add_typer(memory_app, name="memory")
MEMORY_FILE_OPTION = typer.Option(None, "--memory", envvar="IT2EN_MEMORY", metavar="FILE",
                                  help="The memory file (default: $IT2EN_MEMORY, else it2en's cache folder).")


class Origin(str, Enum):
    machine = "machine"
    human = "human"


@memory_app.command("stats")
@error_boundary
def memory_stats(memory: Optional[Path] = MEMORY_FILE_OPTION) -> None:
    """Entries by origin and model, flagged entries, and the file's size."""
    from it2en.memory import TranslationMemory

    store = TranslationMemory(memory, create=False)
    if not store.path.exists():
        writing.write_stream(_stdout(), f"{store.path}: no translation memory yet (0 entries)\n")
        return
    with store:
        stats = store.stats()
    rows = [f"{stats.path}: {stats.entries} entries, {stats.flagged} flagged, {stats.size_bytes:,} bytes"]
    rows += [f"  {origin:<8} {count:>8}  {model or '(any model)'}" for origin, model, count in stats.by_origin_model]
    writing.write_stream(_stdout(), "\n".join(rows) + "\n")


@memory_app.command("import")
@error_boundary
def memory_import(
    file: Path = typer.Argument(..., help="An edited it2en -f json output (.json, .jsonl) or a TMX file (.tmx)."),
    memory: Optional[Path] = MEMORY_FILE_OPTION,
) -> None:
    """Add human translations: the edited targets of a JSON output, or a TMX file's units."""
    from it2en import memory_exchange
    from it2en.memory import TranslationMemory

    if file.suffix.lower() == ".tmx":
        imported = memory_exchange.read_tmx(file)
    elif file.suffix.lower() in (".json", ".jsonl"):
        imported = memory_exchange.read_edited_json(file)
    else:
        raise UsageError(f"{file}: give a .json/.jsonl (an it2en -f json output) or a .tmx file.")
    if imported.inline_tags:
        _err(f"it2en: warning: {imported.inline_tags} inline tags in TMX segments were dropped to their text.")
    if imported.skipped:
        _err(f"it2en: warning: {imported.skipped} translation units without an Italian and an English "
             "segment were skipped.")
    with TranslationMemory(memory) as store:
        count = store.store(imported.entries)
    human = sum(e.origin == "human" for e in imported.entries)
    unchanged = f"; {imported.unchanged} segments unchanged" if imported.unchanged else ""
    _err(f"it2en: imported {count} entries ({human} human) into {store.path}{unchanged}")


@memory_app.command("export")
@error_boundary
def memory_export(
    tmx: Path = typer.Option(..., "--tmx", metavar="FILE", help="Write every entry to this TMX 1.4b file."),
    memory: Optional[Path] = MEMORY_FILE_OPTION,
) -> None:
    """Write the memory as TMX 1.4b (machine entries keep their model and settings as x-it2en props)."""
    from it2en import memory_exchange
    from it2en.memory import TranslationMemory

    with TranslationMemory(memory, create=False) as store:
        written, left_out = memory_exchange.write_tmx(store.entries(), tmx)
    if left_out:
        _err(f"it2en: warning: {left_out} entries hold characters XML cannot carry and were left out.")
    _err(f"it2en: exported {written} entries to {tmx}")


@memory_app.command("clear")
@error_boundary
def memory_clear(
    model: Optional[str] = typer.Option(None, "--model", metavar="NAME", help="Only entries of this model (name or id)."),
    origin: Optional[Origin] = typer.Option(None, "--origin", help="Only machine or only human entries."),
    flagged: bool = typer.Option(False, "--flagged", help="Only machine entries a check flagged: they are tried again."),
    memory: Optional[Path] = MEMORY_FILE_OPTION,
) -> None:
    """Delete entries (all of them when no filter is given)."""
    from it2en.memory import TranslationMemory

    store = TranslationMemory(memory, create=False)
    count = 0
    if store.path.exists():
        with store:
            count = store.clear(model=model, origin=origin.value if origin else None, flagged=flagged)
    _err(f"it2en: deleted {count} entries from {store.path}")


CORPUS_EXAMPLES = """
Examples:

  it2en corpus articles.jsonl -o english.jsonl

  it2en corpus archive/ -o english/ --text-column body --id-column id

  it2en corpus /data/it/ -o /data/en/ --address auto --workers 16

  it2en corpus articles.jsonl -o english.jsonl --resume
"""


class CorpusInputFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    html = "html"


class CorpusOutputFormat(str, Enum):
    jsonl = "jsonl"
    parquet = "parquet"
    csv = "csv"


@app.command(epilog=CORPUS_EXAMPLES)
@error_boundary
def corpus(
    inputs: list[str] = typer.Argument(..., metavar="INPUT", help="JSON Lines, Parquet or CSV files, or folders of them (one format)."),
    output: str = typer.Option(..., "-o", "--output", help="A .jsonl, .parquet or .csv file, or a folder for part files."),
    text_column: str = typer.Option("text", help="The column that holds each article."),
    id_column: str = typer.Option("id", help="The column that identifies each row (--resume skips ids already written)."),
    input_format: CorpusInputFormat = typer.Option(CorpusInputFormat.text, help="How each row's text is parsed."),
    output_format: Optional[CorpusOutputFormat] = typer.Option(None, help="Default: the output's suffix, else the input's format."),
    model: Optional[str] = typer.Option(
        None, "-m", "--model", help="A models.toml name, a MarianMT folder or a hub id. Default: $IT2EN_MODEL or models.toml's."
    ),
    backend: Backend = typer.Option(Backend.auto, help="auto: ctranslate2 when installed, else transformers."),
    device: Device = typer.Option(Device.auto, help="auto: cuda when the Ray cluster has GPUs, else cpu. cuda: --gpus-per-worker per worker."),
    beams: Optional[int] = typer.Option(None, min=1, max=16, help="Beam size (default from models.toml)."),
    workers: Optional[int] = typer.Option(None, min=1, help="Actors, each with the model loaded once. Default: the cluster's CPUs / --cores-per-worker, or one per GPU."),
    cores_per_worker: int = typer.Option(2, min=1, help="CPU cores (and CTranslate2 threads) per worker."),
    gpus_per_worker: float = typer.Option(1.0, min=0.01, help="With --device cuda: GPUs per worker (0.5: two workers share one)."),
    batch_articles: int = typer.Option(8, min=1, help="Articles a worker translates together."),
    resume: bool = typer.Option(False, "--resume", help="Skip the ids the output already holds and add the others."),
    review_below: float = typer.Option(
        DEFAULT_REVIEW_BELOW, "--review-below", min=0.0, max=1.0, metavar="X",
        help="A sentence less confident than X counts in its row's needs_review column (with the flagged ones)."),
    address: Optional[str] = typer.Option(None, help="A Ray cluster: auto, or HOST:PORT. Default: $RAY_ADDRESS, else a local Ray."),
    glossary: Optional[list[Path]] = typer.Option(
        None, "--glossary", metavar="FILE", help="As for translate (repeatable); every worker loads it."),
    keep_number_format: bool = typer.Option(False, "--keep-number-format", help="As for translate."),
    memory: Optional[Path] = typer.Option(
        None, "--memory", metavar="FILE",
        help="A translation memory every worker reads and fills (a path all workers reach); default: none."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Print nothing on stderr but errors."),
) -> None:
    """Translate a dataset of articles (JSON Lines, Parquet, CSV) on Ray: needs it2en[scale]."""
    from it2en import corpus as corpus_job

    _glossary(glossary)  # a bad glossary fails here, once, before Ray starts
    glossary_files = [str(p) for p in _glossary_files(glossary)] or None
    translator_options = {"model": model, "backend": backend.value, "device": device.value, "beams": beams,
                          "glossary": glossary_files, "keep_number_format": keep_number_format,
                          "memory": str(memory) if memory else None}
    job = corpus_job.CorpusJob(
        inputs=list(inputs), output=output, text_column=text_column, id_column=id_column,
        input_format=input_format.value, output_format=output_format.value if output_format else None,
        translator_options=translator_options, workers=workers, cores_per_worker=cores_per_worker,
        gpus_per_worker=gpus_per_worker, batch_articles=batch_articles, resume=resume, review_below=review_below,
        address=address, quiet=quiet,
    )
    summary = corpus_job.run_corpus(job, notify=lambda message: None if quiet else _err(message))
    if not quiet:
        _err(f"it2en: {summary.line()}")
    if summary.failed:
        _err(f"it2en: {summary.failed} rows could not be translated: see their 'error' column.")
        raise typer.Exit(int(ExitCode.BATCH_PARTIAL))


def main() -> None:
    app(prog_name="it2en")


if __name__ == "__main__":
    main()
