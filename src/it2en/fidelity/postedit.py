"""Post-editing that makes a translation keep the source's surface: its final punctuation, its
typographic quotation marks and apostrophes, and its capitals.

All functions are pure string functions. Each is a no-op on an identity translation
(``target == source``), and applying one twice gives the same result as applying it once.

Why the quotation marks need work: opus-mt was trained on Moses-normalised text, where “ ” « »
become ``"`` and ’ ‘ become ``'`` (and … becomes ``...``, which SentencePiece's NFKC
normalisation does as well), so the model writes straight quotes and three dots whatever the
source used. The source's marks are put back here.
"""

from __future__ import annotations

import re
from collections import Counter

__all__ = [
    "match_final_punctuation",
    "match_quote_style",
    "close_quotation",
    "quote_role",
    "is_shouting",
    "to_sentence_case",
    "to_upper",
]

# ---------------------------------------------------------------------------------------------
# Final punctuation
# ---------------------------------------------------------------------------------------------

# Marks that end a sentence (or a clause-sized piece of a split sentence: the comma).
_MARKS = ".?!:;,…"
# What may follow the final mark: closing quotes, brackets, Markdown emphasis, spaces.
_CLOSERS = "\"'”’»)]}*_ \t\u00a0"
_ABBREVIATION = re.compile(
    r"(?:(?:^|[\s(\"“'‘«])(?:[A-Za-z]\.)+[A-Za-z]|\b(?:etc|ecc|Inc|Ltd|Corp|Jr|Sr|vs|approx))\Z"
)


def _split_end(text: str) -> tuple[str, str, int, int, bool]:
    """``text`` as (body, zone, start and end of the last mark run in the zone, abbreviation).

    The zone is the trailing run of marks and closers (``?”)``, ``.”.``). When it starts with
    the dot of an abbreviation (``U.S.``, ``etc.``), that dot is moved to the body and
    ``abbreviation`` is True: the dot belongs to the word, and may also end the sentence.
    """
    i = len(text)
    while i > 0 and (text[i - 1] in _MARKS or text[i - 1] in _CLOSERS):
        i -= 1
    body, zone = text[:i], text[i:]
    abbreviation = bool(zone.startswith(".") and not zone.startswith("..") and _ABBREVIATION.search(body))
    if abbreviation:
        body, zone = body + ".", zone[1:]
    end = len(zone)
    while end > 0 and zone[end - 1] not in _MARKS:
        end -= 1
    start = end
    while start > 0 and zone[start - 1] in _MARKS:
        start -= 1
    return body, zone, start, end, abbreviation


def match_final_punctuation(source: str, target: str) -> str:
    """Make the target end the way the source ends.

    * A source without final punctuation (a headline, a label, a list item) gets none: marks
      the model added at the end (``.``, ``...``, ``?``) are removed, closing quotes and
      brackets kept. The dot of a final abbreviation (``U.S.``, ``etc.``) stays.
    * A source ending in ``.`` ``?`` ``!`` ``:`` ``;`` ``,`` ``…`` or ``...`` (or a run such
      as ``?!``) has its translation end in the same run: a dropped mark is added, a changed one
      (``.`` for ``:``, ``...`` for ``…``) replaced. The source's last run counts: in
      ``“Sì!”.`` that is ``.``.
    * Closing quotes and brackets stay where the target has them; a mark that has to be added
      goes inside the target's closers when the source's mark is inside its own (``fine.”``),
      after them when it is outside (``“fine”.``).

    Empty or punctuation-only targets are returned as they are.
    """
    if not target.strip() or not any(c.isalnum() for c in target):
        return target
    _, s_zone, s_start, s_end, s_abbreviation = _split_end(source)
    s_run = s_zone[s_start:s_end]
    if s_abbreviation and not s_run:
        s_run = "."  # "negli U.S.A." ends with a full stop too
    t_body, t_zone, t_start, t_end, t_abbreviation = _split_end(target)
    t_run = t_zone[t_start:t_end]
    if not s_run:
        if not any(c in _MARKS for c in t_zone):
            return target
        return t_body + "".join(c for c in t_zone if c not in _MARKS)
    if t_run == s_run:
        return target
    if t_abbreviation and t_start == 0:
        # The run (if any) follows the abbreviation's dot: "U.S." + "?" → "U.S.?"; a full stop
        # is the abbreviation's dot itself; an ellipsis absorbs it ("etc…").
        rest = t_zone[t_end:]
        if s_run == ".":
            return t_body + rest
        if s_run[0] in ".…":
            return t_body[:-1] + s_run + rest
        return t_body + s_run + rest
    if t_run:
        return t_body + t_zone[:t_start] + s_run + t_zone[t_end:]
    # The target has no mark: put the source's run where the source has it.
    inside = bool(s_zone[s_end:].strip())
    if inside and t_zone.strip():
        return t_body + s_run + t_zone
    stripped = t_zone.rstrip()
    return t_body + stripped + s_run + t_zone[len(stripped):]


# ---------------------------------------------------------------------------------------------
# Quotation marks and apostrophes
# ---------------------------------------------------------------------------------------------

_DOUBLE_OPEN = {"“": "”", "«": "»"}
_DOUBLE_CLOSE = {v: k for k, v in _DOUBLE_OPEN.items()}
_WORD = re.compile(r"\w")
_OPEN_BEFORE = set(" \t\n\u00a0([{—–-/")
_CLOSE_AFTER = set(" \t\n\u00a0.,;:!?)]}…—–-/")


def quote_role(text: str, i: int, depth: int) -> str:
    """Whether the straight quote at ``i`` opens or closes, from its neighbours."""
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    opens = before in _OPEN_BEFORE and after not in " \t\n\u00a0"
    closes = after in _CLOSE_AFTER and before not in " \t\n\u00a0"
    if opens and not closes:
        return "open"
    if closes and not opens:
        return "close"
    return "close" if depth > 0 else "open"


def _single_style(text: str) -> str | None:
    """``"’"`` when ``text`` writes apostrophes and single quotes typographically (or has
    “…” double marks and no straight ones), ``"'"`` when it has a straight one, None when it
    gives no evidence."""
    if "'" in text:
        return "'"
    if "’" in text or "‘" in text:
        return "’"
    if ("“" in text or "”" in text) and '"' not in text:
        return "’"  # the word processor that curled the double quotes curls apostrophes too
    return None


def _double_marks(text: str) -> tuple[list[str], list[str]]:
    openers = [c for c in text if c in _DOUBLE_OPEN]
    closers = [c for c in text if c in _DOUBLE_CLOSE]
    return openers, closers


def _double_style(source: str, context: str) -> tuple[list[str], str] | None:
    """The source's opening double marks in order, and the most used one; None for straight."""
    for evidence in (source, context):
        if '"' in evidence:
            return None
        openers, closers = _double_marks(evidence)
        if openers or closers:
            if not openers:
                openers = [_DOUBLE_CLOSE[c] for c in closers]
            return openers, Counter(openers).most_common(1)[0][0]
    return None


def _curly_doubles(source: str, target: str, context: str) -> str:
    style = _double_style(source, context)
    if style is None or '"' not in target:
        return target
    src_openers, dominant = style
    positions = [i for i, c in enumerate(target) if c == '"']
    out = list(target)
    stack: list[str] = []
    opened = 0
    roles = []
    depth = 0
    for i in positions:
        role = quote_role(target, i, depth)
        roles.append(role)
        depth = depth + 1 if role == "open" else max(0, depth - 1)
    positional = roles.count("open") == len(src_openers)
    for i, role in zip(positions, roles):
        if role == "open":
            mark = src_openers[opened] if positional else dominant
            opened += 1
            stack.append(mark)
            out[i] = mark
        else:
            mark = stack.pop() if stack else dominant
            out[i] = _DOUBLE_OPEN[mark]
    return "".join(out)


def _curly_singles(source: str, target: str, context: str) -> str:
    """Straight ``'`` → ’ (apostrophes, closing quotes) and ‘ (opening quotes)."""
    if "'" not in target:
        return target
    style = _single_style(source)
    if style is None:
        style = _single_style(context)
    if style != "’":
        return target
    out = list(target)
    for i, c in enumerate(target):
        if c != "'":
            continue
        before = target[i - 1] if i > 0 else " "
        after = target[i + 1] if i + 1 < len(target) else " "
        if before in _OPEN_BEFORE and _WORD.match(after) and not after.isdigit():
            out[i] = "‘"  # an opening quote: 'bridge'
        else:
            out[i] = "’"  # it's, don't, the '70s, the students' union, a closing quote
    return "".join(out)


def _straighten(source: str, target: str) -> str:
    """A source with straight marks only: the target's typographic ones become straight."""
    if '"' in source and not any(c in source for c in "“”«»"):
        target = re.sub("[“”«»]", '"', target)
    if "'" in source and not any(c in source for c in "‘’"):
        target = re.sub("[‘’]", "'", target)
    return target


def match_quote_style(source: str, target: str, *, context: str = "") -> str:
    """Give the target the source's typographic quotation marks and apostrophes.

    * A source that writes its apostrophes ’ (and no straight ``'``) gets ’ in the target's
      contractions and possessives (``it’s``, ``don’t``, ``the students’``), and ‘…’ for
      single-quoted words.
    * A source with “…” or «…» pairs (and no straight ``"``) gets the same marks on the target's
      straight ``"…"`` pairs: pair by pair when the counts agree (so «…“…”…» nesting survives),
      otherwise the source's most used pair. An unpaired mark (a quotation that runs over
      several sentences) is read as opening or closing from its neighbours.
    * A source with straight marks keeps straight ones: typographic marks in the target become
      straight.
    * A source with no evidence either way (no quotes, no apostrophes) looks at ``context``
      (for instance the whole article's text) instead; with no context the target is unchanged.
    """
    if not target:
        return target
    target = _straighten(source, target)
    target = _curly_doubles(source, target, context)
    target = _curly_singles(source, target, context)
    return target


def close_quotation(source: str, target: str) -> str:
    """Put back the closing quotation mark that ends the source when the model dropped it.

    ``La legge prevede che “le zone … anni.”``: a quotation opened inside the sentence and
    closed at its end often comes back as ``… that “the areas … years.``. When the source's
    final run of marks holds a closing mark, the source's quotation marks of that kind pair up,
    and the target's do not (one opening mark more), the closing mark is added where the
    source has it: after the final punctuation (``anni.”``) or before it (``anni”.``).
    """
    _, s_zone, s_start, s_end, _ = _split_end(source)
    for opener, closer in (("“", "”"), ("«", "»"), ('"', '"')):
        if closer not in s_zone:
            continue
        if opener == closer:
            balanced = source.count('"') % 2 == 0 and target.count('"') % 2 == 1
        else:
            balanced = (source.count(opener) == source.count(closer)
                        and target.count(opener) == target.count(closer) + 1)
        if not balanced:
            continue
        after_marks = s_zone.rfind(closer) >= s_end
        t_body, t_zone, t_start, t_end, _ = _split_end(target)
        stripped = target.rstrip()
        if after_marks or t_end == 0:
            return stripped + closer + target[len(stripped):]
        return t_body + t_zone[:t_start] + closer + t_zone[t_start:]
    return target


# ---------------------------------------------------------------------------------------------
# ALL-CAPS text
# ---------------------------------------------------------------------------------------------

# Upper-case words that stay upper-case in the model's input: lower-casing them would make
# another word ("USA" → "usa", Italian for "uses") or hide an acronym.
ACRONYMS = frozenset(
    "USA UE EU UK ONU NATO OMS OCSE FMI BCE PIL IVA IMU IRPEF ISTAT INPS INAIL ANSA RAI TG TV "
    "PD PDL FI FDI LEGA M5S CGIL CISL UIL CEO CFO CTO AI IA IT ICT PC GPU CPU USB SMS PDF "
    "URL DNA RNA HIV COVID SARS UEFA FIFA NBA NFL FBI CIA NASA ESA CNR ASL ATM NYSE USD EUR "
    "OK TAR CSM DPCM DL DDL".split()
)
_WORD_RE = re.compile(r"\S+")


def _cased_letters(text: str) -> tuple[int, int]:
    upper = sum(1 for c in text if c.isupper())
    lower = sum(1 for c in text if c.islower())
    return upper, lower


def is_shouting(text: str) -> bool:
    """True for ALL-CAPS text: at least three words of two letters or more written in capitals,
    and at least nine in ten of its cased letters upper-case.

    ``SMAC17 Strumenti digitali`` or a line with a couple of acronyms is not shouting.
    """
    upper, lower = _cased_letters(text)
    if upper == 0 or upper < 0.9 * (upper + lower):
        return False
    words = [w for w in re.findall(r"[^\W\d_]{2,}", text) if w.isupper()]
    return len(words) >= 3


def _keep_case(word: str) -> bool:
    core = word.strip(".,;:!?\"'“”«»‘’()[]{}…-–—")
    if any(c.isdigit() for c in core):  # COVID-19, H800, placeholder tokens X1
        return True
    if "@" in core or "://" in core or core.lower().startswith("www.") or core.startswith("#"):
        return True
    return core.upper() in ACRONYMS and core.isupper()


def to_sentence_case(text: str) -> str:
    """An ALL-CAPS text in sentence case, for the model (which translates shouted Italian
    poorly): everything lower-case except the first letter of each sentence, the words that
    hold digits (``COVID-19``, ``H800``), web addresses, and known acronyms (:data:`ACRONYMS`).
    """
    out: list[str] = []
    at = 0
    start_of_sentence = True
    for match in _WORD_RE.finditer(text):
        out.append(text[at:match.start()])
        word = match.group(0)
        if _keep_case(word):
            out.append(word)
        else:
            lowered = word.lower()
            if start_of_sentence:
                for i, c in enumerate(lowered):
                    if c.isalpha():
                        lowered = lowered[:i] + c.upper() + lowered[i + 1:]
                        break
            out.append(lowered)
        if any(c.isalpha() for c in word) or any(c.isdigit() for c in word):
            start_of_sentence = False
        if word.rstrip("\"'”’»)]").endswith((".", "!", "?", "…")):
            start_of_sentence = True
        at = match.end()
    out.append(text[at:])
    return "".join(out)


def to_upper(text: str) -> str:
    """The translation of an ALL-CAPS source in capitals; web addresses and @handles keep their
    case, so ``to_upper`` undoes :func:`to_sentence_case` (``to_upper(to_sentence_case(s))
    == s`` for a shouted ``s``)."""
    out: list[str] = []
    at = 0
    for match in _WORD_RE.finditer(text):
        out.append(text[at:match.start()].upper())
        word = match.group(0)
        core = word.strip(".,;:!?\"'“”«»‘’()[]{}…")
        keep = "@" in core or "://" in core or core.lower().startswith("www.")
        out.append(word if keep else word.upper())
        at = match.end()
    out.append(text[at:].upper())
    return "".join(out)
