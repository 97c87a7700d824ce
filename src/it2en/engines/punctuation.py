"""Moses punctuation normalisation, as OPUS-MT models were trained with it, without sacremoses.

OPUS-MT's training data went through Moses' ``normalize-punctuation.perl``; transformers'
``MarianTokenizer`` reproduced it with ``sacremoses.MosesPunctNormalizer(lang)``. Importing
sacremoses costs about half a second (it loads its tokenizer, truecaser, ``regex``, ``joblib``
and ``click``), more than translating a short sentence, and only its normaliser is used: a
handful of regular-expression substitutions. This module is those substitutions, copied from
sacremoses 0.2.0 (``sacremoses/normalize.py``, MIT licence) with its default options
(``penn=True, norm_quote_commas=True, norm_numbers=True``, no pre/post steps, no Perl
parity), in the same order. ``tests/test_punctuation.py`` checks it gives sacremoses' output,
character for character, on every line of the corpus, so the model sees exactly what it did.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

_EXTRA_WHITESPACE = [
    (r"\r", r""),
    (r"\(", r" ("),
    (r"\)", r") "),
    (r" +", r" "),
    (r"\) ([.!:?;,])", r")\g<1>"),
    (r"\( ", r"("),
    (r" \)", r")"),
    (r"(\d) %", r"\g<1>%"),
    (r" :", r":"),
    (r" ;", r";"),
]
# sacremoses adds these when ``penn`` is true (its default), despite the name it gives them.
_NORMALIZE_UNICODE_IF_NOT_PENN = [(r"`", r"'"), (r"''", r' " ')]
_NORMALIZE_UNICODE = [
    ("„", r'"'),
    ("“", r'"'),
    ("”", r'"'),
    ("–", r"-"),
    ("—", r" - "),
    (r" +", r" "),
    ("´", r"'"),
    ("([a-zA-Z])‘([a-zA-Z])", r"\g<1>'\g<2>"),
    ("([a-zA-Z])’([a-zA-Z])", r"\g<1>'\g<2>"),
    ("‘", r"'"),
    ("‚", r"'"),
    ("’", r"'"),
    (r"''", r'"'),
    ("´´", r'"'),
    ("…", r"..."),
]
_FRENCH_QUOTES = [
    ("\u00a0«\u00a0", r'"'),
    ("«\u00a0", r'"'),
    ("«", r'"'),
    ("\u00a0»\u00a0", r'"'),
    ("\u00a0»", r'"'),
    ("»", r'"'),
]
_HANDLE_PSEUDO_SPACES = [
    ("\u00a0%", r"%"),
    ("nº\u00a0", "nº "),
    ("\u00a0:", r":"),
    ("\u00a0ºC", " ºC"),
    ("\u00a0cm", r" cm"),
    ("\u00a0\\?", "?"),
    ("\u00a0\\!", "!"),
    ("\u00a0;", r";"),
    (",\u00a0", r", "),
    (r" +", r" "),
]
_EN_QUOTATION_FOLLOWED_BY_COMMA = [(r'"([,.]+)', r'\g<1>"')]
_DE_ES_FR_QUOTATION_FOLLOWED_BY_COMMA = [
    (r',"', r'",'),
    (r'(\.+)"(\s*[^<])', r'"\g<1>\g<2>'),
]
_DE_ES_CZ_CS_FR_NUMBERS = [("(\\d)\u00a0(\\d)", r"\g<1>,\g<2>")]
_OTHER_NUMBERS = [("(\\d)\u00a0(\\d)", r"\g<1>.\g<2>")]


def _rules(lang: str) -> list[tuple[str, str]]:
    """sacremoses' substitution list for ``lang``, in its order."""
    rules = _EXTRA_WHITESPACE + _NORMALIZE_UNICODE_IF_NOT_PENN + _NORMALIZE_UNICODE
    rules = rules + _FRENCH_QUOTES + _HANDLE_PSEUDO_SPACES
    if lang == "en":
        rules = rules + _EN_QUOTATION_FOLLOWED_BY_COMMA
    elif lang in ("de", "es", "fr"):
        rules = rules + _DE_ES_FR_QUOTATION_FOLLOWED_BY_COMMA
    if lang in ("de", "es", "cz", "cs", "fr"):
        return rules + _DE_ES_CZ_CS_FR_NUMBERS
    return rules + _OTHER_NUMBERS


@lru_cache(maxsize=None)
def punctuation_normalizer(lang: str = "it") -> Callable[[str], str]:
    """``MosesPunctNormalizer(lang).normalize`` (sacremoses' defaults), compiled once per language."""
    compiled = [(re.compile(pattern), replacement) for pattern, replacement in _rules(lang)]

    def normalize(text: str) -> str:
        for pattern, replacement in compiled:
            text = pattern.sub(replacement, text)
        return text.strip()

    return normalize
