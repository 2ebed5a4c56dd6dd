"""Checkpoint commits are atomic: failures mid-save, a full disk, damaged files and non-finite state
never cost the last good checkpoint."""

import json
import subprocess
import sys
import textwrap

import pytest
import torch

from duelo.errors import CheckpointError
from duelo.training import checkpoint as ckpt


def tensors(value: float = 1.0) -> dict:
    return {"w": torch.full((64, 64), value), "step": torch.tensor(3)}


def test_save_then_read_round_trip(tmp_path):
    path = ckpt.save_checkpoint(tmp_path, 1000, tensors(2.0), {"counters": {"nimg": 1000}})
    loaded = ckpt.read_checkpoint(path)
    assert loaded.nimg == 1000 and torch.equal(loaded.tensors["w"], tensors(2.0)["w"])
    assert loaded.meta["counters"] == {"nimg": 1000}
    assert json.loads((path / "state.json").read_text())["format"] == "duelo-checkpoint"


def test_failing_save_leaves_previous_checkpoint_intact(tmp_path, monkeypatch):
    ckpt.save_checkpoint(tmp_path, 1000, tensors(1.0), {})

    def broken_save(data, filename, *args, **kwargs):
        with open(filename, "wb") as handle:
            handle.write(b"partial")           # a half-written file, then the failure
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ckpt, "save_file", broken_save)
    with pytest.raises(CheckpointError, match="No space left.*previous checkpoint ckpt-000000001000 is intact"):
        ckpt.save_checkpoint(tmp_path, 2000, tensors(9.0), {})
    assert [n for n, _ in ckpt.list_checkpoints(tmp_path)] == [1000]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temp folder cleaned up"
    latest = ckpt.latest_checkpoint(tmp_path)
    assert latest.nimg == 1000 and torch.equal(latest.tensors["w"], tensors(1.0)["w"])


def test_full_disk_via_file_size_limit(tmp_path):
    """RLIMIT_FSIZE stands in for a full disk: the second save fails, the first checkpoint survives."""
    script = textwrap.dedent(f"""
        import resource, signal, sys, torch
        from pathlib import Path
        from duelo.errors import CheckpointError
        from duelo.training.checkpoint import save_checkpoint
        directory = Path({str(tmp_path)!r})
        save_checkpoint(directory, 1000, {{"w": torch.ones(256, 256)}}, {{}})
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)        # get EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))
        try:
            save_checkpoint(directory, 2000, {{"w": torch.ones(256, 256)}}, {{}})
        except CheckpointError as error:
            print("FAILED", error)
            sys.exit(0)
        print("SAVED")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("FAILED") and "is intact" in done.stdout
    assert [n for n, _ in ckpt.list_checkpoints(tmp_path)] == [1000]
    assert ckpt.latest_checkpoint(tmp_path).nimg == 1000


def test_damaged_newest_checkpoint_falls_back_to_previous(tmp_path):
    ckpt.save_checkpoint(tmp_path, 1000, tensors(1.0), {}, keep=3)
    newest = ckpt.save_checkpoint(tmp_path, 2000, tensors(2.0), {}, keep=3)
    data = bytearray((newest / "state.safetensors").read_bytes())
    data[-10] ^= 0xFF                                           # flip a byte in the tensor data
    (newest / "state.safetensors").write_bytes(bytes(data))
    warnings = []
    latest = ckpt.latest_checkpoint(tmp_path, warn=warnings.append)
    assert latest.nimg == 1000
    assert "does not match the hash" in warnings[0]


def test_unreadable_meta_is_reported(tmp_path):
    path = ckpt.save_checkpoint(tmp_path, 1000, tensors(), {})
    (path / "state.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        ckpt.read_checkpoint(path)


def test_non_finite_state_is_never_written(tmp_path):
    bad = tensors()
    bad["w"][3, 3] = float("nan")
    with pytest.raises(CheckpointError, match="non-finite"):
        ckpt.save_checkpoint(tmp_path, 1000, bad, {})
    assert ckpt.list_checkpoints(tmp_path) == []


def test_prune_keeps_newest_and_only_after_commit(tmp_path):
    for nimg in (1000, 2000, 3000, 4000):
        ckpt.save_checkpoint(tmp_path, nimg, tensors(nimg), {}, keep=2)
    assert [n for n, _ in ckpt.list_checkpoints(tmp_path)] == [3000, 4000]


def test_stale_temp_folders_are_removed(tmp_path):
    (tmp_path / ".ckpt-000000002000.abc.tmp").mkdir()
    ckpt.remove_stale_temp(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_damaged_checkpoint_at_the_same_position_is_replaced(tmp_path):
    path = ckpt.save_checkpoint(tmp_path, 1000, tensors(1.0), {})
    (path / "state.safetensors").write_bytes(b"garbage")
    again = ckpt.save_checkpoint(tmp_path, 1000, tensors(2.0), {})
    assert torch.equal(ckpt.read_checkpoint(again).tensors["w"], tensors(2.0)["w"])
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt-000000001000"]


def test_an_intact_checkpoint_at_the_same_position_is_kept(tmp_path):
    ckpt.save_checkpoint(tmp_path, 1000, tensors(1.0), {})
    ckpt.save_checkpoint(tmp_path, 1000, tensors(2.0), {})
    assert torch.equal(ckpt.latest_checkpoint(tmp_path).tensors["w"], tensors(1.0)["w"])


def test_a_snapshot_replaces_a_ctrl_c_checkpoint_at_its_position_and_a_failure_puts_it_back(tmp_path, monkeypatch):
    ckpt.save_checkpoint(tmp_path, 1000, tensors(1.0), {"snapshot": False})
    ckpt.save_checkpoint(tmp_path, 1000, tensors(2.0), {"snapshot": False})          # not a snapshot: kept
    assert torch.equal(ckpt.latest_checkpoint(tmp_path).tensors["w"], tensors(1.0)["w"])
    monkeypatch.setattr(ckpt, "save_file", lambda *args, **kwargs: (_ for _ in ()).throw(OSError(28, "full")))
    with pytest.raises(CheckpointError, match="full"):
        ckpt.save_checkpoint(tmp_path, 1000, tensors(3.0), {"snapshot": True})
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt-000000001000"]              # put back, intact
    assert ckpt.latest_checkpoint(tmp_path).meta["snapshot"] is False
    monkeypatch.undo()
    ckpt.save_checkpoint(tmp_path, 1000, tensors(3.0), {"snapshot": True})
    latest = ckpt.latest_checkpoint(tmp_path)
    assert latest.meta["snapshot"] is True and torch.equal(latest.tensors["w"], tensors(3.0)["w"])
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt-000000001000"]


def test_a_ctrl_c_checkpoint_set_aside_by_a_killed_save_goes_back(tmp_path):
    path = ckpt.save_checkpoint(tmp_path, 1000, tensors(1.0), {"snapshot": False})
    path.rename(tmp_path / ".ckpt-000000001000.replaced")                   # killed between the two renames
    ckpt.remove_stale_temp(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt-000000001000"]
    ckpt.save_checkpoint(tmp_path, 2000, tensors(2.0), {})
    (tmp_path / ".ckpt-000000002000.replaced").mkdir()                     # its replacement was committed
    ckpt.remove_stale_temp(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt-000000001000", "ckpt-000000002000"]


def test_prune_never_deletes_the_checkpoint_just_written(tmp_path):
    newer = ckpt.save_checkpoint(tmp_path, 3000, tensors(3.0), {})
    (newer / "state.safetensors").write_bytes(b"damaged")       # a newer-numbered, damaged leftover
    written = ckpt.save_checkpoint(tmp_path, 2000, tensors(2.0), {}, keep=1)
    assert written.exists()
    assert ckpt.latest_checkpoint(tmp_path, warn=lambda _: None).nimg == 2000


def test_written_files_follow_the_umask(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        path = ckpt.save_checkpoint(tmp_path, 1000, tensors(), {})
        from duelo.io.atomic import atomic_write_json
        atomic_write_json(tmp_path / "x.json", {"a": 1})
    finally:
        os.umask(old)
    assert (path.stat().st_mode & 0o777) == 0o755
    assert ((tmp_path / "x.json").stat().st_mode & 0o777) == 0o644
