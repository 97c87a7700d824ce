"""Put back the quotation marks the model drops inside a sentence.

opus-mt keeps a whole quoted sentence's marks, but inside a sentence it often drops them:
``è uno di questi famigerati "Wildbiesler".`` → ``is one of these infamous Wildbiesler.``.
When a translation holds fewer double quotation marks (``"`` “ ” « ») than its source, each
quoted span of the source that no quoted span of the translation covers is located in the
English by the word alignment that also carries inline markup
(:func:`it2en.fidelity.markup.transfer_markup`, the quoted words standing for an element whose
opening and closing are the marks), and its marks, in the source's style, are put around the
aligned words.

Marks are never invented: a span whose words have no aligned counterpart (the model dropped an
Italian gloss together with its quotes), whose aligned words spread far wider than the
quotation, or that would cross another quotation, is left out and counted as dropped; so is
every span when there is no alignment. A mark without a partner (a quotation that runs over
several sentences) is put back at the same edge when it opens the source or closes it, else
before (after) the words aligned with the rest of its quotation in the sentence.

Only answers with fewer marks than their sentence are asked for an alignment
(``pipeline._translate``), so a sentence whose marks came back costs nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass

from it2en.article import InlineMarkup
from it2en.fidelity.markup import Alignment, transfer_markup, word_spans
from it2en.fidelity.postedit import quote_role

__all__ = ["MARKS", "QuoteRepair", "count_marks", "quoted_spans", "restore_quotes"]

MARKS = '"“”«»'
"""The double quotation marks counted and put back; single quotes are left alone (they are also
apostrophes)."""
_PAIRS = {"“": "”", "«": "»"}
_WIDER = 3
"""A quotation of n words may come back as up to 2n or n + 3 target words (a translation is
longer than its Italian; wider is an alignment that strayed)."""


@dataclass(frozen=True)
class QuoteRepair:
    """What :func:`restore_quotes` did to a translation."""

    text: str
    restored: int = 0
    """Quotations (or unpaired edge marks) put back."""
    dropped: int = 0
    """Quotations still missing: no counterpart in the translation, or no alignment."""


def count_marks(text: str) -> int:
    """How many double quotation marks ``text`` holds."""
    return sum(text.count(mark) for mark in MARKS)


def quoted_spans(text: str) -> tuple[list[tuple[int, int]], list[int]]:
    """The quotations of ``text`` as ``(opening index, closing index)`` pairs, in order of their
    opening, and the indices of the marks that have no partner.

    “…” and «…» pair by kind; a straight ``"`` opens or closes from its neighbours (as
    :func:`it2en.fidelity.postedit.match_quote_style` reads it) and pairs with a straight one.
    """
    pairs: list[tuple[int, int]] = []
    unpaired: list[int] = []
    stack: list[int] = []
    for i, mark in enumerate(text):
        if mark not in MARKS:
            continue
        straight_depth = sum(1 for k in stack if text[k] == '"')
        if mark in _PAIRS or (mark == '"' and quote_role(text, i, straight_depth) == "open"):
            stack.append(i)
            continue
        opener = next((k for k in reversed(stack) if _PAIRS.get(text[k], '"') == mark), None)
        if opener is None:
            unpaired.append(i)
            continue
        unpaired.extend(k for k in stack[stack.index(opener) + 1:])  # crossed: left unpaired
        del stack[stack.index(opener):]
        pairs.append((opener, i))
    unpaired.extend(stack)
    return sorted(pairs), sorted(unpaired)


def restore_quotes(source: str, target: str, alignment: Alignment | None) -> QuoteRepair:
    """``target`` with the quotation marks of ``source`` it lacks put back where they belong.

    ``alignment`` pairs the whitespace words of ``source`` and ``target``
    (:func:`it2en.fidelity.markup.word_spans`); None when the engine gave none. A target with as
    many marks as its source is returned unchanged.
    """
    missing = count_marks(source) - count_marks(target)
    if missing <= 0:
        return QuoteRepair(target)
    pairs, unpaired = quoted_spans(source)
    target_pairs, target_unpaired = quoted_spans(target)
    inserts: list[tuple[int, str]] = []
    taken = [(start, end + 1) for start, end in target_pairs]
    restored = dropped = 0
    if alignment is None:  # nothing says where a quotation went: count the ones missing
        dropped, pairs = max(0, len(pairs) - len(target_pairs)), []
    for opening, closing in pairs:
        span = _located(source, opening + 1, closing, target, alignment)
        if span is not None and any(start <= span[0] and span[1] <= end for start, end in taken):
            continue  # the translation kept this quotation
        if span is None or any(span[0] < end and start < span[1] for start, end in taken):
            dropped += 1
            continue
        taken.append(span)
        inserts += [(span[0], source[opening]), (span[1], source[closing])]
        restored += 1
    for index in unpaired if len(target_unpaired) < len(unpaired) else []:
        edge = _edge(source, index, target, alignment)
        if edge is None:
            dropped += 1
        elif not any(i == edge and m == source[index] for i, m in inserts) and _lacks(target, edge, source[index]):
            inserts.append((edge, source[index]))
            restored += 1
    text = target
    for position, mark in sorted(inserts, key=lambda insert: insert[0], reverse=True):
        text = text[:position] + mark + text[position:]
    if count_marks(text) < count_marks(source) and not dropped:
        dropped = 1  # a mark is still missing, say so
    return QuoteRepair(text, restored, dropped)


def _located(source: str, start: int, end: int, target: str,
             alignment: Alignment | None) -> tuple[int, int] | None:
    """Where the quoted words ``source[start:end]`` went in ``target``; None when they have no
    aligned counterpart (or no alignment was given)."""
    if alignment is None or not source[start:end].strip():
        return None
    quotation = InlineMarkup("quotation", start, end, "", "")
    (placed,), moved = transfer_markup(source, [quotation], target, alignment)
    if moved:
        return None
    words = sum(1 for s, e in word_spans(source) if s < end and start < e)
    spread = sum(1 for s, e in word_spans(target) if s < placed.target_end and placed.target_start < e)
    if spread > max(2 * words, words + _WIDER):
        return None
    return placed.target_start, placed.target_end


def _edge(source: str, index: int, target: str, alignment: Alignment | None) -> int | None:
    """Where an unpaired mark goes in ``target``: at its start when it opens ``source``, at its
    end (after or before the final punctuation, as in the source) when it closes it; else, when
    the quotation runs from the mark to the sentence's end (or from its start to the mark),
    before (after) the words aligned with that run."""
    head, tail = source[:index], source[index + 1:]
    if not head.strip():
        return len(target) - len(target.lstrip())
    if not tail.strip(" .,;:!?…"):
        stripped = target.rstrip()
        return len(stripped) if not tail.strip() else len(stripped.rstrip(".,;:!?…"))
    opens = quote_role(source, index, 0) == "open"
    span = _located(source, index + 1, len(source.rstrip()), target, alignment) if opens else \
        _located(source, 0, index, target, alignment)
    if span is None:
        return None
    return span[0] if opens else span[1]


def _lacks(target: str, position: int, mark: str) -> bool:
    """True when ``target`` has no ``mark`` right at ``position`` already."""
    return target[position:position + 1] != mark and target[position - 1:position] != mark
