"""Tiny runs for the training tests: 8x8 digits, small widths, a few dozen iterations on the CPU."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

from safetensors.torch import load_file

TINY_ARGS = ["--dataset", "digits", "--resolution", "8", "--model", "dcgan", "--width", "8", "--z-dim", "8",
             "--batch", "32", "--kimg", "0.64", "--snapshot-kimg", "0.16", "--log-kimg", "0.096", "--seed", "3",
             "--set", "run.grid_samples=16", "--set", "run.eval_per_class=4"]


def run_cli(args: list[str], cwd: Path, fault: str | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """`python -m duelo ...` in a subprocess (so SIGKILL hits it, not pytest)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}    # one thread, like this process
    env.pop("DUELO_FAULT", None)
    if fault:
        env["DUELO_FAULT"] = fault
    return subprocess.run([sys.executable, "-m", "duelo", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def run_here(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """The same command in this process, for a run nothing interrupts (the reference a killed and resumed run must
    reproduce): no new interpreter to start (~3 s of imports), and the same thread count as run_cli's processes
    (one: tests/conftest.py). stdout and stderr are captured as run_cli captures them."""
    from duelo.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    fault = os.environ.pop("DUELO_FAULT", None)
    here = Path.cwd()
    try:
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    finally:
        os.chdir(here)
        if fault is not None:
            os.environ["DUELO_FAULT"] = fault
    return subprocess.CompletedProcess(["duelo", *args], code, out.getvalue(), err.getvalue())


def final_state(run: Path) -> dict:
    """All tensors of the newest checkpoint of a run folder."""
    newest = sorted((run / "checkpoints").glob("ckpt-*"))[-1]
    return load_file(str(newest / "state.safetensors"))
