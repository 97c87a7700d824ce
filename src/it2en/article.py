"""The data model shared by every stage: an article is blocks, a block is framed segments.

Rendering with each segment's target (or source) reproduces the layout exactly, because every
character of the input belongs to exactly one of: the article's ``leading`` text, a block's
``prefix``/``suffix``/``separator``, a segment's ``source`` or a segment's ``gap``.
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

    @property
    def output(self) -> str:
        return self.source if self.target is None else self.target


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
        return "".join(s.source + s.gap for s in self.segments)

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

    def segments(self) -> list[Segment]:
        return [s for b in self.blocks for s in b.segments]

    def translatable_segments(self) -> list[Segment]:
        return [s for s in self.segments() if s.translatable]
