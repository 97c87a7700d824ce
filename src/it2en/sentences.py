"""Block text → sentences the model can take: Italian sentence splitting, and cutting of
over-long sentences at clause boundaries.

Both functions return ``(text, gap)`` pairs where ``gap`` is the verbatim whitespace that
followed the text, so that joining ``text + gap`` gives back the input exactly.

Sentence boundaries come from sentence-splitter (the Moses heuristic with its Italian prefix
list). Its list is English-minded, so the Italian rules here re-decide every place where a
token ending in a period is followed by more text:

* an abbreviation (``art.``, ``pag.``, ``dott.``, ``cfr.``...), a single capital letter
  (``G. Rossi``, ``Serie A.``) or a dotted form (``S.p.A.``, ``p.es.``) ends a sentence only
  when the next word is one that opens sentences and never a name (``Il``, ``Questo``,
  ``Nel``...);
* ``a.C.``/``d.C.`` likewise, articles (``La``, ``L'``) included: a year is not followed by
  a surname such as *La Rosa*;
* ``ecc.``/``etc.`` end a sentence before any capitalised word, never before a lower-case one;
* ``no.`` and ``post.`` are Italian words that the library's list takes for abbreviations:
  they end a sentence before a capital letter, not before a number (``No. 5``).

The single-character ellipsis ``…`` counts as sentence-final punctuation, as ``...`` does
for the library, except inside a quotation still open on the line: the quoted words reach the
model as one piece. ``D. Lgs.`` and the other abbreviations of legal references do not end a
sentence before their number. A period with no space after it (``sentimenti.Queste``) is not a boundary.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable

from sentence_splitter import SentenceSplitter

# Abbreviations (lower case) that Italian news text uses before names, numbers and references.
# Most are missing from sentence-splitter's Italian list, so it splits after them.
_ABBREVIATIONS = frozenset(
    """
    sig sigg dott dr prof avv ing arch geom rag on sen col magg ten cap mons rev egr gent
    spett sr jr mr mrs ms st inc co corp ltd
    art artt n nn nr num pag pagg p pp par capp vol voll fig figg tab tav sez lett all cfr cf
    vd cit ed op trad ibid
    ca cca sec secc es tel int prov reg loc fraz mln mld min ss sgg segg gg vs
    lgs dlgs cost cod civ pen proc
    gen feb mar apr mag giu lug ago sett ott nov dic
    """.split()
)
_SENTENCE_FINAL_ABBREVIATIONS = frozenset({"ecc", "etc"})
_ERAS = frozenset({"a.C", "d.C"})
_WORDS_BEFORE_NUMBERS = frozenset({"no", "post"})
"""In sentence-splitter's list, but in Italian ordinary words that may end a sentence."""

# Words that open sentences and are never part of a name. Articles and prepositions that
# begin surnames (La Rosa, Lo Bianco, Di Maio, Del Piero, D'Alema, Dell'Utri) are left out.
_STARTERS = frozenset(
    """
    Il I Gli Un Una Uno Un' In Per Nel Nella Nei Negli Nelle Nell' Al Alla Ai Agli Alle All'
    Sul Sulla Sui Sugli Sulle Sull' Con Tra Fra Si Se È E Ed Secondo Questo Questa Questi
    Queste Quest' Quello Quella Quelli Quelle Anche Quando Tuttavia Non Durante Dopo Prima
    Oggi Ieri Ora Adesso Intanto Inoltre Infatti Infine Invece Quindi Però Perché Poi Allora
    Mentre Ogni Nonostante Ciononostante Oltre Grazie Circa Ci C' Così Come Ciò Che Chi Cosa
    Dove Qui Già Forse Ecco Spesso Soprattutto Solo Sebbene Alcuni Alcune Molti Molte Tutti
    Tutto Tutte Sono Ha Hanno Esistono Può Io Noi Voi Lui Lei Loro Egli Essa Esso Essi
    """.split()
)
_ARTICLES = frozenset({"La", "Le", "Lo", "L'"})

_OPENERS = "\"'«“‘„([¿¡"
_FIRST_WORD = re.compile(r"[^\W\d_]+(?:['’]|(?![\w.]))")
"""A whole word, or an elided one with its apostrophe; ``I.`` (an initial) is not a word."""
_DOTTED = re.compile(r"[^\W\d_]{1,4}(?:\.[^\W\d_]{1,4})+")
_ELISION = re.compile(r"['’]")
_TOKEN = re.compile(r"\S+")
_WHITESPACE = re.compile(r"\s")


@functools.lru_cache(maxsize=1)
def _splitter() -> SentenceSplitter:
    return SentenceSplitter(language="it")


def split_sentences(text: str) -> list[tuple[str, str]]:
    """Split one line of text into ``(sentence, gap)`` pairs; ``gap`` is the verbatim whitespace
    after the sentence, and the pairs joined give back ``text`` exactly.

    Callers strip the line's leading whitespace into their own frame; if some is left, it stays
    at the start of the first sentence rather than being lost. Text without anything but
    whitespace comes back as one piece (callers see it has no letters); empty text as ``[]``.
    """
    tokens = [m.span() for m in _TOKEN.finditer(text)]
    if not tokens:
        return [(text, "")] if text else []
    library_ends = _library_boundaries(text)
    pairs = []
    start = 0
    for (word_start, end), (next_start, next_end) in zip(tokens, tokens[1:]):
        decision = _italian_boundary(text[word_start:end], text[next_start:next_end])
        if text[word_start:end].endswith(("…", "...")) and _inside_quotation(text, end):
            decision = False  # "…parla molto… Io mi stavo preparando…": one quotation, one piece
        if decision or (decision is None and end in library_ends):
            pairs.append((text[start:end], text[end:next_start]))
            start = next_start
    last_end = tokens[-1][1]
    pairs.append((text[start:last_end], text[last_end:]))
    return pairs


def _inside_quotation(text: str, end: int) -> bool:
    """True when a quotation opened before ``end`` on this line is still open there."""
    before = text[:end]
    return (before.count("“") > before.count("”") or before.count("«") > before.count("»")
            or before.count('"') % 2 == 1)


def _library_boundaries(text: str) -> set[int]:
    """Offsets in ``text`` where sentence-splitter ends a sentence.

    The library splits at plain spaces only and rewrites the spacing, so it gets a copy with
    every whitespace character turned into a space and ``…`` into ``.`` (same length), and its
    sentences are mapped back by counting non-space characters.
    """
    plain = _WHITESPACE.sub(" ", text).replace("…", ".")
    nonspace = [i for i, c in enumerate(plain) if c != " "]
    ends = set()
    seen = 0
    for sentence in _splitter().split(plain)[:-1]:
        seen += len(sentence) - sentence.count(" ")
        ends.add(nonspace[seen - 1] + 1)
    return ends


def _italian_boundary(word: str, next_word: str) -> bool | None:
    """Whether a sentence ends after ``word`` (followed by whitespace and ``next_word``), for
    words ending in a period that the Italian rules know; ``None`` leaves it to the library."""
    if not word.endswith("."):
        return None
    core = _ELISION.split(word.lstrip(_OPENERS)[:-1])[-1]  # "dell'art." is "art."
    following = next_word.lstrip(_OPENERS)
    key = core.lower()
    if key in _SENTENCE_FINAL_ABBREVIATIONS:
        return following[:1].isupper()
    if core in _ERAS:
        return _opens_sentence(following, _ARTICLES)
    if key in _WORDS_BEFORE_NUMBERS:
        return following[:1].isupper()
    if key in _ABBREVIATIONS or (len(core) == 1 and core.isupper()) or _DOTTED.fullmatch(core):
        return _opens_sentence(following)
    return None


def _opens_sentence(word: str, also: frozenset[str] = frozenset()) -> bool:
    match = _FIRST_WORD.match(word)
    if match is None:
        return False
    first = match.group().replace("’", "'")
    return first in _STARTERS or first in also


# Cut points for over-long sentences, strongest first; each level also uses the ones before it.
_CUT_LEVELS = (
    re.compile(r"(?<=[;:—–])\s+"),
    re.compile(r"(?<=,)\s+"),
    re.compile(
        r"\s+(?=(?:e|ed|ma|però|perché|mentre|che|quindi|oppure|o|od|poiché|perciò|sebbene"
        r"|benché|affinché|quando|dove|cioè|ovvero|infatti|tuttavia|nonché|né|se)\b)"
    ),
    re.compile(r"\s+"),
    re.compile(r"(?<=.)(?=.)", re.DOTALL),
)


def split_long(sentence: str, count_tokens: Callable[[str], int], limit: int) -> list[tuple[str, str]]:
    """Cut a sentence of more than ``limit`` tokens into pieces of at most ``limit`` tokens.

    Cuts go at the strongest clause boundaries that can do the job (``; : — –``, then commas,
    then before conjunctions, then any whitespace, then between any two characters), into as
    few pieces as those allow, as even in tokens as possible, so that each piece stays a clause
    the model can translate on its own. Returns ``(piece, gap)`` pairs with the same contract
    as :func:`split_sentences`; a sentence that fits comes back as ``[(sentence, "")]``.
    Raises ``ValueError`` when not even one character fits the limit.
    """
    if not sentence:
        return []
    if count_tokens(sentence) <= limit:
        return [(sentence, "")]
    cuts: set[tuple[int, int]] = set()
    for pattern in _CUT_LEVELS:
        cuts.update((m.start(), m.end()) for m in pattern.finditer(sentence)
                    if 0 < m.start() and m.end() < len(sentence))
        chosen = _fewest_even_pieces(sentence, sorted(cuts), count_tokens, limit)
        if chosen is not None:
            return _pieces(sentence, chosen)
    raise ValueError(f"cannot cut a sentence into pieces of at most {limit} tokens")


def _fewest_even_pieces(sentence: str, cuts: list[tuple[int, int]],
                        count_tokens: Callable[[str], int], limit: int) -> list[tuple[int, int]] | None:
    """The cuts giving the fewest pieces within ``limit``, with the smallest largest piece."""
    best = _greedy(sentence, cuts, count_tokens, limit)
    if best is None:
        return None
    low, high = 0, limit  # the smallest budget that still needs no more pieces lies in (low, high]
    while high - low > 1:
        budget = (low + high) // 2
        attempt = _greedy(sentence, cuts, count_tokens, budget)
        if attempt is not None and len(attempt) <= len(best):
            best, high = attempt, budget
        else:
            low = budget
    return best


def _greedy(sentence: str, cuts: list[tuple[int, int]],
            count_tokens: Callable[[str], int], budget: int) -> list[tuple[int, int]] | None:
    """Take the longest piece within ``budget`` each time (binary search over the cuts, since a
    longer piece never has fewer tokens); ``None`` when some piece cannot be made to fit."""
    ends = [end for end, _ in cuts]
    chosen: list[tuple[int, int]] = []
    start = 0
    while count_tokens(sentence[start:]) > budget:
        first = bisect.bisect_right(ends, start)  # the next piece must not be empty
        if first == len(cuts) or count_tokens(sentence[start:cuts[first][0]]) > budget:
            return None
        fits, fails = first, len(cuts)
        while fails - fits > 1:
            middle = (fits + fails) // 2
            if count_tokens(sentence[start:cuts[middle][0]]) <= budget:
                fits = middle
            else:
                fails = middle
        chosen.append(cuts[fits])
        start = cuts[fits][1]
    return chosen


def _pieces(sentence: str, cuts: list[tuple[int, int]]) -> list[tuple[str, str]]:
    pairs = []
    start = 0
    for end, next_start in cuts:
        pairs.append((sentence[start:end], sentence[end:next_start]))
        start = next_start
    pairs.append((sentence[start:], ""))
    return pairs
