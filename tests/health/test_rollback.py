"""Divergence on demand (DUELO_INJECT_NAN poisons a weight of D after an iteration): detected, rolled back to
the last good checkpoint with lower learning rates, and the run finishes; poisoned on every retry, it gives
up after the configured number of rollbacks with a clear message. No checkpoint on disk is ever non-finite."""

from __future__ import annotations

import pytest

import json

import torch
from safetensors.torch import load_file

from duelo.cli.main import main
from tests.training.helpers import TINY_ARGS


def _records(run):
    return [json.loads(line) for line in (run / "health.jsonl").read_text().splitlines()]


def _assert_every_checkpoint_finite(run) -> int:
    folders = sorted((run / "checkpoints").glob("ckpt-*"))
    for folder in folders:
        tensors = load_file(str(folder / "state.safetensors"))
        for name, tensor in tensors.items():
            if tensor.is_floating_point():
                assert torch.isfinite(tensor).all(), f"{folder.name}: {name} is not finite"
    return len(folders)


def test_injected_nan_is_rolled_back_and_the_run_finishes(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUELO_INJECT_NAN", "12")              # after iteration 12 (384 images)
    assert main(["train", *TINY_ARGS, "--name", "nan-once", "--set", "run.keep_checkpoints=10"]) == 0
    err = capsys.readouterr().err
    assert "rolled back to ckpt-000000000320" in err and "x0.5" in err
    run = tmp_path / "runs" / "nan-once"
    assert json.loads((run / "summary.json").read_text())["kimg"] == 0.64
    events = [r for r in _records(run) if r["kind"] == "event"]
    kinds = [e["event"] for e in events]
    assert kinds.count("divergence") == 1 and kinds.count("rollback") == 1 and "gave_up" not in kinds
    rollback = events[kinds.index("rollback")]
    assert rollback["evidence"]["restored_nimg"] == 320 and rollback["evidence"]["lr_scale"] == 0.5
    assert _assert_every_checkpoint_finite(run) >= 3
    final = sorted((run / "checkpoints").glob("ckpt-*"))[-1]
    meta = json.loads((final / "state.json").read_text())
    assert meta["lr_scale"] == 0.5
    lrs = [group["lr"] for group in meta["optimizers"]["opt.G"]]
    assert lrs == [1e-4]                                       # 2e-4 halved, and it stays halved
    # metrics.jsonl was cut back to the checkpoint and logged again: one line per log point, in order
    nimgs = [json.loads(line)["nimg"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert nimgs == sorted(set(nimgs))


def test_nan_on_every_retry_gives_up_without_a_nonfinite_checkpoint(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUELO_INJECT_NAN", "7:always")
    code = main(["train", *TINY_ARGS, "--name", "nan-always", "--set", "health.max_rollbacks=2"])
    err = capsys.readouterr().err
    assert code == 2
    assert "diverged 3 times" in err and "gave up" in err and "Every checkpoint on disk is finite" in err
    run = tmp_path / "runs" / "nan-always"
    kinds = [r["event"] for r in _records(run) if r["kind"] == "event"]
    assert kinds.count("divergence") == 3 and kinds.count("rollback") == 2 and kinds[-1] == "gave_up"
    assert _assert_every_checkpoint_finite(run) == 1           # ckpt at 160 images, the last good state
    assert not (run / "summary.json").exists()


def test_nan_before_the_first_checkpoint_rolls_back_to_the_start(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUELO_INJECT_NAN", "2")
    assert main(["train", *TINY_ARGS, "--name", "nan-early", "--kimg", "0.32"]) == 0
    err = capsys.readouterr().err
    assert "rolled back to the starting state (0.0 kimg)" in err
    assert _assert_every_checkpoint_finite(tmp_path / "runs" / "nan-early") >= 1


@pytest.mark.slow
def test_a_kill_after_a_rollback_keeps_the_lowered_learning_rate(tmp_path, monkeypatch, capsys):
    from tests.training.helpers import run_cli

    monkeypatch.setenv("DUELO_INJECT_NAN", "12")
    killed = run_cli(["train", *TINY_ARGS, "--name", "cut"], tmp_path, fault="iteration:14")
    assert killed.returncode != 0 and "rolled back" in killed.stderr
    monkeypatch.delenv("DUELO_INJECT_NAN")          # the re-run diverges no more: only the saved history counts
    resumed = run_cli(["train", *TINY_ARGS, "--name", "cut"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "rolled back" not in resumed.stderr
    final = sorted((tmp_path / "runs" / "cut" / "checkpoints").glob("ckpt-*"))[-1]
    meta = json.loads((final / "state.json").read_text())
    assert meta["lr_scale"] == 0.5 and [g["lr"] for g in meta["optimizers"]["opt.D"]] == [1e-4]


def test_a_run_folder_from_before_the_new_sections_resumes(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = [*TINY_ARGS, "--name", "old", "--no-health", "--augment", "none"]
    assert main(["train", *args, "--kimg", "0.32"]) == 0
    config_path = tmp_path / "runs" / "old" / "config.json"
    legacy = json.loads(config_path.read_text())
    for section in ("stabilise", "augment", "health"):
        legacy.pop(section)
    config_path.write_text(json.dumps(legacy))
    assert main(["train", *TINY_ARGS, "--name", "old"]) == 0       # the same command as before the upgrade
    err = capsys.readouterr().err
    assert "resuming from ckpt-000000000320" in err and "held out" not in err
