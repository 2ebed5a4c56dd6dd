"""Every write of a tiny training run fails in turn (DUELO_FAIL_WRITE=N for every N): each failure ends in one
clear message (exit 2, no traceback), and re-running the same command finishes the run with exactly the
weights, final grid and summary model hash of a run that never failed."""

from __future__ import annotations

import pytest
import torch

from duelo import faults
from duelo.cli.main import main
from duelo.io.pretrained import model_sha256
from tests.hardening.helpers import TINY, learned, outcome

ARGS = [*TINY, "--kimg", "0.096", "--snapshot-kimg", "0.064", "--seed", "5"]


def run(tmp_path, name, monkeypatch, fail=None, count=None):
    faults.reset()
    for key, value in (("DUELO_FAIL_WRITE", fail), ("DUELO_COUNT_WRITES", count)):
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, str(value))
    try:
        return main([*ARGS, "--out", str(tmp_path / "runs"), "--name", name])
    finally:
        monkeypatch.delenv("DUELO_FAIL_WRITE", raising=False)
        monkeypatch.delenv("DUELO_COUNT_WRITES", raising=False)
        faults.reset()


@pytest.mark.slow
def test_every_write_of_a_run_can_fail_and_a_rerun_ends_like_an_unbroken_run(tmp_path, monkeypatch, capsys):
    counter = tmp_path / "writes.txt"
    assert run(tmp_path, "whole", monkeypatch, count=counter) == 0
    total = int(counter.read_text())
    assert total >= 10, total                 # config, metrics lines, checkpoints, models, grids, summary
    model, summary, grids, leftovers = outcome(tmp_path / "runs" / "whole")
    assert summary["model_sha256"] == model_sha256(tmp_path / "runs" / "whole" / "model") and not leftovers
    capsys.readouterr()
    for n in range(1, total + 1):
        name = f"fail-{n}"
        assert run(tmp_path, name, monkeypatch, fail=n) == 2, f"write {n} of {total}"
        err = capsys.readouterr().err
        assert "disk is full" in err and "Traceback" not in err, (n, err[-500:])
        assert run(tmp_path, name, monkeypatch) == 0, f"re-run after write {n} failed"
        capsys.readouterr()
        again, summary_again, grids_again, leftovers_again = outcome(tmp_path / "runs" / name)
        assert again.keys() == model.keys()
        assert not [k for k in model if not torch.equal(model[k], again[k])], f"write {n}: model differs"
        assert grids_again == grids, (n, grids_again)
        assert summary_again["model_sha256"] == summary["model_sha256"], n
        assert learned(summary_again["final_metrics"]) == learned(summary["final_metrics"]), n
        assert not leftovers_again, (n, leftovers_again)
