"""Translate around a placeholder the model dropped, so that what it stood for is never lost.

When the model's answer, even after the retry, lacks a placeholder token (a URL, a number, a
glossary term), the masked sentence is cut at that token: the pieces on each side are
translated on their own, and the token is put back verbatim between their translations. A
piece whose own translation drops one of its tokens is cut again at all its tokens (those
pieces hold none, so nothing more can be lost). The result is a model answer with every token
in it, which the pipeline restores, post-edits and checks like any other, flagged
``placeholder_rescued`` (or ``glossary_rescued``): the English around the span is the model's,
but translated in pieces.

Pure functions; the engine comes in as a ``translate(list[str]) -> list[str]`` callable, one
call per round for all the sentences to rescue.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence

from it2en.fidelity import placeholders, postedit

__all__ = ["translate_around"]

_LETTER = re.compile(r"[^\W\d_]")
# What a piece keeps verbatim at its edges: spaces, brackets, quotes, punctuation (not an
# apostrophe after a letter: "dell'" is a word).
_EDGE_START = re.compile(r"\A[\s\"“”«»‘()\[\]{},.;:!?…—–-]*")
_EDGE_END = re.compile(r"[\s\"“”«»‘()\[\]{},.;:!?…—–-]*\Z")


def _cut(text: str, letter: str, cut_at: Collection[int]) -> list[tuple[str, str]]:
    """``text`` as ``(kind, text)`` parts: ``token``, ``edge`` (kept verbatim) and ``core``
    (to translate); cut at the tokens numbered ``cut_at``."""
    pattern = re.compile(r"(?<![A-Za-z])" + letter + r"(\d+)(?!\d)")
    parts: list[tuple[str, str]] = []
    at = 0
    for match in pattern.finditer(text):
        if int(match.group(1)) not in cut_at:
            continue
        parts += _piece(text[at:match.start()])
        parts.append(("token", match.group(0)))
        at = match.end()
    parts += _piece(text[at:])
    return parts


def _piece(text: str) -> list[tuple[str, str]]:
    if not _LETTER.search(text):
        return [("edge", text)] if text else []
    start = _EDGE_START.match(text).end()
    end = _EDGE_END.search(text, start).start()
    parts = [("edge", text[:start])] if start else []
    parts.append(("core", text[start:end]))
    if end < len(text):
        parts.append(("edge", text[end:]))
    return parts


def _fit(source: str, translation: str, *, first: bool) -> str:
    """A piece's translation made to sit inside a sentence: no final mark the piece has not, no
    capital the piece has not."""
    text = postedit.match_final_punctuation(source, translation.strip())
    if not first and source[:1].islower() and text[:1].isupper() and text[1:2].islower():
        text = text[0].lower() + text[1:]
    return text


def _join(parts: Sequence[tuple[str, str]]) -> str:
    out = ""
    previous = None
    for kind, text in parts:
        if out and previous != "edge" and kind != "edge":
            out += " "  # a translated piece next to a token, with no source spacing between
        out += text
        previous = kind
    return out


def translate_around(items: Sequence[tuple[str, str, Collection[int]]],
                     translate: Callable[[list[str]], list[str]]) -> list[str]:
    """For each ``(masked sentence, token letter, numbers of the lost tokens)``, a translation
    made of the translated pieces and every token of the sentence."""
    plans = [_cut(text, letter, lost) for text, letter, lost in items]
    cores = [(i, j) for i, plan in enumerate(plans) for j, (kind, _) in enumerate(plan) if kind == "core"]
    outputs = translate([plans[i][j][1] for i, j in cores]) if cores else []
    again: list[tuple[int, int, list[tuple[str, str]]]] = []
    for (i, j), output in zip(cores, outputs, strict=True):
        source = plans[i][j][1]
        letter = items[i][1]
        wanted = set(placeholders.token_indices(source, letter))
        if wanted - set(placeholders.token_indices(output, letter)):
            again.append((i, j, _cut(source, letter, wanted)))
        else:
            plans[i][j] = ("done", _fit(source, output, first=_first(plans[i], j)))
    if again:
        subcores = [(k, m) for k, (_, _, sub) in enumerate(again) for m, (kind, _) in enumerate(sub) if kind == "core"]
        suboutputs = translate([again[k][2][m][1] for k, m in subcores]) if subcores else []
        for (k, m), output in zip(subcores, suboutputs, strict=True):
            sub = again[k][2]
            i, j = again[k][0], again[k][1]
            sub[m] = ("done", _fit(sub[m][1], output, first=_first(plans[i], j) and _first(sub, m)))
        for i, j, sub in again:
            plans[i][j] = ("done", _join(sub))
    return [_join(plan) for plan in plans]


def _first(parts: Sequence[tuple[str, str]], index: int) -> bool:
    """True when no translated piece or token comes before ``parts[index]``."""
    return all(kind == "edge" for kind, _ in parts[:index])
