"""Which real windows the discriminative scores read: the held-out ones (default) or every real window
(series.discriminative_on all, TimeGAN's protocol), which gives the score more test windows."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from duelo.tasks.timeseries.scoring import score_windows


def _split(train: int, heldout: int):
    generator = torch.Generator().manual_seed(0)

    def part(n):
        return SimpleNamespace(windows=torch.rand(n, 8, 2, generator=generator) * 2 - 1, lengths=None, labels=None)

    return SimpleNamespace(train=part(train), heldout=part(heldout))


@pytest.mark.parametrize(("on", "test_windows"), [("heldout", 2 * 20), ("all", 2 * 100)])
def test_discriminative_on_sets_how_many_real_windows_are_read(on, test_windows):
    data = _split(train=400, heldout=100)
    fake = torch.rand(600, 8, 2) * 2 - 1
    scores = score_windows(data, fake, steps=5, seed=0, device="cpu", discriminative_on=on)
    assert scores["discriminative_test_windows"] == test_windows
    assert 0 <= scores["discriminative"] <= 0.5 and scores["real_windows"] == 100


def test_the_setting_is_checked(capsys):
    from duelo.cli.main import main

    assert main(["train", "--task", "timeseries", "--set", "series.discriminative_on=train", "--kimg", "1",
                 "--dry-run"]) != 0
    assert "series.discriminative_on must be one of heldout, all" in capsys.readouterr().err
