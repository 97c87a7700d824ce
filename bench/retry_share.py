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
per-sentence outputs are not published), as are lines whose masked form (URLs, e-mails) the
fake engine cannot look up.
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


def main() -> None:
    from it2en import formats
    from it2en.api import ArticleTranslator

    folder = CORPUS / "opus-mt-outputs"
    italian = (folder / "newssyscomb2009.ita").read_text(encoding="utf-8").splitlines()
    english = (folder / "newssyscomb2009.ita-eng.output").read_text(encoding="utf-8").splitlines()
    engine = PublishedOutputs(dict(zip(italian, english, strict=True)))
    translator = ArticleTranslator(engine=engine, memory=False, glossary=[])
    counted = retried = chars = retried_chars = 0
    flags: Counter[str] = Counter()
    for line in italian:
        article = formats.parse(line + "\n", input_format="text")
        segments = article.translatable_segments()
        if len(segments) != 1 or segments[0].source != line:
            continue
        translator.translate_article(article)
        if engine.calls[line] == 0:
            continue  # masked before it reached the engine: not looked up
        counted += 1
        chars += len(line)
        if engine.calls[line] > 1:
            retried += 1
            retried_chars += len(line)
            flags.update(f for f in segments[0].flags if f != "retried")
    print(f"{counted} of {len(italian)} lines are one sentence the fake engine could answer")
    print(f"retried: {retried} sentences ({100 * retried / counted:.1f}%), "
          f"{100 * retried_chars / chars:.1f}% of the source characters")
    print("flags of the retried sentences:", ", ".join(f"{flag} {n}" for flag, n in flags.most_common()))


if __name__ == "__main__":
    main()
