"""audio.film: G's label code scales and shifts every hidden layer's channels. It starts as the plain G, the labels
then reach every layer, saved models without the setting still load, and an unconditional run is refused."""

from __future__ import annotations

import pytest
import torch

from duelo.cli.main import main
from duelo.tasks.audio.networks import FiLM, SpecGenerator, WaveGenerator
from duelo.tasks.audio.parts import build_generator
from tests.audio.made_up import made_up_clips

FACTORS = (3, 4)


def _pair(make):
    torch.manual_seed(0)
    plain = make(False)
    torch.manual_seed(0)
    film = make(True)
    return plain, film


@pytest.mark.parametrize("make", [
    lambda film: SpecGenerator(64, 32, z_dim=8, width=4, factors=FACTORS, embed_dim=4, film=film),
    lambda film: WaveGenerator(z_dim=8, width=4, factors=FACTORS, embed_dim=4, film=film),
], ids=["specgan", "wavegan"])
def test_film_starts_as_the_plain_generator_and_then_lets_the_labels_reach_every_layer(make):
    plain, film = _pair(make)
    assert film.film is not None and plain.film is None
    convs = [m for m in film.body if isinstance(m, (torch.nn.ConvTranspose1d, torch.nn.ConvTranspose2d))]
    assert [f.map.out_features for f in film.film] == [2 * c.out_channels for c in convs[:-1]]   # not the output
    missing = film.load_state_dict(plain.state_dict(), strict=False).missing_keys
    assert missing and all(key.startswith("film.") for key in missing)
    z = torch.randn(4, 8, generator=torch.Generator().manual_seed(1))
    labels = torch.tensor([0, 5, 7, 11])
    with torch.no_grad():
        assert torch.equal(film(z, labels), plain(z, labels))               # zero-initialised: the identity
    out = film(z, labels)
    out.square().mean().backward()
    grads = [f.map.weight.grad for f in film.film]
    assert all(g is not None and g.abs().sum() > 0 for g in grads), grads
    with torch.no_grad():
        for f in film.film:
            f.map.weight.normal_(0, 0.5)
        moved = film(z, labels)
        assert not torch.allclose(moved, plain(z, labels))
        # the modulation is the label's alone: label 5 gives the same gamma and beta in a batch or by itself
        code = film.code(labels)
        gamma_beta = film.film[0].map(code)
        assert torch.allclose(gamma_beta[1], film.film[0].map(film.code(torch.tensor([5])))[0])


def test_film_scales_and_shifts_each_channel():
    f = FiLM(2, 3)
    with torch.no_grad():
        f.map.bias.copy_(torch.tensor([1.0, 0.0, -1.0, 0.5, 0.0, 0.0]))    # gamma (1, 0, -1), beta (0.5, 0, 0)
    h = torch.ones(1, 3, 2, 2)
    out = f(h, torch.zeros(1, 2))
    assert torch.allclose(out[0, :, 0, 0], torch.tensor([2.5, 1.0, 0.0]))


def test_saved_generators_without_the_setting_still_load_and_film_needs_labels():
    saved_before = {"model": "specgan-m", "shape": [2, 512, 64], "z_dim": 8, "width": 2, "factors": [3, 4],
                    "embed_dim": 4, "refine": 0, "start_frames": 0}                    # no "film" key
    assert build_generator(saved_before).film is None
    assert len(build_generator({**saved_before, "film": True}).film) == 4
    with pytest.raises(ValueError, match="conditional"):
        SpecGenerator(64, 32, width=2, film=True)


def test_a_film_run_trains_and_an_unconditional_one_is_refused_by_name(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    tones = made_up_clips(tmp_path / "tones.npz")
    common = ["train", "--task", "audio", "--model", "specgan-m", "--width", "4", "--batch", "8", "--dataset",
              str(tones), "--kimg", "0.02", "--out", str(tmp_path), "--set", "audio.eval_clips=8", "--set",
              "audio.scorer_epochs=1", "--set", "audio.film=true", "--device", "cpu"]
    assert main([*common, "--unconditional", "--name", "plain"]) != 0
    assert "audio.film" in capsys.readouterr().err
    assert not (tmp_path / "plain" / "model").exists()
    assert main([*common, "--conditional", "--name", "film"]) == 0
    from duelo.tasks.audio.model_io import load_audio_model

    G, meta = load_audio_model(tmp_path / "film")
    assert meta["kwargs"]["film"] is True and G.film is not None
