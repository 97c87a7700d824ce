"""Decoding settings shared by every engine, so both backends decode under the same rules."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GenerationSettings:
    beams: int = 4
    max_new_tokens_factor: float = 2.0
    """The cap on new tokens grows with the source: factor × source tokens + extra …"""
    max_new_tokens_extra: int = 10
    max_length: int = 512
    """… and never passes the model's position limit (512 for opus-mt)."""

    def max_new_tokens(self, source_tokens: int) -> int:
        """The cap on generated tokens for a source of ``source_tokens`` tokens (with ``</s>``)."""
        cap = int(self.max_new_tokens_factor * source_tokens) + self.max_new_tokens_extra
        return max(1, min(self.max_length, cap))
