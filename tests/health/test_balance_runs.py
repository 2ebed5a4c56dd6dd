"""G/D balance on real digits (MNIST-5k), runs made unbalanced on purpose: D at 50x G's rate with three D steps
per G step is flagged as D ahead (sure of itself: logit gaps of 20+) with remedies that name the rates and the D
steps; the default set-up, whose D is also right most of the time early on but less sure, is not. Both record
G's and D's sizes at build time. About 6 s each on two cores."""

from __future__ import annotations

import json

import pytest

from duelo.cli.main import main


@pytest.fixture(autouse=True)
def _few_judge_steps(monkeypatch):
    """The monitor's judge of MNIST-5k at 32x32 gives its classes and features, which play no part in the G/D
    balance (D's logits and accuracy do): 20 steps instead of the suite's 200 (35 s of training on two cores)."""
    monkeypatch.setenv("DUELO_JUDGE_STEPS", "20")


def _run(tmp_path, name: str, *options: str) -> list[dict]:
    """1 kimg with checks at 0.5 and 1 (dominance needs two in a row): the unbalanced D is sure of itself from the
    first (logit gaps of ~25 at both, as at 1 and 2 kimg), the default's gaps stay near 5-6."""
    assert main(["train", "--kimg", "1", "--set", "health.every_kimg=0.5", "--set", "health.warmup_kimg=0.25",
                 "--set", "health.samples=128", "--set", "run.snapshot_kimg=1", "--out", str(tmp_path), "--name",
                 name, *options]) == 0
    return [json.loads(line) for line in (tmp_path / name / "health.jsonl").read_text().splitlines()]


def test_an_unbalanced_run_is_flagged(tmp_path, capsys):
    unbalanced = _run(tmp_path, "unbalanced", "--g-lr", "2e-5", "--d-lr", "1e-3", "--set", "train.d_steps=3")
    events = [r for r in unbalanced if r["kind"] == "event"]
    dominance = [e for e in events if e["event"] == "discriminator_dominates"]
    assert dominance, [e["event"] for e in events]
    assert dominance[0]["evidence"]["rate_ratio"] == 50 and "--d-lr 2e-05" in dominance[0]["remedy"]
    assert "train.d_steps=1" in dominance[0]["remedy"]
    assert events[0]["event"] == "capacity" and "D/G" in events[0]["message"]
    assert main(["doctor", str(tmp_path / "unbalanced"), "--no-plot"]) == 1
    assert "G/D imbalance (D ahead)" in capsys.readouterr().out


def test_the_default_is_not_flagged(tmp_path):              # a test of its own: the two runs go to two workers
    default = _run(tmp_path, "default")
    assert not [r for r in default if r.get("event") in ("discriminator_dominates", "oscillation")]
