"""The conv model's design choices (docs/benchmarks.md, the rough-sines finding): a D that pools by mean and max
over time sees a flaw at one step that a mean-pooling D averages away; G's position features are its clock;
folders saved before these choices build the earlier network."""

from __future__ import annotations

import pytest
import torch

from duelo.errors import ConfigError
from duelo.tasks.timeseries.networks import SeriesDiscriminator, SeriesGenerator, position_features
from duelo.tasks.timeseries.sources import sine_windows


def _train_accuracy(pooling: str) -> float:
    """Train a D briefly on clean sines against sines with one spike at a random step; held-out accuracy."""
    torch.manual_seed(0)
    clean = torch.tensor(sine_windows(2400, 24, 2, 0), dtype=torch.float32)
    spiked = clean.clone()
    steps = torch.randint(0, 24, (len(spiked),))
    spiked[torch.arange(len(spiked)), steps, 0] += 0.3                 # one step of one channel
    D = SeriesDiscriminator(24, 2, width=16, blocks=3, pooling=pooling)
    optimiser = torch.optim.Adam(D.parameters(), 2e-3)
    for _ in range(150):
        pick = torch.randint(0, 2000, (64,))
        loss = torch.relu(1 - D(clean[pick])).mean() + torch.relu(1 + D(spiked[pick])).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    with torch.no_grad():
        return float(((D(clean[2000:]) > 0).float().mean() + (D(spiked[2000:]) <= 0).float().mean()) / 2)


def test_max_pooling_lets_d_see_one_flawed_step():
    with_max, mean_only = _train_accuracy("mean+max"), _train_accuracy("mean")
    assert with_max > 0.9
    assert with_max > mean_only + 0.05


def test_position_features_are_the_generators_clock():
    clock = position_features(24, 3)
    assert clock.shape == (6, 24)
    assert not torch.allclose(clock[:, 0], clock[:, -1])                # every step reads a different time
    G = SeriesGenerator(24, 2, z_dim=8, step_noise=0, width=16, blocks=2, positions=3)
    z = torch.zeros(1, G.z_dim)                                          # one constant input over time
    with torch.no_grad():
        x = G(z)[0]
    assert x.std(dim=0).min() > 0                                        # still varies over the window


def test_folders_saved_before_the_design_choices_build_the_earlier_network():
    old = {"window": 24, "channels": 2, "c_dim": 0, "z_dim": 8, "step_noise": 4, "width": 16, "blocks": 2,
           "embed_dim": 8}                                               # kwargs of a folder saved earlier
    G = SeriesGenerator(**old)
    assert G.clock.shape[0] == 0 and isinstance(G.last, torch.nn.ReLU)
    assert "clock" not in G.state_dict()                                 # not saved: nothing new to load


def test_a_wrong_choice_is_a_clear_error():
    from duelo.cli.main import main

    assert main(["train", "--task", "timeseries", "--set", "series.d_pooling=median", "--kimg", "1"]) != 0
    with pytest.raises((KeyError, ConfigError, ValueError)):
        SeriesGenerator(24, 2, activation="gelu")
