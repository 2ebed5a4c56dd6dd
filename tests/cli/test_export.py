"""`duelo export --onnx`: writes the file, checks it with onnxruntime, and refuses what it cannot export."""

from __future__ import annotations

import pytest
import torch

from duelo.cli.main import main
from duelo.io.pretrained import save_pretrained
from duelo.models import build_discriminator, build_generator

pytest.importorskip("onnxruntime")


def test_export_writes_a_checked_onnx_file(tmp_path, capsys):
    torch.manual_seed(0)
    save_pretrained(build_generator("dcgan", resolution=8, channels=1, c_dim=3, width=8, z_dim=8), tmp_path / "m")
    assert main(["export", str(tmp_path / "m"), "--onnx"]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "m" / "model.onnx").stat().st_size > 0 and "onnxruntime matches PyTorch" in out
    import onnx
    meta = {p.key: p.value for p in onnx.load(str(tmp_path / "m" / "model.onnx")).metadata_props}
    assert len(meta["duelo:model_sha256"]) == 64


def test_export_into_an_existing_folder_writes_model_onnx_inside_it(tmp_path, capsys):
    save_pretrained(build_generator("mlp", resolution=8, channels=1, width=8, z_dim=4), tmp_path / "m")
    (tmp_path / "exports").mkdir()
    assert main(["export", str(tmp_path / "m"), "--onnx", "--out", str(tmp_path / "exports")]) == 0
    assert (tmp_path / "exports" / "model.onnx").stat().st_size > 0
    assert "exports/model.onnx" in capsys.readouterr().out


def test_export_refuses_discriminators_and_missing_format(tmp_path, capsys):
    save_pretrained(build_discriminator("dcgan", resolution=8, channels=1, width=8), tmp_path / "d")
    assert main(["export", str(tmp_path / "d"), "--onnx"]) == 2
    assert "discriminator" in capsys.readouterr().err
    save_pretrained(build_generator("mlp", resolution=8, channels=1, width=8, z_dim=4), tmp_path / "g")
    assert main(["export", str(tmp_path / "g")]) == 2
    assert "--onnx" in capsys.readouterr().err


def test_a_mismatch_is_reported_not_hidden(tmp_path, monkeypatch):
    from duelo.io import onnx_export

    torch.manual_seed(0)
    G = build_generator("mlp", resolution=8, channels=1, width=8, z_dim=4)
    path = onnx_export.export_onnx(G, tmp_path / "g.onnx")
    with torch.no_grad():
        G.to_pixels.bias.add_(0.5)                      # the PyTorch model moved on: the file is stale
    with pytest.raises(onnx_export.ExportMismatchError, match="differs from PyTorch"):
        onnx_export.check_onnx(G, path)
