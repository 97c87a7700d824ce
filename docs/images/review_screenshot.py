"""Make docs/images/review.png: the review page of a short news article in headless Chromium.

The article is FLORES-200 document 34 (dev; CC BY-SA), Italian and its human English, with a
headline added. The English stands in for a model's output; one sentence is cut short, as a
model's may be, and the checks flag it for real; the confidence values are illustrative.

    PYTHONPATH=src python docs/images/review_screenshot.py [CHROMIUM]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from it2en import formats
from it2en.fidelity.checks import check_translation
from it2en.render import OutputMeta, render_review

FLORES = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "flores200"
LINES = range(107, 112)  # document 34: lines 108-112, zero-based
HEADLINE = ("La capsula di Stardust torna sulla Terra", "The Stardust capsule returns to Earth")
CONFIDENCE = [0.93, 0.81, 0.88, 0.34, 0.62, 0.44]
SHORTENED = {3: "The capsule will travel fast."}


def article():
    italian = (FLORES / "ita_Latn.dev").read_text(encoding="utf-8").splitlines()
    english = (FLORES / "eng_Latn.dev").read_text(encoding="utf-8").splitlines()
    pairs = [HEADLINE] + [(italian[i], english[i]) for i in LINES]
    text = f"{pairs[0][0]}\n\n{pairs[1][0]} {pairs[2][0]}\n\n{pairs[3][0]} {pairs[4][0]}\n\n{pairs[5][0]}\n"
    parsed = formats.parse(text, name="stardust.txt")
    by_source = dict(pairs)
    for number, segment in enumerate(parsed.translatable_segments()):
        segment.target = SHORTENED.get(number, by_source[segment.source])
        segment.origin, segment.confidence = "model", CONFIDENCE[number]
        segment.flags = check_translation(segment.source, segment.target)
    return parsed


def main(chromium: str = "chromium") -> None:
    from playwright.sync_api import sync_playwright

    page_path = Path(tempfile.mkdtemp()) / "stardust.en.review.html"
    page_path.write_text(render_review(article(), OutputMeta("opus-mt-it-en", "")), encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for name, viewport in (("review.png", (1366, 768)), ("review-phone.png", (390, 844))):
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]}, offline=True)
            page.goto(page_path.as_uri())
            page.keyboard.press("j")  # the first sentence that needs review, being edited
            page.keyboard.press("Enter")
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(Path(__file__).parent / name) if name == "review.png"
                            else str(page_path.parent / name))
            print(page_path.parent / name if name != "review.png" else Path(__file__).parent / name)
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
