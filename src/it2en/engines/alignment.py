"""Word alignments from the model's own cross-attention, for carrying inline markup over.

Both engines read the same attention: the last decoder layer's first head, which is what a
CTranslate2 conversion returns with ``return_attention=True`` (its converter's defaults,
``alignment_layer=-1``, ``alignment_heads=1``); the transformers engine takes that head from
the cross-attentions of ``generate``, on the beam that produced each token. Bergamot's students
are trained to make one head an aligner (guided alignment); opus-mt is not, so an alignment is
only a hint here, and :func:`it2en.fidelity.markup.transfer_markup` checks it and falls back
by rule when it is inconsistent.

Attention is between SentencePiece pieces; a piece starting with ``▁`` starts a word. Each
target word is aligned to the source word its pieces attend to most (summed over the pieces of
both words, the source's ``</s>`` and other special tokens left out), the usual argmax rule.
Words are then mapped to the whitespace words of the texts the pipeline knows (the sentence
before Moses normalisation, the detokenised output) with :func:`map_words`.
"""

from __future__ import annotations

from collections.abc import Sequence

from it2en.fidelity.markup import Alignment, map_words

SPECIAL = frozenset({"</s>", "<unk>", "<pad>", "<s>"})


def piece_words(pieces: Sequence[str]) -> tuple[list[int], list[str]]:
    """The word index of every piece (-1 for special tokens), and each word's text."""
    index: list[int] = []
    words: list[str] = []
    for piece in pieces:
        if piece in SPECIAL:
            index.append(-1)
            continue
        if piece.startswith("▁") or not words:
            words.append("")
        words[-1] += piece.lstrip("▁")
        index.append(len(words) - 1)
    return index, words


def attention_alignment(
    attention: Sequence[Sequence[float]],
    source_pieces: Sequence[str],
    target_pieces: Sequence[str],
    source_text: str,
    target_text: str,
) -> Alignment:
    """Word pairs of ``source_text`` and ``target_text`` from piece-level attention.

    ``attention[t][s]``: how much target piece ``t`` attended to source piece ``s``; one row per
    target piece, one column per source piece.
    """
    source_index, source_words = piece_words(source_pieces)
    target_index, target_words = piece_words(target_pieces)
    if not source_words or not target_words:
        return []
    weights = [[0.0] * len(source_words) for _ in target_words]
    for t, row in zip(target_index, attention):
        if t < 0:
            continue
        for s, value in zip(source_index, row):
            if s >= 0:
                weights[t][s] += float(value)
    pairs = [(max(range(len(source_words)), key=lambda s: (row[s], -s)), t) for t, row in enumerate(weights)]
    source_map = map_words(source_words, source_text.split())
    target_map = map_words(target_words, target_text.split())
    return sorted({(a, b) for s, t in pairs for a in source_map[s] for b in target_map[t]})
