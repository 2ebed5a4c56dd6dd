"""SIGKILL at randomised points of a tiny run, including just after the final checkpoint's commit and inside
the model folder's commit: re-running the same command ends with the weights, grids and summary model hash of
an uninterrupted run, bitwise. The points are drawn anew on every test run (the seed is in the failure text)."""

from __future__ import annotations

import json
import random
import time

import pytest
import torch

from duelo import faults
from duelo.cli.main import main
from tests.hardening.helpers import TINY, learned, outcome
from tests.training.helpers import run_cli, run_here

ARGS = [*TINY, "--kimg", "0.192", "--snapshot-kimg", "0.064", "--seed", "2"]
SNAPSHOTS = 3                                  # 0.192 / 0.064
ITERATIONS = 6                                 # 192 / 32


def kill_points(rng: random.Random) -> list[str]:
    """The final commit always; one more drawn from every kind of point (tests/training/test_resume_after_kill.py
    kills at fixed points of the checkpoint save as well)."""
    pool = [f"iteration:{rng.randint(1, ITERATIONS)}", f"checkpoint-committed:{rng.randint(1, SNAPSHOTS - 1)}",
            f"folder-staged:{rng.randint(1, SNAPSHOTS)}", f"folder-exchanged:{rng.randint(1, SNAPSHOTS - 1)}",
            f"checkpoint-mid-save:{rng.randint(1, SNAPSHOTS)}"]
    return [f"checkpoint-committed:{SNAPSHOTS}", rng.choice(pool)]


@pytest.mark.slow
def test_sigkill_anywhere_then_rerun_ends_like_an_unbroken_run(tmp_path):
    seed = int(time.time())
    points = kill_points(random.Random(seed))
    whole = run_here([*ARGS, "--name", "whole"], tmp_path)      # in this process, at run_cli's thread count (one)
    assert whole.returncode == 0, whole.stderr
    model, summary, grids, _ = outcome(tmp_path / "runs" / "whole")
    for index, point in enumerate(points):
        name = f"cut-{index}"
        killed = run_cli([*ARGS, "--name", name], tmp_path, fault=point)
        assert killed.returncode == -9, (seed, point, killed.returncode, killed.stderr[-300:])
        again = run_cli([*ARGS, "--name", name], tmp_path)
        assert again.returncode == 0, (seed, point, again.stderr[-500:])
        cut_model, cut_summary, cut_grids, leftovers = outcome(tmp_path / "runs" / name)
        assert not leftovers, (seed, point, leftovers)
        different = [k for k in model if not torch.equal(model[k], cut_model[k])]
        assert not different, (seed, point, different[:3])
        assert cut_grids == grids, (seed, point, cut_grids)
        assert cut_summary["model_sha256"] == summary["model_sha256"], (seed, point)
        assert learned(cut_summary["final_metrics"]) == learned(summary["final_metrics"]), (seed, point)
        if point == f"checkpoint-committed:{SNAPSHOTS}":
            assert "missing or stale" in again.stderr, again.stderr[-500:]


def test_rerunning_a_finished_run_keeps_its_summary(tmp_path, capsys):
    args = [*ARGS, "--kimg", "0.064", "--out", str(tmp_path / "runs"), "--name", "done"]
    faults.reset()
    assert main(args) == 0
    before = json.loads((tmp_path / "runs" / "done" / "summary.json").read_text())
    assert before["final_metrics"]
    capsys.readouterr()
    assert main(args) == 0
    assert "already reached" in capsys.readouterr().err
    after = json.loads((tmp_path / "runs" / "done" / "summary.json").read_text())
    assert after["final_metrics"] == before["final_metrics"]
    assert after["model_sha256"] == before["model_sha256"]
