"""Word (.docx) and OpenDocument (.odt) articles: the package kept, the words translated.

Real documents from the shared corpus (a FAQ in Word, the Docs Italia template in ODT) and
documents made by LibreOffice from the corpus's Markdown and HTML articles; hand-made packages
only for what no real document here has (tracked changes, a split word, attacks).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from conftest import MARKDOWN_SOURCES, OFFICE_DOCUMENTS, WEB_PAGES
from lxml import etree

from it2en.engines import IdentityTranslator
from it2en.errors import ExitCode
from it2en.formats import office

DOCX = next(p for p in OFFICE_DOCUMENTS if p.suffix == ".docx")
ODT = next(p for p in OFFICE_DOCUMENTS if p.suffix == ".odt")
W = office.W
T = office.TEXT_NS
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
FO = office.FO_NS
TOKENS = re.compile("[\U00100000-\U0010FFFD]")


class Shout(IdentityTranslator):
    """Every sentence in capitals, word order kept: a translation whose every word changed."""

    name = "shout"

    def translate(self, sentences, **kwargs):
        return [s.upper() for s in sentences]

    def translate_aligned(self, sentences, **kwargs):
        return [(s.upper(), [(i, i) for i in range(len(s.split()))]) for s in sentences]


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def names(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.namelist()


def xml(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def translated(engine_cli, engine, document: Path, *flags: str) -> bytes:
    result = engine_cli(engine, document, "-d", "out", "--keep-number-format", *flags)
    assert result.exit_code == 0, result.output
    return (Path("out") / f"{document.stem}.en{document.suffix}").read_bytes()


def docx_with_body(body: str, tmp_path: Path, name: str = "made.docx") -> Path:
    """The corpus's real Word package with ``word/document.xml`` holding ``body``."""
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="{W}" '
                f'xmlns:r="{R}" xmlns:v="urn:schemas-microsoft-com:vml" xmlns:wp="{office.WP}">'
                f"<w:body>{body}</w:body></w:document>").encode()
    return _replaced(DOCX, {"word/document.xml": document}, tmp_path / name)


def _replaced(source: Path, parts: dict[str, bytes], target: Path) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info, parts.get(info.filename, old.read(info)))
    return target


# ----------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("document", OFFICE_DOCUMENTS, ids=lambda p: p.suffix)
def test_identity_round_trip_gives_back_the_file_byte_for_byte(engine_cli, document):
    output = translated(engine_cli, IdentityTranslator(), document)
    assert output == document.read_bytes()


def test_a_changed_word_document_keeps_paragraphs_styles_links_and_run_properties(engine_cli):
    source, output = members(DOCX.read_bytes()), members(translated(engine_cli, Shout(), DOCX))
    untouched = {"word/document.xml", "word/footer1.xml", "word/footer2.xml", "word/footer3.xml"}
    assert {n: d for n, d in output.items() if n not in untouched} == {
        n: d for n, d in source.items() if n not in untouched}
    for part in sorted(untouched):
        before, after = xml(source[part]), xml(output[part])
        paragraphs = list(before.iter(f"{{{W}}}p")), list(after.iter(f"{{{W}}}p"))
        assert len(paragraphs[0]) == len(paragraphs[1]) > 0
        for old, new in zip(*paragraphs):
            old_props, new_props = old.find(f"{{{W}}}pPr"), new.find(f"{{{W}}}pPr")
            assert (etree.tostring(old_props) if old_props is not None else None) == (
                etree.tostring(new_props) if new_props is not None else None)
            words = "".join(t.text or "" for t in old.iter(f"{{{W}}}t"))
            if any(c.isalpha() for c in words):
                now = "".join(t.text or "" for t in new.iter(f"{{{W}}}t"))
                assert now.lower().split() == words.lower().split()  # URLs are kept as written
                assert now != words or words.isupper()
        assert _links(before) == _links(after)
        objects = ("pict", "drawing", "fldSimple", "fldChar", "instrText", "tab", "footerReference", "sectPr")
        assert _count(before, *objects) == _count(after, *objects)
        fields = [etree.tostring(f) for f in before.iter(f"{{{W}}}instrText")]
        assert fields == [etree.tostring(f) for f in after.iter(f"{{{W}}}instrText")]
        assert _looks(before) <= _looks(after)  # every run property that held words still does


def _links(root) -> list[str]:
    return [link.get(f"{{{R}}}id") or link.get(f"{{{W}}}anchor") for link in root.iter(f"{{{W}}}hyperlink")]


def _count(root, *tags: str) -> list[int]:
    return [sum(1 for _ in root.iter(f"{{{W}}}{tag}")) for tag in tags]


def _looks(root) -> set[bytes]:
    """The run properties (language left out) of every run that holds words."""
    looks = set()
    for run in root.iter(f"{{{W}}}r"):
        if not any((t.text or "").strip() for t in run.iter(f"{{{W}}}t")):
            continue
        properties = run.find(f"{{{W}}}rPr")
        if properties is None:
            looks.add(b"")
            continue
        kept = [c for c in properties if c.tag != f"{{{W}}}lang"]
        looks.add(b"".join(sorted(etree.tostring(c) for c in kept)))
    return looks


def test_formatting_is_carried_onto_the_translated_words_and_runs_become_english(engine_cli):
    body = xml(members(translated(engine_cli, Shout(), DOCX))["word/document.xml"])
    italic = ["".join(t.text for t in r.iter(f"{{{W}}}t")) for r in body.iter(f"{{{W}}}r")
              if r.find(f"{{{W}}}rPr/{{{W}}}i") is not None]
    assert "SISTEMA PUBBLICO DI IDENTITÀ DIGITALE" in italic
    languages = {r.find(f"{{{W}}}rPr/{{{W}}}lang").get(f"{{{W}}}val") for r in body.iter(f"{{{W}}}r")
                 if any((t.text or "").strip() for t in r.iter(f"{{{W}}}t"))}
    assert languages == {"en-US"}


def test_a_changed_opendocument_keeps_styles_links_the_table_the_note_and_the_image(engine_cli):
    source, output = members(ODT.read_bytes()), members(translated(engine_cli, Shout(), ODT))
    changed = {n for n in source if source[n] != output[n]}
    assert changed == {"content.xml", "styles.xml"}
    before, after = xml(source["content.xml"]), xml(output["content.xml"])
    paragraphs = [list(root.iter(f"{{{T}}}p", f"{{{T}}}h")) for root in (before, after)]
    assert [p.get(f"{{{T}}}style-name") for p in paragraphs[0]] == [p.get(f"{{{T}}}style-name") for p in paragraphs[1]]
    href = "{http://www.w3.org/1999/xlink}href"
    assert [a.get(href) for a in before.iter(f"{{{T}}}a")] == [a.get(href) for a in after.iter(f"{{{T}}}a")]
    for tag in (f"{{{T}}}note", "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}frame",
                "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}table-cell", f"{{{T}}}bookmark"):
        assert sum(1 for _ in before.iter(tag)) == sum(1 for _ in after.iter(tag)) > 0
    note = next(after.iter(f"{{{T}}}note"))
    assert "".join(next(note.iter(f"{{{T}}}note-body")).itertext()).isupper()
    text = "".join(after.find(".//{urn:oasis:names:tc:opendocument:xmlns:office:1.0}text").itertext())
    assert "ISTRUZIONI" in text and "Istruzioni" not in text
    language = f"{{{FO}}}language"
    for part in ("content.xml", "styles.xml"):
        assert "it" not in {e.get(language) for e in xml(output[part]).iter() if e.get(language)}
    assert _without_language(output["styles.xml"]) == _without_language(source["styles.xml"])


def _without_language(data: bytes) -> bytes:
    """A part re-serialised without its language and country attributes."""
    root = xml(data)
    for element in root.iter():
        for name in (f"{{{FO}}}language", f"{{{FO}}}country"):
            element.attrib.pop(name, None)
    return etree.tostring(root)


@pytest.mark.parametrize("before, after", [(" ", " "), ("", " "), ("", ""), (" ", "")])
def test_the_footnote_reference_stays_between_its_words(engine_cli, tmp_path, before, after):
    body = (f'<w:p><w:r><w:t xml:space="preserve">Il decreto{before}</w:t></w:r><w:r><w:rPr><w:rStyle w:val="FootnoteReference"/>'
            f'</w:rPr><w:footnoteReference w:id="1"/></w:r><w:r><w:t xml:space="preserve">{after}entra in vigore su www.gazzetta.it oggi.</w:t>'
            '</w:r></w:p>')
    document = docx_with_body(body, tmp_path)
    output = xml(members(translated(engine_cli, Shout(), document))["word/document.xml"])
    paragraph = next(output.iter(f"{{{W}}}p"))
    pieces = ["¹" if r.find(f"{{{W}}}footnoteReference") is not None else "".join(t.text for t in r.iter(f"{{{W}}}t"))
              for r in paragraph.iter(f"{{{W}}}r")]
    assert "".join(pieces) == f"IL DECRETO{before}¹{after}ENTRA IN VIGORE SU www.gazzetta.it OGGI."  # the URL masked


def test_text_boxes_alt_text_title_and_subject_are_translated_in_their_places(engine_cli, tmp_path):
    body = ('<w:p><w:r><w:t xml:space="preserve">Vedi il riquadro </w:t></w:r><w:r><w:pict><v:shape><v:textbox>'
            '<w:txbxContent><w:p><w:r><w:t>Testo nel riquadro.</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape>'
            '</w:pict></w:r><w:r><w:t xml:space="preserve"> qui sotto.</w:t></w:r></w:p>'
            '<w:p><w:r><w:drawing><wp:inline><wp:docPr id="1" name="Foto" descr="Il sindaco in piazza."/></wp:inline>'
            '</w:drawing></w:r></w:p>')
    core = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties xmlns:cp="http://schemas.'
            'openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            '<dc:title>Relazione annuale</dc:title><dc:subject>Bilancio del comune</dc:subject></cp:coreProperties>')
    document = _replaced(docx_with_body(body, tmp_path, "box0.docx"), {"docProps/core.xml": core.encode()},
                         tmp_path / "box.docx")
    output = members(translated(engine_cli, Shout(), document))
    body = xml(output["word/document.xml"])
    outer = next(body.iter(f"{{{W}}}p"))
    box = next(outer.iter(f"{{{W}}}txbxContent"))
    assert "".join(t.text for t in box.iter(f"{{{W}}}t")) == "TESTO NEL RIQUADRO."
    assert "".join(t.text for t in outer.iter(f"{{{W}}}t")) == "VEDI IL RIQUADRO TESTO NEL RIQUADRO. QUI SOTTO."
    assert next(body.iter(f"{{{office.WP}}}docPr")).get("descr") == "IL SINDACO IN PIAZZA."
    assert b"<dc:title>RELAZIONE ANNUALE</dc:title><dc:subject>BILANCIO DEL COMUNE</dc:subject>" in output[
        "docProps/core.xml"]


def test_runs_that_look_the_same_are_merged_before_the_model_sees_them(engine_cli, tmp_path):
    body = ('<w:p><w:r w:rsidR="00A1"><w:t>Comuni</w:t></w:r><w:proofErr w:type="spellStart"/>'
            '<w:r w:rsidR="00B2"><w:rPr><w:lang w:val="it-IT"/></w:rPr><w:t>cato stampa</w:t></w:r>'
            '<w:proofErr w:type="spellEnd"/><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve"> urgente</w:t></w:r></w:p>')
    document = docx_with_body(body, tmp_path)
    result = engine_cli(IdentityTranslator(), document, "-f", "json")
    segment = json.loads(result.stdout)["blocks"][0]["segments"][0]
    assert segment["source"] == "Comunicato stampa urgente"
    assert [(m["kind"], segment["source"][m["start"]:m["end"]]) for m in segment["markup"]] == [("strong", " urgente")]


def test_a_paragraph_with_tracked_changes_is_kept_as_written_and_said(engine_cli, tmp_path):
    body = ('<w:p><w:r><w:t>Prima frase da tradurre.</w:t></w:r></w:p>'
            '<w:p><w:r><w:t xml:space="preserve">Il testo </w:t></w:r><w:ins w:id="1" w:author="A" w:date="2024-01-01T00:00:00Z">'
            '<w:r><w:t>aggiunto</w:t></w:r></w:ins></w:p>')
    document = docx_with_body(body, tmp_path)
    output = xml(members(translated(engine_cli, Shout(), document))["word/document.xml"])
    first, second = list(output.iter(f"{{{W}}}p"))
    assert "".join(first.itertext()) == "PRIMA FRASE DA TRADURRE."
    assert "".join(second.itertext()) == "Il testo aggiunto"
    result = engine_cli(IdentityTranslator(), document, "-f", "json")
    assert json.loads(result.stdout)["kept_as_written"][0]["text"].endswith("(tracked changes)")


# ----------------------------------------------------------------------------- the CLI


def test_a_folder_picks_up_both_formats_and_names_the_outputs_like_the_inputs(engine_cli, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for document in OFFICE_DOCUMENTS:
        (inbox / document.name).write_bytes(document.read_bytes())
    result = engine_cli(IdentityTranslator(), inbox, "-d", "english", "--keep-number-format")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "english").iterdir()) == sorted(
        f"{d.stem}.en{d.suffix}" for d in OFFICE_DOCUMENTS)


@pytest.mark.parametrize("fmt", ["markdown", "bilingual", "json"])
def test_every_writer_takes_a_document(engine_cli, fmt):
    result = engine_cli(Shout(), ODT, "-f", fmt)
    assert result.exit_code == 0, result.output
    assert "ISTRUZIONI" in result.stdout
    if fmt == "json":
        data = json.loads(result.stdout)
        assert data["format"] == "odt" and len(data["blocks"]) > 50
    else:
        assert not TOKENS.search(result.stdout)


def test_standard_input_with_input_format_docx(engine_cli):
    result = engine_cli(IdentityTranslator(), "-", "--input-format", "docx", "--keep-number-format",
                        input=DOCX.read_bytes())
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == DOCX.read_bytes()


def test_inspect_shows_the_plain_sentences_of_a_document(tmp_path):
    from typer.testing import CliRunner

    from it2en.cli import app

    result = CliRunner().invoke(app, ["inspect", str(DOCX), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    sources = [s["source"] for b in data["blocks"] for s in b["segments"]]
    assert "Cos’è SPID?" in sources
    assert "Pag." in sources  # a footer's words before its page number (a field, kept whole)
    assert "kept_as_written" not in data


# ----------------------------------------------------------------------------- difficult input

BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
                  '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
                  f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>&c;</w:t></w:r></w:p></w:body></w:document>')
EXTERNAL = ('<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY x SYSTEM "http://127.0.0.1:9/secret">]>'
            f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>')


def _broken_documents(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Each case: the file and words its error message must hold."""
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    cases = {
        "password": (ole + "EncryptedPackage".encode("utf-16-le"), ".docx", "password-protected"),
        "old .doc read as docx": (ole + "WordDocument".encode("utf-16-le"), ".docx", "--convert-to docx"),
        "not a zip": (DOCX.read_bytes()[:5000], ".docx", "not a valid docx"),
        "empty": (b"", ".odt", "not a valid odt"),
    }
    found = {name: (tmp_path / f"{name.replace(' ', '_')}{suffix}", words) for name, (data, suffix, words) in cases.items()}
    for name, (data, suffix, _) in cases.items():
        found[name][0].write_bytes(data)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b" " * (8 * 2**20))
    (tmp_path / "bomb.docx").write_bytes(bomb.getvalue())
    found["zip bomb"] = (tmp_path / "bomb.docx", "ZIP bomb")
    found["entities"] = (_replaced(DOCX, {"word/document.xml": BILLION_LAUGHS.encode()}, tmp_path / "laughs.docx"), "DTD")
    found["external entity"] = (_replaced(DOCX, {"word/document.xml": EXTERNAL.encode()}, tmp_path / "xxe.docx"), "DTD")
    blank = docx_with_body("<w:p/><w:p><w:r><w:t> </w:t></w:r></w:p>", tmp_path, "blank0.docx")
    footer = f'<w:ftr xmlns:w="{W}"><w:p/></w:ftr>'.encode()
    footers = {f"word/footer{n}.xml": footer for n in (1, 2, 3)}
    found["no text"] = (_replaced(blank, footers, tmp_path / "blank.docx"), "no text")
    odt = members(ODT.read_bytes())
    manifest = odt["META-INF/manifest.xml"].replace(b"</manifest:manifest>", b"<manifest:encryption-data/></manifest:manifest>")
    found["password odt"] = (_replaced(ODT, {"META-INF/manifest.xml": manifest}, tmp_path / "locked.odt"), "password-protected")
    return found


def test_each_difficult_input_is_refused_clearly_and_nothing_is_written(engine_cli, tmp_path):
    for name, (path, words) in _broken_documents(tmp_path).items():
        result = engine_cli(IdentityTranslator(), path, "-d", "out")
        assert result.exit_code == ExitCode.DATA_ERROR, (name, result.output)
        assert words in result.output and "Traceback" not in result.output, (name, result.output)
        assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir()), name


def test_a_document_over_the_size_limit_is_refused_with_the_limit(engine_cli, monkeypatch):
    monkeypatch.setattr(office, "MAX_TOTAL_BYTES", 100_000)
    result = engine_cli(IdentityTranslator(), DOCX, "-d", "out")
    assert result.exit_code == ExitCode.DATA_ERROR
    assert "more than the limit of" in result.output and "split it into smaller documents" in result.output


def test_a_doc_read_as_text_says_how_to_convert_it(engine_cli, tmp_path):
    old = tmp_path / "vecchio.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "WordDocument".encode("utf-16-le"))
    result = engine_cli(IdentityTranslator(), old)
    assert result.exit_code == ExitCode.DATA_ERROR
    assert "soffice --headless --convert-to docx" in result.output


# ----------------------------------------------------------------------------- LibreOffice


@pytest.fixture(scope="module")
def suite_documents(soffice, tmp_path_factory) -> list[Path]:
    """Word and OpenDocument files that LibreOffice made from corpus articles (a Markdown
    source rendered to HTML by markdown-it, and a web page without its images and scripts, so
    that nothing is fetched), in one call per format; and an old binary .doc of the Word FAQ."""
    from markdown_it import MarkdownIt

    folder = tmp_path_factory.mktemp("suite")
    article = folder / f"{MARKDOWN_SOURCES[0].stem}.html"
    text = MARKDOWN_SOURCES[0].read_text(encoding="utf-8").split("---", 2)[-1]
    article.write_text(f"<html><body>{MarkdownIt().render(text)}</body></html>", encoding="utf-8")
    web = next(p for p in WEB_PAGES if "ansa" in p.name)
    page = folder / web.name
    page.write_text(re.sub(r"<(img|script|link|iframe)\b[^>]*>", "", web.read_text(encoding="utf-8")), encoding="utf-8")
    sources = [article, page]
    made = []
    for to, suffix in (("docx:MS Word 2007 XML", ".docx"), ("odt:writer8", ".odt")):
        run = soffice(sources, to, folder, "--infilter=HTML (StarWriter)")
        assert run.returncode == 0, run.stderr
        made += [folder / f"{s.stem}{suffix}" for s in sources]
    assert all(p.is_file() for p in made)
    run = soffice([DOCX], "doc:MS Word 97", folder)
    assert run.returncode == 0, run.stderr
    return made + [folder / f"{DOCX.stem}.doc"]


def test_documents_made_by_libreoffice_round_trip_and_libreoffice_opens_every_output(
        engine_cli, soffice, suite_documents, tmp_path):
    *made, old_word = suite_documents
    refused = engine_cli(IdentityTranslator(), old_word)
    assert refused.exit_code == ExitCode.DATA_ERROR and "--convert-to docx" in refused.output
    outputs = []
    for document in [*OFFICE_DOCUMENTS, *made]:
        identity = translated(engine_cli, IdentityTranslator(), document)
        assert identity == document.read_bytes(), document.name
        shouted = tmp_path / "shout" / f"{document.stem}.en{document.suffix}"
        shouted.parent.mkdir(exist_ok=True)
        shouted.write_bytes(translated(engine_cli, Shout(), document, "--overwrite"))
        outputs.append(shouted)
    run = soffice(outputs, "pdf", tmp_path / "pdf")
    assert run.returncode == 0, run.stderr
    for output in outputs:
        pdf = tmp_path / "pdf" / f"{output.stem}.pdf"
        assert pdf.is_file() and pdf.stat().st_size > 1000, (output.name, run.stdout, run.stderr)


def test_the_tiny_model_translates_a_document_end_to_end(translate_cli, tmp_path):
    body = ('<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Comunicato stampa</w:t></w:r></w:p>'
            '<w:p><w:r><w:t xml:space="preserve">Il sindaco ha firmato </w:t></w:r><w:r><w:rPr><w:b/></w:rPr>'
            '<w:t>oggi</w:t></w:r><w:r><w:t xml:space="preserve"> il decreto.</w:t></w:r></w:p>')
    document = docx_with_body(body, tmp_path)
    result = translate_cli(document, "-d", "out")
    assert result.exit_code == 0, result.output
    output = members((tmp_path / "out" / "made.en.docx").read_bytes())
    assert sorted(output) == sorted(members(document.read_bytes()))
    paragraphs = list(xml(output["word/document.xml"]).iter(f"{{{W}}}p"))
    assert len(paragraphs) == 2
    assert [r.find(f"{{{W}}}rPr/{{{W}}}b") is not None for r in paragraphs[1].iter(f"{{{W}}}r")].count(True) == 1


def test_a_document_is_not_written_to_a_terminal(engine_cli, monkeypatch):
    import it2en.cli

    monkeypatch.setattr(it2en.cli, "_stdout_is_terminal", lambda: True)
    result = engine_cli(IdentityTranslator(), DOCX)
    assert result.exit_code == ExitCode.USAGE
    assert "-o FILE or -d DIR" in result.output and not result.stdout_bytes.startswith(b"PK")



class Reverse(IdentityTranslator):
    """Every sentence's words in reverse order, aligned word for word: formatting must move."""

    name = "reverse"

    def translate(self, sentences, **kwargs):
        return [" ".join(reversed(s.split())) for s in sentences]

    def translate_aligned(self, sentences, **kwargs):
        out = []
        for s in sentences:
            count = len(s.split())
            out.append((" ".join(reversed(s.split())), [(i, count - 1 - i) for i in range(count)]))
        return out


WORDS = st.sampled_from(["casa", "gatto", "nero", "sindaco", "piazza", "legge", "strada", "scuola", "treno"])
LOOKS = st.sampled_from(["", "<w:b/>", "<w:i/>", "<w:u w:val=\"single\"/>", "<w:b/><w:i/>"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(runs=st.lists(st.tuples(st.lists(WORDS, min_size=1, max_size=4), LOOKS), min_size=1, max_size=6),
       footnote=st.booleans())
def test_random_formatting_follows_its_words_through_a_reordering_translation(runs, footnote, tmp_path):
    """Each formatted run's words come back formatted the same way, wherever the translation puts
    them; every word comes back once, and the footnote reference is kept."""
    from it2en import formats
    from it2en.api import ArticleTranslator

    xml_runs = []
    for number, (words, look) in enumerate(runs):
        text = " ".join(words) + " "
        xml_runs.append(f'<w:r><w:rPr>{look}</w:rPr><w:t xml:space="preserve">{text}</w:t></w:r>')
        if footnote and number == 0:
            xml_runs.append('<w:r><w:footnoteReference w:id="1"/></w:r>')
    document = docx_with_body(f"<w:p>{''.join(xml_runs)}<w:r><w:t>.</w:t></w:r></w:p>", tmp_path, "random.docx")
    article = formats.load(str(document), input_format="docx")
    ArticleTranslator(engine=Reverse(), keep_number_format=True).translate_article(article)
    output = xml(members(formats.render(article))["word/document.xml"])
    paragraph = next(output.iter(f"{{{W}}}p"))
    source_words: dict[str, list[str]] = {}
    target_words: dict[str, list[str]] = {}
    for words, look in runs:
        source_words.setdefault(look, []).extend(words)
    for run in paragraph.iter(f"{{{W}}}r"):
        properties = run.find(f"{{{W}}}rPr")
        look = "".join(_written_as(c) for c in properties if c.tag != f"{{{W}}}lang") if properties is not None else ""
        target_words.setdefault(look, []).extend(w.strip(".") for w in "".join(t.text or "" for t in run.iter(f"{{{W}}}t")).split())
    target_words = {k: sorted(w for w in v if w) for k, v in target_words.items() if any(v)}
    moved = any("markup_moved" in s.flags for s in article.segments())
    all_source = sorted(w for words, _ in runs for w in words)
    assert sorted(w for v in target_words.values() for w in v) == all_source
    if not moved:
        assert target_words == {k: sorted(v) for k, v in source_words.items()}
    assert sum(1 for _ in paragraph.iter(f"{{{W}}}footnoteReference")) == int(footnote)


def _written_as(element) -> str:
    """A run property as the test writes it: ``<w:u w:val="single"/>``."""
    attributes = "".join(f' w:{etree.QName(k).localname}="{v}"' for k, v in element.attrib.items())
    return f"<w:{etree.QName(element).localname}{attributes}/>"


def test_the_api_says_a_document_is_bytes():
    from it2en.api import ArticleTranslator
    from it2en.errors import UsageError

    with pytest.raises(UsageError, match="read as bytes"):
        ArticleTranslator(engine=IdentityTranslator()).translate_text("testo", input_format="docx")
    assert ArticleTranslator(engine=IdentityTranslator(), keep_number_format=True).translate_file(ODT) == ODT.read_bytes()


def test_an_opendocument_footer_is_translated_around_its_page_number_field(engine_cli, tmp_path):
    styles = members(ODT.read_bytes())["styles.xml"].replace(
        b'<style:master-page style:name="Standard" style:page-layout-name="Mpm1"/>',
        b'<style:master-page style:name="Standard" style:page-layout-name="Mpm1"><style:footer>'
        b'<text:p text:style-name="Footer">Pagina <text:page-number text:select-page="current">1</text:page-number>'
        b' del documento</text:p></style:footer></style:master-page>')
    assert b"<style:footer>" in styles
    document = _replaced(ODT, {"styles.xml": styles}, tmp_path / "footer.odt")
    footer = next(xml(members(translated(engine_cli, Shout(), document))["styles.xml"]).iter(
        "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}footer"))
    paragraph = next(footer.iter(f"{{{T}}}p"))
    assert paragraph.text == "PAGINA " and paragraph[0].tag == f"{{{T}}}page-number"
    assert paragraph[0].text == "1" and paragraph[0].tail == " DEL DOCUMENTO"
