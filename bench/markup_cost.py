"""The cost of markup handling: a Markdown article against its plain-text rendering, same engine.

    python bench/markup_cost.py                      # identity engine: parsing + rendering cost
    python bench/markup_cost.py --model DIR --rounds 1 [--backend ctranslate2]   # a real model

For each corpus article with a Markdown source (``articles/src/NN.md`` and ``articles/NN.txt``),
both are translated in the same process by the same ``ArticleTranslator`` (``translate_text``
with ``input_format`` markdown and text), rounds interleaved; the figure is the ratio of the
summed best-of-rounds wall times, Markdown over text (goal: at most 1.10x). With the identity
engine the time is it2en's own work (parsing, sentence splitting, placeholders, alignment
fallback, rendering), so the ratio is the overhead of markup; with a model it is what a user
pays. A third column, "md plain", translates the Markdown article with its inline elements
dropped after parsing (no word alignment asked of the engine): the difference between it and
"markdown" is the cost of the alignment, the rest the cost of parsing and rendering. A fourth,
"its text", translates the Markdown article's own plain sentences as a text article (a paragraph
per block): the same sentences, so "markdown" ÷ "its text" is the cost of the markup alone. The
corpus's reader-style ``.txt`` has less to translate (no alt text, no titles), so the ratio
against it also counts the extra prose the Markdown holds.
The corpus is found as the tests find it ($IT2EN_CORPUS, else ../shared/corpus).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def corpus() -> Path:
    return Path(os.environ.get("IT2EN_CORPUS", ROOT.parent / "shared" / "corpus"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a MarianMT folder (default: the identity engine)")
    parser.add_argument("--backend", default="transformers")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from it2en import formats
    from it2en.api import ArticleTranslator
    from it2en.engines import IdentityTranslator

    if args.model:
        translator = ArticleTranslator(args.model, backend=args.backend, device="cpu")
        engine_name = f"{args.model} ({args.backend})"
    else:
        translator = ArticleTranslator(engine=IdentityTranslator())
        engine_name = "identity"
    articles = corpus() / "articles"
    pairs = [(md, articles / f"{md.stem}.txt") for md in sorted((articles / "src").glob("*.md"))]
    kinds = ("markdown", "md plain", "its text", "text")
    best = {(md.name, kind): float("inf") for md, _ in pairs for kind in kinds}
    sentences = {}
    translator.translate_text("Una frase.", input_format="text")  # load the engine before timing
    for _ in range(args.rounds):
        for md, txt in pairs:
            for kind, path in (("markdown", md), ("md plain", md), ("its text", md), ("text", txt)):
                text = path.read_text(encoding="utf-8")
                if kind == "its text":
                    text = plain_text(formats.parse(text, input_format="markdown"))
                start = time.perf_counter()
                article = formats.parse(text, input_format="markdown" if kind in ("markdown", "md plain") else "text",
                                        name=str(path))
                if kind == "md plain":
                    for segment in article.segments():
                        segment.markup = []
                translator.render(translator.translate_article(article))
                best[(md.name, kind)] = min(best[(md.name, kind)], time.perf_counter() - start)
                sentences[(md.name, kind)] = len(article.translatable_segments())
    print(f"engine: {engine_name}; best of {args.rounds} rounds")
    print(f"{'article':<24} {'sentences md/its/txt':>20} {'markdown s':>10} {'md plain s':>10} {'its text s':>10}"
          f" {'text s':>8} {'md ÷ its text':>13} {'md ÷ text':>9}")
    rows = [(md.name, md.name[:24]) for md, _ in pairs] + [(None, "all")]
    for key, label in rows:
        m, p, own, t = (sum(v for (name, k), v in best.items() if k == kind and key in (None, name)) for kind in kinds)
        counts = "/".join(str(sum(v for (name, k), v in sentences.items() if k == kind and key in (None, name)))
                          for kind in ("markdown", "its text", "text"))
        print(f"{label:<24} {counts:>20} {m:>10.3f} {p:>10.3f} {own:>10.3f} {t:>8.3f} {m / own:>13.2f} {m / t:>9.2f}")


def plain_text(article) -> str:
    """A parsed Markdown article's own prose as a text article: a paragraph per block."""
    return "\n\n".join(" ".join(s.source for s in block.segments if s.source) for block in article.blocks) + "\n"


if __name__ == "__main__":
    main()
