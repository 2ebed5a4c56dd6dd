"""A differentially private image run end to end on MNIST-5k: it trains, its summary states the epsilon spent
(at most the target, over exactly the planned steps) and scores its samples on the evaluation split; its metrics
log nothing computed from the records; it resumes with the steps already spent. The guard: a code path that
reads the training images outside the accountant (here the health monitor, forced on) stops the run with a
PrivacyError. Settings that cannot be private are refused by name; the feed refuses to draw past its budget, and
draws its samples from a secret generator, not the run's published seed."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from duelo.cli.main import main
from duelo.errors import ConfigError
from duelo.privacy.records import PoissonFeed, PrivacyError, PrivacyPlan, PrivateRecords, secret_generator

pytest.importorskip("dp_accounting")

TINY = ["train", "--preset", "demo", "--width", "8", "--batch", "32", "--dp-epsilon", "5",
        "--set", "run.snapshot_kimg=0.25", "--set", "run.eval_per_class=10", "--set", "run.grid_samples=16"]


def test_a_private_run_spends_at_most_its_epsilon_and_logs_nothing_from_the_records(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DUELO_JUDGE_STEPS", "20")                       # the judge of the evaluation split
    assert main([*TINY, "--kimg", "0.25", "--out", str(tmp_path), "--name", "p"]) == 0
    run = tmp_path / "p"
    summary = json.loads((run / "summary.json").read_text())
    privacy = summary["privacy"]
    assert privacy["steps"] == privacy["steps_planned"] == 8
    assert 0 < privacy["epsilon_spent"] <= privacy["epsilon_target"] == 5
    assert privacy["records"] == 4500 and privacy["delta"] == 1e-5 and privacy["noise_multiplier"] > 0
    assert 0 <= summary["class_accuracy"] <= 1
    assert "data_sha256" not in summary                      # a hash of the records would be released unaccounted
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    logged = set().union(*lines)
    assert "loss_D_dp" in logged and "dp_batch" in logged
    assert not logged & {"D_real", "dp_clipped", "dp_grad_norm", "loss_D"}, logged
    config = json.loads((run / "config.json").read_text())
    assert config["health"]["enabled"] is False and config["model"]["d_kwargs"]["norm"] == "group"
    capsys.readouterr()
    assert main(["doctor", str(run)]) == 0
    assert "differentially private run: epsilon" in capsys.readouterr().out
    audited = tmp_path / "audit.json"
    assert main(["audit", str(run), "--samples", "64", "--max-records", "100", "--out", str(audited)]) == 0
    attacks = json.loads(audited.read_text())["attacks"]
    assert set(attacks) == {"distance_to_closest", "discriminator"}
    assert all(0 <= a["auc"] <= 1 and a["epsilon_lower"] >= 0 for a in attacks.values())
    rng = np.random.default_rng(0)                                   # non-members given as images
    images = rng.integers(0, 255, (30, 1, 32, 32), dtype=np.uint8)
    np.savez(tmp_path / "others.npz", images=images, labels=np.arange(30) % 10)
    assert main(["audit", str(run), "--samples", "64", "--nonmembers", str(tmp_path / "others.npz"), "--out",
                 str(audited)]) == 0
    assert json.loads(audited.read_text())["members"] == 30
    np.savez(tmp_path / "unlabelled.npz", images=images)
    capsys.readouterr()
    assert main(["audit", str(run), "--samples", "64", "--nonmembers", str(tmp_path / "unlabelled.npz")]) != 0
    assert "unlabelled images for a labelled run" in capsys.readouterr().err
    # a longer budget is a new plan: the checkpoint's spent steps would be accounted wrongly
    assert main([*TINY, "--kimg", "0.5", "--out", str(tmp_path), "--name", "p"]) != 0


def test_a_path_that_reads_the_records_outside_the_accountant_stops_the_run(tmp_path, monkeypatch, capsys):
    import duelo.privacy.settings as settings

    original = settings.private_config
    monkeypatch.setattr(settings, "private_config",
                        lambda config: original(config).with_overrides({"health.enabled": True}, source="test"))
    assert main([*TINY, "--kimg", "0.25", "--out", str(tmp_path), "--name", "leak"]) != 0
    assert "outside the accountant" in capsys.readouterr().err


@pytest.mark.parametrize("extra, named", [(["--loss", "wgan-gp"], "gradient penalty"),
                                          (["--set", "stabilise.r1_gamma=1"], "R1/R2"),
                                          (["--loss", "rpgan"], "relativistic"),
                                          (["--set", "stabilise.spectral_norm=true"], "spectral norm")])
def test_settings_that_cannot_be_private_are_refused(tmp_path, capsys, extra, named):
    assert main([*TINY, "--kimg", "0.25", *extra, "--out", str(tmp_path)]) != 0
    assert named in capsys.readouterr().err


def test_the_feed_draws_poisson_samples_and_stops_at_its_budget():
    plan = PrivacyPlan(epsilon=1.0, delta=1e-5, clip=1.0, noise_multiplier=1.0, sample_rate=0.25, steps=40,
                       records=400)
    records = PrivateRecords(torch.arange(400.0)[:, None], None, torch.device("cpu"))
    feed = PoissonFeed(records, plan, batch=100, num_classes=0, decode=lambda x: x)
    generator = torch.Generator().manual_seed(0)
    sizes = [len(feed.next(generator)[0]) for _ in range(40)]
    assert len(set(sizes)) > 5 and abs(sum(sizes) / 40 - 100) < 5          # random sizes around the mean
    # the draws do not follow the round's (public, seeded) generator: the same seed samples other records
    again = PoissonFeed(records, plan, batch=100, num_classes=0, decode=lambda x: x)
    first = [feed_batch.tolist() for feed_batch in (
        PoissonFeed(records, plan, 100, 0, lambda x: x).next(torch.Generator().manual_seed(0))[0],
        again.next(torch.Generator().manual_seed(0))[0])]
    assert first[0] != first[1]
    assert secret_generator(torch.device("cpu")).initial_seed() != secret_generator(torch.device("cpu")).initial_seed()
    with pytest.raises(PrivacyError, match="spent"):
        feed.next(generator)
    with pytest.raises(PrivacyError, match="outside the accountant"):
        records.images                                                      # noqa: B018
    other = PoissonFeed(records, PrivacyPlan(1.0, 1e-5, 1.0, 2.0, 0.25, 40, 400), 100, 0, lambda x: x)
    with pytest.raises(PrivacyError, match="another privacy plan"):
        other.load_state_dict(feed.state_dict())
    with pytest.raises(ConfigError):
        PrivacyPlan.make(1.0, None, 1.0, batch=300, records=400, steps=10)
