"""How often it2en would retry the REAL opus-mt-it-en: its checks run on the model's published outputs.

    python bench/retry_share.py

The benchmark models (``bench/realistic_models.py``) fail it2en's checks far more often than a
real model (a random model's words, a memorising model's answers to sentences it never saw), so
the share of decoding they spend on retries says little about a user's run. This script puts
the real model's translations of WMT newssyscomb2009 (``opus-mt-outputs/``, 502 news lines)
through it2en's pipeline, as if the model had just returned them: every check, post-edit and
number rule runs; a sentence the checks flag is "retried" (the fake engine answers the same
again). Reported: the share of sentences and of source characters that a real run would decode
twice, and the flags behind them. Lines it2en cuts into several sentences are left out (their
per-sentence outputs are not published).

A line with a number or an acronym reaches the model masked (``X1``), which the published
outputs never saw. For those the fake engine answers as a model that copies the tokens (as
``fidelity.placeholders`` says opus-mt does): the published output with each masked text, in
the form it2en puts back, replaced by its token. Where the published output writes a masked
text otherwise (the real model rewrote a number or an acronym), how the real model would treat
the token is unknown: those lines are counted apart, not guessed.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
CORPUS = Path(os.environ.get("IT2EN_CORPUS", ROOT.parent / "shared" / "corpus"))


class PublishedOutputs:
    """Answers each sentence with the real model's published translation of it."""

    name = "opus-mt-published"

    def __init__(self, pairs: dict[str, str]) -> None:
        self.pairs = pairs
        self.calls: Counter[str] = Counter()

    def translate(self, sentences, *, no_repeat_ngram_size=0):
        self.calls.update(sentences)
        return [self.pairs.get(sentence, sentence) for sentence in sentences]


def copying_answer(line: str, output: str) -> tuple[str, str] | None:
    """``(masked line, the published output with the same tokens)`` for a line it2en masks,
    as a model that copies the tokens would answer; None where a masked text is not in the
    output as it2en puts it back (the model rewrote it)."""
    from it2en.fidelity.placeholders import protect

    protected = protect(line, english_numbers=True)
    answer = output
    for token, text in zip(protected.tokens, protected.restored):
        if text not in answer:
            return None
        answer = answer.replace(text, token, 1)
    return protected.text, answer


def main() -> None:
    from it2en import formats
    from it2en.api import ArticleTranslator

    folder = CORPUS / "opus-mt-outputs"
    italian = (folder / "newssyscomb2009.ita").read_text(encoding="utf-8").splitlines()
    english = (folder / "newssyscomb2009.ita-eng.output").read_text(encoding="utf-8").splitlines()
    pairs = dict(zip(italian, english, strict=True))
    masked_keys: dict[str, str] = {}  # masked line → the line
    rewritten = 0
    for line, output in zip(italian, english):
        copied = copying_answer(line, output)
        if copied is None:
            rewritten += 1
        elif copied[0] != line:
            pairs[copied[0]] = copied[1]
            masked_keys[line] = copied[0]
    engine = PublishedOutputs(pairs)
    translator = ArticleTranslator(engine=engine, memory=False, glossary=[])
    counted = retried = chars = retried_chars = masked = masked_retried = 0
    flags: Counter[str] = Counter()
    for line in italian:
        article = formats.parse(line + "\n", input_format="text")
        segments = article.translatable_segments()
        if len(segments) != 1 or segments[0].source != line:
            continue
        translator.translate_article(article)
        key = masked_keys.get(line, line)
        if engine.calls[key] == 0:
            continue  # a masked text the published output wrote otherwise: not looked up
        counted += 1
        chars += len(line)
        masked += key != line
        if engine.calls[key] > 1:
            retried += 1
            masked_retried += key != line
            retried_chars += len(line)
            flags.update(f for f in segments[0].flags if f != "retried")
    print(f"{counted} of {len(italian)} lines are one sentence the fake engine could answer "
          f"({masked} of them masked, answered with the tokens copied; {rewritten} lines whose "
          "published output writes a masked text otherwise are left out)")
    print(f"retried: {retried} sentences ({100 * retried / counted:.1f}%; {masked_retried} of the masked), "
          f"{100 * retried_chars / chars:.1f}% of the source characters")
    print("flags of the retried sentences:", ", ".join(f"{flag} {n}" for flag, n in flags.most_common()))


if __name__ == "__main__":
    main()
