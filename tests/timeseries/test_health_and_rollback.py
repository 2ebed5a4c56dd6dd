"""The shared safety nets on the sequence and media tasks (time series, video, audio, music), as for images: the
health monitor writes its signals with --health, an injected NaN is rolled back and the run still finishes, and the
time budget ends a run normally with its final snapshot. Audio and music train on made-up clips and pieces."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from duelo.cli.main import main

SERIES = ["train", "--task", "timeseries", "--window", "12", "--batch", "64", "--set", "data.max_windows=800",
          "--set", "series.width=16", "--set", "series.eval_samples=64", "--set", "series.score_steps=10"]
VIDEO = ["train", "--task", "video", "--resolution", "16", "--frames", "4", "--width", "4", "--batch", "16",
         "--set", "video.eval_clips=32", "--set", "video.score_steps=5"]
AUDIO = ["train", "--task", "audio", "--width", "4", "--batch", "8", "--conditional", "--loss", "hinge",
         "--d-steps", "1", "--set", "audio.eval_clips=16", "--set", "audio.scorer_epochs=1"]
MUSIC = ["train", "--task", "music", "--width", "16", "--batch", "16", "--bars", "2", "--conditional",
         "--set", "music.eval_pieces=16"]
TASKS = {"timeseries": SERIES, "video": VIDEO, "audio": AUDIO, "music": MUSIC}
# the iteration (one G step) of the injected NaN, past the first snapshot (0.25 kimg) and before the end: 0.384 kimg
# for series (batch 64) and video (16), 0.32 for audio (8); music takes 5 D steps each
NAN_AT = {"timeseries": 6, "video": 24, "audio": 40, "music": 6}
# kimg of the health and NaN runs: half a kimg is enough for two health checks and a NaN between snapshots; music,
# whose G steps each take 5 D steps, keeps 1
KIMG = {"timeseries": 0.5, "video": 0.5, "audio": 0.5, "music": 1.0}


def _args(task: str, folder: Path) -> list[str]:
    """The task's tiny run, with made-up data where it has no generated default."""
    if task == "audio":
        from tests.audio.made_up import made_up_clips

        return [*TASKS[task], "--dataset", str(made_up_clips(folder / "tones.npz"))]
    if task == "music":
        from tests.music.made_up import made_up_chorales

        return [*TASKS[task], "--dataset", str(made_up_chorales(folder / "pieces.npz"))]
    return TASKS[task]


def _records(run):
    return [json.loads(line) for line in (run / "health.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("task", sorted(TASKS))
def test_the_health_monitor_logs_its_signals(task, tmp_path):
    assert main([*_args(task, tmp_path), "--health", "--set", "health.samples=32", "--kimg", str(KIMG[task]),
                 "--set", f"run.snapshot_kimg={KIMG[task] / 2}", "--out", str(tmp_path), "--name", "h"]) == 0
    signals = [r for r in _records(tmp_path / "h") if r["kind"] == "signals"]
    assert len(signals) == 2
    for record in signals:
        assert {"d_real_train", "d_real_heldout", "d_fake", "diversity_ratio", "overfit_rv"} <= set(record["signals"])


@pytest.mark.parametrize("task", sorted(TASKS))
def test_an_injected_nan_is_rolled_back_and_the_run_finishes(task, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DUELO_INJECT_NAN", str(NAN_AT[task]))
    assert main([*_args(task, tmp_path), "--kimg", str(KIMG[task]), "--set", "run.snapshot_kimg=0.25", "--set",
                 "run.keep_checkpoints=10", "--out", str(tmp_path), "--name", "n"]) == 0
    assert "rolled back to ckpt-" in capsys.readouterr().err
    run = tmp_path / "n"
    assert json.loads((run / "summary.json").read_text())["kimg"] >= KIMG[task]
    kinds = [r["event"] for r in _records(run) if r["kind"] == "event"]
    assert kinds.count("rollback") == 1


def test_timegan_refuses_the_health_monitor(tmp_path, capsys):
    assert main(["train", "--preset", "timegan", "--health", "--kimg", "1", "--out", str(tmp_path)]) != 0
    assert "latent space" in capsys.readouterr().err


@pytest.mark.parametrize("task", sorted(TASKS))
def test_the_time_budget_ends_a_run_with_its_snapshot(task, tmp_path, capsys):
    # 1.2 s of training: the budget is checked between iterations and starts after the set-up, so at least one runs
    assert main([*_args(task, tmp_path), "--kimg", "1000", "--minutes", "0.02", "--out", str(tmp_path),
                 "--name", "t"]) == 0
    assert "time budget" in capsys.readouterr().err
    summary = json.loads((tmp_path / "t" / "summary.json").read_text())
    assert 0 < summary["kimg"] < 1000 and (tmp_path / "t" / "model" / "model.safetensors").is_file()
