"""Cheap checks on a (source, translation) pair for the model's known failure modes.

opus-mt (like every MarianMT model trained on OPUS, subtitles included) fails in recognisable
ways: an empty or one-phrase answer to a long sentence ("I don't know."), loops ("No, no, no,
no, no"), the source copied back untranslated, credit lines learned from web and subtitle
data ("(Translated with Google Translate)", "Subtitles by ..."), and dropped placeholders.
:func:`check_translation` names them; the pipeline retries a flagged segment once with safer
decoding and keeps the attempt with the lower :func:`score`.

Flag names are stable (they appear in JSON output and in ``--strict`` reports): see
:data:`FLAG_DESCRIPTIONS`. Every function here is pure and never raises on any string.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from difflib import SequenceMatcher
from typing import Iterable, Sequence

from it2en.article import INFORMATIONAL_FLAGS
from it2en.fidelity.placeholders import TEMPLATE_TAG

__all__ = [
    "FLAG_DESCRIPTIONS",
    "SEVERITY",
    "check_translation",
    "strip_known_junk",
    "looks_english",
    "is_translatable",
    "score",
    "best_attempt",
]

FLAG_DESCRIPTIONS: dict[str, str] = {
    "empty": "the translation is empty or blank",
    "too_short": "the translation is far shorter than an English rendering of the source should be",
    "too_long": "the translation is far longer than an English rendering of the source should be",
    "repetition": "the translation repeats a word, phrase or character sequence in a loop",
    "compression": "the translation compresses too well (zlib ratio over 2.4): a degenerate loop",
    "copied_source": "the translation is the Italian source copied back, untranslated",
    "stock_phrase": "a stock subtitle reply (\"I don't know.\", \"Thank you.\") for a source that says otherwise",
    "placeholder_lost": "a URL, address, handle, hashtag or number of the source is missing from the translation",
    "junk_appended": "known junk added by the model: a translation credit, a subtitle line, a leading dash",
    "number_mismatch": "a number of the source has no number of the same value in the translation",
    "placeholder_rescued": "the model dropped a URL, address, handle, hashtag, acronym or number: "
                           "the sentence was translated in pieces around it, and it was put back",
    "glossary_rescued": "the model dropped a glossary term: the sentence was translated in pieces "
                        "around it, and the term was put back",
    "quote_restored": "the model dropped quotation marks: they were put back around the English words "
                      "aligned to the quoted Italian ones; check that they wrap the right words",
    "quote_dropped": "a quotation of the source has no quotation marks in the translation, and none "
                     "were put back (its words have no counterpart in the English, or no alignment said where)",
}

# How bad each flag is; score() adds them up. An empty answer is the worst; a lost number is
# worse than a stray credit line, which strip_known_junk usually removes anyway.
SEVERITY: dict[str, int] = {
    "empty": 100,
    "copied_source": 60,
    "stock_phrase": 50,
    "too_short": 40,
    "repetition": 40,
    "compression": 40,
    "too_long": 25,
    "placeholder_lost": 20,
    "junk_appended": 5,
    "number_mismatch": 20,
    "placeholder_rescued": 10,
    "glossary_rescued": 10,
    "quote_restored": 5,
    "quote_dropped": 15,
}

# Length ratio (characters, target / source, each plus _SMOOTH) outside which a translation is
# suspicious. On FLORES-200 dev (997 human Italian→English pairs) the smoothed ratio runs from
# 0.57 to 1.32 (1st–99th percentile 0.65–1.18); the bounds leave a wide margin, and the
# smoothing makes short segments lenient ("Sì." → "Yes, of course." is fine).
_SMOOTH = 15
_MIN_RATIO = 0.45
_MAX_RATIO = 2.0
# Whisper's threshold. FLORES English sentences compress at most 1.86, whole FLORES paragraphs
# (up to 1,300 characters) at most 2.04; texts under _COMPRESSION_MIN_CHARS are left alone,
# zlib's overhead makes their ratio meaningless.
_MAX_COMPRESSION = 2.4
_COMPRESSION_MIN_CHARS = 50

_WORDS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+")
_LETTER = re.compile(r"[^\W\d_]")


# ---------------------------------------------------------------------------------------------
# Language
# ---------------------------------------------------------------------------------------------

# Function words that are English and not Italian ("a", "in", "no", "come", "so", "me", "do"
# are both, and left out).
_EN = frozenset(
    """the of and to is that for it with as was on are be by this have from or an not but at
    which you we they has will been their its can more were he she his her our there what when
    who all would about if does did than these those also into only other some such them then
    how any could should after because over most where while just out up my your had being very
    may each both between during before through under against here why own same few further
    i him us am it's don't doesn't isn't aren't wasn't can't won't i'm you're we're they're
    that's there's what's let's i've we've you've they've i'll we'll you'll i'd we'd
    get got make made now new one two first last many much well even back still way our
    shall must might yet ever never always""".split()
)
_IT = frozenset(
    """di e il la che per un una non è del della dei delle le i gli con si da al alla lo nel
    nella sono ha più anche ma questo questa questi queste ci se o ed tra fra su sul sulla dal
    dalla degli nei nelle agli alle ai suo sua suoi sue loro essere stato stata hanno era cosa
    molto dove quando perché già ancora solo tutti tutto tutte dopo senza ogni così cui poi
    mentre quindi però sia nostro nostra vostro mio mia uno dello dell all dall nell sull
    noi voi lui lei abbiamo avete siamo siete erano fatto fare può essere anni oggi ieri""".split()
)


def _words(text: str) -> list[str]:
    return [w.casefold().replace("’", "'") for w in _WORDS.findall(text)]


def looks_english(text: str) -> bool:
    """True when ``text`` is already English and can pass through untranslated.

    A stop-word test: at least six words, at least three (and a quarter) of them English
    function words, and Italian function words no more than a quarter of the English ones.
    Conservative on purpose: a short or mixed text is translated (the model copies English it
    is given, mostly), while a false positive would leave Italian in the output.
    """
    words = [w for w in _words(text) if not w.isdigit()]
    if len(words) < 6:
        return False
    english = sum(1 for w in words if w in _EN)
    italian = sum(1 for w in words if w in _IT or w.split("'")[0] in _IT)
    return english >= 3 and english >= 0.25 * len(words) and italian * 4 <= english


def leans_english(text: str) -> bool:
    """True when ``text`` reads as English rather than Italian: at least two English function
    words, and more of them than Italian ones.

    Lenient where :func:`looks_english` is strict: it judges a model's output (the canary), where
    a short fair translation must pass ("The Dow Jones fell down." has one English function word,
    so even this test calls it not English), while Italian, a copy of the source or noise must not.
    """
    words = [w for w in _words(text) if not w.isdigit()]
    english = sum(1 for w in words if w in _EN)
    return english >= 2 and english > sum(1 for w in words if w in _IT)


def is_translatable(text: str) -> bool:
    """False for pieces with no letters (``---``, ``***``, ``…``, ``2020``, emoji) or none outside
    template tags (``{% include nota.html %}``): they pass through as they are, and the
    structure parser marks them so."""
    return bool(_LETTER.search(TEMPLATE_TAG.sub(" ", text)))


# ---------------------------------------------------------------------------------------------
# Junk
# ---------------------------------------------------------------------------------------------

# (pattern for the junk, pattern that, found in the source, makes it legitimate)
_JUNK_TRAILING: list[tuple[re.Pattern[str], re.Pattern[str] | None]] = [
    (re.compile(r"[\s(\[]*\b(?:translated|translation|machine[- ]translated)\s+(?:with|by|using|via|from)\s+"
                r"(?:google(?:\s+translate)?|deepl(?:\.com)?|bing|yandex|microsoft\s+translator|www\.deepl\.com\S*)"
                r"[^)\]\n]*[)\]]?\s*\Z", re.IGNORECASE),
     re.compile(r"(?i)tradott|traduzion|translat")),
    (re.compile(r"[\s(\[]*\b(?:subtitles?|subtitled|captions?|captioned|sync(?:hroni[sz]ed)?|"
                r"transcript(?:ion)?|transcribed|corrections?|translated|translation)\s+"
                r"(?:by|from|and\s+\w+\s+by)\b[^\n]*\Z", re.IGNORECASE),
     re.compile(r"(?i)sottotitol|tradott|traduzion|trascri|sincronizz|correzion|revisione")),
    (re.compile(r"[\s(\[]*\b(?:www\.)?(?:opensubtitles|addic7ed|amara|subscene|podnapisi)\.(?:org|com|net)\b[^\n]*\Z",
                re.IGNORECASE),
     re.compile(r"(?i)opensubtitles|addic7ed|amara|subscene|podnapisi")),
    (re.compile(r"\s*[(\[](?:applause|laughter|laughs|music|cheers|cheering|audience\s+laughs|"
                r"applauding|singing|silence)[)\]]\s*\Z", re.IGNORECASE),
     re.compile(r"[)\]]\s*[.!?…]*\s*\Z")),
    (re.compile(r"\s*♪[♪\s]*\Z"), re.compile("♪")),
    (re.compile(r"\s*\b(?:thank\s+you\s+for\s+watching|thanks\s+for\s+watching)[.!]*\s*\Z", re.IGNORECASE),
     re.compile(r"(?i)guardat|visione")),
]
_JUNK_LEADING: list[tuple[re.Pattern[str], re.Pattern[str] | None]] = [
    # A subtitle dialogue dash the source does not have.
    (re.compile(r"\A\s*-\s+(?=\S)"), re.compile(r"\A\s*[-–—]")),
    (re.compile(r"\A\s*♪[♪\s]*"), re.compile("♪")),
    (re.compile(r"\A\s*(?:translation|english(?:\s+translation)?)\s*:\s*", re.IGNORECASE),
     re.compile(r"(?i)\A\s*(?:traduzione|inglese|translation|english)")),
]


def _junk(target: str, source: str) -> tuple[str, bool]:
    text, found = target, False
    changed = True
    while changed:
        changed = False
        for pattern, legitimate in _JUNK_TRAILING:
            match = pattern.search(text)
            if match and match.start() > 0 and not (source and legitimate and legitimate.search(source)):
                text, found, changed = text[:match.start()].rstrip(), True, True
        for pattern, legitimate in _JUNK_LEADING:
            match = pattern.match(text)
            if match and match.end() < len(text) and not (source and legitimate and legitimate.search(source)):
                text, found, changed = text[match.end():], True, True
    return text, found


def strip_known_junk(target: str, source: str = "") -> str:
    """``target`` without known junk the model appends or prepends: translation credits
    ("(Translated with Google Translate)", "Translated with www.DeepL.com/Translator"),
    subtitle credits and sound tags ("Subtitles by ...", "(Applause)", "♪"), a leading dialogue
    dash. With ``source`` given, junk that the source itself accounts for (an Italian
    "(Applausi)", a source line starting with a dash) is kept. Never strips the whole text.
    """
    return _junk(target, source)[0]


# ---------------------------------------------------------------------------------------------
# Repetition
# ---------------------------------------------------------------------------------------------

_CHAR_LOOP = re.compile(r"(.{1,12}?)\1{5,}", re.DOTALL)


def _max_run(words: Sequence[str], n: int) -> int:
    """The longest run of one n-gram repeated back to back."""
    best = 1
    for start in range(n):
        run, previous = 1, None
        for i in range(start, len(words) - n + 1, n):
            gram = tuple(words[i:i + n])
            if gram == previous:
                run += 1
                best = max(best, run)
            else:
                run = 1
            previous = gram
    return best


def _repeats(words: Sequence[str]) -> dict[int, int]:
    return {n: _max_run(words, n) for n in range(1, 5)}


def _has_repetition(source: str, target: str) -> bool:
    t_words = [w.strip("'’") for w in _words(target)]
    s_words = [w.strip("'’") for w in _words(source)]
    t_runs, s_runs = _repeats(t_words), _repeats(s_words)
    for n, run in t_runs.items():
        limit = 4 if n == 1 else 3  # "no no no no", "I'm sorry I'm sorry I'm sorry"
        if run >= limit and run > s_runs[n] + 1:
            return True
    # The same 3-gram over and over, not back to back ("the state of the state of ...").
    if len(t_words) >= 12:
        grams = Counter(tuple(t_words[i:i + 3]) for i in range(len(t_words) - 2))
        s_grams = Counter(tuple(s_words[i:i + 3]) for i in range(len(s_words) - 2))
        _, count = grams.most_common(1)[0]
        if count >= 4 and count > 2 * max(s_grams.values(), default=1):
            return True
    # Character loops: "hahahahahaha", "!!!!!!!!", "-.-.-.-.-.-.".
    for match in _CHAR_LOOP.finditer(target):
        unit = match.group(1)
        if unit.isspace():
            continue
        if unit * 4 not in source and len(match.group(0)) >= 8:
            return True
    return False


def _compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data))


# ---------------------------------------------------------------------------------------------
# Stock replies and copies
# ---------------------------------------------------------------------------------------------

# Replies the model falls back on when lost (subtitle training data), with the Italian that
# would justify them.
_STOCK = {
    "i don't know": r"non (lo )?so|boh|chi lo sa",
    "i do not know": r"non (lo )?so",
    "i don't understand": r"non capisco|non ho capito",
    "thank you": r"grazie",
    "thanks": r"grazie",
    "i'm sorry": r"mi dispiace|scusa|perdon|spiacent",
    "sorry": r"mi dispiace|scusa|perdon|spiacent",
    "what": r"cosa|che cosa|come\?|eh\?|cos'|cos’",
    "okay": r"\bok|va bene|d'accordo|d’accordo",
    "ok": r"\bok|va bene|d'accordo|d’accordo",
    "all right": r"va bene|d'accordo|d’accordo|bene",
    "yes": r"\bsì\b|\bsi\b|certo",
    "no": r"\bno\b",
    "what's going on": r"succede|cosa c'è|cosa c’è",
    "come on": r"dai|forza|andiamo|avanti",
    "let's go": r"andiamo|forza|via",
    "oh my god": r"dio|madonna",
    "i love you": r"ti amo|ti voglio bene",
}


def _stock_reply(source: str, target: str) -> bool:
    key = re.sub(r"[\s.!?,…\"'”“’]+\Z", "", target.strip().casefold()).replace("’", "'")
    key = re.sub(r"\A[\s\-\"'“‘]+", "", key)
    key = re.sub(r"(?:,\s*)?(?:sir|ma'am|man)\Z", "", key).strip(" ,")
    pattern = _STOCK.get(key)
    if pattern is None:
        return False
    if len(_words(source)) < 3:
        return False
    return not re.search(pattern, source.casefold())


def _copied(source: str, target: str) -> bool:
    """The target is the source, or nearly (a word or two changed), and the source is Italian."""
    s_words = _words(source)
    if len(s_words) < 4:
        return False
    italian = sum(1 for w in s_words if w in _IT or w.split("'")[0] in _IT)
    if italian < 2 or looks_english(source):
        return False
    t_words = _words(target)
    if not t_words:
        return False
    if s_words == t_words:
        return True
    matcher = SequenceMatcher(None, s_words, t_words, autojunk=False)
    return matcher.real_quick_ratio() >= 0.85 and matcher.quick_ratio() >= 0.85 and matcher.ratio() >= 0.85


# ---------------------------------------------------------------------------------------------
# Verbatim spans
# ---------------------------------------------------------------------------------------------


def _count(span: str, text: str) -> int:
    if span.isdigit():
        return len(re.findall(r"(?<!\d)" + span + r"(?!\d)", text))
    return text.count(span)


def _lost(verbatim: Iterable[str], target: str) -> bool:
    wanted = Counter(v for v in verbatim if v)
    return any(_count(span, target) < n for span, n in wanted.items())


# ---------------------------------------------------------------------------------------------
# The check
# ---------------------------------------------------------------------------------------------


def check_translation(source: str, target: str, *, verbatim: Iterable[str] = ()) -> list[str]:
    """The names of the failure modes found in ``target`` as a translation of ``source``.

    ``verbatim``: spans that must appear unchanged in ``target``, each as many times as it is
    listed (``placeholders.verbatim_spans(source)``); all-digit spans match whole numbers only.
    The list is ordered as :data:`FLAG_DESCRIPTIONS`; empty means nothing suspicious.
    """
    if not target.strip():
        return ["empty"] if source.strip() else []
    flags: set[str] = set()
    ratio = (len(target.strip()) + _SMOOTH) / (len(source.strip()) + _SMOOTH)
    if ratio < _MIN_RATIO:
        flags.add("too_short")
    elif ratio > _MAX_RATIO:
        flags.add("too_long")
    if _has_repetition(source, target):
        flags.add("repetition")
    if (len(target) >= _COMPRESSION_MIN_CHARS and _compression_ratio(target) > _MAX_COMPRESSION
            and _compression_ratio(target) > _compression_ratio(source) + 0.5):
        flags.add("compression")
    if _copied(source, target):
        flags.add("copied_source")
    if _stock_reply(source, target):
        flags.add("stock_phrase")
    if _lost(verbatim, target):
        flags.add("placeholder_lost")
    if _junk(target, source)[1]:
        flags.add("junk_appended")
    return [name for name in FLAG_DESCRIPTIONS if name in flags]


def score(flags: Iterable[str]) -> int:
    """How bad a flag list is: the sum of the flags' :data:`SEVERITY` (an unknown flag counts
    10; ``retried`` and the informational ``kept_english``/``split`` count 0). Lower is better;
    0 is clean."""
    return sum(SEVERITY.get(f, 10) for f in flags if f not in INFORMATIONAL_FLAGS)


def best_attempt(attempts: Sequence[tuple[str, Sequence[str]]]) -> int:
    """The index of the best of several ``(target, flags)`` attempts: lowest :func:`score`,
    the earliest on a tie (the first attempt used the preferred decoding)."""
    if not attempts:
        raise ValueError("best_attempt needs at least one attempt")
    return min(range(len(attempts)), key=lambda i: (score(attempts[i][1]), i))
