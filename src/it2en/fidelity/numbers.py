"""Italian-format numbers written the English way, and the check that a translation keeps the
source's numeric values.

An English reader takes ``17.500 people`` for seventeen and a half, so the numbers that
``placeholders`` masks are put back in English form (``--keep-number-format`` keeps the
source's form). The rule, strict on purpose (the README says the same):

* **Converted**: a number that is unambiguously Italian and that Babel's strict Italian parser
  (``parse_decimal(..., locale="it", strict=True)``) accepts: a decimal comma (``5,9``,
  ``1,50``, ``0,750``), dot thousands groups of exactly three digits (``17.500``,
  ``2.000.000``), or both (``1.000,50``). The conversion swaps the two separators and nothing
  else: the digits, and so the decimals, are kept exactly (``1,50`` → ``1.50``, no rounding).
* A currency sign goes before the number, without a space (``1.000,50 €`` → ``€1,000.50``); a
  percent or per-mille sign stays after it, without a space (``5,9 %`` → ``5.9%``); a range of
  two numbers takes an en dash (``4,2-3,9`` → ``4.2–3.9``).
* **Left as it is** (ambiguous): a dot followed by one, two, or more than three digits (``3.5``,
  ``2.0``, ``18.15``, a version ``1.2``, a time ``17.00``), dates (``23.03.2020``,
  ``23/03/2020``), a dot-grouped number starting with ``0`` (``0.500``), and a comma followed by
  exactly three digits with no other separator (``171,790``: English thousands or Italian
  thousandths?) unless the integer part is ``0`` or a scale word or sign follows (``1,125
  miliardi``, ``2,375%``), which make it a decimal.

:func:`mismatch` compares values, not strings: ``17.500`` and ``17,500`` agree, ``17.5`` does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

__all__ = ["Conversion", "english_form", "mismatch", "is_italian_format", "ITALIAN_NUMBER"]

_SWAP = str.maketrans(".,", ",.")
_ITALIAN_GROUPED = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_DECIMAL_COMMA = re.compile(r"\d+,\d+")
_AMBIGUOUS_COMMA = re.compile(r"[1-9]\d{0,2},\d{3}")
_SCALE = re.compile(r"\s*(?:%|‰|per\s*cento|mila\b|milion[ei]\b|miliard[oi]\b|mln\b|mld\b|mrd\b)",
                    re.IGNORECASE)
_SPAN = re.compile(
    r"(?P<pre>[€$£]\s?)?(?P<first>\d[\d.,/]*)(?:(?P<dash>\s?[-–]\s?)(?P<second>\d[\d.,/]*))?"
    r"(?P<post>\s?[%‰€])?\Z"
)

ITALIAN_NUMBER = re.compile(r"(?<![\w.,/])(?:" + _ITALIAN_GROUPED.pattern + r"|\d+,\d+)(?![\w/]|[.,]\d)")
"""An Italian-format number in running text (the bench counts these)."""


@dataclass(frozen=True)
class Conversion:
    """A number of the source and the form it takes in the translation."""

    source: str
    english: str


def is_italian_format(core: str) -> bool:
    """True for a bare number written the Italian way: a decimal comma or dot thousands groups."""
    return bool(_ITALIAN_GROUPED.fullmatch(core) or _DECIMAL_COMMA.fullmatch(core))


def _italian_value(core: str) -> Decimal | None:
    from babel.numbers import NumberFormatError, parse_decimal

    try:
        return parse_decimal(core, locale="it", strict=True)
    except (NumberFormatError, InvalidOperation, ValueError):
        return None


def _core_to_english(core: str, scaled: bool) -> str | None:
    """The English form of one bare number; ``core`` itself for a plain integer; None when
    ambiguous or not a number."""
    if core.isdigit():
        return core
    if not is_italian_format(core):
        return None
    if _AMBIGUOUS_COMMA.fullmatch(core) and not scaled:
        return None
    if core.startswith("0") and "." in core:
        return None
    if _italian_value(core) is None:
        return None
    return core.translate(_SWAP)


def english_form(span: str, after: str = "") -> str | None:
    """The English form of a masked number span (``1.000,50 €``, ``5,9%``, ``4,2-3,9``), or None
    when it must stay as it is (ambiguous, or nothing Italian in it).

    ``after`` is the text that follows the span in the sentence: a scale word there
    (``milioni``) makes ``1,125`` a decimal.
    """
    match = _SPAN.match(span.strip())
    if match is None:
        return None
    scaled = bool(match["post"] and match["post"].strip() in "%‰") or bool(_SCALE.match(after))
    cores = [match["first"]] + ([match["second"]] if match["second"] else [])
    english = [_core_to_english(core, scaled) for core in cores]
    if any(e is None for e in english) or not any(is_italian_format(c) for c in cores):
        return None
    number = "–".join(english) if len(english) == 2 else english[0]
    currency = (match["pre"] or "").strip()
    post = (match["post"] or "").strip()
    if post == "€":
        currency, post = "€", ""
    return f"{currency}{number}{post}"


# ---------------------------------------------------------------------------------------------
# Values: the number_mismatch check
# ---------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"(?<![\w.,/:])\d+(?:[.,]\d+)*(?![\d_/:]|[.,]\d)")
"""A number not inside a word, code, time or fraction; letters may follow it (a unit or an
ordinal the model glues on: ``160km/h``, ``190th``, ``60ma``)."""
_DECADE = re.compile(r"(?:^|(?<=\s))['’]\Z")
_ENGLISH = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")


def _english_value(token: str) -> Decimal | None:
    if not _ENGLISH.fullmatch(token):
        return None
    return Decimal(token.replace(",", ""))


def _keys(token: str, *, italian: bool, source: bool) -> set[str]:
    """What a number token may stand for: its values under the reading that applies, and the
    token itself (dates, codes)."""
    keys = {"=" + token}
    values: list[Decimal | None] = []
    if token.isdigit():
        values.append(Decimal(token))
    elif italian:
        if _core_to_english(token, scaled=False) is not None:
            values.append(_italian_value(token))
        else:  # ambiguous: either reading is fine
            values += [_italian_value(token), _english_value(token)] if source else [_italian_value(token)]
    else:
        values.append(_english_value(token))
    keys.update(f"{v.normalize():f}" for v in values if v is not None)
    return keys


def _tokens(text: str) -> list[str]:
    found = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if sum(c.isdigit() for c in token) < 2:
            continue  # a single digit may well be written as a word
        if _DECADE.search(text[max(0, match.start() - 2):match.start()]):
            continue  # "anni '70" is "the 1970s"
        found.append(token)
    return found


def mismatch(source: str, target: str, *, target_italian: bool = False) -> bool:
    """True when a number of ``source`` (Italian) has no number of the same value in ``target``.

    ``target_italian``: the translation keeps Italian number format (``--keep-number-format``).
    Single digits and decades are not compared (the model may write them as words).
    """
    wanted = [_keys(t, italian=True, source=True) for t in _tokens(source)]
    if not wanted:
        return False
    available = [_keys(t, italian=target_italian, source=False) for t in _tokens(target)]
    for keys in wanted:
        for index, have in enumerate(available):
            if keys & have:
                del available[index]
                break
        else:
            return True
    return False
