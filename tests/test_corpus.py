"""``it2en corpus`` on a local Ray (started once per session), with the tiny offline model.

Each corpus run starts a pool of actors that load the model, which takes seconds: the runs are
few and shared by module-scoped fixtures, and each test asserts what one run shows.

What each test waits for is an event, never a length of time, so a machine whose cores are busy
with other jobs makes the tests slower, not red: a corpus run returns when its last row is back
(``run_corpus`` reads the dataset to its end; nothing in it2en times out), a subprocess when it
exits, and the test of two workers waits until both actors have been seen taking a batch. Ray's
own clocks are set in ``conftest.RAY_UNDER_LOAD``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from it2en.cli import app

from conftest import ARTICLES

FAST = ("--backend", "ctranslate2", "--beams", "1", "--cores-per-worker", "1", "-q")
"""The cheapest real run of the tiny model; two one-core workers on the tests' two-CPU Ray."""
ARTICLE_CHARS = 700
"""The corpus articles are cut to their first few paragraphs: the same pipeline, less waiting."""


def _articles() -> list[str]:
    texts = []
    for path in ARTICLES:
        text = path.read_text(encoding="utf-8")
        texts.append(text[: text.rfind("\n", 0, ARTICLE_CHARS) + 1] or text[:ARTICLE_CHARS])
    return texts


@pytest.fixture(scope="module")
def setting(tiny_model_dir, tmp_path_factory, local_ray):
    """The folder, model and cache every corpus run of this module shares."""
    folder = tmp_path_factory.mktemp("corpus")
    mp = pytest.MonkeyPatch()
    mp.setenv("IT2EN_CACHE_DIR", str(folder / "cache"))
    mp.delenv("IT2EN_MODEL", raising=False)
    mp.chdir(folder)
    yield folder, tiny_model_dir
    mp.undo()


def corpus(setting, *args):
    folder, model = setting
    return CliRunner().invoke(app, ["corpus", *(str(a) for a in args), "-m", str(model), *FAST],
                              catch_exceptions=False)


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def jsonl_run(setting):
    """Articles, an empty text and bad rows through ``corpus in.jsonl -o out.jsonl``."""
    folder, _ = setting
    rows = [{"id": f"a{i}", "text": text, "kept": [i, "x"]} for i, text in enumerate(_articles())]
    rows += [
        {"id": "empty", "text": ""},
        {"id": "number", "text": 42},
        {"id": "nul", "text": "Una frase.\x00Altro."},
        {"id": "pdf", "text": "%PDF-1.4 qualcosa"},
        {"id": "no-text", "body": "Manca il campo."},
        "{this is not json",
    ]
    source = write_jsonl(folder / "in.jsonl", rows)
    # One article per call, as `it2en translate FILE` does: the batch decides the token cap,
    # which the tiny random model always reaches.
    result = corpus(setting, source, "-o", "out.jsonl", "--batch-articles", "1")
    return rows, result, read_jsonl(folder / "out.jsonl")


def test_jsonl_round_trip_keeps_every_row_once_with_its_columns(jsonl_run):
    rows, result, out = jsonl_run
    assert result.exit_code == 1, result.stderr  # some rows failed: 1, as a batch with failures
    assert len(out) == len(rows)
    ids = [r.get("id") for r in out if "id" in r]
    assert sorted(ids) == sorted(r["id"] for r in rows if isinstance(r, dict))
    by_id = {r["id"]: r for r in out if "id" in r}
    for row in rows[: len(ARTICLES)]:
        done = by_id[row["id"]]
        assert done["text"] == row["text"] and done["kept"] == row["kept"]  # the row is kept as it was
        assert done["error"] is None and done["translation"].strip()
        assert done["segments"] > 0 and isinstance(done["flags"], list)
        assert 0 < done["confidence"] <= 1 and 0 <= done["needs_review"] <= done["segments"]
        assert done["model"] and "model_revision" in done
    assert by_id["empty"]["translation"] == "" and by_id["empty"]["error"] is None


def test_bad_rows_get_an_error_not_a_failed_job(jsonl_run):
    _, result, out = jsonl_run
    by_id = {r.get("id"): r for r in out}
    assert "not a string but int" in by_id["number"]["error"]
    assert "NUL" in by_id["nul"]["error"]
    assert "PDF" in by_id["pdf"]["error"]
    assert "no 'text' field" in by_id["no-text"]["error"]
    assert "not a JSON line" in by_id[None]["error"]
    for row in by_id.values():
        if row["error"]:
            assert row["translation"] is None and row["segments"] == 0
            assert row["confidence"] is None and row["needs_review"] == 0
    assert "5 rows could not be translated" in result.stderr


def test_translation_is_what_translate_prints(jsonl_run, setting):
    """The same pipeline: each article's translation equals ``it2en translate`` on that text."""
    folder, model = setting
    rows, _, out = jsonl_run
    by_id = {r.get("id"): r for r in out}
    files = []
    for row in rows[: len(ARTICLES)]:
        path = folder / f"{row['id']}.txt"
        path.write_text(row["text"], encoding="utf-8")
        files.append(path)
    for path in files:
        result = CliRunner().invoke(app, ["translate", str(path), "-m", str(model), *FAST[:4], "-q"],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        assert by_id[path.stem]["translation"] == result.stdout


def test_parquet_in_parquet_out_with_binary_rows(setting):
    folder, _ = setting
    texts = _articles()[:2]
    table = pa.table({
        "id": pa.array([1, 2, 3, 4], pa.int64()),
        "body": pa.array([texts[0].encode(), texts[1].encode(), b"\x89PNG\r\n\x1a\n\x00\x00", None], pa.binary()),
        "year": pa.array([2016, 2017, 2018, 2019], pa.int32()),
    })
    (folder / "archive").mkdir()
    pq.write_table(table, folder / "archive" / "part.parquet")
    result = corpus(setting, "archive", "-o", "english", "--text-column", "body")
    assert result.exit_code == 1, result.stderr
    parts = sorted((folder / "english").glob("part-*.parquet"))
    assert parts, list((folder / "english").iterdir())
    out = pa.concat_tables([pq.read_table(p) for p in parts]).sort_by("id")
    assert out.column("id").to_pylist() == [1, 2, 3, 4]
    assert out.column("year").type == pa.int32() and out.column("body").type == pa.binary()
    assert out.schema.field("flags").type == pa.list_(pa.string())
    assert out.schema.field("segments").type == pa.int64()
    errors = out.column("error").to_pylist()
    assert errors[:2] == [None, None] and "PNG" in errors[2] and "missing" in errors[3]
    assert all(t.strip() for t in out.column("translation").to_pylist()[:2])


def test_csv_and_resume_translate_each_id_once(setting):
    """A first run writes some ids; ``--resume`` on the whole input adds only the others."""
    folder, _ = setting
    texts = _articles()
    everything = pa.table({"id": [f"0{i}" for i in range(len(texts))], "text": texts})
    pacsv.write_csv(everything.slice(0, 2), folder / "first.csv")
    pacsv.write_csv(everything, folder / "all.csv")
    first = corpus(setting, "first.csv", "-o", "english.csv")
    assert first.exit_code == 0, first.stderr
    before = (folder / "english.csv").read_text(encoding="utf-8")
    again = corpus(setting, "all.csv", "-o", "english.csv", "--resume")
    assert again.exit_code == 0, again.stderr
    out = pacsv.read_csv(folder / "english.csv", convert_options=pacsv.ConvertOptions(
        column_types={"id": pa.string(), "flags": pa.string()}))
    ids = out.column("id").to_pylist()
    assert sorted(ids) == everything.column("id").to_pylist()  # "00" stays "00": ids are text in CSV
    assert (folder / "english.csv").read_text(encoding="utf-8").startswith(before)  # first rows kept, not redone
    assert all(isinstance(json.loads(f), list) for f in out.column("flags").to_pylist())
    assert not (folder / ".english.csv.parts").exists()


@pytest.mark.parametrize("args, code, words", [
    (("missing.jsonl", "-o", "x.jsonl"), 66, "no such file"),
    (("in.jsonl", "-o", "x.jsonl", "--text-column", "body"), 2, "--text-column"),
    (("in.jsonl", "-o", "x.jsonl", "--id-column", "key"), 2, "no column 'key'"),
    (("notes.txt", "-o", "x.jsonl"), 2, "not a dataset"),
    (("in.jsonl", "-o", "in.jsonl"), 2, "one of the inputs"),
])
def test_user_mistakes_exit_with_a_message(setting, args, code, words):
    folder, _ = setting
    write_jsonl(folder / "in.jsonl", [{"id": 1, "text": "Ciao."}])
    (folder / "notes.txt").write_text("Ciao.\n", encoding="utf-8")
    result = corpus(setting, *args)
    assert result.exit_code == code, result.stderr
    assert words in result.stderr and "Traceback" not in result.stderr
    assert not (folder / "x.jsonl").exists()


def test_without_the_extra_corpus_says_how_to_install_it(setting, monkeypatch):
    folder, _ = setting
    write_jsonl(folder / "in.jsonl", [{"id": 1, "text": "Ciao."}])
    monkeypatch.setitem(sys.modules, "ray", None)  # as if ray were not installed
    result = corpus(setting, "in.jsonl", "-o", "x.jsonl")
    assert result.exit_code == 69
    assert 'pip install "it2en[scale]"' in result.stderr and "Traceback" not in result.stderr


def test_translate_never_imports_ray(tiny_model_dir, tmp_path):
    article = tmp_path / "a.txt"
    article.write_text("Una frase.\n", encoding="utf-8")
    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from it2en.cli import app\n"
        f"r = CliRunner().invoke(app, ['translate', {str(article)!r}, '-m', {str(tiny_model_dir)!r}, {', '.join(map(repr, FAST[:4]))}])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith(('ray.', 'pyarrow'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,  # waits for its exit
                          env={**__import__("os").environ, "IT2EN_CACHE_DIR": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# ----------------------------------------------------------------------------- the stages, without Ray


def identity_rows(**overrides):
    """The actor's class called in-process, with the identity engine (no model, no Ray)."""
    from it2en.corpus.worker import TranslateRows
    from it2en.engines import IdentityTranslator

    options = dict(translator_options={"engine": IdentityTranslator()}, text_column="text", id_column="id",
                   input_format="text", threads=None, skip=frozenset(), json_lines=False, environment={},
                   review_below=0.5)
    return TranslateRows(**{**options, **overrides})


def test_rows_are_translated_in_place_and_resume_skips_known_ids():
    from it2en.corpus.resume import row_key

    text = "Titolo\n\nUna frase. Un'altra frase.\n"
    batch = pa.table({"id": [1, 2, 3], "text": [text, "", "x\x00y"], "year": [2001, 2002, 2003]})
    out = identity_rows(skip=frozenset({row_key(2)}))(batch)
    assert out.column("id").to_pylist() == [1, 3]  # id 2 is already written
    assert out.column("year").to_pylist() == [2001, 2003]
    assert out.column("translation").to_pylist() == [text, None]  # identity engine: the layout round trip
    assert out.column("segments").to_pylist() == [3, 0]
    assert out.schema.field("flags").type == pa.list_(pa.string())
    errors = out.column("error").to_pylist()
    assert errors[0] is None and "NUL" in errors[1]
    assert out.column("model").to_pylist() == ["identity", "identity"]


def test_rows_carry_their_least_confident_sentence_and_how_many_need_review():
    from test_confidence import SURE, UNSURE, ScoredEngine  # confidences 0.9 and 0.3

    batch = pa.table({"id": [1, 2, 3], "text": [f"{SURE}\n\n{UNSURE}\n", f"{SURE}\n", ""]})
    out = identity_rows(translator_options={"engine": ScoredEngine()})(batch)
    assert out.column("confidence").to_pylist() == [0.3, 0.9, None]  # an empty text has no sentence
    assert out.column("needs_review").to_pylist() == [1, 0, 0]
    assert out.schema.field("confidence").type == pa.float64()
    demanding = identity_rows(translator_options={"engine": ScoredEngine()}, review_below=0.95)(batch)
    assert demanding.column("needs_review").to_pylist() == [2, 1, 0]


def test_json_lines_are_split_on_newlines_only_and_bad_bytes_become_rows():
    from it2en.corpus.reading import split_json_lines

    data = ('{"id": 1, "text": "a\u2028b"}\r\n\n' '{"id": 2}\n').encode() + b'{"id": 3, "text": "\xff"}\n'
    lines = split_json_lines(pa.table({"bytes": [data], "path": ["in.jsonl"]}))
    assert lines.num_rows == 3  # U+2028 inside a string is no line break; the blank line is no row
    assert lines.column("_it2en_line_error").to_pylist()[:2] == [None, None]
    assert "line 4: not UTF-8" in lines.column("_it2en_line_error").to_pylist()[2]
    out = identity_rows(json_lines=True)(lines)
    rows = [json.loads(line) for line in out.column("_it2en_json").to_pylist()]
    assert rows[0]["translation"] == "a\u2028b" and rows[0]["error"] is None
    assert "no 'text' field" in rows[1]["error"] and "not UTF-8" in rows[2]["error"]


def test_parts_are_assembled_into_one_file_and_read_back_for_resume(tmp_path):
    from it2en.corpus import CorpusJob
    from it2en.corpus.resume import OutputPlan, row_key

    job = CorpusJob(inputs=[], output=str(tmp_path / "english.jsonl"))
    plan = OutputPlan.for_job(job, "jsonl", [])
    rows = identity_rows()(pa.table({"id": ["a", "b"], "text": ["Una.", "Due."]}))
    with plan.writer() as writer:
        writer.add(rows.slice(0, 1))
        writer.flush()
        writer.add(rows.slice(1, 1))
    out = read_jsonl(tmp_path / "english.jsonl")
    assert [r["id"] for r in out] == ["a", "b"] and not plan.parts.exists()
    with open(tmp_path / "english.jsonl", "a", encoding="utf-8") as handle:
        handle.write('{"id": "c", "transl')  # a line cut short: its row is not counted as written
    assert plan.written_keys("id") == {row_key("a"), row_key("b")}


class DiesOnce:
    """An identity engine whose first call, in whichever worker, kills that worker's process."""

    name = "identity"

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def translate(self, sentences, *, no_repeat_ngram_size=0):
        if not self.marker.exists():
            self.marker.touch()
            import os

            os._exit(1)
        return list(sentences)


def test_a_worker_that_dies_is_restarted_and_every_id_written_once(local_ray, tmp_path):
    from ray import cloudpickle

    from it2en.corpus import CorpusJob, run_corpus

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import this test file
    rows = [{"id": i, "text": f"Frase numero {i}."} for i in range(6)]
    write_jsonl(tmp_path / "in.jsonl", rows)
    marker = tmp_path / "died"
    job = CorpusJob(inputs=[str(tmp_path / "in.jsonl")], output=str(tmp_path / "out.jsonl"), workers=1,
                    cores_per_worker=1, batch_articles=2, quiet=True,
                    translator_options={"engine": DiesOnce(marker), "device": "cpu"})
    summary = run_corpus(job)
    assert marker.exists()  # a worker did die
    out = read_jsonl(tmp_path / "out.jsonl")
    assert sorted(r["id"] for r in out) == list(range(6)) and summary.rows == 6 and summary.failed == 0
    assert all(r["translation"] == r["text"] for r in out)
    reviewed = sum(r["needs_review"] for r in out)
    assert summary.needs_review == reviewed and f"6 sentences ({reviewed} need review)" in summary.line()


class RecordsWorker:
    """An identity engine that leaves, per call, a file named after the process that made it, and
    answers only once ``workers`` processes have made a call: an actor that started first cannot
    take every batch while the other is still loading, however slow the machine. If the batches
    could not reach a second actor, the calls answer after ``patience`` seconds and the test fails."""

    name = "identity"

    def __init__(self, folder: Path, workers: int, patience: float = 600.0) -> None:
        self.folder, self.workers, self.patience = folder, workers, patience

    def translate(self, sentences, *, no_repeat_ngram_size=0):
        import os
        import time

        (self.folder / f"{os.getpid()}-{time.monotonic_ns()}").touch()
        give_up = time.monotonic() + self.patience
        while len({p.name.split("-")[0] for p in self.folder.iterdir()}) < self.workers and time.monotonic() < give_up:
            time.sleep(0.05)
        return list(sentences)


def test_one_json_lines_file_feeds_every_worker(local_ray, tmp_path):
    """A single input file is cut into one-row blocks, so both actors get batches, not one actor all."""
    from ray import cloudpickle

    from it2en.corpus import CorpusJob, run_corpus

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    write_jsonl(tmp_path / "in.jsonl", [{"id": i, "text": f"Frase numero {i}."} for i in range(8)])
    calls = tmp_path / "calls"
    calls.mkdir()
    job = CorpusJob(inputs=[str(tmp_path / "in.jsonl")], output=str(tmp_path / "out.jsonl"), workers=2,
                    cores_per_worker=1, batch_articles=2, quiet=True,
                    translator_options={"engine": RecordsWorker(calls, workers=2), "device": "cpu"})
    assert run_corpus(job).rows == 8
    workers = {path.name.split("-")[0] for path in calls.iterdir()}
    assert len(list(calls.iterdir())) == 4 and len(workers) == 2  # 4 batches of 2 rows, on both actors
    assert sorted(r["id"] for r in read_jsonl(tmp_path / "out.jsonl")) == list(range(8))


def test_a_second_run_without_resume_replaces_a_one_file_output(setting):
    folder, _ = setting
    write_jsonl(folder / "twice.jsonl", [{"id": i, "text": f"Frase {i}."} for i in range(3)])
    for _ in range(2):
        run = corpus(setting, "twice.jsonl", "-o", "twice-en.jsonl")
        assert run.exit_code == 0, run.stderr
    assert sorted(r["id"] for r in read_jsonl(folder / "twice-en.jsonl")) == [0, 1, 2]  # not appended
