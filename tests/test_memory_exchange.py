"""Memory import and export: edited JSON outputs, TMX round trip, malformed and hostile TMX."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from it2en.cli import app
from it2en.memory import Entry, ModelContext, TranslationMemory

from it2en.api import ArticleTranslator

from test_memory import ARTICLE, CountingEngine, segments, translate

TMX_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def cli(*args):
    return CliRunner().invoke(app, ["memory", *(str(a) for a in args)], catch_exceptions=False)


def rows(path=None) -> list[tuple]:
    with TranslationMemory(path) as store:
        return sorted((e.key, e.origin, e.source, e.target, e.model, e.model_id, e.revision, e.settings,
                       e.glossary, tuple(e.flags), e.created, e.confidence) for e in store.entries())


def tmx(units: str, *, doctype: str = "") -> str:
    return (TMX_HEAD + doctype + '<tmx version="1.4"><header creationtool="OmegaT" creationtoolversion="6" '
            'segtype="sentence" o-tmf="OmegaT" adminlang="en" srclang="it-IT" datatype="plaintext"/>'
            f"<body>{units}</body></tmx>\n")


# ----------------------------------------------------------------------------- edited JSON


def test_edited_json_targets_become_human_entries(tmp_path, private_translation_memory):
    output = translate(ARTICLE, CountingEngine(), None)
    data = json.loads(output)
    data["blocks"][1]["segments"][1]["target"] = "The second sentence, corrected."
    (tmp_path / "a.en.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = cli("import", tmp_path / "a.en.json")
    assert result.exit_code == 0, result.stderr
    assert "imported 1 entries (1 human)" in result.stderr and "3 segments unchanged" in result.stderr
    assert [(r[1], r[2], r[3]) for r in rows()] == [
        ("human", "La seconda frase del testo.", "The second sentence, corrected.")]
    engine = CountingEngine(name="any-other-model")
    again = segments(translate(ARTICLE, engine, private_translation_memory))
    assert again[2]["target"] == "The second sentence, corrected." and again[2]["origin"] == "human"
    assert "La seconda frase del testo." not in engine.sent


def test_an_unedited_markdown_json_imports_no_human_entry(tmp_path, private_translation_memory):
    """A Markdown segment's ``target`` is plain text: ``it2en_target`` is the same plain text, so
    a sentence with inline markup is not mistaken for an edit."""
    text = "# Il **titolo** nuovo\n\nUna frase con un [collegamento](https://example.org) dentro.\n"
    output = ArticleTranslator(engine=CountingEngine(), memory=None).translate_text(
        text, format="json", input_format="markdown")
    (tmp_path / "a.en.json").write_text(output, encoding="utf-8")
    assert any(s.get("markup") for s in segments(output))
    result = cli("import", tmp_path / "a.en.json")
    assert result.exit_code == 0, result.stderr
    assert rows() == [] and "2 segments unchanged" in result.stderr


def test_json_lines_of_several_articles_are_imported(tmp_path, private_translation_memory):
    lines = []
    for text in (ARTICLE, "Una frase sola.\n"):
        data = json.loads(translate(text, CountingEngine(), None))
        data["blocks"][0]["segments"][0]["target"] = "Edited."
        lines.append(json.dumps(data))
    (tmp_path / "all.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert cli("import", tmp_path / "all.jsonl").exit_code == 0
    assert sorted(r[2] for r in rows()) == ["Il titolo", "Una frase sola."]


def test_a_json_whose_blocks_do_not_match_their_sources_imports_nothing(tmp_path, private_translation_memory):
    data = json.loads(translate(ARTICLE, CountingEngine(), None))
    data["blocks"][0]["segments"][0]["target"] = "Edited headline."
    data["blocks"][2]["source"] = "Un paragrafo tutto diverso."
    (tmp_path / "bad.json").write_text(json.dumps(data), encoding="utf-8")
    result = cli("import", tmp_path / "bad.json")
    assert result.exit_code == 65
    assert "block 3" in result.stderr and "does not match its block's source" in result.stderr
    assert "nothing was imported" in result.stderr and "Traceback" not in result.stderr
    assert not private_translation_memory.exists()


def test_a_json_without_it2en_targets_is_refused(tmp_path):
    data = json.loads(translate(ARTICLE, CountingEngine(), None))
    for block in data["blocks"]:
        for segment in block["segments"]:
            segment.pop("it2en_target")
    (tmp_path / "old.json").write_text(json.dumps(data), encoding="utf-8")
    result = cli("import", tmp_path / "old.json")
    assert result.exit_code == 65 and "it2en_target" in result.stderr


def test_not_json_is_refused_with_its_line(tmp_path):
    (tmp_path / "x.json").write_text('{"blocks": []}\n{"blocks": [}\n', encoding="utf-8")
    result = cli("import", tmp_path / "x.json")
    assert result.exit_code == 65 and "line 2" in result.stderr


# ----------------------------------------------------------------------------- TMX


def test_tmx_round_trip_gives_the_same_entries(tmp_path, private_translation_memory):
    translate(ARTICLE, CountingEngine(), private_translation_memory)
    translate("Questa frase è abbastanza lunga da essere tradotta male dal modello.\n",
              CountingEngine(answer=lambda s, retry: "Bad."), private_translation_memory)
    with TranslationMemory() as store:
        store.store([Entry.human("Il titolo", 'The "headline" & <more>'),
                     Entry.machine("Una frase sicura.", "A sure sentence.",
                                   ModelContext("scored", "scored-id", "abc123", "beams=4"), confidence=0.8125)])
    before = rows()
    assert {r[1] for r in before} == {"machine", "human"} and any(r[9] for r in before)
    assert {r[11] for r in before} == {None, 1.0, 0.8125}  # unscored, human, scored
    exported = cli("export", "--tmx", tmp_path / "all.tmx")
    assert exported.exit_code == 0 and "exported 7 entries" in exported.stderr
    text = (tmp_path / "all.tmx").read_text(encoding="utf-8")
    assert '<tuv xml:lang="it">' in text and "&lt;more&gt;" in text
    assert cli("clear").exit_code == 0 and rows() == []
    imported = cli("import", tmp_path / "all.tmx")
    assert imported.exit_code == 0, imported.stderr
    assert rows() == before
    engine = CountingEngine()
    translate(ARTICLE, engine, private_translation_memory)
    assert engine.sent == []  # the machine entries work again after the round trip


def test_tmx_from_a_cat_tool_regional_languages_and_inline_tags(tmp_path, private_translation_memory):
    units = (
        '<tu><tuv xml:lang="it-IT"><seg>La <bpt i="1">&lt;b&gt;</bpt>prima<ept i="1">&lt;/b&gt;</ept> '
        'frase del testo.</seg></tuv><tuv xml:lang="en-GB"><seg>The <hi>first</hi> sentence'
        '<ph x="1">&lt;br/&gt;</ph>.</seg></tuv></tu>'
        '<tu><tuv xml:lang="IT"><seg>Il titolo</seg></tuv><tuv xml:lang="en-US"><seg>The title</seg></tuv></tu>'
        '<tu><tuv xml:lang="it"><seg>Solo italiano.</seg></tuv><tuv xml:lang="de"><seg>Nur.</seg></tuv></tu>'
    )
    path = tmp_path / "team.tmx"
    path.write_text(tmx(units, doctype='<!DOCTYPE tmx SYSTEM "tmx14.dtd">\n'), encoding="utf-8")
    result = cli("import", path)
    assert result.exit_code == 0, result.stderr
    assert "4 inline tags" in result.stderr and "1 translation units without" in result.stderr
    assert sorted((r[1], r[2], r[3]) for r in rows()) == [
        ("human", "Il titolo", "The title"), ("human", "La prima frase del testo.", "The first sentence.")]
    result = segments(translate(ARTICLE, CountingEngine(), private_translation_memory))
    assert [s["origin"] for s in result] == ["human", "human", "model", "model"]


def test_an_exported_confidence_that_is_not_a_share_is_left_unknown(tmp_path, private_translation_memory):
    def unit(source: str, confidence: str) -> str:
        props = "".join(f'<prop type="x-it2en-{k}">{v}</prop>' for k, v in (
            ("origin", "machine"), ("model", "m"), ("model-id", "m-id"), ("confidence", confidence)))
        return (f'<tu creationdate="20261206T050000Z">{props}<tuv xml:lang="it"><seg>{source}</seg></tuv>'
                f'<tuv xml:lang="en"><seg>EN {source}</seg></tuv></tu>')

    path = tmp_path / "edited.tmx"
    path.write_text(tmx(unit("Uno.", "0.25") + unit("Due.", "alta") + unit("Tre.", "7") + unit("Quattro.", "")),
                    encoding="utf-8")
    assert cli("import", path).exit_code == 0
    assert {r[2]: r[11] for r in rows()} == {"Uno.": 0.25, "Due.": None, "Tre.": None, "Quattro.": None}


def test_malformed_tmx_exits_65_with_the_line_and_imports_nothing(tmp_path, private_translation_memory):
    good = '<tu><tuv xml:lang="it"><seg>Una frase.</seg></tuv><tuv xml:lang="en"><seg>A sentence.</seg></tuv></tu>\n'
    path = tmp_path / "broken.tmx"
    path.write_text(tmx(good + good + "<tu><tuv xml:lang='it'><seg>Rotta</tuv></tu>"), encoding="utf-8")
    result = cli("import", path)
    assert result.exit_code == 65 and "malformed TMX" in result.stderr and "line 4" in result.stderr
    assert not private_translation_memory.exists()
    path.write_text(TMX_HEAD + "<html><body/></html>", encoding="utf-8")
    result = cli("import", path)
    assert result.exit_code == 65 and "not a TMX file" in result.stderr


def test_entity_expansion_and_external_entities_are_refused(tmp_path, private_translation_memory):
    laughs = ('<!DOCTYPE tmx [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
              '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n')
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    external = f'<!DOCTYPE tmx [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
    for name, doctype, entity in (("laughs", laughs, "&lol3;"), ("xxe", external, "&xxe;")):
        units = (f'<tu><tuv xml:lang="it"><seg>Una frase.</seg></tuv>'
                 f'<tuv xml:lang="en"><seg>{entity}</seg></tuv></tu>')
        path = tmp_path / f"{name}.tmx"
        path.write_text(tmx(units, doctype=doctype), encoding="utf-8")
        result = cli("import", path)
        assert result.exit_code == 65, (name, result.stderr)
        assert "refused" in result.stderr and "entities" in result.stderr
    assert not private_translation_memory.exists()
