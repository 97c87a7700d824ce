"""Keep what the model must not touch: template tags (``{{site.baseurl}}/foia/``, ``{% if %}``,
``{{< figure >}}``), URLs, e-mail addresses, @handles, #hashtags, acronyms and code-like names
(``USOC``, ``A.R.T.I.``, ``H800``), and numbers written the Italian way (``17.500``,
``1.000,50 €``, ``5,9%``, ``18.15``).

Two kinds of span, two treatments:

* **Masked** spans are replaced, before translation, by a short placeholder token and put back
  afterwards (:func:`protect` / :func:`restore`). These are the spans the model is known to
  damage: it inserts spaces into URLs (``http :// ...``), changes the case of handles
  (``@P1User``), translates the words of a hashtag or of a URL path (``it.openoffice.org`` →
  ``en.openoffice.org``), rewrites acronyms (``USOC`` → ``UOC``, ``DRV`` → ``DrV``) and mangles
  Italian numbers (``1.983,73`` → ``1.983.73``, ``18.15`` → ``6.15 pm``). A number comes back
  in English form when the pipeline asks for it (``english_numbers``, see ``numbers``: the
  rule for what is converted and what is ambiguous), otherwise verbatim. Acronyms exclude
  Roman numerals (``XXI secolo`` is "21st century"), Italian words in capitals (``IL``,
  ``NON``), runs of three capitalised words (shouting), and the Italian acronyms the model
  translates (``UE`` → ``EU``, ``PIL`` → ``GDP``). Template tags of static-site generators
  (Liquid/Jinja ``{{ … }}``, ``{% … %}``, ``{# … #}``; Hugo shortcodes ``{{< … >}}``,
  ``{{% … %}}``) are masked whole, with a path glued after one (``{{site.baseurl}}/foia/``):
  the model would translate their words and rewrite their braces. Extra spans (glossary terms) can be masked
  with the text to put back for them.
* **Verified** spans are left in the text for the model to translate around, and only checked
  afterwards (:func:`verbatim_spans`, used by ``checks.check_translation``): plain integers of
  two or more digits (``2000``, ``13`` in ``13%``, ``48``). opus-mt copies plain digits reliably,
  and masking them would hide their meaning (plural agreement, ``13%`` → ``13 per cent``).

The placeholder token
---------------------
A token is one capital letter and a number: ``X1``, ``X2``, ... (the letter changes, ``Z``,
``Q``, ..., when the sentence already holds something that reads like such a token). Why this
shape, for a SentencePiece MarianMT model that was never trained with placeholders:

* opus-mt models copy code-like tokens (``A1``, ``G7``, ``H800``, ``KV62``) unchanged: they are
  frequent on both sides of the OPUS training data and have no translation. Bracketed or
  underscored tags (``<x1>``, ``__URL_0__``, ``{0}``) use characters the models map to
  ``<unk>``, split into many pieces, or learned to rewrite (``>/strong>``), and word-like
  sentinels get translated or re-cased (reported for ``xx1xx`` and ``${DNT1}`` in other systems).
* A single letter is a single SentencePiece piece, so the token is two pieces with the number
  as the only difference between tokens. The pipeline's retry decodes with
  ``no_repeat_ngram_size=3``: a multi-piece prefix (``▁E MA IL 1``, ``▁E MA IL 2``) would repeat
  a 3-gram and the second token could not be produced; ``▁X 1`` / ``▁X 2`` never do.
* Only letters and digits: Moses punctuation normalisation and SentencePiece NFKC leave them
  alone.

:func:`restore` is tolerant of what the model does around a token: case (``x1``), a space or
hyphen inside it (``X 1``, ``X-1``), punctuation or letters glued after it (``X1.``, ``X1s``),
the token moved anywhere in the sentence, or repeated. A token that does not come back is
reported as lost, never guessed.

Order with ALL-CAPS headlines: the pipeline sentence-cases first and masks second;
``postedit.to_sentence_case`` keeps words with digits as they are, so tokens stay upper-case.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from it2en.fidelity.numbers import english_form

__all__ = ["TEMPLATE_TAG", "Protected", "protect", "restore", "verbatim_spans", "masked_spans", "template_tags",
           "token_indices"]

# Closing punctuation that ends a sentence rather than a URL or an address.
_TRAILING = ".,;:!?'\"’”»…"
_TLDS = (
    "it|com|org|net|info|eu|gov|edu|int|io|ai|app|dev|co|uk|de|fr|es|ch|at|be|nl|us|tv|me|ly|"
    "news|help|blog|online|site|tech|biz|sm|va"
)
_URL = re.compile(
    r"(?<![\w@/.-])(?:"
    r"(?:https?|ftp)://[^\s<>\"“”«»]+"
    r"|www\.[^\s<>\"“”«»]+"
    # bare domains (terremotocentroitalia.info, Covid19Italia.Help): a known top-level domain,
    # a first label of two characters or more, so that "p.es." or "S.p.A." never match.
    r"|[A-Za-z0-9][A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?i:" + _TLDS + r")(?![\w-])(?:/[^\s<>\"“”«»]*)?"
    r")"
)
# Template tags: Hugo shortcodes first ({{< … >}}, {{% … %}}), then Liquid/Jinja output, tags
# and comments ({{ … }}, {% … %}, {# … #}); none spans a blank line.
TEMPLATE_TAG = re.compile(
    r"\{%-?\s*(comment|raw)\s*-?%\}.*?\{%-?\s*end\1\s*-?%\}|"  # a comment or raw block: whole
    r"\{\{<(?:(?!\n\s*\n).)*?>\}\}|\{\{%(?:(?!\n\s*\n).)*?%\}\}"
    r"|\{\{(?:(?!\n\s*\n).)*?\}\}|\{%(?:(?!\n\s*\n).)*?%\}|\{#(?:(?!\n\s*\n).)*?#\}",
    re.DOTALL,
)
# A template tag, and a path glued after it ({{site.baseurl}}/foia/, {{ page.x }}.html).
_TEMPLATE = re.compile(r"(?:" + TEMPLATE_TAG.pattern + r")(?:[/#?.][^\s<>\"“”«»{]*)?", re.DOTALL)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?")
# A hashtag has at least one letter (``#1`` is "number one"); ``&#39;`` is an HTML entity.
_HASHTAG = re.compile(r"(?<![\w#&])#\w*[^\W\d_]\w*")
# Italian-format numbers, with a currency sign before or a unit sign after kept in the span.
_NUMBER_CORE = (
    r"\d{1,3}(?:\.\d{3})+(?:,\d+)?"  # 17.500, 1.000,50
    r"|\d+,\d+"  # 5,9
    r"|\d+(?:\.\d+)+"  # 18.15, 23.03.2020, 2.0
    r"|\d{1,2}/\d{1,2}/\d{2,4}"  # 23/03/2020
)
_NUMBER_ONE = r"(?:" + _NUMBER_CORE + r")(?![\d/]|[.,]\d)"
_INTEGER = r"\d+(?![\w.,/])"
# A range (4,2-3,9; 2-3,5) is one span: its English form takes an en dash.
_NUMBER = re.compile(
    r"(?:[€$£]\s?)?(?<![\w.,/])(?:" + _NUMBER_ONE + r"(?:\s?[-–]\s?(?:" + _NUMBER_ONE + "|" + _INTEGER + r"))?"
    r"|" + _INTEGER + r"\s?[-–]\s?" + _NUMBER_ONE + r")(?:\s?(?:%|‰|€))?"
)
# Acronyms and code-like names (USOC, A.R.T.I., H800, KV62, COVID-19), which the model rewrites
# (USOC → UOC, USACE → U.S.A.E., DRV → DrV): two capitals or more, or a capital and a digit.
# The final dot of a dotted form stays outside the span at the end of a sentence.
_ACRONYM = re.compile(
    r"(?<![\w.-])(?:(?:[A-Z]\.)+[A-Z](?:\.(?=\W*\w)|(?!\w))"
    r"|[A-Z][A-Z0-9]+(?:-\d+)?(?!\w))"
)
# Three capitalised words in a row are shouting, not acronyms (words with digits still count).
_SHOUTING_RUN = re.compile(r"\b[A-ZÀ-Ý]{2,}(?:[\s,:;]+[A-ZÀ-Ý]{2,}\b){2,}")
_ACRONYM_ROMAN = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})\Z")
# Left to the model: Italian function words in capitals (IL, NON), and Italian acronyms whose
# English form differs (UE → EU, ONU → UN, PIL → GDP: the model translates them).
_NOT_ACRONYMS = frozenset(
    "IL LO LA LE GLI UN UNA DI DA IN CON SU PER TRA FRA ED MA SE NE CI SI NO NON CHE CHI HA HO "
    "AL DEL DAL NEL SUL COL AI DEI NEI SUI ALLA DELLA NELLA SULLA MAI ORA POI GIÀ "
    "UE ONU OSN OMS PIL OCSE FMI BCE IA ONG OEA OLP CEE URSS RDT RFT OGM IVA CIO".split()
)
# Plain integers: verified, not masked. Not part of a word or code (H800; COVID-19 is kept:
# the hyphen is not a letter), not a single digit (the model may write "two" for "2"), not a
# decade ("anni '70" is "the 1970s" or "the '70s").
_PLAIN_NUMBER = re.compile(r"(?<![\w.,/:])\d{2,}(?![\w/:]|[.,]\d)")
_DECADE = re.compile(r"(?:^|(?<=\s))['’]\Z")
# Clock times (9:30, 18:45): verified as a whole.
_TIME = re.compile(r"(?<![\w.,:])\d{1,2}:\d{2}(?![\d:]|[.,]\d)")

_KINDS = (("template", _TEMPLATE), ("email", _EMAIL), ("url", _URL), ("handle", _HANDLE), ("hashtag", _HASHTAG),
          ("number", _NUMBER), ("acronym", _ACRONYM))
_LETTERS = "XZQKJWYV"


@dataclass(frozen=True)
class Protected:
    """A sentence with its fragile spans replaced by tokens, and what to put back."""

    text: str
    """The sentence the model sees."""
    originals: list[str] = field(default_factory=list)
    """The masked spans, in order of appearance: ``tokens[i]`` stands for ``originals[i]``."""
    tokens: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    """``template``, ``url``, ``email``, ``handle``, ``hashtag``, ``number``, ``acronym``, ``verbatim`` (a
    Markdown or HTML sentence's inline code, autolinks, images) or ``glossary``, one per original."""
    letter: str = "X"
    replacements: list[str] = field(default_factory=list)
    """What :func:`restore` puts back for each token when it differs from the original (an
    English number, a glossary term); empty: the originals."""

    @property
    def restored(self) -> list[str]:
        """The text each token stands for in the translation, in order."""
        return self.replacements or self.originals


def masked_spans(text: str) -> list[tuple[int, int, str]]:
    """The spans :func:`protect` masks, as ``(start, end, kind)``, in order, not overlapping."""
    found: list[tuple[int, int, str]] = []
    taken = [False] * (len(text) + 1)
    for kind, pattern in _KINDS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if kind in ("template", "url", "email", "handle", "hashtag"):
                end = _trim(text, start, end)
            if end <= start or any(taken[start:end]):
                continue
            if kind == "url" and not _plausible_url(text[start:end]):
                continue
            if kind == "acronym" and not _is_acronym(text, start, end):
                continue
            found.append((start, end, kind))
            for i in range(start, end):
                taken[i] = True
    found.sort()
    return found


def _trim(text: str, start: int, end: int) -> int:
    """Drop sentence punctuation glued to the end of a URL or address; keep balanced brackets."""
    while end > start:
        last = text[end - 1]
        if last in _TRAILING:
            end -= 1
        elif last == ")" and text.count("(", start, end) < text.count(")", start, end):
            end -= 1
        else:
            break
    return end


def _is_acronym(text: str, start: int, end: int) -> bool:
    span = text[start:end]
    if "." not in span:
        if sum(c.isupper() for c in span) < 2 and not any(c.isdigit() for c in span):
            return False
        if span in _NOT_ACRONYMS or _ACRONYM_ROMAN.match(span):
            return False
        if not any(c.isdigit() for c in span):
            for run in _SHOUTING_RUN.finditer(text):
                if run.start() <= start and end <= run.end():
                    return False
    return True


def _plausible_url(span: str) -> bool:
    lowered = span.lower()
    if "://" in lowered or lowered.startswith("www."):
        return len(span) > 7
    # a bare domain: at least one letter in the first label, not just digits and dots
    return any(c.isalpha() for c in span.split(".", 1)[0])


def _token_pattern(letter: str) -> re.Pattern[str]:
    return re.compile(r"(?<![A-Za-z])" + letter + r"[ \-_]?(\d+)(?!\d)", re.IGNORECASE)


def protect(sentence: str, extra: Sequence[tuple[int, int]] = (), *, english_numbers: bool = False,
            terms: Sequence[tuple[int, int, str, str]] = ()) -> Protected:
    """Mask URLs, e-mail addresses, @handles, #hashtags, acronyms and Italian-format numbers.

    ``extra``: more ``(start, end)`` spans to mask, of kind ``verbatim`` (a Markdown or HTML
    sentence's inline code, autolinks, images: ``Segment.verbatim``); a span found here that
    overlaps one of them is left to it.
    ``restore(protect(s).text, protect(s)) == (s, [])`` for every string ``s``.

    ``english_numbers``: numbers come back in English form where ``numbers.english_form`` gives
    one (``17.500`` → ``17,500``). ``terms``: more spans to mask, as ``(start, end, kind,
    replacement)`` (glossary terms); they win over an acronym or number they overlap, and are
    dropped where they would cut into a URL, address, handle or hashtag.
    """
    spans = _unglued(sentence, _with_terms(_with_extra(masked_spans(sentence), extra), terms))
    if not spans:
        return Protected(sentence)
    put_back = {start: replacement for start, _, _, replacement in terms}
    letter = _free_letter(sentence)
    parts: list[str] = []
    originals: list[str] = []
    tokens: list[str] = []
    kinds: list[str] = []
    replacements: list[str] = []
    at = 0
    for number, (start, end, kind) in enumerate(spans, start=1):
        token = f"{letter}{number}"
        parts.append(sentence[at:start])
        parts.append(token)
        originals.append(sentence[start:end])
        tokens.append(token)
        kinds.append(kind)
        if start in put_back:
            replacements.append(put_back[start])
        elif kind == "number" and english_numbers:
            replacements.append(english_form(sentence[start:end], sentence[end:]) or sentence[start:end])
        else:
            replacements.append(sentence[start:end])
        at = end
    parts.append(sentence[at:])
    masked = "".join(parts)
    result = Protected(masked, originals, tokens, kinds, letter)
    # Belt and braces: a token glued to a digit or letter of the text around it could read as
    # another token; such a sentence is sent unmasked (its spans are still verified).
    if restore(masked, result) != (sentence, []):
        return Protected(sentence)
    if replacements != originals:
        return Protected(masked, originals, tokens, kinds, letter, replacements)
    return result


def _unglued(sentence: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Template tags and verbatim spans widened back over a word glued before them
    (``avviso{{% /notice %}}``): a token right after a letter would not read as one."""
    result: list[tuple[int, int, str]] = []
    for start, end, kind in spans:
        floor = result[-1][1] if result else 0
        while kind in ("template", "verbatim") and start > floor and sentence[start - 1].isalnum():
            start -= 1
        result.append((start, end, kind))
    return result


def _with_extra(spans: list[tuple[int, int, str]], extra: Sequence[tuple[int, int]]) -> list[tuple[int, int, str]]:
    if not extra:
        return spans
    added = [(start, end, "verbatim") for start, end in extra if end > start]
    kept = [s for s in spans if not any(s[0] < end and start < s[1] for start, end, _ in added)]
    return sorted(kept + added)


def _with_terms(spans: list[tuple[int, int, str]],
                terms: Sequence[tuple[int, int, str, str]]) -> list[tuple[int, int, str]]:
    """The spans to mask: a term wins over an acronym or a number it overlaps (``CNR`` in the
    glossary), but never cuts into a URL, an address, a handle, a hashtag or a verbatim span
    of markup (it is dropped)."""
    if not terms:
        return spans
    links = [(s, e) for s, e, k in spans if k in ("template", "url", "email", "handle", "hashtag", "verbatim")]
    terms = [t for t in terms if not any(t[0] < e and s < t[1] for s, e in links)]
    kept = [(s, e, k) for s, e, k in spans if not any(s < te and ts < e for ts, te, _, _ in terms)]
    return sorted(kept + [(s, e, k) for s, e, k, _ in terms])


def _free_letter(sentence: str) -> str:
    """A token letter that nothing in the sentence could be mistaken for."""
    for size in (1, 2, 3):
        for letter in _LETTERS:
            candidate = letter * size
            if not _token_pattern(candidate).search(sentence):
                return candidate
    return "XQZ"  # unreachable in practice: every candidate collided


def restore(translation: str, protected: Protected) -> tuple[str, list[str]]:
    """Put the masked spans back into the model's output.

    Returns the restored text and the originals whose token was not found (lost placeholders),
    in source order. Tokens the model invented (an index that was never issued) are left alone.
    """
    if not protected.originals:
        return translation, []
    by_index = {i: original for i, original in enumerate(protected.restored, start=1)}
    seen: set[int] = set()

    def put_back(match: re.Match[str]) -> str:
        index = int(match.group(1))
        original = by_index.get(index)
        if original is None:
            return match.group(0)
        seen.add(index)
        return original

    text = _token_pattern(protected.letter).sub(put_back, translation)
    lost = [o for i, o in by_index.items() if i not in seen]
    return text, lost


def template_tags(text: str) -> list[str]:
    """The template tags of ``text`` that :func:`protect` masks (with a path glued after one), in order."""
    return [text[start:end] for start, end, kind in masked_spans(text) if kind == "template"]


def token_indices(text: str, letter: str) -> list[int]:
    """The numbers of the placeholder tokens written with ``letter`` in ``text``, in order
    (read as tolerantly as :func:`restore` reads them)."""
    return [int(m.group(1)) for m in _token_pattern(letter).finditer(text)]


def verbatim_spans(text: str) -> list[str]:
    """Every span of ``text`` that must appear unchanged in its translation, in order.

    The masked spans (URLs, addresses, handles, hashtags, Italian-format numbers), clock times
    (``9:30``) and the plain integers of two digits or more (not decades such as ``'70``). ``checks.check_translation`` takes this list as
    ``verbatim=``; plain integers are matched there as whole numbers (``13`` is in ``13 per
    cent`` but not in ``130``).
    """
    spans = masked_spans(text)
    found = [(start, text[start:end]) for start, end, _ in spans]
    taken = [False] * (len(text) + 1)
    for start, end, _ in spans:
        for i in range(start, end):
            taken[i] = True
    for pattern in (_TIME, _PLAIN_NUMBER):
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(taken[start:end]):
                continue
            if pattern is _PLAIN_NUMBER and _DECADE.search(text[max(0, start - 2):start]):
                continue
            found.append((start, match.group(0)))
            for i in range(start, end):
                taken[i] = True
    found.sort()
    return [span for _, span in found]
