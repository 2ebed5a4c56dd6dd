"""augment-gain on time series: windows of the right class (an ideal generator) raise the accuracy of a classifier
trained on 3 windows per class; the same windows under swapped labels (a generator that ignores its condition)
lower it; sets whose shape or classes do not fit the model are refused by name."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from duelo.errors import ConfigError
from duelo.tasks.timeseries import augment, model_io

CONFIG = {"columns": ["v"], "low": [-1.0], "high": [1.0], "class_names": ["slow", "fast"]}


def windows(label: int, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(16)
    frequency = 0.6 if label == 1 else 0.4
    phase = rng.uniform(0, 6.3, (n, 1))
    return (np.sin(frequency * t[None, :] + phase) + 0.6 * rng.standard_normal((n, 16)))[..., None]


def labelled_npz(path, per_class: int, seed: int, names=("slow", "fast")):
    values = np.concatenate([windows(c, per_class, seed + c) for c in (0, 1)])
    np.savez(path, windows=values, labels=np.repeat([0, 1], per_class), class_names=np.array(names),
             columns=np.array(["v"]))
    return str(path)


class Conditional(torch.nn.Module):
    c_dim = 2


@pytest.fixture
def fake_model(monkeypatch):
    swap = {"on": False}

    def generate(G, config, n, seed=0, label=None, device="cpu"):
        drawn = windows(1 - label if swap["on"] else label, n, 1000 + seed)
        return torch.from_numpy(drawn), torch.full((n,), label), None

    monkeypatch.setattr(model_io, "load_series_model", lambda run, device="cpu": (Conditional(), CONFIG))
    monkeypatch.setattr(model_io, "generate_windows", generate)
    monkeypatch.setenv("DUELO_JUDGE_STEPS", "150")
    return swap


def test_right_windows_help_and_mislabelled_ones_do_not(fake_model, tmp_path):
    small, test = labelled_npz(tmp_path / "s.npz", 3, 0), labelled_npz(tmp_path / "t.npz", 100, 50)
    good = augment.augment_series(tmp_path, small, test, per_class=60, repeats=1)
    fake_model["on"] = True
    bad = augment.augment_series(tmp_path, small, test, per_class=60, repeats=1)
    assert good["real_windows"] == 6 and good["synthetic_windows"] == 120 and good["test_windows"] == 200
    assert good["gain"] > 0.05 and bad["gain"] < -0.2, (good, bad)


def test_sets_that_do_not_fit_the_model_are_refused(fake_model, tmp_path):
    test = labelled_npz(tmp_path / "t.npz", 5, 50)
    other = labelled_npz(tmp_path / "o.npz", 5, 0, names=("slow", "walk"))
    with pytest.raises(ConfigError, match="'walk' are not the model's"):
        augment.augment_series(tmp_path, other, test, per_class=2, repeats=1)
    np.savez(tmp_path / "u.npz", windows=windows(0, 4, 0))
    with pytest.raises(ConfigError, match="unlabelled"):
        augment.augment_series(tmp_path, test, str(tmp_path / "u.npz"), per_class=2, repeats=1)
