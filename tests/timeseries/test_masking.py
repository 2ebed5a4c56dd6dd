"""Variable-length windows: the mask channel round-trips lengths, and a run on windows of different lengths
generates windows with lengths of their own, scored and exported at those lengths."""

from __future__ import annotations

import json

import numpy as np
import torch

from duelo.cli.main import main
from duelo.tasks.timeseries.masking import is_variable, split_mask_channel, with_mask_channel


def test_the_mask_channel_round_trips_lengths_and_zeroes_the_padding():
    windows = torch.randn(4, 6, 2)
    lengths = torch.tensor([6, 1, 3, 5])
    x = with_mask_channel(windows, lengths)
    assert x.shape == (4, 6, 3) and set(x[..., -1].unique().tolist()) == {-1.0, 1.0}
    values, back = split_mask_channel(x)
    assert torch.equal(back, lengths)
    assert torch.equal(values[1, 1:], torch.zeros(5, 2)) and torch.equal(values[0], windows[0])
    noisy = x.clone()
    noisy[0, 3, -1] = -0.2                                     # a generated mask that dips: the window ends there
    noisy[1, :, -1] = -1.0                                     # never positive: at least one step
    assert split_mask_channel(noisy)[1].tolist() == [3, 1, 3, 5]
    assert split_mask_channel(noisy, min_length=2)[1].tolist() == [3, 2, 3, 5]
    assert is_variable(lengths, 6) and not is_variable(torch.full((3,), 6), 6) and not is_variable(None, 6)


def test_a_run_on_windows_of_different_lengths(tmp_path, capsys):
    rng = np.random.default_rng(0)
    lengths = rng.integers(6, 17, size=400)
    t = np.arange(16)
    windows = np.sin(0.4 * t[None, :, None] + rng.uniform(0, 6, (400, 1, 2))) * (t[None, :, None] < lengths[:, None,
                                                                                                             None])
    np.savez(tmp_path / "var.npz", windows=windows, lengths=lengths)
    assert main(["train", "--task", "timeseries", "--dataset", str(tmp_path / "var.npz"), "--window", "16",
                 "--kimg", "2", "--batch", "64", "--set", "series.width=16", "--set", "series.eval_samples=64", "--set",
                 "series.score_steps=10", "--set", "run.snapshot_kimg=2", "--out", str(tmp_path), "--name", "v"]) == 0
    assert "mask channel" in capsys.readouterr().err
    run = tmp_path / "v"
    scores = json.loads((run / "summary.json").read_text())["scores"]
    assert 1 <= scores["mean_length"] <= 16 and 6 <= scores["mean_length_real"] <= 16
    assert json.loads((run / "model" / "config.json").read_text())["masked"] is True
    assert main(["sample", str(run), "-n", "5", "--out", str(tmp_path / "s.npz")]) == 0
    sampled = np.load(tmp_path / "s.npz")
    assert sampled["windows"].shape == (5, 16, 2) and sampled["lengths"].shape == (5,)
    for window, length in zip(sampled["windows"], sampled["lengths"]):
        assert 6 <= length <= 16 and (window[length:] == 0).all()
    assert main(["sample", str(run), "-n", "5", "--out", str(tmp_path / "s.csv")]) == 0
    rows = (tmp_path / "s.csv").read_text().splitlines()[1:]
    assert len(rows) == int(sampled["lengths"].sum())
    assert main(["eval", str(run), "--num-samples", "64"]) == 0
