"""Web pages by their address, served by a loopback site (``site`` fixture): the six real saved
pages of the corpus, and every way a fetch goes wrong. No test touches the internet."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import WEB_PAGES, Recorder, web_requests
from markup_cases import markdown_tree, shout
from typer.testing import CliRunner

from it2en import __version__, web
from it2en.cli import app
from it2en.engines import IdentityTranslator
from it2en.errors import ExitCode

GOLD = {page.name: json.loads(page.with_name(page.name.replace(".html", ".gold.json")).read_text())
        for page in WEB_PAGES if page.with_name(page.name.replace(".html", ".gold.json")).exists()}
ARTICLE_CAPTIONS = {"Grafico conta femmine con"}
"""Gold ``without`` snippets that are part of the article after all: the alt text and caption
of the article's own chart (parcoabruzzo), which an extraction with images keeps on purpose."""


def inspect(*args):
    return CliRunner().invoke(app, ["inspect", *map(str, args)], catch_exceptions=False)


def front_matter(text: str) -> dict[str, str]:
    lines = text.split("---\n")[1].splitlines()
    return {key: value.strip().strip("\"'") for key, value in (line.split(": ", 1) for line in lines)}


@pytest.fixture(scope="module")
def extracted(web_site):
    """Each corpus page fetched from the loopback site and extracted: name -> Markdown."""
    return {page.name: web.read_address(f"{web_site}/pages/{page.name}")[0] for page in WEB_PAGES}


# ----------------------------------------------------------------------------- the six real pages


def test_the_corpus_has_six_pages_three_with_gold():
    assert len(WEB_PAGES) == 6 and len(GOLD) == 3


@pytest.mark.parametrize("name", sorted(GOLD))
def test_extraction_keeps_the_gold_paragraphs_and_leaves_the_boilerplate(name, extracted):
    text = " ".join(extracted[name].split())
    for snippet in GOLD[name]["with"]:
        assert snippet in text
    for snippet in set(GOLD[name]["without"]) - ARTICLE_CAPTIONS:
        assert snippet not in text


@pytest.mark.parametrize("page", WEB_PAGES, ids=lambda p: p.name)
def test_front_matter_holds_the_metadata_and_the_address(page, web_site, extracted):
    meta = front_matter(extracted[page.name])
    assert meta["source"] == f"{web_site}/pages/{page.name}"
    assert meta["title"] and meta["date"][:2] == "20" and meta["url"].startswith("http")
    body = extracted[page.name].split("---\n", 2)[2]
    assert len(body.split()) >= 30  # an article, not a line of navigation


@pytest.mark.parametrize("page", WEB_PAGES, ids=lambda p: p.name)
def test_translation_keeps_the_extracted_structure(page, site, engine_cli, tmp_path, extracted):
    address = f"{site}/pages/{page.name}"
    keep = "--keep-number-format"  # 0,5 stays 0,5: the output is then the extraction itself
    fresh = "--no-memory"  # the second run is not answered from the first one's memory
    assert engine_cli(IdentityTranslator(), address, "-o", "same.md", keep).exit_code == 0
    assert (tmp_path / "same.md").read_text() == extracted[page.name]  # byte for byte
    assert engine_cli(Recorder(shout), address, "-o", "shout.md", keep, fresh).exit_code == 0
    translated = (tmp_path / "shout.md").read_text()
    assert markdown_tree(translated) == markdown_tree(extracted[page.name])
    # the title and description are translated; the addresses and the date are not
    source, target = front_matter(extracted[page.name]), front_matter(translated)
    assert target["title"] != source["title"] and target["title"].upper() == source["title"].upper()
    assert {k: target[k] for k in ("url", "source", "date")} == {k: source[k] for k in ("url", "source", "date")}


def test_an_address_translates_end_to_end_with_a_model(site, translate_cli, tmp_path):
    address = f"{site}/pages/htmldate_1671960661_ansa.it.html"  # the shortest article: a wire item
    result = translate_cli(address, "-d", "english")
    assert result.exit_code == 0, result.stderr
    written = (tmp_path / "english" / f"{web.slug(address)}.en.md").read_text()
    source, target = web.read_address(address)[0], written
    before, after = front_matter(source), front_matter(target)
    assert after.keys() == before.keys() and after["title"] != before["title"]
    assert {k: after[k] for k in ("url", "source", "date")} == {k: before[k] for k in ("url", "source", "date")}
    headings = [line.split(" ", 1)[0] for line in source.splitlines() if line.startswith("#")]
    assert [line.split(" ", 1)[0] for line in target.splitlines() if line.startswith("#")] == headings


@pytest.mark.parametrize("name", sorted(GOLD))
def test_nothing_from_the_navigation_reaches_the_model(name, site, engine_cli):
    engine = Recorder()
    assert engine_cli(engine, f"{site}/pages/{name}", "-o", "out.md").exit_code == 0
    seen = " ".join(engine.seen)
    assert any(GOLD[name]["with"][0] in s for s in engine.seen)
    for snippet in set(GOLD[name]["without"]) - ARTICLE_CAPTIONS:
        assert snippet not in seen
    assert "127.0.0.1" not in seen and GOLD[name]["url"] not in seen


def test_images_keep_their_alt_text_and_links_their_address(extracted):
    article = extracted["trafilatura_parcoabruzzo.it.58354.html"]
    assert "![Grafico conta femmine con cuccioli 2019](" in article


# ----------------------------------------------------------------------------- how the page comes


def test_redirects_are_followed_and_the_address_given_is_kept(site):
    text, chosen = web.read_address(f"{site}/redirect/3")
    assert chosen == "markdown" and front_matter(text)["source"] == f"{site}/redirect/3"
    assert "Ce lo ripetono continuamente gli esperti" in text


def test_a_gzipped_page_reads_as_the_plain_one(site, extracted):
    name = WEB_PAGES[0].name
    assert web.read_address(f"{site}/gzip/{name}")[0] == extracted[name].replace("/pages/", "/gzip/")


@pytest.mark.parametrize("path", ["/utf8-declared-latin1", "/cp1252-declared-utf8"])
def test_a_wrong_charset_header_does_not_garble_the_text(site, path):
    text, _ = web.read_address(site + path)
    assert "L’Aquila" in text and "porterà" in text and "Ã" not in text


def test_decode_page_order_header_then_meta_then_detection():
    page = "<meta charset='windows-1252'><p>città più</p>".encode("cp1252")
    assert web.decode_page(page, "text/html; charset=utf-8")[0].endswith("città più</p>")
    assert web.decode_page("<p>è</p>".encode("iso8859_15"), "text/html; charset=iso-8859-15") == ("<p>è</p>", "iso8859_15")
    undeclared = "<p>Perché la città è più bella d’inverno? Però… è così: l’aria è più pulita.</p>"
    assert web.decode_page(undeclared.encode("cp1252"))[0] == undeclared
    assert web.decode_page(undeclared.encode("cp1252"), "text/html; charset=utf-8", encoding="cp1252")[0] == undeclared


def test_requests_name_it2en_and_honour_the_proxy_from_the_environment(site, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", site)  # the loopback site plays the proxy for any other host
    text, _ = web.read_address(f"http://giornale.invalid/pages/{WEB_PAGES[0].name}")
    assert "source: \"http://giornale.invalid/pages/" in text
    request = web_requests()[-1]
    assert request["path"].startswith("http://giornale.invalid/")  # the proxy form of a request
    assert request["User-Agent"].startswith(f"it2en/{__version__}")


# ----------------------------------------------------------------------------- what goes wrong


FAILURES = [
    ("/status/404", (), ExitCode.PROTOCOL, "answered HTTP 404"),
    ("/status/500", (), ExitCode.PROTOCOL, "answered HTTP 500"),
    ("/loop", (), ExitCode.PROTOCOL, "redirects"),
    ("/slow", ("--timeout", "0.3"), ExitCode.TEMP_FAIL, "(timeout)"),
    ("/big", ("--max-page-mb", "0.05"), ExitCode.DATA_ERROR, "larger than 0.05 MB"),
    ("/pdf", (), ExitCode.DATA_ERROR, "not a web page but a PDF file"),
    ("/image", (), ExitCode.DATA_ERROR, "not a web page but an image"),
    ("/empty", (), ExitCode.NO_INPUT, "no article found"),
    ("/cookie-banner", (), ExitCode.NO_INPUT, "--whole-page"),
]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("path, options, code, words", FAILURES, ids=[f[0] for f in FAILURES])
def test_each_failure_is_one_line_naming_the_address_with_its_exit_code(site, path, options, code, words):
    result = inspect(site + path, *options)
    assert result.exit_code == code
    assert result.stdout == "" and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"it2en: error: {site}{path}: ") and words in result.stderr


def test_no_network_and_dns_failure_have_their_own_codes(site):
    refused = inspect(f"http://127.0.0.1:{closed_port()}/articolo")
    assert refused.exit_code == ExitCode.UNAVAILABLE and "cannot connect to 127.0.0.1" in refused.stderr
    unknown = inspect("https://giornale.invalid/articolo")
    assert unknown.exit_code == ExitCode.NO_HOST and "giornale.invalid cannot be resolved (DNS" in unknown.stderr
    assert refused.stderr.count("\n") == unknown.stderr.count("\n") == 1


def test_the_web_exit_codes_are_in_the_readme_table():
    table = (Path(__file__).parents[1] / "README.md").read_text()
    for code in {f[2] for f in FAILURES} | {ExitCode.UNAVAILABLE, ExitCode.NO_HOST}:
        assert f"| {int(code)} |" in table


def test_a_failed_address_is_one_failed_input_of_a_batch(site, engine_cli, tmp_path):
    (tmp_path / "nota.txt").write_text("Buongiorno a tutti.\n")
    good = f"{site}/pages/{WEB_PAGES[3].name}"
    result = engine_cli(IdentityTranslator(), good, f"{site}/status/404", "nota.txt", "-d", "out")
    assert result.exit_code == ExitCode.BATCH_PARTIAL
    assert f"it2en: error: {site}/status/404: the server answered HTTP 404" not in result.stderr
    assert f"it2en: {site}/status/404: the server answered HTTP 404" in result.stderr
    assert "2 translated, 0 skipped, 1 failed" in result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "nota.en.txt", f"{web.slug(good)}.en.md"]


# ----------------------------------------------------------------------------- outputs and options


def test_slug_names_the_output_from_the_address():
    assert web.slug("https://www.example.it/economia/la-cina-impegna-1-trilione.html") == "la-cina-impegna-1-trilione"
    assert web.slug("http://www.parcoabruzzo.it/dettaglio.php?id=58354") == "dettaglio-id-58354"
    assert web.slug("https://www.ilpost.it/") == "www.ilpost.it"
    assert web.is_address("HTTPS://x.it/a") and not web.is_address("articolo.txt")


def test_json_and_bilingual_outputs_work_as_for_any_input(site, engine_cli, tmp_path):
    address = f"{site}/pages/{WEB_PAGES[3].name}"
    result = engine_cli(IdentityTranslator(), address, "-f", "json")
    data = json.loads(result.stdout)
    assert data["source"] == address and data["format"] == "markdown"
    assert data["blocks"][0]["kind"] == "headline"
    assert engine_cli(IdentityTranslator(), address, "-d", "out", "-f", "bilingual").exit_code == 0
    assert (tmp_path / "out" / f"{web.slug(address)}.en.bilingual.md").exists()


def test_whole_page_is_the_page_itself_translated_as_html(site, engine_cli, tmp_path):
    page = WEB_PAGES[3]
    address = f"{site}/pages/{page.name}"
    assert engine_cli(Recorder(shout), address, "--whole-page", "-d", "out").exit_code == 0
    written = (tmp_path / "out" / f"{web.slug(address)}.en.html").read_text()
    assert engine_cli(Recorder(shout), page, "-o", "file.en.html").exit_code == 0
    assert written == (tmp_path / "file.en.html").read_text()  # exactly the HTML path of the saved page
    assert 'lang="en"' in written and "<nav" in written  # the page itself, menus and all


def test_save_source_then_translate_again_offline(site, engine_cli, tmp_path, extracted):
    name = WEB_PAGES[4].name
    assert engine_cli(IdentityTranslator(), f"{site}/pages/{name}", "--save-source", "page.md",
                      "-o", "online.en.md").exit_code == 0
    assert (tmp_path / "page.md").read_text() == extracted[name]
    assert engine_cli(IdentityTranslator(), "page.md", "-o", "offline.en.md").exit_code == 0
    assert (tmp_path / "offline.en.md").read_text() == (tmp_path / "online.en.md").read_text()
    refused = engine_cli(IdentityTranslator(), "page.md", "--save-source", "again.md")
    assert refused.exit_code == ExitCode.USAGE and "one web page" in refused.stderr


def test_inspect_shows_the_extracted_article_without_a_model(site):
    result = inspect(f"{site}/pages/trafilatura_lastampa.it.temperature.html")
    assert result.exit_code == 0
    assert result.stdout.startswith("  1 headline  prefix='title: \"'")
    assert "Scavalcherà letteralmente le Alpi" in result.stdout


def test_help_does_not_import_the_web_libraries():
    code = ("import sys, it2en.cli, it2en.batch; "
            "print(sorted(m for m in ('requests', 'trafilatura', 'lxml') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"
