"""A NaN in a loss stops the step at once, naming the term; training rolls back to the last good checkpoint a
bounded number of times, then stops with a clear error. No checkpoint is ever written from a non-finite state."""

import json

import torch

from duelo.cli.main import main
from duelo.losses import LOSSES, AdversarialLoss
from tests.training.helpers import TINY_ARGS


def test_nan_loss_on_every_retry_gives_up_after_bounded_rollbacks(tmp_path, monkeypatch, capsys):
    bce = LOSSES.get("bce")
    calls = {"n": 0}

    def poisoned_d_loss(real_logits, fake_logits):
        calls["n"] += 1
        loss = bce.d_loss(real_logits, fake_logits)
        return loss * float("nan") if calls["n"] >= 8 else loss   # iteration 8: 8 x 32 = 256 images

    monkeypatch.setitem(LOSSES._entries, "bce", AdversarialLoss(poisoned_d_loss, bce.g_loss))
    monkeypatch.chdir(tmp_path)
    assert main(["train", *TINY_ARGS, "--name", "nan", "--set", "health.max_rollbacks=2"]) == 2
    err = capsys.readouterr().err
    assert "non-finite loss_D" in err and "diverged 3 times" in err and "gave up" in err
    assert "rolled back to ckpt-000000000160" in err
    assert calls["n"] == 8 + 2, "each retry stops at the very step that produced the NaN"
    run = tmp_path / "runs" / "nan"
    checkpoints = sorted(p.name for p in (run / "checkpoints").glob("ckpt-*"))
    assert checkpoints == ["ckpt-000000000160"]      # the snapshot before the NaN, nothing after
    assert not (run / "summary.json").exists()
    events = [r["event"] for r in map(json.loads, (run / "health.jsonl").read_text().splitlines())
              if r["kind"] == "event"]
    assert events.count("divergence") == 3 and events.count("rollback") == 2 and events[-1] == "gave_up"


def test_stats_flag_names_each_nonfinite_term():
    from duelo.training.stats import StepStats

    stats = StepStats(torch.device("cpu"))
    stats.report("a", torch.tensor(1.0))
    stats.report("b", torch.tensor(float("inf")))
    stats.report("a", torch.tensor(3.0))
    assert stats.nonfinite_names() == ["b"]
    assert stats.read()["a"] == 2.0
    stats.clear_flags()
    assert stats.nonfinite_names() == []
