"""Noise inputs in a spectral G (audio.noise): they start silent (the plain G's pictures), add per-pixel noise
once their weights grow, draw it from the sampling stream (so a seeded draw repeats), learn, are recorded with the
model, and wavegan refuses them by name."""

from __future__ import annotations

import pytest
import torch

from duelo.cli.main import main
from tests.audio.made_up import made_up_clips


def _pair():
    from duelo.tasks.audio.networks import SpecGenerator

    torch.manual_seed(0)
    plain = SpecGenerator(64, 32, z_dim=8, width=2, factors=(2, 3), film=True)
    noisy = SpecGenerator(64, 32, z_dim=8, width=2, factors=(2, 3), film=True, noise=True)
    missing, unexpected = noisy.load_state_dict(plain.state_dict(), strict=False)
    assert not unexpected and missing and all(name.startswith("noise.") for name in missing)
    return plain, noisy


def test_noise_inputs_start_silent_then_add_noise_drawn_from_the_given_stream():
    plain, noisy = _pair()
    assert len(noisy.noise) == 5 and noisy.noise[-1].weight.shape == (2,)      # every layer, the output's too
    z, labels = torch.randn(3, 8), torch.tensor([0, 2, 5])
    assert torch.equal(plain(z, labels), noisy(z, labels))                    # zero weights: the plain G
    with torch.no_grad():
        for layer in noisy.noise:
            layer.weight.fill_(0.5)
    first, second = noisy(z, labels), noisy(z, labels)
    assert not torch.allclose(first, second)                                   # fresh noise at each call
    seeded = [noisy(z, labels, generator=torch.Generator().manual_seed(7)) for _ in range(2)]
    assert torch.equal(seeded[0], seeded[1]) and not torch.allclose(seeded[0], plain(z, labels))
    # one noise map per sample, shared by the channels and scaled by each channel's weight
    from duelo.tasks.audio.networks import NoiseInput

    layer, h = NoiseInput(4), torch.zeros(2, 4, 3, 3)
    assert torch.equal(layer(h), h)                                            # a fresh layer adds nothing
    with torch.no_grad():
        layer.weight[:] = torch.tensor([0.0, 1.0, 2.0, 0.0])
    out = layer(h)
    assert torch.equal(out[:, 0], h[:, 0]) and torch.equal(out[:, 3], h[:, 3])
    assert torch.allclose(out[:, 2], 2 * out[:, 1]) and out[:, 1].abs().sum() > 0
    assert not torch.allclose(out[0, 1], out[1, 1])                            # each sample its own map


def test_noise_weights_learn_and_the_model_records_them(tmp_path, monkeypatch):
    _, noisy = _pair()
    z, labels = torch.randn(4, 8), torch.tensor([0, 1, 2, 3])
    noisy(z, labels).pow(2).sum().backward()
    assert all(layer.weight.grad is not None and layer.weight.grad.abs().sum() > 0 for layer in noisy.noise)

    from duelo.tasks.audio.model_io import generate_waves, load_audio_model

    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    tones = made_up_clips(tmp_path / "tones.npz")
    common = ["train", "--task", "audio", "--width", "4", "--batch", "8", "--dataset", str(tones), "--kimg", "0.02",
              "--out", str(tmp_path), "--set", "audio.eval_clips=8", "--set", "audio.scorer_epochs=1", "--device",
              "cpu", "--conditional", "--set", "audio.noise=true"]
    assert main([*common, "--model", "specgan-m", "--name", "noisy"]) == 0
    G, meta = load_audio_model(tmp_path / "noisy")
    assert meta["kwargs"]["noise"] is True and G.noise is not None
    labels = torch.tensor([0, 1, 2])
    again = [generate_waves(G, meta["kwargs"], meta["length"], 3, labels, 5, "cpu") for _ in range(2)]
    assert torch.equal(again[0], again[1])                                     # a seeded draw repeats
    from duelo.tasks.audio.parts import build_generator

    older = {key: value for key, value in meta["kwargs"].items() if key != "noise"}
    assert build_generator(older).noise is None                                # models saved before it


def test_wavegan_refuses_noise_inputs_by_name(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    tones = made_up_clips(tmp_path / "tones.npz")
    assert main(["train", "--task", "audio", "--model", "wavegan", "--width", "4", "--batch", "8", "--dataset",
                 str(tones), "--kimg", "0.02", "--out", str(tmp_path), "--set", "audio.noise=true", "--device", "cpu",
                 "--name", "wave"]) != 0
    assert "audio.noise" in capsys.readouterr().err
    assert not (tmp_path / "wave" / "model").exists()


@pytest.mark.parametrize("upsample", ["nearest", "residual"])
def test_noise_inputs_follow_every_kind_of_drawing_layer(upsample):
    from duelo.tasks.audio.networks import SpecGenerator

    G = SpecGenerator(64, 32, z_dim=8, width=4, upsample=upsample, noise=True)
    assert len(G.noise) == 5 and G(torch.randn(2, 8)).shape == (2, 2, 64, 32)
