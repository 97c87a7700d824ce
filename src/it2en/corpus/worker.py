"""The Ray actor that translates batches of rows, one :class:`~it2en.api.ArticleTranslator` each."""

from __future__ import annotations

import json
import os
from typing import Any

from it2en import formats
from it2en.article import needs_review
from it2en.corpus.resume import row_key
from it2en.corpus.schema import JSON_ROW, KEY, LINE, LINE_ERROR, OUTPUT_COLUMNS, TOKENS
from it2en.errors import It2enError


class TranslateRows:
    """One Ray actor: loads the model once, then translates batches of rows (``map_batches``)."""

    def __init__(self, *, translator_options: dict[str, Any], text_column: str, id_column: str,
                 input_format: str, threads: int | None, skip: frozenset[str], json_lines: bool,
                 environment: dict[str, str], review_below: float) -> None:
        os.environ.update(environment)
        if threads:
            from it2en.engines.transformers import THREADS_ENV

            os.environ[THREADS_ENV] = str(threads)
        from it2en.api import ArticleTranslator

        self.translator = ArticleTranslator(**{**translator_options, "quiet": True})
        self.translator.engine  # noqa: B018 - load the model now, once per actor
        self.text_column = text_column
        self.id_column = id_column
        self.input_format = input_format
        self.skip = skip
        self.review_below = review_below
        self.json_lines = json_lines
        self.count_tokens = getattr(self.translator.engine, "count_tokens", None)

    def __call__(self, batch):
        if self.json_lines:
            rows, ids, texts = self._parse_lines(batch)
        else:
            rows, ids, texts = None, batch.column(self.id_column).to_pylist(), batch.column(self.text_column).to_pylist()
        keep = [row_key(i) not in self.skip for i in ids]
        results = self.translate_rows([t for t, k in zip(texts, keep) if k], [i for i, k in zip(ids, keep) if k])
        if self.json_lines:
            return self._json_rows([r for r, k in zip(rows, keep) if k], [i for i, k in zip(ids, keep) if k], results)
        return self._arrow_rows(batch.filter(_mask(keep)) if not all(keep) else batch, results)

    def translate_rows(self, texts: list[Any], ids: list[Any]) -> list[dict[str, Any]]:
        """One result per row: the :data:`~it2en.corpus.schema.OUTPUT_COLUMNS`, and its tokens."""
        results: list[dict[str, Any]] = [{} for _ in texts]
        articles = []
        for result, value, ident in zip(results, texts, ids):
            text, error = row_text(value, name=f"row {ident}")
            if error:
                result["error"] = error
                continue
            try:
                article = parse_article(text, self.input_format, name=f"row {ident}")
            except It2enError as exc:
                result["error"] = str(exc)
                continue
            articles.append((result, article))
        try:
            self.translator.translate_articles([a for _, a in articles])
        except It2enError:
            # One row the pipeline refuses must not take its batch with it: one by one, then.
            for result, article in articles:
                try:
                    self.translator.translate_articles([article])
                except It2enError as exc:
                    result["error"] = str(exc)
        for result, article in articles:
            if "error" not in result:
                result.update(self._describe(article))
        meta = self.translator.meta
        for result in results:
            result.setdefault("translation", None)
            result.setdefault("flags", [])
            result.setdefault("segments", 0)
            result.setdefault("confidence", None)
            result.setdefault("needs_review", 0)
            result.setdefault(TOKENS, 0)
            result["model"] = meta.model_name
            result["model_revision"] = meta.model_revision
            result.setdefault("error", None)
        return results

    def _describe(self, article) -> dict[str, Any]:
        segments = article.translatable_segments()
        flags: list[str] = []
        for segment in segments:
            flags.extend(f for f in segment.flags if f not in flags)
        if article.kept_as_written:
            flags.append("kept_as_written")
        count = self.count_tokens or (lambda text: len(text) // 4 + 2)
        scored = [s.confidence for s in segments if s.confidence is not None]
        return {
            "translation": render_article(self.translator, article, self.input_format),
            "flags": flags,
            "segments": len(segments),
            "confidence": min(scored, default=None),
            "needs_review": sum(needs_review(s, self.review_below) for s in segments),
            TOKENS: sum(count(s.source) for s in segments),
        }

    def _parse_lines(self, batch):
        rows, ids, texts = [], [], []
        for line, error in zip(batch.column(LINE).to_pylist(), batch.column(LINE_ERROR).to_pylist()):
            row: Any = None
            if error is None:
                try:
                    row = json.loads(line)
                except ValueError as exc:
                    error = f"not a JSON line ({exc}): {line[:60]!r}"
            if error is None and not isinstance(row, dict):
                error = f"not a JSON object but {type(row).__name__}: {line[:60]!r}"
            if error is not None:
                rows.append({"line": line[:200]})
                ids.append(None)
                texts.append(_BadLine(error))
                continue
            rows.append(row)
            ids.append(row.get(self.id_column))
            texts.append(row[self.text_column] if self.text_column in row else _BadLine(
                f"no {self.text_column!r} field in this row (its fields: {', '.join(row) or 'none'})"))
        return rows, ids, texts

    def _json_rows(self, rows, ids, results):
        import pyarrow as pa

        lines, keys, segments, review, errors, tokens = [], [], [], [], [], []
        for row, ident, result in zip(rows, ids, results):
            row = {**row, **{c: result[c] for c in OUTPUT_COLUMNS}}
            lines.append(json.dumps(row, ensure_ascii=False, default=str))
            keys.append(row_key(ident))
            segments.append(result["segments"])
            review.append(result["needs_review"])
            errors.append(result["error"])
            tokens.append(result[TOKENS])
        return pa.table({JSON_ROW: pa.array(lines, pa.string()), KEY: pa.array(keys, pa.string()),
                         "segments": pa.array(segments, pa.int64()),
                         "needs_review": pa.array(review, pa.int64()), "error": pa.array(errors, pa.string()),
                         TOKENS: pa.array(tokens, pa.int64())})

    def _arrow_rows(self, batch, results):
        import pyarrow as pa

        types = {"translation": pa.string(), "flags": pa.list_(pa.string()), "segments": pa.int64(),
                 "confidence": pa.float64(), "needs_review": pa.int64(), "model": pa.string(), "model_revision": pa.string(), "error": pa.string(), TOKENS: pa.int64()}
        for column, kind in types.items():
            values = pa.array([r[column] for r in results], kind)
            if column in batch.column_names:
                batch = batch.drop_columns([column])
            batch = batch.append_column(column, values)
        return batch


class _BadLine(str):
    """A JSON line that could not give a text: its reason, carried where the text would be."""


def _mask(keep: list[bool]):
    import pyarrow as pa

    return pa.array(keep, pa.bool_())


def row_text(value: Any, *, name: str) -> tuple[str, str | None]:
    """A row's text, or why it has none: the refusals of ``reading`` (binary, NUL), per row."""
    from it2en import reading

    if isinstance(value, _BadLine):
        return "", str(value)
    if isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    elif isinstance(value, str):
        try:
            data = value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return "", f"{name}: not valid text (a lone surrogate at character {exc.start})"
    elif value is None:
        return "", f"{name}: the text is missing (null)"
    else:
        return "", f"{name}: the text is not a string but {type(value).__name__}"
    try:
        return reading.decode(data, name=name), None
    except It2enError as exc:
        return "", str(exc)


def parse_article(text: str, input_format: str, *, name: str):
    """The row's text parsed as ``it2en translate --input-format`` would parse a file."""
    return formats.parse(text, name=name, input_format=input_format)


def render_article(translator, article, input_format: str) -> str:
    """The translated article in the input's own format, as ``it2en translate`` prints it
    (the ``text`` writer writes Markdown back as Markdown, HTML as HTML)."""
    return translator.render(article, "text")
