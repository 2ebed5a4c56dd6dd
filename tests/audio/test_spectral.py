"""Spectral pictures of clips (duelo.tasks.audio.spectral): the transforms go there and back in every format, keep one
magnitude scale, part neighbouring semitones where their bins are fine enough, Griffin-Lim rounds make a careless
phase agree, every spectral model draws and judges its own picture, and the floor-level score sees a noise floor."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from duelo.tasks.audio.spectral import (HIGH_RESOLUTION, MELS, MID_MEL, MID_RESOLUTION, SPECGAN, log_mel, mel_rows,
                                       spec_decode, spec_encode, spectrogram_images)
from tests.audio.made_up import LENGTH, RATE, three_tones, tone


# ---- spectral views ----------------------------------------------------------------------------------------------
def test_spectral_pictures_decode_back_to_thethree_tones():
    waves = three_tones()
    pictures = spec_encode(waves)
    assert pictures.shape == (3, 2, 256, 128) and pictures.min() >= -1 and pictures.max() <= 1
    back = spec_decode(pictures, LENGTH)
    assert back.shape == waves.shape
    error = ((back - waves) ** 2).sum(dim=1) / (waves ** 2).sum(dim=1)
    assert error.max() < 1e-3, error
    # the phase matters: the magnitude alone with the instantaneous frequency zeroed is far off
    flat = pictures.clone()
    flat[:, 1] = 0
    assert (((spec_decode(flat, LENGTH) - waves) ** 2).sum(dim=1) / (waves ** 2).sum(dim=1)).min() > 0.1


@pytest.mark.parametrize("form, shape", [(HIGH_RESOLUTION, (1024, 32)), (MID_RESOLUTION, (512, 64))])
def test_every_spectral_format_decodes_back_and_keeps_one_magnitude_scale(form, shape):
    waves = three_tones()
    low, high = SPECGAN.encode(waves), form.encode(waves)
    assert high.shape == (3, 2, *shape) and high.min() >= -1 and high.max() <= 1
    back = form.decode(high, LENGTH)
    assert (((back - waves) ** 2).sum(dim=1) / (waves ** 2).sum(dim=1)).max() < 1e-3
    # a steady tone peaks at the same log magnitude in both (magnitudes scaled by the window's length)
    assert abs(float(low[0, 0].amax() - high[0, 0].amax())) < 0.02


def test_every_spectral_model_draws_and_judges_its_own_picture():
    from duelo.tasks.audio.models import AUDIO_MODELS

    spectral = [name for name in AUDIO_MODELS.names() if name != "wavegan"]
    assert {"specgan", "specgan-h", "specgan-m", "specgan-mel"} <= set(spectral)
    for name in spectral:
        model = AUDIO_MODELS.get(name)
        shape = model.shape(LENGTH)
        G, D = model.generator(shape, 8, 4, (2, 3), 4), model.discriminator(shape, 4, (2, 3), classify=True)
        drawn = G(G.sample_latents(2), torch.tensor([0, 5]))
        assert drawn.shape == (2, *shape), name
        assert model.encode(three_tones()).shape[1:] == shape and model.decode(drawn, LENGTH).shape == (2, LENGTH)
        logits, classes = D.forward_with_class_loss(drawn, torch.tensor([0, 5]))
        assert logits.shape[0] == 2 and torch.isfinite(classes).all(), name


def test_the_high_resolution_picture_parts_neighbouring_semitones():
    """C3 and C#3 (131 and 139 Hz) fall in one 31 Hz bin of SpecGAN's transform; 7.8 Hz bins part them."""
    waves = torch.from_numpy(np.stack([tone("sine", 48, 0.9), tone("sine", 49, 0.9)]))
    for form, parted in ((SPECGAN, False), (HIGH_RESOLUTION, True)):
        peaks = form.encode(waves)[:, 0, :, form.shape(LENGTH)[2] // 4].argmax(dim=1)
        assert (int(peaks[0]) != int(peaks[1])) == parted, (form, peaks)


def test_the_mel_picture_spends_its_rows_on_the_low_harmonics_and_decodes_back():
    to_rows, to_bins = mel_rows(512)
    assert to_rows.shape == to_bins.shape == (512, 512)
    assert torch.allclose(to_rows.sum(1), torch.ones(512)) and torch.allclose(to_bins.sum(1), torch.ones(512))
    rows_per_bin = to_rows.gt(0).sum(0)                                   # rows that read each bin
    assert rows_per_bin[:10].min() >= 4 and rows_per_bin[-10:].max() <= 2
    exact = (to_bins @ to_rows).diagonal() > 0.999                          # bins the rows hold wholly
    assert exact[:60].all() and not exact[-60:].any()
    waves = three_tones()
    linear, warped = MID_RESOLUTION.encode(waves), MID_MEL.encode(waves)
    assert warped.shape == linear.shape == (3, 2, 512, 64) and warped.min() >= -1 and warped.max() <= 1
    # a low tone's peak lies several times higher in the mel picture; the loudest level is the same
    column = 16
    low_peak, mel_peak = linear[0, 0, :, column].argmax(), warped[0, 0, :, column].argmax()
    assert mel_peak > 3 * low_peak, (low_peak, mel_peak)
    assert abs(float(linear[0, 0].amax() - warped[0, 0].amax())) < 0.05
    # each octave up spans twice the bins of the one below, but not twice the rows (log-like spacing)
    octave = torch.from_numpy(np.stack([tone("sine", p, 0.9) for p in (72, 84, 96)]))
    bins = MID_RESOLUTION.encode(octave)[:, 0, :, column].argmax(dim=1).tolist()
    rows = MID_MEL.encode(octave)[:, 0, :, column].argmax(dim=1).tolist()
    assert abs((bins[2] - bins[1]) / (bins[1] - bins[0]) - 2) < 0.1, bins
    assert (rows[2] - rows[1]) / (rows[1] - rows[0]) < 1.4, rows
    # decoded, the tones' own magnitudes come back near the real ones; the high rows' averaged phases cost a
    # little, which Griffin-Lim rounds take back (the phases they find are consistent, not the tones' own)
    loud = linear[:, 0] > -0.3
    mismatch = lambda back: float((MID_RESOLUTION.encode(back)[:, 0] - linear[:, 0])[loud].abs().mean())  # noqa: E731
    plain, refined = mismatch(MID_MEL.decode(warped, LENGTH)), mismatch(MID_MEL.decode(warped, LENGTH, refine=8))
    assert refined < plain < 0.15, (plain, refined)


def test_griffin_lim_rounds_make_a_careless_phase_agree_with_the_drawn_magnitude():
    waves = three_tones()
    pictures = SPECGAN.encode(waves)
    pictures[:, 1] = 2 * torch.rand(pictures[:, 1].shape, generator=torch.Generator().manual_seed(0)) - 1

    def mismatch(wave):                       # how far the wave's own magnitude is from the drawn one
        again = SPECGAN.encode(wave)[:, 0]
        loud = pictures[:, 0] > -0.5
        return float((again - pictures[:, 0])[loud].abs().mean())

    plain, refined = SPECGAN.decode(pictures, LENGTH), SPECGAN.decode(pictures, LENGTH, refine=16)
    assert refined.shape == plain.shape == waves.shape
    assert mismatch(refined) < 0.5 * mismatch(plain), (mismatch(refined), mismatch(plain))
    # a picture of a real wave is already consistent: the rounds leave it as it was
    exact = SPECGAN.encode(waves)
    again = SPECGAN.decode(exact, LENGTH, refine=4)
    assert (((again - waves) ** 2).sum(dim=1) / (waves ** 2).sum(dim=1)).max() < 1e-3


def test_log_mel_and_spectrogram_pictures():
    waves = three_tones()
    mel = log_mel(waves, RATE)
    assert mel.shape == (3, MELS, LENGTH // 128 + 1) and torch.isfinite(mel).all()
    images = spectrogram_images(waves, RATE)
    assert images.shape == (3, 3, MELS, LENGTH // 128 + 1) and images.dtype == torch.uint8
    # a low tone is bright near the bottom row (low frequencies at the bottom), silence is dark
    assert images[0, 0, -20:].float().mean() > images[0, 0, :20].float().mean()
    assert spectrogram_images(torch.zeros(1, LENGTH), RATE)[0, 0].max() == 0



def test_the_floor_level_rises_with_a_noise_floor_between_the_harmonics():
    from duelo.tasks.audio.scoring import floor_level

    waves = three_tones()
    hiss = lambda db: waves + 10 ** (db / 20) * torch.randn(waves.shape, generator=torch.Generator().manual_seed(0))  # noqa: E731
    clean, quiet, loud = floor_level(waves), floor_level(hiss(-80)), floor_level(hiss(-40))
    assert -1 <= clean < quiet < loud <= 1 and loud - clean > 0.3, (clean, quiet, loud)
    assert floor_level(waves, share=0.9) > clean                    # a higher share: a higher level


def test_a_spectral_generator_can_start_from_more_frames_and_says_which_counts_fit():
    from duelo.errors import ConfigError
    from duelo.tasks.audio.networks import SpecGenerator
    from duelo.tasks.audio.parts import build_generator

    default, wider = SpecGenerator(1024, 32, width=2), SpecGenerator(1024, 32, width=2, start_frames=4)
    assert default.start_shape[2] == 1 and wider.start_shape[2] == 4
    z = torch.randn(3, 100, generator=torch.Generator().manual_seed(0))
    assert default(z).shape == wider(z).shape == (3, 2, 1024, 32)
    strides = [layer.stride for layer in wider.body if isinstance(layer, torch.nn.ConvTranspose2d)]
    assert strides == [(2, 1), (2, 1), (2, 2), (2, 2), (2, 2)]                # 4 -> 32 frames: three doublings
    for bad in (3, 64, 48):
        with pytest.raises(ConfigError, match="audio.start_frames"):
            SpecGenerator(1024, 32, width=2, start_frames=bad)
    saved_before = {"model": "specgan-h", "shape": [2, 1024, 32], "z_dim": 100, "width": 2, "factors": [],
                    "embed_dim": 16, "refine": 0}                              # no start_frames key: the default
    assert build_generator(saved_before).start_shape == default.start_shape
    assert build_generator({**saved_before, "start_frames": 4}).start_shape == wider.start_shape
    with pytest.raises(ConfigError, match="wavegan"):
        build_generator({**saved_before, "model": "wavegan", "shape": [1, 16384], "start_frames": 4})


def test_a_nearest_upsampling_generator_draws_the_same_shapes_without_a_checkerboard():
    from duelo.errors import ConfigError
    from duelo.tasks.audio.layers import UpsampleConv
    from duelo.tasks.audio.networks import SpecGenerator
    from duelo.tasks.audio.parts import build_generator

    torch.manual_seed(0)
    nearest = SpecGenerator(256, 128, width=2, factors=(3, 4), film=True, upsample="nearest")
    layers = [layer for layer in nearest.body if isinstance(layer, UpsampleConv)]
    assert [layer.scale for layer in layers] == [(2, 2)] * 5 and len(nearest.film) == 4   # FiLM after each hidden one
    assert not any(isinstance(layer, torch.nn.ConvTranspose2d) for layer in nearest.body)
    z, labels = torch.randn(4, 100), torch.tensor([0, 5, 7, 11])
    assert nearest(z, labels).shape == (4, 2, 256, 128)
    # a picture that is constant before the last layer stays flat after it (away from the edges); a stride-2
    # transposed convolution of kernel 4 gives every other pixel different weights: a checkerboard
    flat = torch.ones(1, 8, 16, 16)
    for layer in (UpsampleConv(8, 1, (2, 2)), torch.nn.ConvTranspose2d(8, 1, 4, 2, 1)):
        torch.nn.init.normal_(layer.conv.weight if isinstance(layer, UpsampleConv) else layer.weight)
        inner = layer(flat)[0, 0, 2:-2, 2:-2].detach()
        assert (inner.std() < 1e-5) == isinstance(layer, UpsampleConv), inner.std()
    wider = SpecGenerator(1024, 32, width=2, start_frames=4, upsample="nearest")
    assert [m.scale for m in wider.body if isinstance(m, UpsampleConv)] == [(2, 1), (2, 1), (2, 2), (2, 2), (2, 2)]
    saved = {"model": "specgan", "shape": [2, 256, 128], "z_dim": 100, "width": 2, "factors": [], "embed_dim": 16}
    assert not any(isinstance(m, UpsampleConv) for m in build_generator(saved).body)   # models saved before it
    assert any(isinstance(m, UpsampleConv) for m in build_generator({**saved, "upsample": "nearest"}).body)
    with pytest.raises(ConfigError, match="audio.upsample.*wavegan"):
        build_generator({**saved, "model": "wavegan", "shape": [1, 16384], "upsample": "nearest"})
    with pytest.raises(ConfigError, match="upsampling"):
        SpecGenerator(256, 128, width=2, upsample="bilinear")


def test_residual_layers_draw_and_judge_the_same_pictures_with_a_gradient_through_both_paths():
    from duelo.errors import ConfigError
    from duelo.tasks.audio.layers import ResidualDown, ResidualUp
    from duelo.tasks.audio.networks import SpecDiscriminator, SpecGenerator

    torch.manual_seed(0)
    G = SpecGenerator(256, 128, width=8, factors=(3, 4), film=True, upsample="residual")
    blocks = [layer for layer in G.body if isinstance(layer, ResidualUp)]
    assert [block.scale for block in blocks] == [(2, 2)] * 5 and len(G.film) == 4      # FiLM after each hidden one
    assert blocks[-1].out_channels == 2 and blocks[-1].second.in_channels == 4         # half of 8, not 2
    D = SpecDiscriminator(256, 128, width=8, factors=(3, 4), downsample="residual")
    assert sum(isinstance(layer, ResidualDown) for layer in D.body) == 5
    assert D.body[0].first.out_channels == 4 and D.body[-2].first.out_channels == 64   # 2 -> 8: 4; 64 -> 128: 64
    z, labels = torch.randn(4, 100), torch.tensor([0, 5, 7, 11])
    pictures = G(z, labels)
    assert pictures.shape == (4, 2, 256, 128) and D(pictures, labels).shape == (4,)
    D(pictures, labels).sum().backward()
    for block in blocks + [layer for layer in D.body if isinstance(layer, ResidualDown)]:
        for conv in (block.first, block.second, block.shortcut):
            assert conv.weight.grad is not None and conv.weight.grad.abs().sum() > 0
    # the shortcut alone (main path's last convolution zeroed) is the repeated or averaged picture's 1 x 1 map
    up, down = ResidualUp(3, 2, (2, 1)), ResidualDown(3, 2)
    for block in (up, down):
        torch.nn.init.zeros_(block.second.weight)
        torch.nn.init.zeros_(block.second.bias)
    h = torch.randn(1, 3, 8, 8)
    expect = torch.nn.functional.conv2d(h.repeat_interleave(2, dim=2), up.shortcut.weight, up.shortcut.bias)
    assert up(h).shape == (1, 2, 16, 8) and torch.allclose(up(h), expect, atol=1e-6)
    expect = torch.nn.functional.conv2d(torch.nn.functional.avg_pool2d(h, 2), down.shortcut.weight,
                                        down.shortcut.bias)
    assert torch.allclose(down(h), expect, atol=1e-6)
    wider = SpecGenerator(1024, 32, width=2, start_frames=4, upsample="residual")
    assert [m.scale for m in wider.body if isinstance(m, ResidualUp)] == [(2, 1), (2, 1), (2, 2), (2, 2), (2, 2)]
    with pytest.raises(ConfigError, match="downsampling"):
        SpecDiscriminator(256, 128, width=2, downsample="nearest")


def test_a_mel_run_says_when_it_decodes_with_fewer_rounds_than_its_pictures_want(tmp_path, monkeypatch, capsys):
    from duelo.cli.main import main
    from tests.audio.made_up import made_up_clips

    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    tones = made_up_clips(tmp_path / "tones.npz")
    common = ["train", "--task", "audio", "--width", "4", "--batch", "8", "--dataset", str(tones), "--kimg", "0.02",
              "--out", str(tmp_path), "--set", "audio.eval_clips=8", "--set", "audio.scorer_epochs=1", "--device",
              "cpu"]
    said = {}
    for name, options in (("plain", []), ("refined", ["--set", "audio.decode_refine=8"]), ("linear", [])):
        model = "specgan-m" if name == "linear" else "specgan-mel"
        assert main([*common, "--model", model, *options, "--name", name]) == 0
        captured = capsys.readouterr()
        said[name] = "decode best with 8 Griffin-Lim rounds" in captured.out + captured.err
    assert said == {"plain": True, "refined": False, "linear": False}
