"""Instance noise (Sønderby et al. 2017; Arjovsky & Bottou 2017): N(0, sigma_t^2) on D's inputs,
sigma_t falling linearly to 0."""

import pytest
import torch

from duelo.augment import AUGMENTS, InstanceNoise
from duelo.errors import ConfigError


def test_not_a_registered_augmentation():
    assert "ada" in AUGMENTS.names() and "diffaugment" in AUGMENTS.names()
    assert InstanceNoise not in [AUGMENTS.get(name) for name in AUGMENTS.names()]


def test_sigma_anneals_linearly_and_reaches_zero():
    noise = InstanceNoise(sigma=0.2, anneal_kimg=1.0)          # 1000 real images
    seen = []
    for _ in range(15):
        seen.append(noise.status()["instance_noise_sigma"].item())
        noise.observe(torch.zeros(100))                        # 100 reals per D step
    expected = [max(0.0, 0.2 * (1 - 100 * k / 1000)) for k in range(15)]
    assert seen == pytest.approx(expected, abs=1e-7)
    assert seen[10:] == [0.0] * 5 and noise.nimg.item() == 1500


@pytest.mark.parametrize("sigma", [0.05, 0.3])
def test_noise_std_matches_sigma(sigma):
    noise = InstanceNoise(sigma=sigma, anneal_kimg=10.0)
    x = torch.rand(16, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    eps = noise(x, torch.Generator().manual_seed(1)) - x
    assert abs(eps.std().item() / sigma - 1) < 0.03 and abs(eps.mean().item()) < 0.03 * sigma
    noise.observe(torch.zeros(5000))                           # halfway: sigma / 2
    eps = noise(x, torch.Generator().manual_seed(2)) - x
    assert abs(eps.std().item() / (sigma / 2) - 1) < 0.03


def test_after_annealing_the_input_comes_back_unchanged():
    noise = InstanceNoise(sigma=0.1, anneal_kimg=0.064)
    noise.observe(torch.zeros(64))
    x = torch.rand(4, 1, 8, 8)
    assert torch.equal(noise(x, torch.Generator().manual_seed(3)), x)


def test_count_is_exact_beyond_float32_and_round_trips():
    noise = InstanceNoise()
    noise.nimg.fill_(2.0 ** 24)
    noise.observe(torch.zeros(1))
    assert noise.nimg.item() == 2 ** 24 + 1                    # float32 would have stayed at 2^24
    resumed = InstanceNoise()
    resumed.load_state_dict(noise.state_dict())
    assert torch.equal(resumed.nimg, noise.nimg)
    assert torch.equal(resumed.status()["instance_noise_sigma"], noise.status()["instance_noise_sigma"])


@pytest.mark.parametrize("kwargs", [{"sigma": -0.1}, {"sigma": float("inf")}, {"anneal_kimg": 0.0},
                                    {"anneal_kimg": -1.0}, {"sigma": "0.1"}])
def test_bad_arguments_are_config_errors(kwargs):
    with pytest.raises(ConfigError, match=next(iter(kwargs))):
        InstanceNoise(**kwargs)
