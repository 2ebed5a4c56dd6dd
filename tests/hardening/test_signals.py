"""A stop signal during a long evaluation between iterations stops the run at once (not after the evaluation),
the snapshot due at that point is still written, and re-running the command finishes the run."""

from __future__ import annotations

import json
import time

import pytest

from tests.training.helpers import TINY_ARGS, run_cli

ARGS = ["train", *TINY_ARGS, "--device", "cpu", "--conditional", "--kimg", "0.32", "--eval-every", "0.16",
        "--snapshot-kimg", "0.16",
        "--set", "run.eval_samples=100", "--name", "run"]


@pytest.mark.slow
@pytest.mark.parametrize("signal_name", ["SIGTERM"])    # SIGINT takes the same path
def test_a_signal_during_evaluation_stops_at_once_and_the_run_resumes(tmp_path, signal_name):
    started = time.perf_counter()
    # the signal arrives as the first evaluation (at 0.16 kimg) begins
    stopped = run_cli(ARGS, tmp_path, fault=f"evaluation:1:{signal_name}")
    assert stopped.returncode == 130, stopped.stderr[-600:]
    assert "stopped at 0.2 kimg" in stopped.stderr and "Traceback" not in stopped.stderr
    run = tmp_path / "runs" / "run"
    assert (run / "samples" / "grid-000000160.png").exists()          # the due snapshot was not skipped
    eval_log = run / "eval.jsonl"
    assert not eval_log.exists() or not eval_log.read_text().strip()  # the cut evaluation left no line
    resumed = run_cli(ARGS, tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-600:]
    assert "resuming from ckpt-000000000160" in resumed.stderr
    assert json.loads((run / "summary.json").read_text())["kimg"] == 0.32
    assert [json.loads(line)["nimg"] for line in eval_log.read_text().splitlines()] == [320]
    assert time.perf_counter() - started < 240
