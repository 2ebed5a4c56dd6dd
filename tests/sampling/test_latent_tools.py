"""Latent interpolation, truncation, GIF writing and `duelo interpolate`."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
from PIL import Image

from duelo.cli.main import main
from duelo.errors import ConfigError
from duelo.io.pretrained import save_pretrained
from duelo.models import build_generator
from duelo.sampling.animation import save_gif, save_video
from duelo.sampling.latent import interpolation_path, lerp, slerp, truncate, truncated_normal


def _pair(d=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(d, generator=g), torch.randn(d, generator=g)


# --- interpolation ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [lerp, slerp])
def test_endpoints_are_the_inputs(fn):
    a, b = _pair()
    assert torch.allclose(fn(a, b, 0.0), a, atol=1e-6)
    assert torch.allclose(fn(a, b, 1.0), b, atol=1e-6)
    path = fn(a, b, torch.tensor([0.0, 0.5, 1.0]))
    assert path.shape == (3, 16)
    assert torch.allclose(path[0], a, atol=1e-6) and torch.allclose(path[-1], b, atol=1e-6)


def test_slerp_keeps_unit_norm_and_lerp_shrinks():
    a, b = _pair(d=64, seed=3)
    a, b = a / a.norm(), b / b.norm()
    t = torch.linspace(0, 1, 11)
    assert torch.allclose(slerp(a, b, t).norm(dim=1), torch.ones(11), atol=1e-5)
    assert lerp(a, b, 0.5).norm() < 0.95          # random unit vectors are near-orthogonal: ~0.71
    # batched rows: each row interpolated on its own
    rows_a, rows_b = torch.stack([a, b]), torch.stack([b, -a + 0.1 * b])
    rows_a, rows_b = rows_a / rows_a.norm(dim=1, keepdim=True), rows_b / rows_b.norm(dim=1, keepdim=True)
    batched = slerp(rows_a, rows_b, 0.3)
    assert batched.shape == (2, 64)
    assert torch.allclose(batched[1], slerp(rows_a[1], rows_b[1], 0.3))
    assert torch.allclose(batched.norm(dim=1), torch.ones(2), atol=1e-5)


def test_slerp_of_parallel_vectors_is_lerp():
    a, _ = _pair()
    t = torch.linspace(0, 1, 5)
    for b in (3.0 * a, -2.0 * a):                  # parallel and anti-parallel
        out = slerp(a, b, t)
        assert torch.isfinite(out).all()
        assert torch.allclose(out, lerp(a, b, t), atol=1e-5)


@pytest.mark.parametrize("mode", ["lerp", "slerp"])
@pytest.mark.parametrize("loop", [True, False])
def test_interpolation_path_length_and_keyframes(mode, loop):
    z = torch.randn(4, 8, generator=torch.Generator().manual_seed(1))
    path = interpolation_path(z, 5, mode=mode, loop=loop)
    assert path.shape == ((4 * 5 if loop else 3 * 5 + 1), 8)
    for k in range(4):
        assert torch.equal(path[k * 5], z[k])
    if not loop:
        assert torch.equal(path[-1], z[-1])
    else:                                          # the last frame heads back towards the first keyframe
        assert (path[-1] - z[0]).norm() < (path[-1] - z[-1]).norm()
    with pytest.raises(ConfigError):
        interpolation_path(z[:1], 5)
    with pytest.raises(ConfigError):
        interpolation_path(z, 5, mode="cubic")


# --- truncation -------------------------------------------------------------------------------------------

def test_truncate():
    z = torch.randn(5, 8, generator=torch.Generator().manual_seed(2))
    centre = torch.full((8,), 0.25)
    assert torch.equal(truncate(z, 0.0), torch.zeros_like(z))
    assert torch.allclose(truncate(z, 0.0, centre), centre.expand(5, 8))
    assert torch.allclose(truncate(z, 1.0, centre), z)
    assert torch.allclose(truncate(z, 0.5), 0.5 * z)
    truncate(z, 2.0)
    with pytest.raises(ConfigError):
        truncate(z, -0.1)


def test_truncated_normal_respects_threshold_and_seed():
    a = truncated_normal(200, 32, 0.5, torch.Generator().manual_seed(7))
    b = truncated_normal(200, 32, 0.5, torch.Generator().manual_seed(7))
    c = truncated_normal(200, 32, 0.5, torch.Generator().manual_seed(8))
    assert a.shape == (200, 32)
    assert a.abs().max() <= 0.5 and torch.equal(a, b) and not torch.equal(a, c)
    assert a.abs().max() > 0.45 and a.std() > 0.2   # not squashed to zero
    tiny = truncated_normal(10, 10, 1e-3, torch.Generator().manual_seed(0))   # the inverse-CDF fallback
    assert tiny.abs().max() <= 1e-3
    with pytest.raises(ConfigError):
        truncated_normal(2, 2, 0.0)


# --- GIF ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("channels", [1, 3])
def test_save_gif_round_trips(tmp_path, channels):
    t = 6
    frames = torch.zeros(t, channels, 5, 7, dtype=torch.uint8)
    for i in range(t):
        frames[i, :, i % 5, :] = 40 * i + 20            # each frame differs
    path = save_gif(frames, tmp_path / "a.gif", fps=10, scale=3)
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == t and gif.size == (21, 15)
        assert gif.info.get("loop") == 0 and gif.info.get("duration") == 100
        first = np.asarray(gif.convert("L"))
    expected = frames[0, 0].repeat_interleave(3, 0).repeat_interleave(3, 1).numpy()
    assert (first == expected).all()
    once = save_gif(frames, tmp_path / "b.gif", loop=False)
    with Image.open(once) as gif:
        assert "loop" not in gif.info and gif.size == (7, 5)
    with pytest.raises(ConfigError, match=".gif or .mp4"):
        save_video(frames, tmp_path / "c.avi")


def _no_imageio(monkeypatch):
    for name in ("imageio", "imageio.v2", "imageio_ffmpeg"):
        monkeypatch.setitem(sys.modules, name, None)     # `import imageio` now raises ImportError


def test_mp4_without_imageio_gives_the_pip_hint(tmp_path, monkeypatch):
    _no_imageio(monkeypatch)
    with pytest.raises(ConfigError, match="pip install imageio imageio-ffmpeg"):
        save_video(torch.zeros(2, 1, 4, 4, dtype=torch.uint8), tmp_path / "a.mp4", fps=10)


# --- CLI ----------------------------------------------------------------------------------------------------

def _model(folder, c_dim: int):
    torch.manual_seed(0)
    G = build_generator("dcgan", resolution=8, channels=1, c_dim=c_dim, width=8, z_dim=8)
    save_pretrained(G, folder / "model")
    return folder / "model"


def test_cli_writes_gif_for_conditional_and_unconditional_models(tmp_path):
    model = _model(tmp_path / "c", c_dim=3)
    out = tmp_path / "walk.gif"
    assert main(["interpolate", str(model), "--seeds", "0,5,9", "--frames", "4", "--label", "2",
                 "--scale", "1", "--out", str(out)]) == 0
    with Image.open(out) as gif:
        assert gif.size == (8, 8)
        first = np.asarray(gif.convert("L"))
        n_frames = gif.n_frames
    assert 2 <= n_frames <= 12                        # 3 * 4 (Pillow merges identical neighbouring frames)
    # the first frame is the image `duelo sample` draws for seed 0 and label 2
    assert main(["sample", str(model), "--seeds", "0", "--label", "2", "--no-grid",
                 "--out", str(tmp_path / "s")]) == 0
    assert (first == np.asarray(Image.open(tmp_path / "s" / "seed000000-class2.png"))).all()

    plain = _model(tmp_path / "u", c_dim=0)
    out2 = tmp_path / "sub" / "walk.gif"
    assert main(["interpolate", str(plain), "--seeds", "1,2", "--frames", "3", "--no-loop", "--lerp",
                 "--truncation", "0.7", "--scale", "2", "--out", str(out2)]) == 0
    with Image.open(out2) as gif:
        assert gif.size == (16, 16) and 2 <= gif.n_frames <= 4
    assert main(["interpolate", str(plain), "--seeds", "1,2", "--label", "0", "--out", str(out2)]) == 2


def test_cli_refusals(tmp_path, capsys, monkeypatch):
    model = _model(tmp_path, c_dim=3)
    out = str(tmp_path / "w.gif")
    assert main(["interpolate", str(model), "--seeds", "0,1", "--out", out]) == 2
    assert "give --label" in capsys.readouterr().err
    assert main(["interpolate", str(model), "--seeds", "4", "--label", "0", "--out", out]) == 2
    assert "at least 2" in capsys.readouterr().err
    assert main(["interpolate", str(model), "--seeds", "0,1", "--label", "0", "--frames", "1", "--out", out]) == 2
    assert "--frames" in capsys.readouterr().err
    assert main(["interpolate", str(model), "--seeds", "0,1", "--label", "0", "--out", str(tmp_path / "w.png")]) == 2
    assert ".gif or .mp4" in capsys.readouterr().err
    assert main(["interpolate", str(model), "--seeds", "0,1", "--label", "5", "--out", out]) == 2
    assert "out of range" in capsys.readouterr().err
    _no_imageio(monkeypatch)
    assert main(["interpolate", str(model), "--seeds", "0,1", "--label", "0", "--out", str(tmp_path / "w.mp4")]) == 2
    assert "pip install imageio imageio-ffmpeg" in capsys.readouterr().err
    assert not (tmp_path / "w.gif").exists() and not (tmp_path / "w.mp4").exists()


def test_truncation_of_a_style_based_generator_happens_in_w_space(tmp_path):
    import numpy as np
    import torch
    from PIL import Image

    from duelo.cli.main import main
    from duelo.io.pretrained import save_pretrained
    from duelo.models import build_generator

    torch.manual_seed(0)
    G = build_generator("stylegan2", resolution=8, channels=1, z_dim=16, w_dim=16, width=16, mapping_layers=2)
    G.train()
    G(torch.randn(256, 16))                     # move w_avg away from zero
    save_pretrained(G, tmp_path / "m")
    first, counts = {}, {}
    for psi in ("1", "0.5", "0"):
        out = tmp_path / f"walk{psi}.gif"
        assert main(["interpolate", str(tmp_path / "m"), "--seeds", "0,1", "--frames", "3", "--truncation", psi,
                     "--out", str(out)]) == 0
        with Image.open(out) as gif:
            counts[psi] = gif.n_frames          # Pillow merges identical consecutive frames into one
            first[psi] = np.asarray(gif.convert("L"))
    assert counts["1"] > 1 and counts["0"] == 1  # psi 0: every frame is the mean image
    # scaling z would be undone by the mapping's normalisation; truncating w changes the image
    assert not (first["0.5"] == first["1"]).all()
