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



@pytest.mark.parametrize("steps", [5, 0])
def test_score_steps_reach_every_scoring_network_including_the_embedding(steps, monkeypatch):
    """series.score_steps trains every post-hoc network that long (0: each its protocol's steps), the context-FID
    embedding included; each is recorded, then trained 2 steps here."""
    from duelo.evaluation import sequence_models
    from duelo.tasks.timeseries.scoring import PROTOCOL_STEPS

    asked = []

    def recorded(name):
        train = getattr(sequence_models, name)

        def record(*args, **kwargs):
            asked.append((name, kwargs["steps"]))
            return train(*args, **{**kwargs, "steps": 2})
        monkeypatch.setattr(sequence_models, name, record)

    for name in ("train_sequence_encoder", "discriminative_score", "predictive_score"):
        recorded(name)
    score_windows(_split(train=40, heldout=20), torch.rand(40, 8, 2) * 2 - 1, steps=steps, seed=0, device="cpu")
    protocol = {"train_sequence_encoder": PROTOCOL_STEPS["encoder"], "predictive_score": PROTOCOL_STEPS["predictive"],
                "discriminative_score": PROTOCOL_STEPS["discriminative"]}
    assert {name for name, _ in asked} == set(protocol), asked
    assert all(taken == (steps or protocol[name]) for name, taken in asked), asked
