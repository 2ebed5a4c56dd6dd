"""Data parallelism on the CPU: two gloo processes under torchrun against one process with the same global batch,
an elastic restart after one process is SIGKILLed, and the `--gpus` launcher's command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from duelo.cli.launch import torchrun_command, worker_arguments
from tests.training.helpers import TINY_ARGS, final_state, run_here

# no health monitor: its held-out split and checks are the same in both set-ups but cost time
ARGS = [*TINY_ARGS, "--device", "cpu", "--no-health", "--augment", "none", "--kimg", "0.384",
        "--snapshot-kimg", "0.128"]


def torchrun(args: list[str], cwd, processes: int = 2, max_restarts: int = 0, env: dict | None = None,
             timeout: int = 300) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1", **(env or {})}
    environment.pop("DUELO_FAULT", None) if "DUELO_FAULT" not in (env or {}) else None
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}",
               f"--max-restarts={max_restarts}", "--monitor-interval=0.5", "-m", "duelo", "train", *args]
    return subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """An uninterrupted run of two processes: compared with one process, and the reference of the elastic restart."""
    cwd = tmp_path_factory.mktemp("two-processes")
    done = torchrun([*ARGS, "--name", "two"], cwd)
    assert done.returncode == 0, done.stderr[-3000:]
    return done, cwd / "runs" / "two"


@pytest.mark.slow
def test_two_processes_train_like_one_with_the_same_global_batch(tmp_path, two_processes):
    """2 processes x 16 images = 1 process x 2 accumulation rounds of 16: the same images, the same random
    numbers (per-shard streams), gradients averaged instead of accumulated; only rounding may differ."""
    single = run_here(["train", *ARGS, "--accum", "2", "--name", "one"], tmp_path)    # one thread, as torchrun's
    assert single.returncode == 0, single.stderr
    double, two_run = two_processes
    assert "process 0 of 2" in double.stderr
    one, two = final_state(tmp_path / "runs" / "one"), final_state(two_run)
    assert int(one["rng.train.1"].ne(two["rng.train.1"]).sum()) == 0       # the shards' streams line up
    # parameters; batch-norm buffers are per process (each sees its own half, like DDP without broadcast)
    compared = [k for k in one if k.startswith(("net.G.", "net.D.", "net.G_ema.")) and one[k].is_floating_point()
                and "running_" not in k]
    assert len(compared) > 10
    for key in compared:
        torch.testing.assert_close(two[key], one[key], rtol=1e-3, atol=1e-4, msg=lambda m: f"{key}: {m}")
    # the other process wrote nothing into the run folder: one set of checkpoints, one metrics file
    assert sorted(p.name for p in two_run.iterdir()) == \
        sorted(p.name for p in (tmp_path / "runs" / "one").iterdir())


@pytest.mark.slow
def test_a_killed_process_is_restarted_and_the_run_resumes(tmp_path, two_processes):
    killed = torchrun([*ARGS, "--name", "elastic"], tmp_path, max_restarts=1,
                      env={"DUELO_FAULT": "checkpoint-committed:2", "DUELO_FAULT_RANK": "0"})
    assert killed.returncode == 0, killed.stderr[-3000:]
    assert "resuming from ckpt-" in killed.stderr
    state = final_state(tmp_path / "runs" / "elastic")
    reference = final_state(two_processes[1])                        # the same command, not interrupted
    assert state["net.G.body.0.weight"].shape == reference["net.G.body.0.weight"].shape
    summary = (tmp_path / "runs" / "elastic" / "summary.json").read_text()
    assert '"kimg": 0.384' in summary


def test_launcher_command_line():
    argv = ["--dataset", "mnist", "--gpus", "4", "--max-restarts=2", "--batch", "256"]
    assert worker_arguments(argv) == ["--dataset", "mnist", "--batch", "256"]
    command = torchrun_command(argv, 4, 2)
    assert command[1:4] == ["-m", "torch.distributed.run", "--standalone"]
    assert "--nproc-per-node=4" in command and "--max-restarts=2" in command
    assert command[-6:] == ["duelo", "train", "--dataset", "mnist", "--batch", "256"]


def test_gpus_without_enough_gpus_is_refused(tmp_path, monkeypatch, capsys):
    from duelo.cli.main import main

    monkeypatch.chdir(tmp_path)
    if torch.cuda.device_count() >= 64:
        pytest.skip("this machine has 64 GPUs")
    assert main(["train", *TINY_ARGS, "--gpus", "64"]) != 0
    assert "usable CUDA GPU" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()
