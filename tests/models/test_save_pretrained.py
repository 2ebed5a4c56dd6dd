"""save_pretrained / load_pretrained / model_sha256: format, teaching errors, atomic writes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import duelo
from duelo.errors import CheckpointError
from duelo.io import pretrained
from duelo.io.pretrained import load_pretrained, model_sha256, save_pretrained
from duelo.models import build_discriminator, build_generator
from duelo.models.dcgan import DCGANGenerator


def small_generator(seed: int = 0, **kwargs):
    torch.manual_seed(seed)
    return build_generator("dcgan", resolution=8, channels=1, width=4, z_dim=8, **kwargs)


def write_config(directory: Path, **changes) -> None:
    path = directory / "config.json"
    config = json.loads(path.read_text())
    config.update(changes)
    path.write_text(json.dumps(config))


def test_format_on_disk(tmp_path):
    directory = save_pretrained(small_generator(c_dim=3), tmp_path / "g")
    assert directory == tmp_path / "g"
    assert sorted(p.name for p in directory.iterdir()) == ["config.json", "model.safetensors"]
    config = json.loads((directory / "config.json").read_text())
    assert config["format"] == "duelo-model" and config["format_version"] == 1
    assert config["duelo_version"] == duelo.__version__
    assert (config["kind"], config["name"]) == ("generator", "dcgan")
    assert config["kwargs"] == {"resolution": 8, "channels": 1, "c_dim": 3, "z_dim": 8, "width": 4,
                                "max_width": 512, "embed_dim": 8, "aspect": "1:1"}  # defaults written out too
    assert (directory / "model.safetensors").stat().st_mode == (directory / "config.json").stat().st_mode
    tensors = load_file(directory / "model.safetensors")
    assert "body.1.running_mean" in tensors                        # buffers are saved


def test_discriminator_round_trip_and_map_location(tmp_path):
    torch.manual_seed(0)
    critic = build_discriminator("dcgan", resolution=8, channels=3, width=4, norm="none")
    loaded = load_pretrained(save_pretrained(critic, tmp_path), map_location=torch.device("cpu"))
    assert loaded.duelo_spec["kwargs"]["norm"] == "none"
    images = torch.randn(2, 3, 8, 8)
    assert torch.equal(loaded(images), critic.eval()(images))


def test_sha256_is_the_hash_of_the_weights_file(tmp_path):
    first = save_pretrained(small_generator(seed=0), tmp_path / "a")
    expected = hashlib.sha256((first / "model.safetensors").read_bytes()).hexdigest()
    assert model_sha256(first) == expected
    assert model_sha256(save_pretrained(small_generator(seed=0), tmp_path / "b")) == expected
    assert model_sha256(save_pretrained(small_generator(seed=1), tmp_path / "c")) != expected


def test_module_not_built_through_the_registry(tmp_path):
    with pytest.raises(CheckpointError, match="build_generator"):
        save_pretrained(DCGANGenerator(resolution=8, channels=1), tmp_path)


def test_missing_directory_and_files(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist") as caught:
        load_pretrained(tmp_path / "nowhere")
    assert "nowhere" in str(caught.value)
    directory = save_pretrained(small_generator(), tmp_path / "g")
    with pytest.raises(CheckpointError, match="is a file"):
        load_pretrained(directory / "model.safetensors")
    (directory / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="model.safetensors is missing"):
        load_pretrained(directory)
    with pytest.raises(CheckpointError, match="model.safetensors is missing"):
        model_sha256(directory)
    (directory / "config.json").unlink()
    with pytest.raises(CheckpointError, match="config.json is missing"):
        load_pretrained(directory)


def test_corrupt_json(tmp_path):
    directory = save_pretrained(small_generator(), tmp_path)
    (directory / "config.json").write_text('{"format": "duelo-model", ')
    with pytest.raises(CheckpointError, match="not valid JSON") as caught:
        load_pretrained(directory)
    assert str(directory / "config.json") in str(caught.value)


@pytest.mark.parametrize(("changes", "message"), [
    ({"format": "diffusers"}, "not a duelo saved model"),
    ({"format_version": 2}, "format_version 2.*upgrade duelo"),
    ({"format_version": "1"}, "format_version must be a positive integer"),
    ({"kind": "critic"}, "kind is 'critic'; choose one of: generator, discriminator"),
    ({"name": "stylegan9"}, "unknown generator 'stylegan9'; choose one of: .*dcgan.*mlp"),
    ({"kwargs": [8, 1]}, "kwargs must be a JSON object"),
])
def test_bad_config_fields(tmp_path, changes, message):
    directory = save_pretrained(small_generator(), tmp_path)
    write_config(directory, **changes)
    with pytest.raises(CheckpointError, match=message):
        load_pretrained(directory)


def test_kwargs_that_do_not_build(tmp_path):
    directory = save_pretrained(small_generator(), tmp_path)
    write_config(directory, kwargs={"resolution": 28, "channels": 1})
    with pytest.raises(CheckpointError, match="do not build.*resolution"):
        load_pretrained(directory)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"width": 8}, "'body.0.weight' has shape"),          # same keys, other shapes
    ({"c_dim": 3}, "missing key 'label_embedding"),        # config asks for a label embedding
    ({"resolution": 16}, "missing key"),                   # one more block
])
def test_weights_that_do_not_match_the_config(tmp_path, kwargs, message):
    directory = save_pretrained(small_generator(), tmp_path)
    config = json.loads((directory / "config.json").read_text())
    write_config(directory, kwargs={**config["kwargs"], **kwargs})
    with pytest.raises(CheckpointError, match=message) as caught:
        load_pretrained(directory)
    assert "model.safetensors does not match" in str(caught.value)


def test_unexpected_key(tmp_path):
    directory = save_pretrained(small_generator(c_dim=3), tmp_path)
    config = json.loads((directory / "config.json").read_text())
    write_config(directory, kwargs={**config["kwargs"], "c_dim": 0})
    with pytest.raises(CheckpointError, match="unexpected key 'label_embedding.embedding.weight'"):
        load_pretrained(directory)


def test_truncated_weights(tmp_path):
    directory = save_pretrained(small_generator(), tmp_path)
    weights = directory / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        load_pretrained(directory)


def _assert_previous_model_intact(directory: Path, previous: torch.nn.Module, previous_hash: str) -> None:
    assert model_sha256(directory) == previous_hash
    assert sorted(p.name for p in directory.iterdir()) == ["config.json", "model.safetensors"]  # no temp left
    loaded = load_pretrained(directory)
    z = torch.randn(2, previous.z_dim)
    assert torch.equal(loaded(z), previous.eval()(z))


def test_failed_weights_write_keeps_the_previous_model(tmp_path, monkeypatch):
    previous = small_generator(seed=0)
    directory = save_pretrained(previous, tmp_path)
    previous_hash = model_sha256(directory)

    def fail_half_way(tensors, filename, metadata=None):
        Path(filename).write_bytes(b"partial")                  # a torn write, then the disk fills up
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pretrained, "save_file", fail_half_way)
    with pytest.raises(OSError, match="No space"):
        save_pretrained(small_generator(seed=1, c_dim=3), directory)
    _assert_previous_model_intact(directory, previous, previous_hash)


def test_failed_rename_keeps_the_previous_model(tmp_path, monkeypatch):
    previous = small_generator(seed=0)
    directory = save_pretrained(previous, tmp_path)
    previous_hash = model_sha256(directory)

    def fail_exchange(source, destination):
        raise OSError("simulated crash before the folder's commit")

    from duelo.io import folders

    monkeypatch.setattr(folders, "_exchange", fail_exchange)
    with pytest.raises(OSError, match="simulated crash"):
        save_pretrained(small_generator(seed=1), directory)
    monkeypatch.undo()
    _assert_previous_model_intact(directory, previous, previous_hash)


def test_failed_config_write_keeps_the_previous_model(tmp_path, monkeypatch):
    previous = small_generator(seed=0)
    directory = save_pretrained(previous, tmp_path)
    previous_hash = model_sha256(directory)
    real_write_bytes = Path.write_bytes

    def fail_for_config(self, data):
        if self.name == "config.json":
            raise OSError("simulated failure while writing config.json")
        return real_write_bytes(self, data)

    monkeypatch.setattr(Path, "write_bytes", fail_for_config)
    with pytest.raises(OSError, match="config.json"):
        save_pretrained(small_generator(seed=1, c_dim=3), directory)
    monkeypatch.undo()
    _assert_previous_model_intact(directory, previous, previous_hash)


def test_another_tasks_model_is_named_as_such_and_a_foreign_file_as_foreign(tmp_path):
    import json

    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"format": "duelo-music-generator", "format_version": 1}))
    with pytest.raises(CheckpointError, match="a duelo-music-generator .*not an image generator") as caught:
        load_pretrained(folder)
    assert "not a duelo saved model" not in str(caught.value)
    (folder / "config.json").write_text(json.dumps({"format": "someone-else", "format_version": 1}))
    with pytest.raises(CheckpointError, match="this is not a duelo saved model"):
        load_pretrained(folder)
