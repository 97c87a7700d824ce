"""Model resolution and the offline hub cache, exercised with the tiny model laid out as a cached hub repo."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from it2en import models
from it2en.cli import app
from it2en.errors import ModelUnavailableError

from conftest import SEED, put_in_hub_cache, table_column
COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def hf_cache(tiny_model_dir, hub_cache):
    """A Hugging Face cache holding the tiny model as Helsinki-NLP/opus-mt-it-en at COMMIT."""
    return put_in_hub_cache(tiny_model_dir, hub_cache, "Helsinki-NLP/opus-mt-it-en", COMMIT)


def test_catalog_ships_with_the_package():
    catalog = models.load_catalog()
    assert catalog.default == "opus-mt-it-en"
    spec = catalog.models["opus-mt-it-en"]
    assert spec.hub_id == "Helsinki-NLP/opus-mt-it-en"
    assert spec.generation.beams == 4 and spec.generation.max_length == 512
    assert spec.generation.max_new_tokens(10_000) == 512


def test_resolve_name_folder_hub_id_and_env(tmp_path, monkeypatch):
    monkeypatch.delenv("IT2EN_MODEL", raising=False)
    assert models.resolve(None).name == "opus-mt-it-en"
    assert models.resolve(str(tmp_path)).local_dir == tmp_path
    hub = models.resolve("someone/opus-mt-it-en-finetuned@v2")
    assert (hub.hub_id, hub.revision) == ("someone/opus-mt-it-en-finetuned", "v2")
    monkeypatch.setenv("IT2EN_MODEL", "opus-mt-tc-big-it-en")
    assert models.resolve(None).name == "opus-mt-tc-big-it-en"
    with pytest.raises(ModelUnavailableError, match="Did you mean 'opus-mt-it-en'"):
        models.resolve("opus-mt-it-em")


def test_not_cached_offline_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "empty"))
    spec = models.resolve("opus-mt-it-en")
    assert models.cached_path(spec) is None
    with pytest.raises(ModelUnavailableError) as error:
        models.locate(spec)
    message = str(error.value)
    assert "Helsinki-NLP/opus-mt-it-en" in message and str(tmp_path / "empty") in message
    assert "it2en download opus-mt-it-en" in message and "-m DIR" in message


def test_cached_hub_model_is_found_offline_with_its_commit(hf_cache):
    located = models.locate(models.resolve("opus-mt-it-en"), download=False)
    assert located.path == hf_cache and located.revision == COMMIT


def test_models_command_reports_the_cache(hf_cache):
    result = CliRunner().invoke(app, ["models"])
    assert result.exit_code == 0
    cached = dict(zip(table_column(result.stdout, "name"), table_column(result.stdout, "offline")))
    assert cached == {"opus-mt-it-en": "yes", "opus-mt-tc-big-it-en": "no"}
    assert result.stdout.splitlines()[1].startswith("*")  # the default


def test_translate_with_the_cached_default_model_records_its_revision(hf_cache):
    result = CliRunner().invoke(app, ["translate", str(SEED), "-f", "json", "--beams", "1", "--backend", "transformers"])
    assert result.exit_code == 0, result.stderr
    assert f'"revision": "{COMMIT}"' in result.stdout and '"name": "opus-mt-it-en"' in result.stdout


def test_download_refuses_offline_with_the_same_advice(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = CliRunner().invoke(app, ["download", "opus-mt-it-en"])
    assert result.exit_code == 69 and "offline" in result.stderr and "Traceback" not in result.stderr


def test_download_prepares_the_fast_engine_copy(tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("IT2EN_CACHE_DIR", str(tmp_path / "cache"))
    result = CliRunner().invoke(app, ["download", str(tiny_model_dir)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == str(tiny_model_dir)
    copies = list((tmp_path / "cache" / "ct2").iterdir())
    assert len(copies) == 1 and (copies[0] / "model.bin").is_file()
    assert "ready for offline use" in result.stderr
