"""`duelo sample --per-class N` writes a labelled image folder that duelo's own loader reads back."""

from __future__ import annotations

import torch

from duelo.cli.main import main
from duelo.io.pretrained import save_pretrained
from duelo.models import build_generator


def _model(tmp_path, c_dim: int):
    torch.manual_seed(0)
    G = build_generator("dcgan", resolution=8, channels=1, c_dim=c_dim, width=8, z_dim=8)
    save_pretrained(G, tmp_path / "model")
    return tmp_path / "model"


def test_per_class_folder_round_trips_through_the_loader(tmp_path):
    from duelo.data import load_dataset

    model = _model(tmp_path, c_dim=12)
    out = tmp_path / "synthetic"
    assert main(["sample", str(model), "--per-class", "3", "--out", str(out)]) == 0
    folders = sorted(p.name for p in out.iterdir())
    assert folders == [f"{c:02d}" for c in range(12)]               # zero-padded: sorted = class order
    assert sorted(p.name for p in (out / "07").iterdir()) == ["seed000000.png", "seed000001.png", "seed000002.png"]
    data = load_dataset(str(out), resolution=8)
    assert len(data) == 36 and data.num_classes == 12
    assert torch.bincount(data.labels).tolist() == [3] * 12
    # the image of class c and seed s is what `duelo sample --label c --seeds s` writes
    assert main(["sample", str(model), "--label", "7", "--seeds", "1", "--out", str(tmp_path / "one"),
                 "--no-grid"]) == 0
    from PIL import Image
    import numpy as np
    a = np.asarray(Image.open(out / "07" / "seed000001.png"))
    b = np.asarray(Image.open(tmp_path / "one" / "seed000001-class7.png"))
    assert (a == b).all()


def test_per_class_refuses_unconditional_models_and_mixed_options(tmp_path, capsys):
    assert main(["sample", str(_model(tmp_path, c_dim=0)), "--per-class", "2", "--out", str(tmp_path / "x")]) == 2
    assert "needs a class-conditional model" in capsys.readouterr().err
    model = _model(tmp_path / "c", c_dim=3)
    assert main(["sample", str(model), "--per-class", "2", "--label", "1", "--out", str(tmp_path / "y")]) == 2
    assert "drop --label" in capsys.readouterr().err
    assert main(["sample", str(model), "--per-class", "2", "--seeds", "0-4", "--out", str(tmp_path / "z")]) == 2
    assert "exactly one" in capsys.readouterr().err
    assert main(["sample", str(model), "--per-class", "0", "--out", str(tmp_path / "w")]) == 2


def test_huge_requests_are_refused_before_any_work(tmp_path, capsys):
    import time

    model = _model(tmp_path, c_dim=3)
    started = time.perf_counter()
    assert main(["sample", str(model), "--per-class", "1000000000", "--out", str(tmp_path / "big")]) == 2
    assert "more than 100,000 images" in capsys.readouterr().err
    assert main(["sample", str(model), "--seeds", "0-999999999", "--label", "1", "--out", str(tmp_path / "b")]) == 2
    assert "at most 100,000 per call" in capsys.readouterr().err
    assert time.perf_counter() - started < 5
    assert not (tmp_path / "big").exists()
