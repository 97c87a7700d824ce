"""The names the corpus stages share: the columns it2en writes, its internal ones, the file formats."""

from __future__ import annotations

from it2en import formats

FORMAT_OF_SUFFIX = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet", ".csv": "csv"}
SUFFIX_OF_FORMAT = {"jsonl": ".jsonl", "parquet": ".parquet", "csv": ".csv"}
OUTPUT_COLUMNS = ("translation", "flags", "segments", "confidence", "needs_review", "model", "model_revision",
                  "error")
"""``confidence``: the row's least confident sentence (0–1, null when none was scored);
``needs_review``: how many of its sentences are flagged or less confident than ``--review-below``."""
INPUT_FORMATS = tuple(name for name in formats.INPUT_FORMATS if name != "auto")
"""A row has no file name to guess its format from: it is named."""

# Internal columns between the stages; never written out.
LINE = "_it2en_line"
"""A JSON Lines row as text, before it is parsed (by the worker, so a bad line is that row's error)."""
LINE_ERROR = "_it2en_line_error"
"""Why a JSON line could not be read as text (not UTF-8), or null."""
JSON_ROW = "_it2en_json"
"""A translated JSON Lines row, serialised: the input's own object with the output columns added."""
KEY = "_it2en_key"
"""The row's id as :func:`~it2en.corpus.resume.row_key` writes it."""
TOKENS = "_it2en_tokens"
"""Source tokens translated in the row, for the summary's rate."""
