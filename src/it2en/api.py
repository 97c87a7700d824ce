"""The Python API: load a model once, translate strings, articles and files.

>>> from it2en import ArticleTranslator
>>> translator = ArticleTranslator()              # default model from models.toml
>>> translator.translate_text("Titolo\\n\\nUna frase. Un'altra.\\n")
'Title\\n\\nA sentence. Another one.\\n'

The CLI is built on this class; the engine is loaded on first use, so an article with nothing
to translate (an empty file) needs no model at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from it2en import models, pipeline, reading, writing
from it2en.formats import text as structure
from it2en.article import Article
from it2en.engines import Translator
from it2en.errors import It2enError
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
    ) -> None:
        """``model``: a models.toml name, a MarianMT folder or a hub id (default: models.toml's).

        ``engine`` replaces the model with any object that has ``translate(list[str])``
        (tests use ``IdentityTranslator``).
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

    @property
    def engine(self) -> Translator:
        """The loaded engine; the first access resolves, downloads if needed, and loads it."""
        if self._engine is None:
            spec = models.with_beams(models.resolve(self._model_ref), self._beams)
            located = models.locate(spec, quiet=self._quiet)
            from it2en.engines.factory import create_translator

            self._engine = create_translator(
                located.path,
                backend=self._backend,
                device=self._device,
                generation=spec.generation,
                ct2_cache_key=located.cache_key,
                quiet=True,
                notify=self._notify,
            )
            self._meta = OutputMeta(spec.name, located.revision)
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
        return pipeline.translate_articles(
            articles,
            self.engine,
            segment_tokens=self._segment_tokens,
            on_article_done=on_article_done,
            on_progress=on_progress,
        )

    def translate_article(self, article: Article) -> Article:
        return self.translate_articles([article])[0]

    def translate_text(self, text: str, *, format: str = "text", name: str = "-") -> str:
        """An Italian article as a string in, the English article out in ``format``."""
        article = self.translate_article(structure.parse(text, name=name))
        return self.render(article, format)

    def translate_file(
        self, path: str | Path, output: str | Path | None = None, *, format: str = "text",
        encoding: str | None = None,
    ) -> str:
        """Translate a file; write it atomically to ``output`` when given; return the text."""
        text = reading.read_input(str(path), encoding=encoding)
        result = self.translate_text(text, format=format, name=str(path))
        if output is not None:
            writing.write_atomic(Path(output), result)
        return result

    def render(self, article: Article, format: str = "text") -> str:
        return WRITERS[format].render(article, self._meta or self._unloaded_meta())

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
