"""benchmarks/parallel_jobs.py: jobs run N at a time, every row reaches the result as soon as its job ends, and
a job that ends first is written first (a device call cut by its time limit keeps the finished rows)."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from parallel_jobs import run_jobs  # noqa: E402


def test_jobs_run_at_once_and_rows_arrive_as_they_end():
    running, most = [0], [0]
    lock = threading.Lock()

    def job(name: str, seconds: float) -> dict:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(seconds)
        with lock:
            running[0] -= 1
        return {"name": name}

    seen: list[list[str]] = []
    rows = run_jobs(job, [("slow", 0.3), ("fast", 0.05)], 2, lambda rows: seen.append([r["name"] for r in rows]))
    assert most[0] == 2
    assert seen == [["fast"], ["fast", "slow"]]
    assert [r["name"] for r in rows] == ["fast", "slow"]


def test_one_at_a_time_keeps_the_order_given():
    rows = run_jobs(lambda k: {"k": k}, [(3,), (1,), (2,)], 1, lambda rows: None)
    assert [r["k"] for r in rows] == [3, 1, 2]
