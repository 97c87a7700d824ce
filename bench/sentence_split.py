"""How many FLORES-200 sentence boundaries it2en's splitter finds, next to plain sentence-splitter.

Each FLORES document's sentences are joined by one space into a paragraph (as in
flores200/ita_Latn.dev.paragraphs.txt, where blank lines separate them);
a gold boundary lies between two consecutive FLORES lines. Recall is the share of gold
boundaries found; "extra" counts splits inside a FLORES line, which are not all wrong (a FLORES
line sometimes holds two sentences).

    python bench/sentence_split.py [--show]

The corpus is $IT2EN_CORPUS, or ../shared/corpus beside the repository.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from sentence_splitter import SentenceSplitter  # noqa: E402

from it2en.sentences import split_sentences  # noqa: E402


def corpus_dir() -> Path:
    return Path(os.environ.get("IT2EN_CORPUS") or ROOT.parent / "shared" / "corpus")


def flores_documents(corpus: Path) -> list[list[str]]:
    """The dev documents, each as its list of FLORES lines (checked against the paragraphs file)."""
    folder = corpus / "flores200"
    lines = (folder / "ita_Latn.dev").read_text(encoding="utf-8").splitlines()
    paragraphs = (folder / "ita_Latn.dev.paragraphs.txt").read_text(encoding="utf-8").split("\n\n")
    with open(folder / "docs_dev.tsv", encoding="utf-8", newline="") as table:
        rows = list(csv.DictReader(table, delimiter="\t"))
    documents = [lines[int(row["first_line"]) - 1 : int(row["last_line"])] for row in rows]
    if [" ".join(d) for d in documents] != [p.rstrip("\n") for p in paragraphs]:
        raise SystemExit(f"{folder}: docs_dev.tsv and the paragraphs file disagree")
    return documents


def _cut_points(sentences: list[str]) -> set[int]:
    """Boundaries as counts of non-space characters before them, so that splitters which
    rewrite spacing compare with each other and with the gold."""
    points, seen = set(), 0
    for sentence in sentences[:-1]:
        seen += len("".join(sentence.split()))
        points.add(seen)
    return points


@dataclass
class Score:
    name: str
    found: int = 0
    total: int = 0
    extra: int = 0
    seconds: float = 0.0
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.total


def _context(paragraph: str, nonspace_before: int) -> str:
    seen = 0
    for index, char in enumerate(paragraph):
        if seen == nonspace_before:
            return f"…{paragraph[max(0, index - 45):index]}⏎{paragraph[index:index + 30]}…"
        seen += not char.isspace()
    return paragraph[-45:]


def score(name: str, split: Callable[[str], list[str]], documents: list[list[str]]) -> Score:
    result = Score(name)
    paragraphs = [" ".join(d) for d in documents]
    started = time.perf_counter()
    predicted = [_cut_points(split(p)) for p in paragraphs]
    result.seconds = time.perf_counter() - started
    for document, paragraph, cuts in zip(documents, paragraphs, predicted):
        gold = _cut_points(document)
        result.total += len(gold)
        result.found += len(gold & cuts)
        result.extra += len(cuts - gold)
        result.misses += [_context(paragraph, p) for p in sorted(gold - cuts)]
        result.extras += [_context(paragraph, p) for p in sorted(cuts - gold)]
    return result


def it2en_split(paragraph: str) -> list[str]:
    return [sentence for sentence, _ in split_sentences(paragraph)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="list missed boundaries and extra splits")
    args = parser.parse_args()
    documents = flores_documents(corpus_dir())
    scores = [score("it2en.sentences", it2en_split, documents),
              score("sentence-splitter (it)", SentenceSplitter(language="it").split, documents)]
    print(f"FLORES-200 dev, Italian: {len(documents)} documents, {scores[0].total} gold boundaries")
    print(f"{'splitter':<24}{'recall':>9}{'found/total':>14}{'extra splits':>14}{'time':>9}")
    for s in scores:
        print(f"{s.name:<24}{s.recall:>9.2%}{f'{s.found}/{s.total}':>14}{s.extra:>14}{s.seconds:>8.2f}s")
    if args.show:
        for s in scores:
            print(f"\n{s.name}: missed")
            print("\n".join(f"  {m}" for m in s.misses))
            print(f"{s.name}: extra")
            print("\n".join(f"  {e}" for e in s.extras))


if __name__ == "__main__":
    main()
