"""The data model shared by every stage: an article is blocks, a block is framed segments.

Rendering with each segment's target (or source) reproduces the layout exactly, because every
character of the input belongs to exactly one of: the article's ``leading`` text, a block's
``prefix``/``suffix``/``separator``, a segment's ``source`` or a segment's ``gap``, or the
``opening``/``closing`` of an inline element wrapping part of a segment (Markdown, HTML).
A segment's ``source`` is the plain sentence, as the model will see it before placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class BlockKind(str, Enum):
    HEADLINE = "headline"
    STANDFIRST = "standfirst"
    DISCLAIMER = "disclaimer"
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    QUOTE = "quote"
    LIST_ITEM = "list_item"
    BOILERPLATE = "boilerplate"


@dataclass
class InlineMarkup:
    """An inline element (emphasis, strong, a link, an HTML element) wrapping part of a sentence.

    Its markup is kept verbatim outside the plain text the model sees; offsets are into the
    segment's plain ``source`` and, once the translation is known, into its ``target``.
    """

    kind: str
    """``emphasis``, ``strong``, ``strikethrough``, ``link``, ``image``, ``html``…"""
    start: int
    end: int
    opening: str
    """Verbatim markup before the wrapped words: ``**``, ``[``, ``<a href="…">``."""
    closing: str
    """Verbatim markup after them: ``**``, ``](https://…)``, ``</a>``."""
    target_start: int | None = None
    target_end: int | None = None


def apply_markup(text: str, markup: list[InlineMarkup], *, target: bool = False) -> str:
    """``text`` with every element's opening and closing inserted at its offsets.

    Elements are listed outermost first (source order); at one position, closings come before
    openings, an outer element opens before and closes after an inner one.
    """
    inserts: list[tuple[int, int, int, str]] = []  # position, 0 close / 1 open, order, markup
    for order, element in enumerate(markup):
        start, end = (element.target_start, element.target_end) if target else (element.start, element.end)
        if start is None or end is None:
            continue
        inserts.append((start, 1, order, element.opening))
        inserts.append((end, 0, -order, element.closing))
    inserts.sort(key=lambda item: (item[0], item[1], item[2]))
    pieces, cursor = [], 0
    for position, _, _, piece in inserts:
        pieces.append(text[cursor:position])
        pieces.append(piece)
        cursor = position
    pieces.append(text[cursor:])
    return "".join(pieces)


@dataclass
class Segment:
    """One sentence (or a verbatim piece) of a block, and the text that follows it."""

    source: str
    gap: str = ""
    """Verbatim text after the segment inside its block: spaces, a line break, a line's prefix."""
    translatable: bool = True
    """False for pieces without letters (``---``, ``***``, numbers): they pass through as they are."""
    target: str | None = None
    flags: list[str] = field(default_factory=list)
    split: bool = False
    """True when the source was cut from an over-long sentence at a clause boundary."""
    markup: list[InlineMarkup] = field(default_factory=list)
    """Inline elements wrapping words of ``source``, outermost first; empty for plain text."""
    verbatim: list[tuple[int, int]] = field(default_factory=list)
    """Spans of ``source`` the model must not touch (inline code, autolinks, an image inside a
    sentence, inline HTML without text): masked by placeholders like URLs, put back verbatim."""
    raw: str | None = None
    """The segment exactly as written, when that is not ``marked_source``: a Markdown or HTML
    sentence with soft line breaks, entities or escapes that its plain ``source`` decodes."""
    cut_from: Segment | None = None
    """The whole segment this piece was cut from for length (its ``raw`` is written back while
    no piece of it changed)."""
    conversions: list[tuple[str, str]] = field(default_factory=list)
    """Numbers written the English way in the target, as ``(source form, English form)``."""
    glossary: list[tuple[str, str]] = field(default_factory=list)
    """Glossary entries applied, as ``(it, en)``; an empty ``en`` means kept as is."""
    origin: str | None = None
    """Where the target came from: ``model``, ``memory`` (a remembered model answer) or ``human``
    (a translation imported into the memory); None while untranslated or kept as it is."""
    confidence: float | None = None
    """The model's confidence in ``target``, 0–1 (its length-normalised log-probability, mapped);
    1 for a human translation; None while untranslated or kept as it is."""

    @property
    def marked_source(self) -> str:
        """The source as it was written, inline markup included."""
        if self.raw is not None:
            return self.raw
        return apply_markup(self.source, self.markup) if self.markup else self.source

    @property
    def output(self) -> str:
        """The translation with its inline markup (or the source, untranslated or unchanged)."""
        if self.target is None or self.target == self.source:
            return self.marked_source
        return apply_markup(self.target, self.markup, target=True) if self.markup else self.target


INFORMATIONAL_FLAGS = frozenset({"kept_english", "split", "retried"})
"""Marks that say what happened, not that anything is wrong: they never fail ``--strict`` and
never send a sentence to review."""

DEFAULT_REVIEW_BELOW = 0.5
"""A translated segment less confident than this needs review (``--review-below``)."""


def needs_review(segment: Segment, below: float = DEFAULT_REVIEW_BELOW) -> bool:
    """Whether a person should read this segment first: it carries a flag, or the model was less
    confident than ``below``."""
    if any(flag not in INFORMATIONAL_FLAGS for flag in segment.flags):
        return True
    return segment.target is not None and segment.confidence is not None and segment.confidence < below


@dataclass
class Block:
    kind: BlockKind
    prefix: str
    """Verbatim frame before the body: Markdown markers, an opening quotation mark, a label."""
    segments: list[Segment]
    suffix: str = ""
    """Verbatim frame after the body: a closing quotation mark, a trailing ``*``."""
    separator: str = ""
    """Verbatim text between this block and the next: blank lines, or one line break in a list."""
    label_target: str | None = None
    """The translated label (``Avvertenza:`` → ``Disclaimer:``) when the prefix holds one."""

    @property
    def source(self) -> str:
        """The block's text as written, inline markup included."""
        return "".join(s.marked_source + s.gap for s in self.segments)

    @property
    def target(self) -> str:
        return "".join(s.output + s.gap for s in self.segments)

    @property
    def output_prefix(self) -> str:
        """The prefix as written out: an Italian label becomes English once the block is translated."""
        translated = any(s.target is not None for s in self.segments)
        return self.label_target if translated and self.label_target is not None else self.prefix


@dataclass
class Article:
    blocks: list[Block]
    leading: str = ""
    """Whitespace before the first block (blank lines at the top of the file)."""
    name: str = "-"
    """Where the article came from, for messages and JSON: a path or ``-`` for stdin."""
    format: str = "text"
    """The input format it was parsed from (``text``, ``markdown``, ``html``); it is written back in it."""
    kept_as_written: list[tuple[int, str]] = field(default_factory=list)
    """Prose left untranslated because its markup could not be mapped to the source exactly
    (an escaped ``|`` inside a Markdown table cell): (line number, its first words). Said, never silent."""

    def segments(self) -> list[Segment]:
        return [s for b in self.blocks for s in b.segments]

    def translatable_segments(self) -> list[Segment]:
        return [s for s in self.segments() if s.translatable]
