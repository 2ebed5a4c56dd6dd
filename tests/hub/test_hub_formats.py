"""The registry of saved-model formats the Hub layer reads: every format a task writes is registered, each entry
is complete, and a format nothing else loads (the toy task's) round-trips through a Hub folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import duelo.hub  # noqa: F401  (registers every format)
from duelo.io.hub_formats import HUB_FORMATS, hub_format


def _written_formats() -> set[str]:
    from duelo.io.pretrained import FORMAT as IMAGE
    from duelo.tasks.audio.model_io import FORMAT as AUDIO
    from duelo.tasks.music.model_io import FORMAT as MUSIC
    from duelo.tasks.tabular.persistence import FORMAT as TABLE
    from duelo.tasks.text.model_io import FORMAT as TEXT
    from duelo.tasks.timeseries.model_io import FORMAT as SERIES
    from duelo.tasks.toy.model_io import FORMAT as TOY
    from duelo.tasks.video.model_io import FORMAT as VIDEO

    return {IMAGE, AUDIO, MUSIC, TABLE, TEXT, SERIES, TOY, VIDEO}


def test_every_format_a_task_writes_is_registered_and_nothing_else():
    assert set(HUB_FORMATS.names()) == _written_formats()


@pytest.mark.parametrize("name", sorted(_written_formats()))
def test_every_entry_is_complete(name):
    entry = hub_format(name)
    assert entry.what and entry.modality and callable(entry.load) and callable(entry.sample)
    suffixes = [Path(pattern).suffix for pattern in entry.previews]
    assert entry.previews and len(set(suffixes)) == len(suffixes)            # one samples.<suffix> per pattern
    assert all(pattern.startswith("samples/") for pattern in entry.previews)
    assert "{folder}" in entry.how_to_sample or entry.how_to_sample == ""
    assert entry.docs == "" or (Path(__file__).parents[2] / entry.docs).is_file()


def test_a_toy_generator_round_trips_through_a_hub_folder(tmp_path):
    from safetensors.torch import save_file

    from duelo.hub import from_pretrained, save_pretrained
    from duelo.tasks.toy.model_io import FORMAT, FORMAT_VERSION, draw_points
    from duelo.tasks.toy.networks import PointGenerator

    torch.manual_seed(0)
    G = PointGenerator(4, 8, 1).eval()
    model = tmp_path / "model"
    model.mkdir()
    save_file(G.state_dict(), str(model / "model.safetensors"))
    (model / "config.json").write_text(json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION, "z_dim": 4,
                                                   "width": 8, "depth": 1, "mixture": "ring8", "std": 0.02}))
    hub = save_pretrained(model, tmp_path / "hub")
    loaded = from_pretrained(hub)
    assert torch.equal(loaded.sample(9, seed=5), draw_points(G, 9, 5))
    card = (hub / "README.md").read_text()
    assert "2-D point generator" in card and "duelo sample" not in card.split("## How to use")[1].split("```python")[0]
