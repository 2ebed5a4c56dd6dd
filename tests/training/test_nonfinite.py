"""A NaN in a loss stops training at once with a message naming the term; no checkpoint is written
from the non-finite state and the earlier checkpoints stay."""

import torch

from duelo.cli.main import main
from duelo.losses import LOSSES, AdversarialLoss
from tests.training.helpers import TINY_ARGS


def test_nan_loss_is_caught_at_its_step(tmp_path, monkeypatch, capsys):
    bce = LOSSES.get("bce")
    calls = {"n": 0}

    def poisoned_d_loss(real_logits, fake_logits):
        calls["n"] += 1
        loss = bce.d_loss(real_logits, fake_logits)
        return loss * float("nan") if calls["n"] >= 8 else loss   # iteration 8: 8 x 32 = 256 images

    monkeypatch.setitem(LOSSES._entries, "bce", AdversarialLoss(poisoned_d_loss, bce.g_loss))
    monkeypatch.chdir(tmp_path)
    assert main(["train", *TINY_ARGS, "--name", "nan"]) == 2
    err = capsys.readouterr().err
    assert "non-finite loss_D" in err and "0.3 kimg" in err and "no checkpoint" in err
    assert calls["n"] == 8, "stopped at the very step that produced the NaN"
    checkpoints = sorted(p.name for p in (tmp_path / "runs" / "nan" / "checkpoints").glob("ckpt-*"))
    assert checkpoints == ["ckpt-000000000160"]      # the snapshot before the NaN, nothing after
    assert not (tmp_path / "runs" / "nan" / "summary.json").exists()


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
