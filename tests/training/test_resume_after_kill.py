"""SIGKILL a tiny run at exact points of the checkpoint sequence, re-run the same command, and compare
the final state bitwise with an uninterrupted run (DESIGN.md reliability checklist)."""

import json
import shutil
import signal

import pytest
import torch

from tests.training.helpers import TINY_ARGS, final_state, run_cli, run_here

# class-conditional, so label sampling and the projection head are part of what must replay exactly
ARGS = ["train", *TINY_ARGS, "--conditional", "--name", "run"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted run every interrupted one must reproduce (in this process: nothing kills it)."""
    cwd = tmp_path_factory.mktemp("reference")
    done = run_here(ARGS, cwd)
    assert done.returncode == 0, done.stderr
    return cwd / "runs" / "run"


def strip_times(path) -> list[dict]:
    return [{k: v for k, v in json.loads(line).items() if k not in ("img_per_s", "time_s")}
            for line in path.read_text().splitlines()]


def assert_same_state(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, f"{len(different)} tensors differ, e.g. {different[:3]}"


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["checkpoint-committed:2", "checkpoint-mid-save:3"])
def test_sigkill_then_rerun_matches_uninterrupted_run(tmp_path, reference, fault):
    args = ARGS
    killed = run_cli(args, tmp_path, fault=fault)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    run = tmp_path / "runs" / "run"
    committed = sorted(p.name for p in (run / "checkpoints").glob("ckpt-*"))
    assert committed, "a checkpoint was committed before the kill"
    assert not (run / "summary.json").exists()
    if "mid-save" in fault:   # the interrupted save left only its hidden temp folder behind
        assert list((run / "checkpoints").glob(".ckpt-*.tmp"))

    resumed = run_cli(args, tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from" in resumed.stderr
    assert not list((run / "checkpoints").glob(".ckpt-*.tmp")), "stale temp folder removed on resume"
    assert_same_state(final_state(run), final_state(reference))
    # the metrics log is replayed identically apart from wall-clock fields (log and snapshot periods are
    # deliberately unaligned, so the checkpoint holds a half-filled log interval)
    assert strip_times(run / "metrics.jsonl") == strip_times(reference / "metrics.jsonl")


@pytest.mark.slow
def test_rerun_of_finished_run_changes_nothing(tmp_path, reference):
    args = ARGS
    run = tmp_path / "runs" / "run"
    shutil.copytree(reference, run)                          # a finished run of this command
    before = final_state(run)
    again = run_here(args, tmp_path)                         # nothing to interrupt: no new interpreter (~3 s)
    assert again.returncode == 0, again.stderr
    assert "already reached" in again.stderr
    assert_same_state(final_state(run), before)


@pytest.mark.slow
def test_changed_configuration_is_refused_not_overwritten(tmp_path):
    args = [*ARGS, "--kimg", "0.16"]
    assert run_here(args, tmp_path).returncode == 0
    changed = run_here([*args, "--loss", "hinge"], tmp_path)     # refused before any training: no process of its own
    assert changed.returncode == 2
    assert "loss.name" in changed.stderr and "--name" in changed.stderr
    assert json.loads((tmp_path / "runs" / "run" / "config.json").read_text())["loss"]["name"] == "bce"


@pytest.mark.slow
def test_ctrl_c_writes_a_checkpoint_between_snapshots_and_resumes_exactly(tmp_path, reference):
    """SIGINT at iteration 7 (between the snapshots at iterations 5 and 10): a checkpoint at 224 images,
    exit status 130; a re-run with a shorter --kimg (0.2: already reached) finishes there, writing the model and
    samples of that state, which the Ctrl-C checkpoint never had (once: again changes nothing); and a re-run of
    the full length ends bitwise like the uninterrupted run."""
    args = ARGS
    stopped = run_cli(args, tmp_path, fault="iteration:7:SIGINT")
    assert stopped.returncode == 130, stopped.stderr
    assert "SIGINT: finishing this iteration" in stopped.stderr
    assert "stopped at 0.2 kimg; wrote ckpt-000000000224" in stopped.stderr
    run = tmp_path / "runs" / "run"
    assert (run / "checkpoints" / "ckpt-000000000224").is_dir()
    assert json.loads((run / "snapshot.json").read_text())["checkpoint"] == "ckpt-000000000160"
    # the re-runs that nothing interrupts go in this process (~3 s of imports each); the one that resumes the run
    # to its end is a fresh process, as a person's re-run is
    shorter = run_here([*args, "--kimg", "0.2"], tmp_path)
    assert shorter.returncode == 0, shorter.stderr
    assert "already reached total_kimg" in shorter.stderr and "snapshot at 0.2 kimg" in shorter.stderr
    assert json.loads((run / "snapshot.json").read_text())["checkpoint"] == "ckpt-000000000224"
    assert json.loads((run / "checkpoints" / "ckpt-000000000224" / "state.json").read_text())["snapshot"] is True
    assert not list((run / "checkpoints").glob(".*"))                # the Ctrl-C checkpoint it replaced is gone
    assert json.loads((run / "summary.json").read_text())["kimg"] == 0.224
    written = sorted(p.stat().st_mtime_ns for p in (run / "model").iterdir())
    again = run_here([*args, "--kimg", "0.2"], tmp_path)
    assert again.returncode == 0 and "snapshot at" not in again.stderr, again.stderr
    assert sorted(p.stat().st_mtime_ns for p in (run / "model").iterdir()) == written
    resumed = run_cli(args, tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from ckpt-000000000224" in resumed.stderr
    assert_same_state(final_state(run), final_state(reference))
    assert strip_times(run / "metrics.jsonl") == strip_times(reference / "metrics.jsonl")
