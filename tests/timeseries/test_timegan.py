"""The TimeGAN-class model: its stages as phases, each loss doing its job on its own (the autoencoder learns to
reconstruct, the supervisor to predict the next latent), D's gate, the configuration checks, and a short run
through the CLI whose saved model samples exactly what the run's snapshot sampled."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from duelo.cli.main import main
from duelo.errors import ConfigError
from duelo.evaluation.sequences import sine_windows
from duelo.losses import LOSSES
from duelo.tasks.presets import load_preset
from duelo.tasks.timeseries.model_io import generate_windows, load_series_model
from duelo.tasks.timeseries.timegan import (D_GATE, LatentDiscriminator, TimeGANAutoencoder, TimeGANGenerator,
                                            TimeGANObjective, TimeGANSampler, supervised_loss)
from duelo.training.protocols import Phase, Terms


def _parts(c_dim: int = 0, pretrain: int = 3):
    torch.manual_seed(0)
    E = TimeGANAutoencoder(3, 8, 2)
    G = TimeGANGenerator(10, 3, 8, 2, z_dim=3, c_dim=c_dim)
    D = LatentDiscriminator(8, 2, c_dim=c_dim)
    labels = torch.tensor([0, 1, 1, 0]) if c_dim else None
    return E, G, D, TimeGANObjective(E, G, D, LOSSES.get("bce"), pretrain, labels)


def test_stages_run_in_order_autoencoder_then_supervisor_then_the_joint_game():
    *_, objective = _parts(pretrain=3)
    due = [[p.name for p in objective.phases if p.due(i)] for i in range(8)]
    assert due[:3] == [["E_pre"]] * 3
    assert due[3:6] == [["S_pre"]] * 3
    assert due[6:] == [["G", "E", "D"]] * 2
    *_, no_pretraining = _parts(pretrain=0)
    assert [p.name for p in no_pretraining.phases] == ["G", "E", "D"]


def test_phase_windows_are_checked():
    with pytest.raises(AssertionError):
        Phase("x", ("G",), lambda *a: Terms({}), starts=5, ends=5)
    phase = Phase("x", ("G",), lambda *a: Terms({}), starts=2, ends=9, interval=2)
    assert [i for i in range(12) if phase.due(i)] == [2, 4, 6, 8]


def _fit(module_params, loss_fn, steps: int) -> tuple[float, float]:
    optimizer = torch.optim.Adam(module_params, lr=1e-2)
    first = last = None
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn()
        loss.backward()
        optimizer.step()
        first = loss.item() if first is None else first
        last = loss.item()
    return first, last


def test_the_autoencoder_stage_learns_to_reconstruct():
    E, G, D, objective = _parts()
    x = sine_windows(64, 10, 3, seed=0) * 2 - 1
    first, last = _fit(E.parameters(), lambda: objective._reconstruction_terms((x, None), None, 64).losses["recon"],
                       150)
    assert last < 0.5 * first


def test_the_supervisor_stage_learns_next_step_latents():
    E, G, D, objective = _parts()
    x = sine_windows(64, 10, 3, seed=0) * 2 - 1
    with torch.no_grad():
        h = E.embedder(x)
    first, last = _fit(G.supervisor.parameters(), lambda: supervised_loss(G.supervisor, h), 150)
    assert last < 0.5 * first


def test_discriminator_steps_only_while_its_loss_is_above_the_gate(monkeypatch):
    E, G, D, objective = _parts()
    x = torch.rand(4, 10, 3) * 2 - 1
    generator = torch.Generator().manual_seed(0)
    terms = objective._discriminator_terms((x, None), generator, 4)
    assert terms.stats["D_gate"] == (terms.stats["D_loss_ungated"] > D_GATE)
    # a D that is right with a big margin on both sides: its loss is tiny, so the gate closes
    real_like = lambda h, labels=None: torch.full(h.shape[:2], 20.0)      # noqa: E731
    fake_like = lambda h, labels=None: torch.full(h.shape[:2], -20.0)     # noqa: E731
    calls = iter([real_like, fake_like, fake_like])
    monkeypatch.setattr(D, "forward", lambda h, labels=None: next(calls)(h, labels))
    gated = objective._discriminator_terms((x, None), generator, 4)
    assert float(gated.stats["D_loss_ungated"]) < D_GATE and float(gated.losses["D"]) == 0.0


def test_conditional_sampler_needs_labels_and_follows_them():
    E, G, D, objective = _parts(c_dim=2)
    sampler = TimeGANSampler(G, E.recovery)
    z = sampler.sample_latents(3, torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match="labels"):
        sampler(z)
    zeros, ones = sampler(z, torch.zeros(3, dtype=torch.long)), sampler(z, torch.ones(3, dtype=torch.long))
    assert zeros.shape == (3, 10, 3) and zeros.abs().max() <= 1 and not torch.allclose(zeros, ones)


def test_configuration_checks():
    from duelo.tasks import TASKS

    task = TASKS.get("timeseries")
    config = load_preset("timegan").with_overrides({"stabilise.spectral_norm": True})
    assert task.check(config).stabilise.spectral_norm is False          # the task's default: turned off
    with pytest.raises(ConfigError, match="stabilise.r1_gamma"):
        task.check(config.with_overrides({"stabilise.r1_gamma": 1.0}))
    with pytest.raises(ConfigError, match="wgan-gp"):
        task.check(config.with_overrides({"loss.name": "wgan-gp"}))


def _args(root, kimg: str) -> list[str]:
    return ["train", "--preset", "timegan", "--window", "10", "--kimg", kimg, "--batch", "32", "--seed", "2",
            "--set", "data.max_windows=300", "--set", "series.width=8", "--set", "series.layers=2",
            "--set", "series.pretrain_steps=30", "--set", "series.eval_samples=32", "--set", "series.score_steps=10",
            "--set", "run.snapshot_kimg=1", "--set", "run.log_kimg=1", "--out", str(root), "--name", "tg"]


@pytest.fixture(scope="module")
def timegan_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("timegan")
    assert main(_args(root, "3")) == 0       # 30 + 30 pre-training iterations of 32, then the joint game
    return root / "tg"


def test_a_timegan_run_saves_a_model_that_loads_and_samples_repeatably(timegan_run, tmp_path):
    config = json.loads((timegan_run / "model" / "config.json").read_text())
    assert config["model"] == "timegan" and config["kwargs"]["layers"] == 2
    summary = json.loads((timegan_run / "summary.json").read_text())
    assert 0 <= summary["scores"]["discriminative"] <= 0.5
    G, saved = load_series_model(timegan_run)
    assert isinstance(G, TimeGANSampler)
    a, _, lengths = generate_windows(G, saved, 5, seed=3)
    b, _, _ = generate_windows(G, saved, 5, seed=3)
    assert a.shape == (5, 10, 5) and torch.equal(a, b) and lengths is None
    assert main(["sample", str(timegan_run), "-n", "4", "--out", str(tmp_path / "w.npz")]) == 0
    assert np.load(tmp_path / "w.npz")["windows"].shape == (4, 10, 5)


def test_a_timegan_run_resumes_where_it_stopped(timegan_run, capsys):
    before = json.loads((timegan_run / "summary.json").read_text())["iterations"]
    capsys.readouterr()
    assert main(_args(timegan_run.parent, "4")) == 0
    assert "resum" in capsys.readouterr().err.lower()
    after = json.loads((timegan_run / "summary.json").read_text())
    assert after["kimg"] >= 4 and after["iterations"] > before
