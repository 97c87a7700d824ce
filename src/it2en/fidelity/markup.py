"""Carry a sentence's inline markup (emphasis, strong, links, inline HTML) over to its translation.

The model translates the plain sentence; the elements that wrapped its words are put back
around the target words those source words were translated into, as Bergamot does for HTML:

* **Words.** Both sides are cut into whitespace-separated words (:func:`word_spans`), the unit
  SentencePiece marks with ``▁`` and the engines align (``Translator.translate_aligned``). An
  alignment is a list of ``(source word, target word)`` index pairs over those words.
* **Aligned placement.** An element wraps the target words aligned to the source words it
  covers, from the first to the last. Its edges follow the source: an element that starts or
  ends inside a word (``sull'**emergenza**``) cuts the target word at the same place when that
  word is the same or ends (starts) with the same letters, else takes the whole word;
  punctuation glued to a target word (``emergency,``) stays outside unless the source element
  has punctuation at that edge; whitespace at a source edge is taken when the target has it.
* **Nesting.** Elements are placed outermost first; a child must fall inside its parent's
  target span and must not overlap a sibling already placed (siblings may change order, as
  words do, but never cross).
* **Fallback** (``moved``): an element without any aligned word, or whose aligned span leaves
  its parent or crosses a sibling, is placed by rule, never dropped: an element that covers
  every word of its parent (a fully marked sentence) wraps the parent's whole span (the whole
  translation at the top); otherwise it wraps as many free target words as it covered source
  words, starting at the free word nearest to the target of the closest aligned source word
  (or, with no alignment at all, to its proportional position). When siblings cannot all fit
  that way, they share their parent's span in source order, word by word, or character by
  character when there are fewer words than elements.

Every element comes back exactly once, with its own opening and closing, on a non-empty span,
nested as in the source. Only a translation with fewer characters than the elements need
cannot hold them: :class:`MarkupTransferError`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import replace

from it2en.article import InlineMarkup

__all__ = [
    "Alignment",
    "MarkupTransferError",
    "diagonal",
    "map_words",
    "project_alignment",
    "transfer_markup",
    "word_spans",
]

Alignment = list[tuple[int, int]]
"""``(source word index, target word index)`` pairs over :func:`word_spans` of each side."""

_WORD = re.compile(r"\S+")


class MarkupTransferError(ValueError):
    """The translation is too short to give every inline element a non-empty span of its own."""


def word_spans(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` of every whitespace-separated word of ``text``."""
    return [m.span() for m in _WORD.finditer(text)]


def diagonal(source: str, target: str) -> Alignment:
    """Word ``i`` to word ``i``: the alignment of a translation that keeps the word order."""
    return [(i, i) for i in range(min(len(source.split()), len(target.split())))]


def map_words(before: list[str], after: list[str]) -> list[list[int]]:
    """For each word of ``before``, the indices of the words of ``after`` it became.

    ``after`` is ``before`` edited (placeholders put back, quotes and final punctuation
    changed): equal words are matched by difflib (case-insensitively), a replaced stretch of as
    many words is matched one to one, and a stretch of another length is spread over the other.
    """
    result: list[list[int]] = [[] for _ in before]
    matcher = difflib.SequenceMatcher(None, [w.lower() for w in before], [w.lower() for w in after],
                                      autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            for k in range(i2 - i1):
                result[i1 + k].append(j1 + k)
        elif tag == "replace":
            n, m = i2 - i1, j2 - j1
            for k in range(n):
                lo, hi = k * m // n, max(k * m // n + 1, (k + 1) * m // n)
                result[i1 + k].extend(range(j1 + lo, j1 + min(hi, m)))
            for j in range(m):  # every target word of the stretch keeps a source word
                k = j * n // m
                if j1 + j not in result[i1 + k]:
                    result[i1 + k].append(j1 + j)
        # "delete": the word is gone; "insert": new words, aligned to nothing
    return [sorted(set(indices)) for indices in result]


def project_alignment(alignment: Alignment, source_map: list[list[int]],
                      target_map: list[list[int]]) -> Alignment:
    """Move an alignment onto edited texts, through :func:`map_words` of each side."""
    pairs = set()
    for i, j in alignment:
        if 0 <= i < len(source_map) and 0 <= j < len(target_map):
            pairs.update((a, b) for a in source_map[i] for b in target_map[j])
    return sorted(pairs)


def transfer_markup(source: str, markup: list[InlineMarkup], target: str,
                    alignment: Alignment | None) -> tuple[list[InlineMarkup], bool]:
    """Copies of ``markup`` with ``target_start``/``target_end`` set in ``target``.

    ``alignment`` pairs words of ``source`` (the plain sentence the elements' offsets refer
    to) with words of ``target``; None when the engine gave none. Returns the elements, in the
    same order, and ``moved``: True when any element was placed by the fallback rule.
    Raises :class:`MarkupTransferError` when ``target`` is too short to hold them all.
    """
    if not markup:
        return [], False
    return _Transfer(source, markup, target, alignment).run()


class _Transfer:
    def __init__(self, source: str, markup: list[InlineMarkup], target: str,
                 alignment: Alignment | None) -> None:
        self.source, self.target, self.markup = source, target, markup
        self.src_words = word_spans(source)
        self.tgt_words = word_spans(target)
        self.links: dict[int, set[int]] = {}
        for i, j in alignment or []:
            if 0 <= i < len(self.src_words) and 0 <= j < len(self.tgt_words):
                self.links.setdefault(i, set()).add(j)
        self.children = self._tree()
        self.spans: dict[int, tuple[int, int]] = {}
        self.moved = False

    def run(self) -> tuple[list[InlineMarkup], bool]:
        self._place_group(self.children[-1], (0, len(self.target)), [])
        placed = [replace(e, target_start=self.spans[k][0], target_end=self.spans[k][1])
                  for k, e in enumerate(self.markup)]
        return placed, self.moved

    # -- the source's nesting

    def _tree(self) -> dict[int, list[int]]:
        """Children of each element (key -1: the top level), in source order."""
        order = sorted(range(len(self.markup)), key=lambda k: (self.markup[k].start, -self.markup[k].end, k))
        children: dict[int, list[int]] = {-1: []}
        stack: list[int] = []
        for k in order:
            element = self.markup[k]
            while stack and not (self.markup[stack[-1]].start <= element.start
                                 and element.end <= self.markup[stack[-1]].end):
                stack.pop()
            children.setdefault(stack[-1] if stack else -1, []).append(k)
            children.setdefault(k, [])
            stack.append(k)
        return children

    def _need(self, k: int) -> int:
        """Characters element ``k`` needs: one, or one per innermost element inside it."""
        return max(1, sum(self._need(c) for c in self.children[k]))

    # -- placement

    def _place_group(self, group: list[int], region: tuple[int, int], covered: list[int]) -> None:
        """Place sibling elements inside ``region``, then their children inside each of them."""
        if not group:
            return
        if sum(self._need(k) for k in group) > region[1] - region[0]:
            raise MarkupTransferError(f"{len(self.markup)} inline elements do not fit in {self.target!r}")
        parent_words = covered or list(range(len(self.src_words)))
        taken: list[tuple[int, int]] = []
        spans: dict[int, tuple[int, int]] = {}
        for k in group:
            span = self._aligned(k, region, taken)
            if span is None:
                self.moved = True
                span = self._fallback(k, region, taken, parent_words)
            if span is None:
                spans = self._share(group, region)
                break
            spans[k] = span
            taken.append(span)
        for k in group:
            self.spans[k] = spans[k]
            self._place_group(self.children[k], spans[k], self._covered(k))

    def _fits(self, k: int, span: tuple[int, int], region: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
        start, end = span
        return (region[0] <= start and end <= region[1] and end - start >= self._need(k)
                and not any(start < t_end and t_start < end for t_start, t_end in taken))

    def _covered(self, k: int) -> list[int]:
        """Indices of the source words element ``k`` overlaps."""
        element = self.markup[k]
        return [i for i, (s, e) in enumerate(self.src_words) if s < element.end and element.start < e]

    def _aligned(self, k: int, region: tuple[int, int], taken: list[tuple[int, int]]) -> tuple[int, int] | None:
        words = self._covered(k)
        linked = sorted({j for i in words for j in self._links_within(k, i, words)})
        if not linked:
            return None
        span = self._edges(k, words, linked[0], linked[-1])
        return span if self._fits(k, span, region, taken) else None

    def _links_within(self, k: int, i: int, words: list[int]) -> list[int]:
        """Target words of source word ``i`` that belong to element ``k``.

        A word whose letters the element covers only in part gives only its last target word
        when the element starts inside it (``sull'**emergenza**`` → "on the emergency":
        "emergency"), its first when the element ends inside it; otherwise all of them.
        """
        linked = sorted(self.links.get(i, ()))
        element, (start, end) = self.markup[k], self.src_words[i]
        cut_before = any(c.isalnum() for c in self.source[start:element.start])
        cut_after = any(c.isalnum() for c in self.source[element.end:end])
        if not linked or cut_before == cut_after:
            return linked
        return linked[-1:] if cut_before else linked[:1]

    def _edges(self, k: int, words: list[int], first: int, last: int) -> tuple[int, int]:
        """The target span from word ``first`` to word ``last``, its edges cut like the source's."""
        element, source, target = self.markup[k], self.source, self.target
        start, end = self.tgt_words[first][0], self.tgt_words[last][1]
        src_start, src_end = self.src_words[words[0]][0], self.src_words[words[-1]][1]
        text = source[element.start:element.end]
        first_word, last_word = target[start:self.tgt_words[first][1]], target[self.tgt_words[last][0]:end]
        if element.start > src_start:  # starts inside a word: cut the target word alike if it ends the same
            rest = source[element.start:self.src_words[words[0]][1]]
            if first_word.lower().endswith(rest.lower()):
                start += len(first_word) - len(rest)
        else:  # starts with whitespace: take as much of the target's, if it has any
            while start > 0 and target[start - 1].isspace() and src_start - element.start > self.tgt_words[first][0] - start:
                start -= 1
        if element.end < src_end:  # ends inside a word: cut the target word alike if it starts the same
            head = source[self.src_words[words[-1]][0]:element.end]
            if last_word.lower().startswith(head.lower()):
                end = self.tgt_words[last][0] + len(head)
        else:  # ends with whitespace
            while end < len(target) and target[end].isspace() and element.end - src_end > end - self.tgt_words[last][1]:
                end += 1
        if text[:1].isalnum():
            while start < end and not target[start].isalnum() and any(c.isalnum() for c in target[start + 1:end]):
                start += 1
        if text[-1:].isalnum():
            while end > start and not target[end - 1].isalnum() and any(c.isalnum() for c in target[start:end - 1]):
                end -= 1
        return start, max(end, start)

    def _fallback(self, k: int, region: tuple[int, int], taken: list[tuple[int, int]],
                  parent_words: list[int]) -> tuple[int, int] | None:
        """The documented rule for an element the alignment could not place (see the module)."""
        words = self._covered(k)
        free = [j for j, (s, e) in enumerate(self.tgt_words)
                if region[0] <= s and e <= region[1] and not any(s < t_end and t_start < e for t_start, t_end in taken)]
        if words and set(parent_words) <= set(words) and not taken:
            span = _strip(self.target, region)
            return span if self._fits(k, span, region, taken) else None
        if not free:
            return None
        anchor = self._anchor(words)
        nearest = min(range(len(free)), key=lambda n: (abs(free[n] - anchor), n))
        run = [free[nearest]]
        while len(run) < max(1, len(words)) and nearest + len(run) < len(free) and free[nearest + len(run)] == run[-1] + 1:
            run.append(free[nearest + len(run)])
        span = self._edges(k, words, run[0], run[-1]) if words else (self.tgt_words[run[0]][0], self.tgt_words[run[-1]][1])
        if not self._fits(k, span, region, taken):
            span = (self.tgt_words[run[0]][0], self.tgt_words[run[-1]][1])
        return span if self._fits(k, span, region, taken) else None

    def _anchor(self, words: list[int]) -> float:
        """Where in the target (a word index) an element of these source words belongs."""
        if self.links:
            middle = (words[0] + words[-1]) / 2 if words else 0
            nearest = min(self.links, key=lambda i: (abs(i - middle), i))
            return min(self.links[nearest])
        proportional = words[0] / (len(self.src_words) - 1) if words and len(self.src_words) > 1 else 0.0
        return proportional * max(0, len(self.tgt_words) - 1)

    def _share(self, group: list[int], region: tuple[int, int]) -> dict[int, tuple[int, int]]:
        """Siblings that do not fit by alignment or rule: the region cut in source order."""
        self.moved = True
        needs = [self._need(k) for k in group]
        words = [(max(s, region[0]), min(e, region[1])) for s, e in self.tgt_words
                 if s < region[1] and region[0] < e]
        if len(words) >= len(group):
            cuts = [round(n * len(words) / len(group)) for n in range(len(group) + 1)]
            pieces = [(words[cuts[n]][0], words[cuts[n + 1] - 1][1]) for n in range(len(group))]
            if all(e - s >= need for (s, e), need in zip(pieces, needs)):
                return dict(zip(group, pieces))
        # character by character: each sibling gets at least what it needs
        start, end = _strip(self.target, region)
        if end - start < sum(needs):
            start, end = region
        spare = (end - start) - sum(needs)
        spans, at = {}, start
        for n, (k, need) in enumerate(zip(group, needs)):
            size = need + spare * (n + 1) // len(group) - spare * n // len(group)
            spans[k] = (at, at + size)
            at += size
        return spans


def _strip(text: str, region: tuple[int, int]) -> tuple[int, int]:
    """``region`` without the whitespace at its edges (unchanged if that leaves nothing)."""
    start, end = region
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else region
