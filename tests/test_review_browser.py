"""The review page in a real browser (headless Chromium through Playwright): screenshots, the
filter, keyboard navigation, an edit saved as a download, and its round trip through
``it2en memory import`` into the next translation.

Locally, without Chromium or Playwright, these tests skip and say why; in CI (``CI`` set) they fail.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest
from typer.testing import CliRunner

from it2en.cli import app
from it2en.render import render_review

from conftest import SEED
from test_review import META, mixed_article

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def _missing(reason: str):
    message = (f"browser tests need {reason}: apt-get install chromium and pip install playwright "
               "(the test extra); set $IT2EN_CHROMIUM to another Chromium binary")
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set: they must run here)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def chromium():
    """Headless Chromium from the system (Playwright never downloads a browser here)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright for Python")
    executable = os.environ.get("IT2EN_CHROMIUM") or next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)
    if not executable:
        _missing("a Chromium binary on PATH")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium):
    """``open_page(path, viewport)``: the page loaded offline; every request it made is recorded."""
    contexts = []

    def open_(path, viewport=LAPTOP):
        context = chromium.new_context(viewport=viewport, accept_downloads=True, offline=True)
        contexts.append(context)
        page = context.new_page()
        page.requests = []
        page.on("request", lambda request: page.requests.append(request.url))
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.goto(path.as_uri())
        return page

    yield open_
    for context in contexts:
        context.close()


def visible_rows(page) -> list[str]:
    return page.eval_on_selector_all(".seg", "rows => rows.filter(r => r.offsetParent !== null).map(r => r.id)")


def test_filter_keyboard_and_counter_on_a_corpus_article(tmp_path, open_page):
    article, confident, doubtful = mixed_article(SEED)
    path = tmp_path / "seed.en.review.html"
    path.write_text(render_review(article, META), encoding="utf-8")
    page = open_page(path)
    review = [f"s-{i}" for i in doubtful]
    assert review and confident
    counter = page.locator("#counter")
    total = len(confident) + len(doubtful)
    assert counter.inner_text().startswith(f"{len(review)} of {total} need review")
    assert len(visible_rows(page)) == total

    page.keyboard.press("f")  # the filter, from the keyboard
    assert page.locator("#only-review").is_checked()
    assert visible_rows(page) == review
    page.locator("#only-review").click()  # and with the mouse
    assert len(visible_rows(page)) == total
    page.locator("#only-review").check()

    for key, expected in (("j", review[0]), ("j", review[1]), ("k", review[0])):
        page.keyboard.press(key)
        assert page.evaluate("document.activeElement.id") == expected
    assert f"at 1 of {len(review)}" in counter.inner_text()
    page.keyboard.press("k")  # from the first, backwards: the last
    assert page.evaluate("document.activeElement.id") == review[-1]
    page.keyboard.press("Enter")  # edit it; Alt+↓ still moves on while editing
    assert page.evaluate("document.activeElement.tagName") == "TEXTAREA"
    page.keyboard.type(" Edited.")
    page.keyboard.press("Alt+ArrowDown")
    assert page.evaluate("document.activeElement.id") == review[0]
    assert page.errors == [] and all(url.startswith("file:") for url in page.requests)

    page.reload()  # the edit is a draft in the browser until saved: a reload keeps it
    assert page.locator(f"#{review[-1]} textarea").input_value().endswith(" Edited.")
    assert counter.inner_text().endswith("1 edited")


def test_edit_save_import_and_translate_again(tmp_path, translate_cli, open_page, private_translation_memory):
    """A real corpus article through the tiny model: review page → browser edit → download →
    ``it2en memory import`` → the next translation says the edited sentence, ``origin: human``."""
    article = tmp_path / SEED.name
    article.write_bytes(SEED.read_bytes())
    result = translate_cli(article.name, "-f", "review", "-o", "seed.en.review.html")
    assert result.exit_code == 0, result.output
    page = open_page(tmp_path / "seed.en.review.html")
    page.screenshot(path=str(tmp_path / "laptop.png"), full_page=False)

    page.keyboard.press("j")  # the first sentence that needs review (the tiny model's are many)
    row = page.evaluate("document.activeElement.id")
    assert row.startswith("s-")
    source = page.locator(f"#{row} .it").inner_text()
    page.keyboard.press("Enter")
    corrected = "China commits one trillion yuan to its AI supply chain, corrected by a reviewer"
    page.keyboard.press("Control+A")
    page.keyboard.type(corrected)
    page.keyboard.press("Escape")
    assert page.locator(f"#{row}").get_attribute("class").split().count("edited") == 1
    assert page.locator("#counter").inner_text().endswith("1 edited")
    with page.expect_download() as download:
        page.locator("#save").click()
    saved = tmp_path / download.value.suggested_filename
    assert saved.name == "seed_cina-ia-deepseek.corrections.json"
    download.value.save_as(saved)
    assert page.errors == [] and all(url.startswith(("file:", "blob:")) for url in page.requests)

    phone = open_page(tmp_path / "seed.en.review.html", PHONE)
    phone.screenshot(path=str(tmp_path / "phone.png"))
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing to scroll sideways on a phone
    for shot in ("laptop.png", "phone.png"):
        assert (tmp_path / shot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    imported = CliRunner().invoke(app, ["memory", "import", str(saved)], catch_exceptions=False)
    assert imported.exit_code == 0, imported.output
    assert "imported 1 entries (1 human)" in imported.stderr
    again = translate_cli(article.name, "-f", "json")
    assert again.exit_code == 0, again.output
    segments = [s for b in json.loads(again.stdout)["blocks"] for s in b["segments"] if s["source"] == source]
    assert segments and all(s["target"] == corrected and s["origin"] == "human" for s in segments)
