"""The monitor on the 8-Gaussians ring (Metz et al. 2017): a set-up known to collapse (D learns 10x faster
than G) is flagged as mode collapse with its modes counted far below 8; the same GAN with equal rates and
lazy R1 covers all 8 modes and the flag stays silent. Seeds fixed; about 10 s per run on one core."""

from __future__ import annotations

import json

import pytest

from duelo.config import Config
from duelo.health.monitor import HealthLog, HealthMonitor
from duelo.training.run_dir import RunDir
from tests.health.toy import ring_probe_data, ring_trainer

ITERATIONS = 2000
BATCH = 256


def _train_and_check(tmp_path, **settings):
    trainer = ring_trainer(seed=2, batch=BATCH, **settings)
    messages: list[str] = []
    config = Config().with_overrides({"health.samples": 2000, "health.warmup_kimg": 0.7 * ITERATIONS * BATCH / 1000})
    monitor = HealthMonitor(config, HealthLog(RunDir(tmp_path)), ring_probe_data, messages.append)
    # checks at 3/4 and at the end: a verdict of collapse needs two checks in a row without improvement
    trainer.fit(ITERATIONS * BATCH, every=[(ITERATIONS * BATCH // 4, monitor)])
    assert len(monitor.history) == 4
    records = [json.loads(line) for line in (tmp_path / "health.jsonl").read_text().splitlines()]
    return records, messages


def test_collapsing_setup_is_flagged_as_mode_collapse(tmp_path):
    records, messages = _train_and_check(tmp_path, g_lr=1e-4, d_lr=1e-3)
    last = [r for r in records if r["kind"] == "signals"][-1]["signals"]
    assert last["classes_covered"] <= 2 and last["classes_total"] == 8      # modes covered far below 8
    assert last["diversity_ratio"] < 0.2
    events = [r for r in records if r["kind"] == "event"]
    assert events and events[-1]["event"] == "mode_collapse" and events[-1]["nimg"] == ITERATIONS * BATCH
    assert "mode collapse" in messages[-1] and "classes appear" in messages[-1] and "Try:" in messages[-1]


def test_stabilised_setup_covers_every_mode_and_is_not_flagged(tmp_path):
    records, messages = _train_and_check(tmp_path, g_lr=1e-3, d_lr=1e-3, r1_gamma=0.1, reg_interval=4)
    last = [r for r in records if r["kind"] == "signals"][-1]["signals"]
    assert last["classes_covered"] == 8
    assert last["diversity_ratio"] == pytest.approx(1.0, abs=0.1)
    assert not [r for r in records if r["kind"] == "event"], messages
