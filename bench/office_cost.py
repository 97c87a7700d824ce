"""The cost of a Word or OpenDocument package: a document against its own sentences as a text article.

    python bench/office_cost.py [--rounds 5]

For each real document of the corpus (``office/*.docx``, ``office/*.odt``), the same
``ArticleTranslator`` translates, rounds interleaved: the document itself (read, parse, translate,
rebuild the changed paragraphs, write the package to bytes), and a text article made of the
document's plain sentences, one paragraph per block. The engine writes every sentence in
capitals (word order kept, every sentence changed, so every paragraph is rebuilt) and answers at
once: the time is it2en's own work. The figure is the ratio of the best-of-rounds wall times,
document over text. The corpus is found as the tests find it ($IT2EN_CORPUS, else ../shared/corpus).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


class Shout:
    name = "shout"

    def translate(self, sentences, **kwargs):
        return [s.upper() for s in sentences]

    def translate_aligned(self, sentences, **kwargs):
        return [(s.upper(), [(i, i) for i in range(len(s.split()))]) for s in sentences]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from it2en import formats
    from it2en.api import ArticleTranslator
    from it2en.formats.office import strip_tokens

    corpus = Path(os.environ.get("IT2EN_CORPUS", ROOT.parent / "shared" / "corpus"))
    documents = sorted((corpus / "office").glob("*.docx")) + sorted((corpus / "office").glob("*.odt"))
    translator = ArticleTranslator(engine=Shout(), keep_number_format=True)
    texts = {}
    for document in documents:
        article = formats.load(str(document))
        texts[document] = "\n\n".join(strip_tokens(" ".join(s.source for s in b.segments)) for b in article.blocks) + "\n"
    best = {(d, kind): float("inf") for d in documents for kind in ("document", "text")}
    for _ in range(args.rounds):
        for document in documents:
            start = time.perf_counter()
            translator.translate_file(document)
            best[document, "document"] = min(best[document, "document"], time.perf_counter() - start)
            start = time.perf_counter()
            translator.translate_text(texts[document], input_format="text")
            best[document, "text"] = min(best[document, "text"], time.perf_counter() - start)
    print("| document | blocks | document s | its text s | ratio |\n|---|---|---|---|---|")
    for document in documents:
        blocks = texts[document].count("\n\n") + 1
        ratio = best[document, "document"] / best[document, "text"]
        print(f"| {document.name} | {blocks} | {best[document, 'document']:.3f} | {best[document, 'text']:.3f} | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
