"""Glossaries: file formats, validation, matching, the English term verbatim, JSON, inspect, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from it2en.api import ArticleTranslator
from it2en.cli import app
from it2en.engines import IdentityTranslator
from it2en.errors import ExitCode, GlossaryError
from it2en.fidelity import glossary
from it2en.fidelity.glossary import Entry, Glossary

TSV = ("it\ten\tnote\n"
       "Consiglio dei Ministri\tCouncil of Ministers\tgovernment\n"
       "Consigli dei Ministri\tCouncils of Ministers\tplural, listed on its own\n"
       "Consiglio\tCouncil\t\n"
       "Protezione Civile\tCivil Protection Department\t\n"
       "Istituto Superiore di Sanità\tItalian National Institute of Health\t\n"
       "Il Sole 24 Ore\t\tkeep as is\n"
       "Italia a Fuoco\t\t\n"
       "bufala\thoax\t\n")


@pytest.fixture
def terms(tmp_path: Path) -> Glossary:
    path = tmp_path / "redazione.tsv"
    path.write_text(TSV, encoding="utf-8")
    return glossary.load([path])


def _found(terms: Glossary, text: str) -> list[tuple[str, str]]:
    return [(m.text, m.entry.en) for m in terms.find(text)]


# ----------------------------------------------------------------------------- matching


def test_matching_is_case_insensitive_longest_first_on_word_boundaries(terms):
    assert _found(terms, "Il consiglio dei ministri e il Consiglio regionale.") == [
        ("consiglio dei ministri", "Council of Ministers"), ("Consiglio", "Council")]
    assert _found(terms, "Il Consiglione e i consiglieri.") == []  # word boundaries
    assert _found(terms, "I Consigli dei Ministri di ieri.") == [("Consigli dei Ministri", "Councils of Ministers")]


def test_matching_covers_elision_sentence_start_and_spacing(terms):
    assert _found(terms, "Il parere dell'Istituto Superiore di Sanità è chiaro.") == [
        ("Istituto Superiore di Sanità", "Italian National Institute of Health")]
    assert _found(terms, "Il parere dell’Istituto  superiore di sanità.") == [
        ("Istituto  superiore di sanità", "Italian National Institute of Health")]
    assert _found(terms, "Bufala o no, Protezione civile ha parlato.") == [
        ("Bufala", "hoax"), ("Protezione civile", "Civil Protection Department")]


def test_an_apostrophe_in_a_term_matches_either_form():
    terms = Glossary([Entry("Sant'Egidio", "Sant'Egidio Community")])
    assert _found(terms, "La comunità di Sant’Egidio.") == [("Sant’Egidio", "Sant'Egidio Community")]


def _translate(text: str, terms: Glossary, engine=None) -> dict:
    translator = ArticleTranslator(engine=engine or IdentityTranslator(), glossary=terms)
    return json.loads(translator.translate_text(text, format="json"))


def test_the_english_term_is_verbatim_and_the_model_never_sees_the_italian(terms):
    class Recorder(IdentityTranslator):
        seen: list[str] = []

        def translate(self, texts, **kwargs):
            self.seen += texts
            return super().translate(texts, **kwargs)

    engine = Recorder()
    data = _translate("Il Consiglio dei Ministri e la Protezione Civile, secondo Il Sole 24 Ore.\n", terms, engine)
    (segment,) = data["blocks"][0]["segments"]
    assert segment["target"] == "Il Council of Ministers e la Civil Protection Department, secondo Il Sole 24 Ore."
    assert not any("Consiglio" in seen or "Protezione" in seen or "Sole" in seen for seen in engine.seen)
    assert segment["glossary"] == [{"it": "Consiglio dei Ministri", "en": "Council of Ministers"},
                                   {"it": "Protezione Civile", "en": "Civil Protection Department"},
                                   {"it": "Il Sole 24 Ore", "en": ""}]


def test_a_lower_case_term_at_the_start_of_a_sentence_gets_a_capital(terms):
    data = _translate("Bufala: la notizia è falsa.\n", terms)
    assert data["blocks"][0]["segments"][0]["target"].startswith("Hoax")
    assert glossary.capitalise_start("“hoax or not”", ["hoax"]) == "“Hoax or not”"


def test_segments_without_terms_list_none(terms):
    data = _translate("Una frase qualunque.\n", terms)
    assert "glossary" not in data["blocks"][0]["segments"][0]


# ----------------------------------------------------------------------------- files


@pytest.mark.parametrize("name, content", [
    ("g.tsv", "it\ten\nProtezione Civile\tCivil Protection Department\nItalia a Fuoco\t\n"),
    ("g.csv", 'en,it\n"Civil Protection Department","Protezione Civile"\n,Italia a Fuoco\n'),
    ("g.txt", "\ufeffit\ten\nProtezione Civile\tCivil Protection Department\nItalia a Fuoco\t\n"),
    ("g.toml", '[terms]\n"Protezione Civile" = "Civil Protection Department"\n"Italia a Fuoco" = ""  # keep\n'),
])
def test_file_formats(tmp_path: Path, name: str, content: str):
    (tmp_path / name).write_text(content, encoding="utf-8")
    entries, problems = glossary.check(tmp_path / name)
    assert problems == []
    assert [e.pair for e in entries] == [("Protezione Civile", "Civil Protection Department"), ("Italia a Fuoco", "")]


def test_check_reports_every_problem_with_its_line(tmp_path: Path):
    path = tmp_path / "g.tsv"
    path.write_text("it\ten\nProtezione Civile\tCivil Protection\n\tfoo\n\nprotezione  civile\tCivil Defence\n"
                    "Consiglio\tCouncil\nconsiglio\tCouncil\n", encoding="utf-8")
    _, problems = glossary.check(path)
    assert [(p.line, p.message.split(":")[0].split(" (")[0]) for p in problems] == [
        (3, "empty Italian term"), (5, "conflicts with line 2"), (7, "duplicate of line 6")]
    with pytest.raises(GlossaryError) as error:
        glossary.load([path])
    assert error.value.exit_code == ExitCode.DATA_ERROR and "line 3" in str(error.value)


@pytest.mark.parametrize("name, content, fragment", [
    ("g.tsv", "italiano\tinglese\nProtezione Civile\tCivil Protection\n", "header must name"),
    ("g.tsv", "", "empty"),
    ("g.toml", '[terms]\n"Protezione Civile" = "A"\n"Protezione Civile" = "B"\n', "line 3"),
    ("g.toml", '"Protezione Civile" = "A"\n', "[terms] table"),
    ("g.toml", '[terms]\n"Protezione Civile" = "A"\n"protezione civile" = "B"\n', "line 3: conflicts with line 2"),
])
def test_malformed_files(tmp_path: Path, name: str, content: str, fragment: str):
    (tmp_path / name).write_text(content, encoding="utf-8")
    _, problems = glossary.check(tmp_path / name)
    assert problems and fragment in str(problems[0])


def test_a_later_file_overrides_an_earlier_one(tmp_path: Path):
    (tmp_path / "a.tsv").write_text("it\ten\nProtezione Civile\tCivil Protection\n", encoding="utf-8")
    (tmp_path / "b.tsv").write_text("it\ten\nprotezione civile\tCivil Protection Department\n", encoding="utf-8")
    terms = glossary.load([tmp_path / "a.tsv", tmp_path / "b.tsv"])
    assert [e.en for e in terms.entries] == ["Civil Protection Department"]


def test_default_glossary_from_the_environment_and_the_config_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("IT2EN_GLOSSARY", str(tmp_path / "env.tsv"))
    assert glossary.default_paths() == [tmp_path / "env.tsv"]
    monkeypatch.setenv("IT2EN_GLOSSARY", "")
    assert glossary.default_paths() == []
    monkeypatch.delenv("IT2EN_GLOSSARY")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert glossary.default_paths() == []
    folder = tmp_path / "config" / "it2en"
    folder.mkdir(parents=True)
    (folder / "glossary.toml").write_text("[terms]\n", encoding="utf-8")
    assert glossary.default_paths() == [folder / "glossary.toml"]


# ----------------------------------------------------------------------------- CLI


def _cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_glossary_check_command(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("ok.tsv").write_text(TSV, encoding="utf-8")
    good = _cli("glossary", "check", "ok.tsv")
    assert good.exit_code == 0 and good.stdout == "ok.tsv: 8 entries (2 kept as is), no problems\n"
    Path("bad.tsv").write_text("it\ten\nA\tB\na\tC\n\tD\n", encoding="utf-8")
    bad = _cli("glossary", "check", "bad.tsv")
    assert bad.exit_code == ExitCode.DATA_ERROR
    assert bad.stdout.splitlines() == ["bad.tsv: line 3: conflicts with line 2: 'a' is 'C' here, 'B' there",
                                       "bad.tsv: line 4: empty Italian term (English: 'D')"]
    assert "Traceback" not in bad.stderr and "2 problems" in bad.stderr
    missing = _cli("glossary", "check", "none.tsv")
    assert missing.exit_code == ExitCode.NO_INPUT


def test_translate_with_glossary_flags(engine_cli, tmp_path: Path, monkeypatch):
    (tmp_path / "a.txt").write_text("La Protezione Civile conta 17.500 sfollati.\n", encoding="utf-8")
    (tmp_path / "g.tsv").write_text("it\ten\nProtezione Civile\tCivil Protection Department\n", encoding="utf-8")
    result = engine_cli(IdentityTranslator(), "a.txt", "--glossary", "g.tsv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "La Civil Protection Department conta 17,500 sfollati.\n"
    monkeypatch.setenv("IT2EN_GLOSSARY", str(tmp_path / "g.tsv"))  # the default, when no --glossary
    assert engine_cli(IdentityTranslator(), "a.txt").stdout == result.stdout
    (tmp_path / "bad.tsv").write_text("it\ten\n\tx\n", encoding="utf-8")
    bad = engine_cli(IdentityTranslator(), "a.txt", "--glossary", "bad.tsv")
    assert bad.exit_code == ExitCode.DATA_ERROR
    assert "bad.tsv: line 2: empty Italian term" in bad.stderr and "Traceback" not in bad.stderr


def test_inspect_shows_glossary_entries_and_number_conversions(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("a.txt").write_text("La Protezione Civile conta 17.500 sfollati.\n", encoding="utf-8")
    Path("g.tsv").write_text("it\ten\nProtezione Civile\tCivil Protection Department\n", encoding="utf-8")
    text = _cli("inspect", "a.txt", "--glossary", "g.tsv")
    assert text.exit_code == 0
    assert "glossary: Protezione Civile -> Civil Protection Department" in text.stdout
    assert "number: 17.500 -> 17,500" in text.stdout
    data = json.loads(_cli("inspect", "a.txt", "--glossary", "g.tsv", "--json").stdout)
    (segment,) = data["blocks"][0]["segments"]
    assert segment["glossary"] == [{"it": "Protezione Civile", "en": "Civil Protection Department"}]
    assert segment["numbers"] == [{"source": "17.500", "english": "17,500"}]


def test_a_term_wins_over_an_acronym_but_never_cuts_into_a_link():
    from it2en.fidelity.placeholders import protect

    terms = Glossary([Entry("Sanità", "Health"), Entry("CNR", "National Research Council")])
    text = "Vedi www.esempio.it/Sanità e il CNR della Sanità."
    protected = protect(text, terms=[m.span for m in terms.find(text)])
    assert protected.originals == ["www.esempio.it/Sanità", "CNR", "Sanità"]
    assert protected.kinds == ["url", "glossary", "glossary"]
    assert protected.restored == ["www.esempio.it/Sanità", "National Research Council", "Health"]


def test_a_term_with_a_number_in_it_loses_no_number():
    terms = Glossary([Entry("Legge 104", "Disability Act")])
    data = _translate("La Legge 104 tutela 17.500 persone.\n", terms)
    (segment,) = data["blocks"][0]["segments"]
    assert segment["target"] == "La Disability Act tutela 17,500 persone."
    assert "placeholder_lost" not in segment["flags"] and "number_mismatch" not in segment["flags"]
