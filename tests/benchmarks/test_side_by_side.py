"""The side-by-side harness runs end to end on the CPU with tiny shapes (no timing assertions): every row
either measures or says why not, and the JSON carries the numbers. Peer rows need the peer wheels
(benchmarks/peers/README.md); without them those rows are 'unsupported', which is also checked."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

side_by_side = pytest.importorskip("benchmarks.side_by_side")


def test_plain_and_duelo_run_two_steps(tmp_path):
    out = tmp_path / "results.json"
    rows = side_by_side.main(["--device", "cpu", "--tasks", "dcgan32", "--batches", "2", "--seconds", "0",
                              "--warmup", "1", "--sync-every", "1", "--contenders", "plain eager,duelo",
                              "--out", str(out)])
    assert [row["status"] for row in rows] == ["ok", "ok"], [row.get("error") for row in rows]
    plain, duelo = rows
    assert plain["vs_plain"] == pytest.approx(1.0)
    assert plain["gflop_per_iteration"] > 0 and duelo["gflop_per_iteration"] > 0
    report = json.loads(out.read_text())
    assert report["rows"][1]["contender"].startswith("duelo") and "torch" in report


def test_unsupported_rows_do_not_stop_the_run():
    rows = side_by_side.main(["--device", "cpu", "--tasks", "sngan32", "--batches", "2", "--seconds", "0",
                              "--warmup", "1", "--sync-every", "1", "--contenders", "plain eager,duelo graph"])
    assert [row["status"] for row in rows] == ["unsupported", "unsupported"]


def test_mimicry_runs_when_installed():
    if importlib.util.find_spec("torch_mimicry") is None:    # (importing it for real would pull in TensorFlow)
        pytest.skip("torch-mimicry wheel not installed (benchmarks/peers/README.md)")
    rows = side_by_side.main(["--device", "cpu", "--tasks", "dcgan32", "--batches", "2", "--seconds", "0",
                              "--warmup", "1", "--sync-every", "1", "--contenders", "torch-mimicry"])
    assert rows[0]["status"] == "ok", rows[0].get("error")
