"""Hub folders of three tasks (image GAN, table, text): the layout, the card against the run's own files, loading
from the folder and from a local Hugging Face cache, and samples identical to the original model's."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from duelo.errors import ConfigError
from duelo.hub import from_pretrained, save_pretrained
from duelo.io.hashing import file_digest
from duelo.io.images import read_png_text
from tests.hub.conftest import put_in_cache


def _figure(value) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:.4g}"


def _row(card: str, name: str) -> str:
    rows = [line for line in card.splitlines() if line.startswith(f"| `{name}` |")]
    assert len(rows) == 1, name
    return rows[0]


def test_an_image_run_becomes_a_hub_folder_whose_card_states_the_run_s_own_figures(image_run, image_hub, runs):
    from huggingface_hub import ModelCard

    assert sorted(p.name for p in image_hub.iterdir()) == ["README.md", "config.json", "model.safetensors",
                                                             "samples.png"]
    for name in ("config.json", "model.safetensors"):                     # byte for byte
        assert (image_hub / name).read_bytes() == (image_run / "model" / name).read_bytes()
    summary = json.loads((image_run / "summary.json").read_text())
    digest = file_digest(image_hub / "model.safetensors")
    assert summary["model_sha256"] == digest

    card = (image_hub / "README.md").read_text()
    meta = ModelCard(card).data.to_dict()                                 # the Hub's own parser reads it
    assert meta["library_name"] == "duelo" and meta["pipeline_tag"] == "unconditional-image-generation"
    assert {"duelo", "gan", "image-gan", "dcgan"} <= set(meta["tags"])
    assert meta["license"] == "unknown"                                   # digits: no licence stated by its source
    assert meta["duelo"]["model_sha256"] == digest and meta["duelo"]["task"] == "image-gan"

    row = _row(card, "class_accuracy")
    assert f"| {_figure(summary['class_accuracy'])} |" in row and "summary.json" in row
    assert f"class_accuracy_samples {summary['class_accuracy_samples']}" in row       # what it was computed on
    assert f"| {_figure(summary['classifier_real_accuracy'])} |" in _row(card, "classifier_real_accuracy")
    snapshot = json.loads((image_run / "snapshot.json").read_text())
    state = json.loads((image_run / "checkpoints" / snapshot["checkpoint"] / "state.json").read_text())
    assert f"- size: {state['feed']['size']:,} records" in card
    from duelo.data import load_dataset

    loaded = load_dataset("digits", resolution=8, channels=1)                 # the run's data, loaded the same way
    assert summary["data_sha256"] == loaded.fingerprint()
    assert f"- fingerprint: sha256 `{loaded.fingerprint()}` of the loaded data (its own fingerprint), before any " \
           f"held-out split" in card
    assert f"- hardware: {summary['device']}" in card and f"torch {summary['torch_version']}" in card
    assert "Not trained with differential privacy" in card

    audit = json.loads((runs / "audit.json").read_text())
    for name, attack in audit["attacks"].items():
        assert f"| {name} | {_figure(attack['auc'])} | {_figure(attack['tpr_at_fpr_0.01'])} |" in card
    assert "it attacked the checkpoint this model derives from" in card
    assert str(runs) not in card                                          # local paths are not published

    png = read_png_text(image_hub / "samples.png")                        # the picture carries the link
    assert png["duelo:model_sha256"] == digest
    assert "![samples" in card and "(samples.png)" in card


def test_loading_from_the_folder_and_from_the_cache_samples_what_the_run_s_model_samples(image_run, image_hub,
                                                                                       tmp_path):
    from huggingface_hub import try_to_load_from_cache

    from duelo.io.pretrained import load_pretrained
    from duelo.sampling.generate import generate

    G = load_pretrained(image_run / "model")
    expected = generate(G, [3, 4, 5, 6, 7, 8], [0, 1, 2, 3, 4, 5])        # seeds 3.., classes in turn
    from_folder = from_pretrained(image_hub)
    assert torch.equal(from_folder.sample(6, seed=3), expected)
    assert from_folder.model_sha256() == file_digest(image_run / "model" / "model.safetensors")

    cache = tmp_path / "hf-cache"
    snapshot = put_in_cache(image_hub, cache, "someone/digits")
    assert try_to_load_from_cache("someone/digits", "config.json", cache_dir=cache) == str(snapshot / "config.json")
    cached = from_pretrained("someone/digits", cache_dir=cache, local_files_only=True)
    assert cached.folder == snapshot and torch.equal(cached.sample(6, seed=3), expected)
    with pytest.raises(ConfigError, match="duelo hub download someone/other"):
        from_pretrained("someone/other", cache_dir=cache, local_files_only=True)


def test_a_table_model_keeps_model_json_and_its_card_the_data_fingerprint(table_run, runs):
    from duelo.tabular import TabularGAN

    hub = save_pretrained(table_run, runs / "table-hub")
    assert sorted(p.name for p in hub.iterdir()) == ["README.md", "config.json", "model.json", "model.safetensors",
                                                       "samples.csv"]
    assert (hub / "config.json").read_bytes() == (table_run / "model" / "model.json").read_bytes()
    card = (hub / "README.md").read_text()
    summary = json.loads((table_run / "summary.json").read_text())
    for name in ("column_shapes", "column_pair_trends"):
        assert f"| {_figure(summary[name])} |" in _row(card, name)
    snapshot = json.loads((table_run / "snapshot.json").read_text())
    feed = json.loads((table_run / "checkpoints" / snapshot["checkpoint"] / "state.json").read_text())["feed"]
    assert f"- fingerprint: sha256 `{feed['sha256']}`" in card and f"- size: {feed['rows']:,} records" in card
    assert "- dataset: `…/table.csv`" in card
    first_rows = (hub / "samples.csv").read_text().splitlines()[:3]
    assert "\n".join(first_rows) in card

    expected = TabularGAN.load(table_run).sample(40, random_state=4)
    loaded = from_pretrained(hub)
    assert loaded.sample(40, seed=4).equals(expected)
    (hub / "config.json").write_text((hub / "config.json").read_text().replace('"fit_seconds"', '"fit_second"'))
    with pytest.raises(ConfigError, match="config.json differs from .*model.json"):
        from_pretrained(hub)


def test_a_text_model_s_card_pairs_scores_with_real_data_and_repeats_its_memorisation_figures(text_run, runs,
                                                                                             capsys):
    from duelo.cli.main import main

    hub = save_pretrained(text_run, runs / "names-hub")
    assert sorted(p.name for p in hub.iterdir()) == ["README.md", "config.json", "model.safetensors", "samples.txt"]
    card = (hub / "README.md").read_text()
    scores = json.loads((text_run / "summary.json").read_text())["scores"]
    row = _row(card, "scores.novelty")
    assert f"| {_figure(scores['novelty'])} | {_figure(scores['novelty_real'])} |" in row
    assert f"samples {scores['samples']}" in row
    memorisation = card.split("**Memorisation.**")[1].split("##")[0]
    assert f"`scores.novelty` = {_figure(scores['novelty'])}" in memorisation
    assert f"`scores.longest_copy` = {_figure(scores['longest_copy'])}" in memorisation
    assert "pipeline_tag: text-generation" in card
    summary = json.loads((text_run / "summary.json").read_text())
    assert summary["data_sha256_of"] == "the arrays the task loaded" and len(summary["data_sha256"]) == 64
    assert f"- fingerprint: sha256 `{summary['data_sha256']}` of the arrays the task loaded" in card

    capsys.readouterr()
    assert main(["sample", str(text_run), "-n", "5", "--seeds", "2"]) == 0      # the original model, as a user does
    assert from_pretrained(hub).sample(5, seed=2) == capsys.readouterr().out.rstrip("\n").split("\n")


def test_a_bare_model_folder_gets_a_card_that_states_what_it_lacks(image_run, tmp_path):
    bare = shutil.copytree(image_run / "model", tmp_path / "copied-model")
    hub = save_pretrained(bare, tmp_path / "hub")
    card = (hub / "README.md").read_text()
    assert "Saved from a bare model folder" in card and "Not measured: no summary.json" in card
    assert "No samples" in card and "- size: not recorded by the run" in card
    assert sorted(p.name for p in hub.iterdir()) == ["README.md", "config.json", "model.safetensors"]


def test_a_summary_of_other_weights_is_flagged_and_the_output_policy_holds(image_run, tmp_path):
    run = shutil.copytree(image_run, tmp_path / "run", ignore=shutil.ignore_patterns("checkpoints"))
    summary = json.loads((run / "summary.json").read_text())
    summary["model_sha256"] = "0" * 64
    (run / "summary.json").write_text(json.dumps(summary))
    hub = save_pretrained(run, tmp_path / "hub")
    assert "does NOT match these weights" in (hub / "README.md").read_text()

    with pytest.raises(ConfigError, match="holds a Hub folder already; pass --force"):
        save_pretrained(run, tmp_path / "hub")
    assert save_pretrained(run, tmp_path / "hub", force=True) == tmp_path / "hub"
    with pytest.raises(ConfigError, match="inside the run folder"):
        save_pretrained(run, run / "hub")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="holds other files"):
        save_pretrained(run, tmp_path / "mine", force=True)


@pytest.mark.parametrize("damage, message", [
    (lambda hub: (hub / "model.safetensors").unlink(), "model.safetensors"),
    (lambda hub: (hub / "model.safetensors").write_bytes((hub / "model.safetensors").read_bytes()[:100]),
     "model.safetensors"),
    (lambda hub: (hub / "config.json").write_text('{"format": "duelo-nothing", "format_version": 1}'),
     "config.json: unknown saved-model format 'duelo-nothing'"),
    (lambda hub: (hub / "config.json").write_text("{not json"), "config.json"),
    (lambda hub: (hub / "config.json").unlink(), "no config.json"),
])
def test_a_damaged_hub_folder_is_a_config_error_naming_the_file(image_hub, tmp_path, damage, message):
    hub = shutil.copytree(image_hub, tmp_path / "hub")
    damage(hub)
    with pytest.raises(ConfigError, match=message):
        from_pretrained(hub)


def test_a_private_run_s_card_states_the_epsilon_it_spent(tmp_path, monkeypatch):
    pytest.importorskip("dp_accounting")
    from duelo.cli.main import main

    monkeypatch.setenv("DUELO_JUDGE_STEPS", "20")
    assert main(["train", "--preset", "demo", "--resolution", "8", "--width", "8", "--batch", "32", "--dp-epsilon",
                 "5", "--kimg", "0.125", "--set", "run.snapshot_kimg=0.125", "--set", "run.eval_per_class=4",
                 "--set", "run.grid_samples=4", "--out", str(tmp_path), "--name", "private"]) == 0
    privacy = json.loads((tmp_path / "private" / "summary.json").read_text())["privacy"]
    card = (save_pretrained(tmp_path / "private", tmp_path / "hub") / "README.md").read_text()
    assert (f"Trained with differential privacy: ε spent {_figure(privacy['epsilon_spent'])} of "
            f"{_figure(privacy['epsilon_target'])}, δ {_figure(privacy['delta'])}, over {privacy['records']:,} "
            f"records ({privacy['accountant']}") in card
    assert "- fingerprint: withheld: a private run publishes nothing computed from its records" in card


def test_the_data_fingerprint_covers_every_array_and_only_arrays():
    """summary.json's data_sha256 for data without a fingerprint of its own: every tensor and numeric array, by
    name, dtype and shape; text and object arrays are not hashed (no pointer ever enters it)."""
    import numpy as np

    from duelo.tasks.snapshots import arrays_digest

    class Loaded:
        def __init__(self, values):
            import torch

            self.windows, self.meta = torch.tensor(values), {"mask": np.array([True, False]), "names": ["a", "b"]}

    same = arrays_digest(Loaded([1.0, 2.0])), arrays_digest(Loaded([1.0, 2.0]))
    assert same[0] == same[1] and len(same[0]) == 64
    assert arrays_digest(Loaded([1.0, 2.5])) != same[0]                          # a value
    assert arrays_digest(Loaded([[1.0, 2.0]])) != same[0]                        # a shape
    other = Loaded([1.0, 2.0])
    other.meta["names"] = ["c"]
    assert arrays_digest(other) == same[0]                                       # not an array: not hashed
    other.meta["mask"] = np.array([True, True])
    assert arrays_digest(other) != same[0]
    assert arrays_digest({"text": ["no arrays"], "objects": np.array([object()])}) is None
