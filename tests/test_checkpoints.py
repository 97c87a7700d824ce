"""Checkpoints laid out as the hub's load as their config means, in both engines, or are refused.

The fixtures (``tests/fixtures/hub_layouts``) hold the layouts of the hub's files, which the
installed transformers did not write: every table present (opus-mt-it-en's ``pytorch_model.bin``
and the bot's ``model.safetensors``), a stray ``lm_head.weight`` beside a tied config
(opus-mt-tc-big's), and genuinely untied tables.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from it2en.checkpoints import load_marian
from it2en.engines.ctranslate2 import SIDECAR, CTranslate2Translator, convert_to_ctranslate2
from it2en.engines.factory import create_translator, ensure_ct2_copy
from it2en.engines.transformers import TransformersTranslator
from it2en.errors import CheckpointRefusedError
from it2en.generation import GenerationSettings

from conftest import HUB_LAYOUTS

GREEDY = GenerationSettings(beams=1, max_new_tokens_factor=1.0, max_new_tokens_extra=4)
SENTENCES = [
    "Un gatto nero seduto su un davanzale al tramonto, luce calda.",
    "Il governo ha approvato la legge di bilancio.",
    "Domani pioverà su tutta la penisola.",
]
TARGET = "A black cat sitting on a windowsill at sunset."
"""The English side of the teacher-forced logits compared below (any text would do)."""
POSITIONS = ("model.encoder.embed_positions.weight", "model.decoder.embed_positions.weight")
LAYOUTS = ("opus-mt-it-en", "opus-mt-it-en.bin", "tc-big", "untied")
"""``opus-mt-it-en`` as the hub serves it (the bot's safetensors beside the original, which
transformers prefers); ``opus-mt-it-en.bin``: the original ``pytorch_model.bin`` alone."""


def layout(name: str, tmp_path: Path) -> Path:
    """The folder of a layout: the committed fixture, or a copy of opus-mt-it-en without its
    safetensors file (so that the pickle is what loads)."""
    if name != "opus-mt-it-en.bin":
        return HUB_LAYOUTS / name
    folder = tmp_path / name
    if not folder.is_dir():
        shutil.copytree(HUB_LAYOUTS / "opus-mt-it-en", folder, ignore=shutil.ignore_patterns("model.safetensors"))
    return folder


def file_tensors(folder: Path) -> dict:
    """Every tensor of the folder's original file, by name."""
    import torch

    return torch.load(folder / "pytorch_model.bin", map_location="cpu", weights_only=True)


def described_model(folder: Path):
    """The model the folder's config describes, built by hand: each tensor from the file by its
    name, the position tables computed, the embeddings the shared table, and the output layer
    the shared table where the config ties it (the file's ``lm_head.weight`` where it does not)."""
    import torch
    from transformers import MarianConfig, MarianMTModel

    config = MarianConfig.from_pretrained(folder)
    tensors = file_tensors(folder)
    shared = tensors["model.shared.weight"]
    model = MarianMTModel(config).eval()
    state = model.state_dict()
    for name in state:
        if name in POSITIONS:
            continue
        if name.endswith("embed_tokens.weight") or (name == "lm_head.weight" and config.tie_word_embeddings):
            state[name] = shared
        else:
            state[name] = tensors[name]
    model.load_state_dict(state)
    with torch.no_grad():
        for name in POSITIONS:  # computed, and equal to what the full files hold
            if name in tensors:
                assert torch.equal(model.get_parameter(name), tensors[name])
    return model


def teacher_forced(folder: Path) -> tuple[list[str], list[str], dict]:
    """Source pieces (``</s>`` last), target pieces, and the inputs transformers takes for them."""
    import torch
    from transformers import MarianTokenizer

    tokenizer = MarianTokenizer.from_pretrained(folder)
    source = tokenizer(SENTENCES[0])["input_ids"]
    target = tokenizer(text_target=TARGET)["input_ids"][:-1]
    inputs = dict(input_ids=torch.tensor([source]),
                  decoder_input_ids=torch.tensor([[tokenizer.pad_token_id, *target]]))
    return tokenizer.convert_ids_to_tokens(source), tokenizer.convert_ids_to_tokens(target), inputs


def logits(model, inputs: dict):
    import torch

    with torch.no_grad():
        return model(**inputs).logits[0]


# ----------------------------------------------------------------------------- the fixtures


def test_fixtures_are_laid_out_as_the_hub_files() -> None:
    import torch
    from safetensors import safe_open

    opus = file_tensors(HUB_LAYOUTS / "opus-mt-it-en")
    tables = ("model.shared.weight", "model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight",
              "lm_head.weight")
    assert all(torch.equal(opus[name], opus[tables[0]]) for name in tables) and set(POSITIONS) <= set(opus)
    with safe_open(HUB_LAYOUTS / "opus-mt-it-en" / "model.safetensors", "pt") as bot:
        assert set(bot.keys()) == set(opus) - set(tables[1:])  # shared storage kept once
    tc_big = file_tensors(HUB_LAYOUTS / "tc-big")
    assert set(tc_big) == set(opus) - set(POSITIONS)  # 257 of 259 in the real file
    assert not torch.equal(tc_big["lm_head.weight"], tc_big["model.shared.weight"])
    assert all(torch.equal(tc_big[name], opus[name]) for name in tc_big if name != "lm_head.weight")
    untied = HUB_LAYOUTS / "untied"
    assert json.loads((untied / "config.json").read_text(encoding="utf-8"))["tie_word_embeddings"] is False
    assert not torch.equal(file_tensors(untied)["lm_head.weight"], opus["model.shared.weight"])
    assert all(path.stat().st_size < 300_000 for path in HUB_LAYOUTS.rglob("*") if path.is_file())


def test_stock_transformers_keeps_the_stray_table() -> None:
    """The fault the loader exists for, reproduced: tc-big's layout loaded by plain
    ``from_pretrained`` decodes with the stray table, not with its tied twin's."""
    from transformers import MarianMTModel

    _, _, inputs = teacher_forced(HUB_LAYOUTS / "tc-big")
    stock = MarianMTModel.from_pretrained(HUB_LAYOUTS / "tc-big").eval()
    assert stock.lm_head.weight is not stock.model.shared.weight
    assert not logits(stock, inputs).allclose(logits(described_model(HUB_LAYOUTS / "tc-big"), inputs), atol=1e-3)


# ----------------------------------------------------------------------------- loading as the config means


@pytest.mark.parametrize("name", LAYOUTS)
def test_transformers_engine_has_the_logits_the_config_describes(name: str, tmp_path: Path) -> None:
    folder = layout(name, tmp_path)
    engine = TransformersTranslator(folder, generation=GREEDY, quiet=True)
    model = engine._model
    tied = model.config.tie_word_embeddings
    assert (model.lm_head.weight is model.model.shared.weight) == tied
    assert model.model.encoder.embed_tokens.weight is model.model.decoder.embed_tokens.weight is model.model.shared.weight
    _, _, inputs = teacher_forced(folder)
    assert logits(model, inputs).allclose(logits(described_model(folder), inputs), atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", LAYOUTS)
def test_ctranslate2_copy_has_the_logits_the_config_describes(name: str, tmp_path: Path) -> None:
    """A float32 conversion scores a teacher-forced target as the described model does (the
    ``<pad>`` column aside: CTranslate2 drops it, starting the decoder from a zero embedding)."""
    import ctranslate2

    folder = layout(name, tmp_path)
    ct2_dir = convert_to_ctranslate2(folder, tmp_path / "f32", quantization="float32")
    source, target, inputs = teacher_forced(folder)
    scored = ctranslate2.Translator(str(ct2_dir), compute_type="float32").score_batch([source], [target])[0]
    expected = logits(described_model(folder), inputs)[:, :-1].log_softmax(-1)
    ids = [*inputs["decoder_input_ids"][0, 1:].tolist(), 0]  # each target piece, then </s>
    assert scored.tokens == [*target, "</s>"]
    assert scored.log_probs == pytest.approx([expected[step, token].item() for step, token in enumerate(ids)],
                                             abs=1e-4)


def test_the_stray_table_is_replaced_and_reported() -> None:
    loaded = load_marian(HUB_LAYOUTS / "tc-big")
    assert loaded.replaced == ("lm_head.weight",)
    assert load_marian(HUB_LAYOUTS / "opus-mt-it-en").replaced == load_marian(HUB_LAYOUTS / "untied").replaced == ()


@pytest.mark.parametrize("backend", ["transformers", "ctranslate2"])
def test_stray_table_translates_exactly_as_its_tied_twin(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the factory, as a user's ``-m DIR`` goes (int8 for CTranslate2)."""
    monkeypatch.setenv("IT2EN_CACHE_DIR", str(tmp_path))
    outputs = {
        name: create_translator(HUB_LAYOUTS / name, backend=backend, device="cpu", generation=GREEDY,
                                ct2_cache_key=name, quiet=True).translate(SENTENCES)
        for name in ("tc-big", "opus-mt-it-en", "untied")
    }
    assert outputs["tc-big"] == outputs["opus-mt-it-en"]
    assert outputs["untied"] != outputs["opus-mt-it-en"]  # the output table matters: the check can fail


def test_a_stray_table_never_stands_for_an_absent_shared_one(tmp_path: Path) -> None:
    """tc-big's layout without ``model.shared.weight``: transformers fills the shared table
    from the stray ``lm_head.weight``; the embeddings the file holds are the table."""
    import torch

    folder = tmp_path / "tc-big-without-shared"
    shutil.copytree(HUB_LAYOUTS / "tc-big", folder)
    tensors = file_tensors(folder)
    del tensors["model.shared.weight"]
    torch.save(tensors, folder / "pytorch_model.bin")
    loaded = load_marian(folder)
    assert loaded.replaced == ("lm_head.weight",)
    _, _, inputs = teacher_forced(folder)
    assert logits(loaded.model, inputs).equal(logits(load_marian(HUB_LAYOUTS / "opus-mt-it-en").model, inputs))


# ----------------------------------------------------------------------------- refusals


def broken_copy(tmp_path: Path, *, drop: str | None = None, add: str | None = None, shrink: str | None = None,
                untie: bool = False) -> Path:
    """opus-mt-it-en's ``pytorch_model.bin`` layout without the tensor ``drop``, with an extra
    tensor ``add``, with ``shrink`` one row short, or (``untie``) with a config that unties the tables."""
    import torch

    folder = layout("opus-mt-it-en.bin", tmp_path)
    tensors = file_tensors(folder)
    if drop:
        del tensors[drop]
    if add:
        tensors[add] = torch.zeros(4)
    if shrink:
        tensors[shrink] = tensors[shrink][:-1].clone()
    torch.save(tensors, folder / "pytorch_model.bin")
    if untie:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        (folder / "config.json").write_text(json.dumps({**config, "tie_word_embeddings": False}), encoding="utf-8")
    return folder


@pytest.mark.parametrize("change, named", [
    (dict(drop="model.encoder.layers.0.fc1.weight"), "model.encoder.layers.0.fc1.weight"),
    (dict(drop="final_logits_bias"), "final_logits_bias"),
    (dict(drop="lm_head.weight", untie=True), "lm_head.weight"),
    (dict(add="model.decoder.extra_adapter.weight"), "model.decoder.extra_adapter.weight"),
    (dict(shrink="model.encoder.layers.0.fc1.weight"), "model.encoder.layers.0.fc1.weight"),
])
def test_incomplete_or_foreign_checkpoint_is_refused_by_both_engines(change: dict, named: str, tmp_path: Path) -> None:
    folder = broken_copy(tmp_path, **change)
    with pytest.raises(CheckpointRefusedError, match=named.replace(".", r"\.")) as refused:
        TransformersTranslator(folder, generation=GREEDY, quiet=True)
    assert refused.value.exit_code == 69
    with pytest.raises(CheckpointRefusedError, match=named.replace(".", r"\.")):
        convert_to_ctranslate2(folder, tmp_path / "ct2", quantization="float32")
    assert not (tmp_path / "ct2").exists()


def test_cli_exits_69_naming_the_missing_tensor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from it2en.cli import app

    monkeypatch.setenv("IT2EN_CACHE_DIR", str(tmp_path / "cache"))
    folder = broken_copy(tmp_path, drop="model.decoder.layers.0.fc2.weight")
    article = tmp_path / "articolo.txt"
    article.write_text(SENTENCES[0] + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["translate", str(article), "-m", str(folder)])
    assert result.exit_code == 69, result.stderr
    # refused once: the auto backend does not fall back to an engine that would refuse it too
    assert result.stderr.count("model.decoder.layers.0.fc2.weight") == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_copy_converted_under_older_rules_is_converted_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An older it2en converted tc-big with its stray table: the cached copy must not be reused."""
    monkeypatch.setenv("IT2EN_CACHE_DIR", str(tmp_path))
    notes: list[str] = []
    ct2_dir = ensure_ct2_copy(HUB_LAYOUTS / "tc-big", "tc-big", quiet=True, notify=notes.append)
    assert ensure_ct2_copy(HUB_LAYOUTS / "tc-big", "tc-big", quiet=True, notify=notes.append) == ct2_dir
    assert len(notes) == 1  # converted once, then reused
    sidecar = json.loads((ct2_dir / SIDECAR).read_text(encoding="utf-8"))
    del sidecar["loading_rules"]
    (ct2_dir / SIDECAR).write_text(json.dumps(sidecar), encoding="utf-8")
    ensure_ct2_copy(HUB_LAYOUTS / "tc-big", "tc-big", quiet=True, notify=notes.append)
    assert len(notes) == 2 and "loading_rules" in json.loads((ct2_dir / SIDECAR).read_text(encoding="utf-8"))
    assert CTranslate2Translator(ct2_dir, generation=GREEDY, quiet=True).translate(SENTENCES[:1])
