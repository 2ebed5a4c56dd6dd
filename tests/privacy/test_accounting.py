"""The accountant against the classic DP-SGD figure, and the noise search that inverts it."""

from __future__ import annotations

import math

import pytest

from duelo.errors import ConfigError
from duelo.privacy.accounting import epsilon, noise_for

pytest.importorskip("dp_accounting")

MNIST = {"sample_rate": 256 / 60_000, "steps": 60 * 60_000 // 256, "delta": 1e-5}


def test_the_classic_mnist_setting_lies_between_the_published_bounds():
    # Opacus' documentation: (2.95, 1e-5) with the older RDP conversion; the PLD accountant: 2.31
    assert 2.3 < epsilon(1.12, **MNIST) < 2.95


def test_more_noise_fewer_steps_spend_less():
    assert epsilon(2.0, **MNIST) < epsilon(1.12, **MNIST) < epsilon(0.8, **MNIST)
    assert epsilon(1.12, 256 / 60_000, 1000, 1e-5) < epsilon(1.12, **MNIST)
    assert epsilon(0.0, **MNIST) == math.inf and epsilon(1.0, 0.01, 0, 1e-5) == 0.0


@pytest.mark.parametrize("target", [1.0, 3.0, 10.0])
def test_noise_for_a_target_spends_at_most_the_target(target):
    sigma = noise_for(target, **MNIST)
    assert epsilon(sigma, **MNIST) <= target < epsilon(sigma - 0.01, **MNIST)


def test_bad_settings_are_refused():
    with pytest.raises(ConfigError, match="delta"):
        epsilon(1.0, 0.01, 10, 0.0)
    with pytest.raises(ConfigError, match="sample rate"):
        noise_for(1.0, 1.5, 10, 1e-5)
    with pytest.raises(ConfigError, match="noise multiplier above"):
        noise_for(0.001, 1.0, 100_000, 1e-5)
