"""The monitor on the toy task's ring of 8 Gaussians (Metz et al. 2017): a set-up known to collapse (D learns
10x faster than G, no R1) is flagged as mode collapse with its modes counted far below 8; the task's default
(equal rates, lazy R1) covers all 8 modes and the flag stays silent. Seeds fixed; about 4 s and 14 s."""

from __future__ import annotations

import json

import pytest

from duelo.tasks import task_config
from duelo.tasks.runner import train

KIMG = 512.0               # the task's default length: the stabilised run needs it to reach every mode
COLLAPSE_KIMG = 128.0      # the collapsing set-up has fallen onto 2 modes by then (seed 2), as it has at 512


def _train_and_check(tmp_path, kimg=KIMG, **settings):
    config = task_config("toy", {"health.samples": 2000, "health.warmup_kimg": 0.7 * kimg, "train.seed": 2,
                                 "train.total_kimg": kimg, "run.snapshot_kimg": kimg / 4, "run.out": str(tmp_path),
                                 "train.device": "cpu", **settings})
    messages: list[str] = []

    class Log:
        def write(self, text):
            messages.append(text)

        def flush(self):
            pass

        def isatty(self):
            return False

    summary = train(config, stream=Log(), live_progress=False)
    run = tmp_path / "ring-toy"
    records = [json.loads(line) for line in (run / "health.jsonl").read_text().splitlines()]
    assert len([r for r in records if r["kind"] == "signals"]) == 4     # checks at each snapshot
    return records, "".join(messages), summary


@pytest.mark.slow
def test_collapsing_setup_is_flagged_as_mode_collapse(tmp_path):
    records, messages, summary = _train_and_check(tmp_path, COLLAPSE_KIMG, **{"optim.g_lr": 1e-4, "optim.d_lr": 1e-3,
                                                                              "stabilise.r1_gamma": 0.0})
    last = [r for r in records if r["kind"] == "signals"][-1]["signals"]
    assert last["classes_covered"] <= 2 and last["classes_total"] == 8      # modes covered far below 8
    assert last["diversity_ratio"] < 0.5                                   # health.collapse_diversity
    events = [r for r in records if r["kind"] == "event"]
    assert events and events[-1]["event"] == "mode_collapse" and events[-1]["nimg"] == COLLAPSE_KIMG * 1000
    assert "mode collapse" in messages and "classes appear" in messages and "Try:" in messages
    assert summary["modes_covered"] <= 2


@pytest.mark.slow
def test_stabilised_default_covers_every_mode_and_is_not_flagged(tmp_path):
    records, messages, summary = _train_and_check(tmp_path)
    last = [r for r in records if r["kind"] == "signals"][-1]["signals"]
    assert last["classes_covered"] == 8
    assert last["diversity_ratio"] == pytest.approx(1.0, abs=0.1)
    assert not [r for r in records if r["kind"] == "event" and r["event"] != "capacity"], messages
    assert summary["modes_covered"] == 8 and summary["high_quality_fraction"] > 0.5
    from duelo.tasks.registry import TASKS
    assert TASKS.get("toy").headline(summary)[0] == "modes_covered 8"
