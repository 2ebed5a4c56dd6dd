"""The health monitor wired into tiny CPU runs: one signals record per check with sane values, a monitor that
never changes training (bitwise, whatever the check cadence), the monitor switched off, health.jsonl after
SIGKILL and resume equal to an uninterrupted run's, and `duelo doctor` on a real run folder."""

from __future__ import annotations

import contextlib
import io
import json
import math
import signal

import pytest
import torch

from duelo.cli.main import main
from duelo.io.json_files import json_lines
from tests.training.helpers import TINY_ARGS, final_state, run_cli

# TINY_ARGS: 0.64 kimg in batches of 32, a snapshot (and so a health check) every 0.16 kimg
CHECKS = [160, 320, 480, 640]
HELD_OUT = 90                         # round(0.05 x 1797 digits)
SIGNALS = ("d_real_train", "d_real_heldout", "d_fake", "rt_train", "rt_heldout", "overfit_rv", "d_accuracy",
           "grad_norm_D", "grad_norm_G", "diversity_ratio", "classes_covered", "classes_total", "lr_scale")
MODES = {"divergence": "divergence", "mode_collapse": "mode collapse",
         "discriminator_overfitting": "discriminator overfitting", "vanishing_gradients": "vanishing gradients"}


def train_args(name: str, *extra: str) -> list[str]:
    return ["train", *TINY_ARGS, "--name", name, *extra]


def signals_records(run) -> list[dict]:
    return [r for r in list(json_lines(run / "health.jsonl")) if r["kind"] == "signals"]


def strip_times(run) -> list[dict]:
    return [{k: v for k, v in json.loads(line).items() if k not in ("img_per_s", "time_s")}
            for line in (run / "metrics.jsonl").read_text().splitlines()]


def assert_same_state(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, f"{len(different)} of {len(a)} tensors differ, e.g. {different[:3]}"


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """One uninterrupted tiny run with the default cadence (a check at every snapshot) and its log."""
    cwd = tmp_path_factory.mktemp("baseline")
    err = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stderr(err):
        mp.chdir(cwd)
        mp.delenv("DUELO_FAULT", raising=False)
        assert main(train_args("base")) == 0
    return cwd, cwd / "runs" / "base", err.getvalue()


def test_one_signals_record_per_check_with_plausible_values(baseline):
    _, run, err = baseline
    records = list(json_lines(run / "health.jsonl"))
    assert all(r["kind"] in ("signals", "event") for r in records)
    signals = signals_records(run)
    assert [r["nimg"] for r in signals] == CHECKS
    assert [r["kimg"] for r in signals] == [n / 1000 for n in CHECKS]
    for record in signals:
        s = record["signals"]
        missing = [k for k in SIGNALS if k not in s]
        assert not missing, f"at {record['nimg']}: {missing} missing"
        defined = [k for k in SIGNALS if not (k == "overfit_rv" and s[k] is None)]
        assert all(isinstance(s[k], float) and math.isfinite(s[k]) for k in defined), s
        gap = s["d_real_train"] - s["d_fake"]
        assert (s["overfit_rv"] is None) == (gap <= 0.1), s      # r_v only once D separates at all
        assert -1 <= s["rt_train"] <= 1 and -1 <= s["rt_heldout"] <= 1
        assert 0 <= s["d_accuracy"] <= 1
        assert s["grad_norm_D"] > 0 and s["grad_norm_G"] > 0
        assert 0 < s["diversity_ratio"] < 3
        assert s["classes_total"] == 10.0                      # the digits have 10 classes
        assert s["classes_covered"] == int(s["classes_covered"]) and 0 <= s["classes_covered"] <= 10
        assert s["lr_scale"] == 1.0
        assert "augment_p" not in s                          # 1707 images at 8x8 need no augmentation
    # loss means of the interval since the previous check, from metrics.jsonl
    lines = list(json_lines(run / "metrics.jsonl"))
    window = [r["loss_D"] for r in lines if CHECKS[0] < r["nimg"] <= CHECKS[1]]
    assert window and signals[1]["signals"]["loss_D"] == pytest.approx(sum(window) / len(window), abs=1e-5)
    # the probe is not a constant: D learns between checks
    assert len({r["signals"]["d_real_train"] for r in signals}) == len(CHECKS)
    assert f"({HELD_OUT} held out for the health monitor)" in err
    # events come only at checks, after the warm-up (10 % of 0.64 kimg), and each is told once per streak
    events = [r for r in records if r["kind"] == "event" and r["event"] != "capacity"]
    assert [r["nimg"] for r in records if r.get("event") == "capacity"] == [0]      # G's and D's sizes, at build
    assert {e["nimg"] for e in events} <= set(CHECKS)
    for kind in {e["event"] for e in events}:
        at = [c in {e["nimg"] for e in events if e["event"] == kind} for c in CHECKS]
        streaks = sum(1 for i, hit in enumerate(at) if hit and (i == 0 or not at[i - 1]))
        assert err.count(f": {kind.replace('_', ' ')}: ") == streaks, (kind, at)


def test_check_cadence_never_changes_training(baseline, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(train_args("often", "--set", "health.every_kimg=0.08")) == 0
    assert main(train_args("once", "--set", "health.every_kimg=0.64")) == 0
    capsys.readouterr()
    often, once, base = tmp_path / "runs" / "often", tmp_path / "runs" / "once", baseline[1]
    often_signals, once_signals = signals_records(often), signals_records(once)
    assert [r["nimg"] for r in often_signals] == [96, 160, 256, 320, 416, 480, 576, 640]    # 8 checks
    assert [r["nimg"] for r in once_signals] == [640]                                     # 1 check
    reference = final_state(base)
    assert_same_state(final_state(often), reference)
    assert_same_state(final_state(once), reference)
    assert strip_times(often) == strip_times(base) == strip_times(once)
    # and a check of one state reads the same whenever the monitor looked before
    by_nimg = {r["nimg"]: r["signals"] for r in signals_records(base)}
    for record in often_signals + once_signals:
        if record["nimg"] in by_nimg:
            # loss means cover the interval since the previous check, which the cadence sets
            probe = lambda signals: {k: v for k, v in signals.items() if k not in ("loss_D", "loss_G")}  # noqa: E731
            assert probe(record["signals"]) == probe(by_nimg[record["nimg"]]), record["nimg"]


def test_monitor_off_writes_no_signals_and_holds_nothing_out(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(train_args("off", "--set", "health.enabled=false")) == 0
    err = capsys.readouterr().err
    run = tmp_path / "runs" / "off"
    assert (run / "summary.json").exists()
    assert signals_records(run) == []
    assert not [r for r in list(json_lines(run / "health.jsonl")) if r.get("event") in MODES]
    line = next(line for line in err.splitlines() if line.startswith("run folder"))
    assert "1797 images" in line and "held out" not in line
    assert "health at" not in err


@pytest.mark.parametrize("fault, before", [("checkpoint-committed:2", [160, 320]),
                                           ("checkpoint-mid-save:3", [160, 320, 480])])
def test_resume_after_kill_replays_health_log_exactly(baseline, tmp_path, monkeypatch, capsys, fault, before):
    args = train_args("resumed")
    # the same thread count as this process (conftest: 1): a probe ratio with a tiny denominator (r_v at the
    # first check) differs in its 6th digit between 1 and 2 threads
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    killed = run_cli(args, tmp_path, fault=fault)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    run = tmp_path / "runs" / "resumed"
    assert not (run / "summary.json").exists()
    # mid-save: the check at 480 was written, its checkpoint was not; resume must drop it
    assert [r["nimg"] for r in signals_records(run)] == before
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DUELO_FAULT", raising=False)
    assert main(args) == 0
    assert "resuming from ckpt-000000000320" in capsys.readouterr().err
    nimgs = [r["nimg"] for r in signals_records(run)]
    assert len(nimgs) == len(set(nimgs)) and nimgs == CHECKS
    resumed, reference = list(json_lines(run / "health.jsonl")), list(json_lines(baseline[1] / "health.jsonl"))
    assert len(resumed) == len(reference)
    for got, want in zip(resumed, reference):
        assert got == want


def test_doctor_on_a_finished_tiny_run(baseline, monkeypatch, capsys):
    cwd, run, _ = baseline
    monkeypatch.chdir(cwd)
    code = main(["doctor", "runs/base"])
    out = capsys.readouterr().out
    assert code in (0, 1)
    verdict = next(line for line in out.splitlines() if line.startswith("verdict   "))
    problems = verdict.startswith(("verdict   problems found", "verdict   failed"))
    assert code == (1 if problems else 0), verdict
    assert "progress  0.6 / 0.64 kimg, finished" in out
    seen = {r["event"] for r in list(json_lines(run / "health.jsonl")) if r["kind"] == "event"}
    for mode, label in MODES.items():
        lines = [line for line in out.splitlines()
                 if line.startswith(("  OK    ", "  WARN  ", "  FOUND ")) and line[8:].startswith(f"{label}: ")]
        assert len(lines) == 1, (label, out)
        assert lines[0].startswith("  OK    ") == (mode not in seen), lines[0]
    assert "mode_collapse" not in seen or not verdict.startswith("verdict   healthy") or "warning" in verdict
    png = run / "doctor.png"
    assert f"plot      {png.relative_to(cwd)}" in out
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and png.stat().st_size > 5000


def test_records_after_reads_only_the_tail_it_needs(tmp_path):
    from duelo.health.monitor import records_after

    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps({"nimg": 100 * i, "loss_D": float(i)}) + "\n" for i in range(1, 2001)))
    assert [r["nimg"] for r in records_after(path, 199_500)] == [199_600, 199_700, 199_800, 199_900, 200_000]
    # a tiny chunk forces several rounds; the answer is the same
    assert records_after(path, 150_000, chunk=64) == [json.loads(line) for line in path.read_text().splitlines()
                                                      if json.loads(line)["nimg"] > 150_000]
    assert len(records_after(path, 0)) == 2000 and records_after(tmp_path / "none.jsonl", 0) == []
