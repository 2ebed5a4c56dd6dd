"""Tiny runs for the training tests: 8x8 digits, small widths, a few dozen iterations on the CPU."""

from __future__ import annotations

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
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("DUELO_FAULT", None)
    if fault:
        env["DUELO_FAULT"] = fault
    return subprocess.run([sys.executable, "-m", "duelo", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def final_state(run: Path) -> dict:
    """All tensors of the newest checkpoint of a run folder."""
    newest = sorted((run / "checkpoints").glob("ckpt-*"))[-1]
    return load_file(str(newest / "state.safetensors"))
