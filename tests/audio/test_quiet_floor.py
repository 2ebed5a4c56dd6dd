"""D's view of a spectral picture's quiet cells (audio.d_floor_db): the cells more than the depth below the clip's
loudest are raised to that level and their phase advance silenced, louder and softer copies are floored alike, G
gets no gradient from the floored cells (or, straight-through, all of it), a run trains with it, and wavegan
refuses it by name."""

from __future__ import annotations

import math

import pytest
import torch

from duelo.cli.main import main
from duelo.tasks.audio.quiet_floor import QuietFloor
from duelo.tasks.audio.spectral import LOG_GAIN_SCALE, MID_RESOLUTION
from tests.audio.made_up import made_up_clips, three_tones


def test_the_quiet_cells_are_raised_to_the_floor_and_their_phase_silenced():
    pictures = MID_RESOLUTION.encode(three_tones())
    floor = QuietFloor(50.0, LOG_GAIN_SCALE, (-1.0, 0.0))
    out = floor(pictures)
    assert out.shape == pictures.shape
    depth = 50 / 20 * math.log(10) * LOG_GAIN_SCALE                          # 50 dB in the picture's units
    level = pictures[:, 0].flatten(1).amax(1).view(-1, 1, 1) - depth
    quiet = pictures[:, 0] < level
    assert 0.2 < float(quiet.double().mean()) < 0.99                           # tones leave most cells quiet
    assert torch.allclose(out[:, 0][quiet], level.expand_as(quiet)[quiet])
    assert torch.equal(out[:, 0][~quiet], pictures[:, 0][~quiet]) and torch.equal(out[:, 1][~quiet],
                                                                                   pictures[:, 1][~quiet])
    assert (out[:, 1][quiet] == 0).all()
    # a copy 6 dB softer (every loud cell moved down) is floored at the same cells, 6 dB lower
    softer = pictures.clone()
    softer[:, 0] -= 6 / 20 * math.log(10) * LOG_GAIN_SCALE
    again = floor(softer)
    assert torch.allclose(again[:, 0] - out[:, 0], softer[:, 0] - pictures[:, 0], atol=1e-5)
    # a floor deeper than the picture's whole range (LOG_FLOOR .. LOG_CEIL, about 143 dB) changes nothing
    assert torch.equal(QuietFloor(150.0, LOG_GAIN_SCALE, (-1.0, 0.0))(pictures), pictures)


def test_g_gets_no_gradient_from_the_floored_cells():
    pictures = MID_RESOLUTION.encode(three_tones()).requires_grad_(True)
    out = QuietFloor(40.0, LOG_GAIN_SCALE, (-1.0, 0.0))(pictures)
    out.sum().backward()
    depth = 40 / 20 * math.log(10) * LOG_GAIN_SCALE
    quiet = pictures[:, 0] < pictures[:, 0].flatten(1).amax(1).view(-1, 1, 1) - depth
    assert (pictures.grad[:, 0][quiet] == 0).all() and (pictures.grad[:, 1][quiet] == 0).all()
    assert (pictures.grad[:, 0][~quiet] == 1).all()


def test_a_straight_through_floor_shows_d_the_same_picture_and_passes_every_cells_gradient():
    pictures = MID_RESOLUTION.encode(three_tones())
    stopped = QuietFloor(40.0, LOG_GAIN_SCALE, (-1.0, 0.0))
    through = QuietFloor(40.0, LOG_GAIN_SCALE, (-1.0, 0.0), gradient="through")
    drawn = pictures.clone().requires_grad_(True)
    shown = through(drawn)
    assert torch.allclose(shown, stopped(pictures), atol=1e-6)
    weights = torch.randn_like(pictures)
    (shown * weights).sum().backward()
    assert torch.equal(drawn.grad, weights)                                    # as if nothing were floored
    with pytest.raises(ValueError, match="stopped, through"):
        QuietFloor(40.0, LOG_GAIN_SCALE, (-1.0, 0.0), gradient="none")


def test_the_configs_gradient_choices_are_the_floors():
    from duelo.tasks.audio.config import AudioModelConfig
    from duelo.tasks.audio.quiet_floor import GRADIENTS

    field = AudioModelConfig.__dataclass_fields__["d_floor_gradient"]
    assert tuple(field.metadata["choices"]) == GRADIENTS


def test_a_run_trains_with_the_floor_and_wavegan_refuses_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    tones = made_up_clips(tmp_path / "tones.npz")
    common = ["train", "--task", "audio", "--width", "4", "--batch", "8", "--dataset", str(tones), "--kimg", "0.02",
              "--out", str(tmp_path), "--set", "audio.eval_clips=8", "--set", "audio.scorer_epochs=1", "--device",
              "cpu", "--set", "audio.d_floor_db=50", "--set", "audio.augment=0.5"]
    assert main([*common, "--model", "wavegan", "--name", "wave"]) != 0
    assert "audio.d_floor_db" in capsys.readouterr().err
    assert not (tmp_path / "wave").exists()
    assert main([*common, "--model", "specgan-m", "--name", "floored"]) == 0
    saved = (tmp_path / "floored" / "config.json").read_text()
    assert '"d_floor_db": 50' in saved and '"d_floor_gradient": "stopped"' in saved
    unfloored = common[:-4]                                                    # without the floor and augmentation
    assert main([*unfloored, "--model", "specgan-m", "--name", "lone", "--set", "audio.d_floor_gradient=through"]) != 0
    assert "set audio.d_floor_db too" in capsys.readouterr().err and not (tmp_path / "lone").exists()
    assert main([*common, "--model", "specgan-m", "--name", "through", "--set", "audio.d_floor_gradient=through"]) == 0
