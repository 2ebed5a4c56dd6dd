"""benchmarks/audio_representation.py's errors: each changes the part of the picture (or, hiss, the wave) it names
and nothing else."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import audio_representation as probe  # noqa: E402


def _pictures() -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    pictures = torch.full((2, 2, 16, 12), -1.0)
    pictures[:, 0, 4] = 0.8                                         # one loud harmonic, steady over time
    pictures[:, 0, 9, 6:] = 0.5                                     # a second one that starts half-way
    pictures[:, 1] = 0.4 * torch.rand(pictures[:, 1].shape, generator=generator) - 0.2
    return pictures


def test_a_noise_floor_raises_the_quiet_pixels_and_leaves_the_loud_ones():
    pictures = _pictures()
    out = probe.perturb(pictures, "mag-floor", -0.5, torch.Generator().manual_seed(1))
    quiet = pictures[:, 0] == -1
    assert (out[:, 0][quiet] > -0.8).all() and abs(float(out[:, 0][quiet].mean()) + 0.5) < 0.02
    assert torch.equal(out[:, 0][~quiet], pictures[:, 0][~quiet]) and torch.equal(out[:, 1], pictures[:, 1])


def test_a_smear_along_time_softens_onsets_in_milliseconds_and_keeps_steady_rows():
    pictures = _pictures()
    fine = probe.perturb(pictures, "mag-smear", 16.0, torch.Generator(), frame_ms=8.0)      # 2 frames
    coarse = probe.perturb(pictures, "mag-smear", 16.0, torch.Generator(), frame_ms=32.0)   # half a frame
    assert torch.allclose(fine[:, 0, 4], pictures[:, 0, 4]) and torch.allclose(fine[:, 0, 0], pictures[:, 0, 0])
    onset = lambda p: float((p[:, 0, 9, 6] - p[:, 0, 9, 5]).mean())                       # noqa: E731
    assert onset(fine) < onset(coarse) < onset(pictures)           # the same milliseconds: more frames at 8 ms
    assert torch.equal(fine[:, 1], pictures[:, 1])


def test_hiss_is_added_to_the_wave_at_its_level_and_leaves_the_picture_alone():
    pictures = _pictures()
    assert torch.equal(probe.perturb(pictures, "hiss", -70.0, torch.Generator()), pictures)
    waves = torch.zeros(4, 16000)
    for level in (-80.0, -60.0):
        out = probe.wave_error(waves, "hiss", level, torch.Generator().manual_seed(0))
        rms_db = 20 * torch.log10(out.pow(2).mean().sqrt())
        assert abs(float(rms_db) - level) < 0.1
    assert torch.equal(probe.wave_error(waves, "mag-floor", -0.5, torch.Generator()), waves)


def test_gain_scales_the_wave_by_its_decibels_and_leaves_the_picture_alone():
    pictures = _pictures()
    assert torch.equal(probe.perturb(pictures, "gain", -6.6, torch.Generator()), pictures)
    waves = 0.5 * torch.randn(4, 16000, generator=torch.Generator().manual_seed(1))
    out = probe.wave_error(waves, "gain", -6.0, torch.Generator())
    ratio_db = 20 * torch.log10(out.pow(2).mean().sqrt() / waves.pow(2).mean().sqrt())
    assert abs(float(ratio_db) + 6.0) < 1e-3
