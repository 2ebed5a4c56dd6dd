"""`duelo mix` and `duelo project`: files written, provenance, and clear refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from duelo.cli.main import main
from duelo.io.images import read_png_text, save_png, to_uint8
from duelo.io.pretrained import model_sha256, save_pretrained
from duelo.models import build_generator


def _stylegan(tmp_path, c_dim: int = 0, name: str = "style"):
    torch.manual_seed(0)
    G = build_generator("stylegan2", resolution=16, channels=3, c_dim=c_dim, z_dim=16, w_dim=16,
                        mapping_layers=2, channel_base=256, channel_max=16, embed_dim=8)
    return save_pretrained(G, tmp_path / name)


def _dcgan(tmp_path, c_dim: int = 0):
    torch.manual_seed(0)
    return save_pretrained(build_generator("dcgan", resolution=8, channels=1, c_dim=c_dim, width=8, z_dim=8),
                           tmp_path / "dcgan")


def _own_image(model_dir, path, label=None):
    """An image the saved generator itself makes (so it can be projected back closely)."""
    from duelo.io.pretrained import load_pretrained

    G = load_pretrained(model_dir).eval()
    z = torch.randn(1, G.z_dim, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        image = G(z, None if label is None else torch.tensor([label]))
    save_png(to_uint8(image)[0], path)
    return path


# --- mix ----------------------------------------------------------------------------------------------------

def test_mix_writes_a_grid_with_provenance(tmp_path, capsys):
    model = _stylegan(tmp_path)
    out = tmp_path / "grids" / "mix.png"
    assert main(["mix", str(model), "--rows", "0-2", "--cols", "5,6", "--layers", "middle", "--scale", "2",
                 "--out", str(out)]) == 0
    assert "3 x 2 style-mixing grid (ws 2-3 from the columns)" in capsys.readouterr().out
    with Image.open(out) as image:
        cell, pad = 16 * 2, 2
        assert image.size == (3 * (cell + pad) + pad, 4 * (cell + pad) + pad)       # (cols+1) x (rows+1)
        pixels = np.asarray(image)
    assert (pixels[pad:pad + cell, pad:pad + cell] == 0).all()                        # blank corner cell
    text = read_png_text(out)
    assert text["duelo:model_sha256"] == model_sha256(model)
    assert text["duelo:rows"] == "0,1,2" and text["duelo:cols"] == "5,6"
    assert text["duelo:layers"] == "2,3"                   # 6 ws at 16x16: middle = 2-3


def test_mix_grid_matches_the_python_api(tmp_path):
    from duelo.io.pretrained import load_pretrained
    from duelo.sampling.mixing import style_mixing_grid

    model = _stylegan(tmp_path)
    out = tmp_path / "mix.png"
    assert main(["mix", str(model), "--rows", "1", "--cols", "2", "--layers", "0-1", "--out", str(out)]) == 0
    cells = style_mixing_grid(load_pretrained(model), [1], [2], [0, 1])
    pixels = torch.from_numpy(np.array(Image.open(out))).permute(2, 0, 1)
    assert torch.equal(pixels[:, 20:36, 20:36], cells[1, 1])                       # cell (row 1, col 1)


def test_mix_refuses_what_it_cannot_draw(tmp_path, capsys):
    assert main(["mix", str(_dcgan(tmp_path)), "--out", str(tmp_path / "m.png")]) == 2
    err = capsys.readouterr().err
    assert "'dcgan'" in err and "stylegan2" in err
    conditional = _stylegan(tmp_path, c_dim=3, name="cond")
    assert main(["mix", str(conditional), "--out", str(tmp_path / "m.png")]) == 2
    assert "--label 0..2" in capsys.readouterr().err
    assert main(["mix", str(conditional), "--label", "1", "--rows", "0", "--cols", "1",
                 "--out", str(tmp_path / "ok.png")]) == 0
    model = _stylegan(tmp_path)
    assert main(["mix", str(model), "--layers", "0-9", "--out", str(tmp_path / "m.png")]) == 2
    assert "ws 0..5" in capsys.readouterr().err
    assert main(["mix", str(model), "--label", "1", "--out", str(tmp_path / "m.png")]) == 2
    assert "unconditional" in capsys.readouterr().err
    assert main(["mix", str(model), "--out", str(tmp_path / "m.jpg")]) == 2
    assert not (tmp_path / "m.png").exists()


# --- project ------------------------------------------------------------------------------------------------

def test_project_writes_target_projection_latent_and_report(tmp_path, capsys):
    from safetensors import safe_open

    model = _stylegan(tmp_path)
    image = _own_image(model, tmp_path / "photo.png")
    out = tmp_path / "proj"
    assert main(["project", str(model), str(image), "--steps", "80", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert len([line for line in printed.splitlines() if line.startswith("step ")]) == 10
    assert "PSNR" in printed and "note:" not in printed                # same size: nothing converted
    report = json.loads((out / "projection.json").read_text())
    assert report["space"] == "w" and report["steps"] == 80 and report["label"] is None
    assert report["model_sha256"] == model_sha256(model)
    assert report["psnr_db"] > 25, report                              # its own image comes back closely
    assert np.array_equal(np.asarray(Image.open(out / "target.png")), np.asarray(Image.open(image)))
    projected = np.asarray(Image.open(out / "projected.png")).astype(int)
    assert projected.shape == (16, 16, 3)
    assert read_png_text(out / "projected.png")["duelo:space"] == "w"
    with safe_open(out / "latent.safetensors", framework="pt") as handle:
        assert handle.metadata()["space"] == "w"
        assert tuple(handle.get_tensor("latent").shape) == (1, 16)
    # a different seed is a different (still deterministic) run; the same seed repeats exactly
    assert main(["project", str(model), str(image), "--steps", "5", "--out", str(tmp_path / "a")]) == 0
    assert main(["project", str(model), str(image), "--steps", "5", "--out", str(tmp_path / "b")]) == 0
    from safetensors.torch import load_file
    assert torch.equal(load_file(tmp_path / "a" / "latent.safetensors")["latent"],
                       load_file(tmp_path / "b" / "latent.safetensors")["latent"])
    assert main(["project", str(model), str(image), "--steps", "5", "--seed", "1", "--out", str(tmp_path / "c")]) == 0
    assert not torch.equal(load_file(tmp_path / "a" / "latent.safetensors")["latent"],
                           load_file(tmp_path / "c" / "latent.safetensors")["latent"])


def test_project_converts_and_resizes_other_images_with_a_note(tmp_path, capsys):
    model = _dcgan(tmp_path)                               # 8x8 greyscale, z space
    photo = tmp_path / "wide.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)).save(photo)
    assert main(["project", str(model), str(photo), "--steps", "3", "--out", str(tmp_path / "p")]) == 0
    printed = capsys.readouterr().out
    assert "note:" in printed and "greyscale" in printed and "centre-cropped 30x20" in printed
    with Image.open(tmp_path / "p" / "target.png") as target:
        assert target.size == (8, 8) and target.mode == "L"
    assert json.loads((tmp_path / "p" / "projection.json").read_text())["space"] == "z"


def test_project_refuses_bad_input(tmp_path, capsys):
    model = _stylegan(tmp_path)
    image = _own_image(model, tmp_path / "photo.png")
    assert main(["project", str(model), str(tmp_path / "missing.png"), "--out", str(tmp_path / "o")]) == 2
    assert "no such image file" in capsys.readouterr().err
    text_file = tmp_path / "notes.png"
    text_file.write_text("not an image")
    assert main(["project", str(model), str(text_file), "--out", str(tmp_path / "o")]) == 2
    assert "PNG or JPEG" in capsys.readouterr().err
    assert main(["project", str(model), str(image), "--label", "1", "--out", str(tmp_path / "o")]) == 2
    assert "unconditional; drop --label" in capsys.readouterr().err
    conditional = _stylegan(tmp_path, c_dim=3, name="cond")
    assert main(["project", str(conditional), str(image), "--label", "3", "--out", str(tmp_path / "o")]) == 2
    assert "out of range" in capsys.readouterr().err
    assert main(["project", str(conditional), str(image), "--out", str(tmp_path / "o")]) == 2
    assert "--label 0..2" in capsys.readouterr().err
    assert main(["project", str(_dcgan(tmp_path)), str(image), "--space", "w+", "--out", str(tmp_path / "o")]) == 2
    assert "'dcgan'" in capsys.readouterr().err
    assert main(["project", str(model), str(image), "--steps", "0", "--out", str(tmp_path / "o")]) == 2
    assert not (tmp_path / "o").exists()                   # every refusal came before any output


@pytest.mark.parametrize("label", [2])
def test_project_conditional_model_records_the_label(tmp_path, label):
    model = _stylegan(tmp_path, c_dim=3, name="cond")
    image = _own_image(model, tmp_path / "photo.png", label=label)
    assert main(["project", str(model), str(image), "--label", str(label), "--steps", "4",
                 "--space", "w+", "--out", str(tmp_path / "p")]) == 0
    report = json.loads((tmp_path / "p" / "projection.json").read_text())
    assert report["label"] == label and report["space"] == "w+" and report["latent_shape"] == [1, 6, 16]
