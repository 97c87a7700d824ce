"""A separate it2en process for the memory's concurrency and crash tests (run as a script).

    python memory_worker.py MEMORY FIRST COUNT [--sleep S] [--wait-for FILE]

translates articles FIRST..FIRST+COUNT-1 of :func:`articles` with a fake engine that sleeps
``S`` seconds per call, one sentence per engine call, so articles finish (and are stored in
the memory, one transaction each) one after the other.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
import time
from pathlib import Path

NOUNS = ["gatto", "cane", "treno", "fiume", "libro", "monte", "vento", "porto", "campo", "ponte"]
ADJECTIVES = ["rosso", "lento", "vecchio", "nuovo", "grande", "piccolo", "alto", "basso"]
PLACES = ["Roma", "Milano", "Torino", "Napoli", "Genova", "Bari", "Verona", "Padova", "Trieste", "Parma"]
SENTENCES = [f"Il {n} {a} arriva a {p} stamattina." for n, a, p in itertools.product(NOUNS, ADJECTIVES, PLACES)]


def articles(first: int, count: int, per_article: int = 4) -> list[str]:
    """Articles of ``per_article`` distinct sentences (no digits: placeholders would merge them)."""
    return [" ".join(SENTENCES[(i * per_article + j) % len(SENTENCES)] for j in range(per_article)) + "\n"
            for i in range(first, first + count)]


class SlowEngine:
    name = "slow-fake"

    def __init__(self, sleep: float) -> None:
        self.sleep = sleep

    def translate(self, sentences, *, no_repeat_ngram_size=0):
        time.sleep(self.sleep)
        return [re.sub(r"\b[a-z]{3,}\b", lambda m: m.group()[::-1], s) for s in sentences]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("memory")
    parser.add_argument("first", type=int)
    parser.add_argument("count", type=int)
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--wait-for")
    args = parser.parse_args()

    from it2en import pipeline
    from it2en.formats.text import parse
    from it2en.memory import GuardedMemory, ModelContext, TranslationMemory

    if args.wait_for:
        while not Path(args.wait_for).exists():
            time.sleep(0.005)
    memory = GuardedMemory(TranslationMemory(args.memory), ModelContext("slow-fake", "slow-fake", "", ""),
                           warn=lambda message: print(message, file=sys.stderr, flush=True))
    done = []
    texts = [parse(t, name=f"a{i}") for i, t in enumerate(articles(args.first, args.count))]
    pipeline.translate_articles(texts, SlowEngine(args.sleep), memory=memory, chunk_sentences=1,
                                on_article_done=lambda article: (done.append(article), print(
                                    f"done {len(done)}", flush=True)))
    memory.close()
    print(f"finished {len(done)}", flush=True)


if __name__ == "__main__":
    main()
