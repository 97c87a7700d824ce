"""The Python API: load a model once, translate strings, articles and files.

>>> from it2en import ArticleTranslator
>>> translator = ArticleTranslator()              # default model from models.toml
>>> translator.translate_text("Titolo\\n\\nUna frase. Un'altra.\\n")
'Title\\n\\nA sentence. Another one.\\n'

The CLI is built on this class; the engine is loaded on first use, so an article with nothing
to translate (an empty file) needs no model at all.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable

from it2en import canary, formats, models, pipeline, writing
from it2en.article import DEFAULT_REVIEW_BELOW, Article
from it2en.engines import Translator
from it2en.errors import It2enError
from it2en.fidelity.glossary import Glossary
from it2en.fidelity.glossary import load as load_glossary
from it2en.memory import GuardedMemory, ModelContext, TranslationMemory
from it2en.render import WRITERS, OutputMeta


class ArticleTranslator:
    """One model, loaded lazily and kept, for any number of articles."""

    def __init__(
        self,
        model: str | None = None,
        *,
        backend: str = "auto",
        device: str = "auto",
        beams: int | None = None,
        quiet: bool = True,
        notify: Callable[[str], None] = lambda message: None,
        engine: Translator | None = None,
        glossary: Glossary | Iterable[str | Path] | None = None,
        keep_number_format: bool = False,
        memory: str | Path | bool | None = None,
    ) -> None:
        """``model``: a models.toml name, a MarianMT folder or a hub id (default: models.toml's).

        ``engine`` replaces the model with any object that has ``translate(list[str])``
        (tests use ``IdentityTranslator``). ``glossary``: a ``Glossary`` or glossary file paths
        (``fidelity.glossary``), whose terms come out verbatim in English; ``keep_number_format``:
        numbers keep the source's form (``17.500``) instead of the English one (``17,500``).
        ``memory``: a translation memory file, True for the default one (``$IT2EN_MEMORY`` or the
        user's cache), None or False for none. A memory that fails is said once through
        ``notify`` and the translation goes on without it.
        """
        self._model_ref = model
        self._backend = backend
        self._device = device
        self._beams = beams
        self._quiet = quiet
        self._notify = notify
        self._engine = engine
        self._meta = OutputMeta(engine.name, "") if engine is not None else None
        self._segment_tokens = pipeline.DEFAULT_SEGMENT_TOKENS
        if glossary is not None and not isinstance(glossary, Glossary):
            glossary = load_glossary(glossary)
        self.glossary = glossary
        self.keep_number_format = keep_number_format
        self._memory_file = memory if isinstance(memory, (str, Path)) else None
        self._memory_on = memory is True or self._memory_file is not None
        self._memory_context = None
        self._memory: GuardedMemory | None = None

    @property
    def engine(self) -> Translator:
        """The loaded engine; the first access resolves, downloads if needed, loads it, and runs
        the canary on it (once per revision and engine: ``canary.ensure_translates``)."""
        if self._engine is None:
            spec = models.with_beams(models.resolve(self._model_ref), self._beams)
            located = models.locate(spec, quiet=self._quiet)
            engine = models.load_engine(located, backend=self._backend, device=self._device,
                                        notify=self._notify)
            canary.ensure_translates(located, engine, notify=self._notify)
            self._engine = engine
            self._meta = OutputMeta(spec.name, located.revision)
            self._memory_context = ModelContext.of(spec.name, spec.hub_id or located.cache_key,
                                                   located.revision, spec.generation)
            self._segment_tokens = min(pipeline.DEFAULT_SEGMENT_TOKENS, spec.generation.max_length - 1)
        return self._engine

    def translate_articles(
        self,
        articles: Iterable[Article],
        *,
        on_article_done: Callable[[Article], None] = lambda article: None,
        on_progress: Callable[[int, int], None] = lambda done, total: None,
    ) -> list[Article]:
        """Translate parsed articles in place, all sentences batched together."""
        articles = list(articles)
        if not any(a.translatable_segments() for a in articles):
            for article in articles:
                on_article_done(article)
            return articles
        engine = self.engine
        memory = self._open_memory()
        try:
            return pipeline.translate_articles(
                articles,
                engine,
                segment_tokens=self._segment_tokens,
                on_article_done=on_article_done,
                on_progress=on_progress,
                glossary=self.glossary,
                keep_number_format=self.keep_number_format,
                memory=memory,
            )
        finally:
            if memory is not None:
                memory.close()  # no -wal/-shm file stays beside the memory between calls

    def _open_memory(self) -> GuardedMemory | None:
        """The memory for one call, opened now; None when off or when it failed before."""
        if not self._memory_on:
            return None
        if self._memory is None:
            context = self._memory_context or _engine_context(self._engine, self._beams)
            self._memory = GuardedMemory(TranslationMemory(self._memory_file), context, warn=self._notify)
        return self._memory if self._memory.open() else None

    def translate_article(self, article: Article) -> Article:
        return self.translate_articles([article])[0]

    def translate_text(self, text: str, *, format: str = "text", name: str = "-",
                       input_format: str = "auto", translate_keys: tuple[str, ...] = ()) -> str:
        """An Italian article as a string in, the English article out in ``format``.

        ``input_format``: ``text``, ``markdown``, ``html`` or ``auto`` (by ``name``'s suffix);
        ``format="text"`` writes the input's own format back (Markdown stays Markdown).
        """
        article = formats.parse(text, name=name, input_format=input_format, translate_keys=translate_keys)
        return self.render(self.translate_article(article), format)

    def translate_file(
        self, path: str | Path, output: str | Path | None = None, *, format: str = "text",
        encoding: str | None = None, input_format: str = "auto",
    ) -> str | bytes:
        """Translate a file; write it atomically to ``output`` when given; return the text (the
        bytes of a ``.docx`` or ``.odt`` written in its own format)."""
        article = formats.load(str(path), encoding=encoding, input_format=input_format)
        result = self.render(self.translate_article(article), format)
        if output is not None:
            writing.write_atomic(Path(output), result)
        return result

    def render(self, article: Article, format: str = "text", *, review_below: float = DEFAULT_REVIEW_BELOW
               ) -> str | bytes:
        """The article in ``format``; ``review_below``: the confidence under which the review page
        marks a sentence as needing review."""
        return WRITERS[format].render(article, replace(self.meta, review_below=review_below))

    @property
    def meta(self) -> OutputMeta:
        """The model's name and revision, as outputs record them (``it2en corpus`` columns)."""
        return self._meta or self._unloaded_meta()

    def _unloaded_meta(self) -> OutputMeta:
        """The model's name when nothing needed it loaded (an empty article): no revision."""
        try:
            return OutputMeta(models.resolve(self._model_ref).name, "")
        except It2enError:
            return OutputMeta(self._model_ref or "", "")


def _engine_context(engine: Translator, beams: int | None) -> ModelContext:
    """The memory key's model part for an engine given directly (no models.toml entry)."""
    name = getattr(engine, "name", type(engine).__name__)
    generation = getattr(engine, "generation", None)
    if generation is not None:
        return ModelContext.of(name, name, getattr(engine, "revision", ""), generation)
    return ModelContext(name, name, getattr(engine, "revision", ""), f"beams={beams or ''}")
