"""What the hardening tests compare between an interrupted run and an unbroken one."""

from __future__ import annotations

import json
from pathlib import Path

from safetensors.torch import load_file

# on the CPU everywhere (a GPU host would pick CUDA for "auto", whose kernels need not be deterministic)
TINY = ["train", "--dataset", "digits", "--resolution", "8", "--model", "dcgan", "--width", "8", "--z-dim", "8",
        "--batch", "32", "--log-kimg", "0.032", "--no-health", "--device", "cpu", "--set", "run.grid_samples=4",
        "--set", "run.eval_per_class=2"]
TIMING = ("img_per_s", "time_s")


def learned(metrics: dict) -> dict:
    """A metrics line without its timings (which differ between any two runs)."""
    return {k: v for k, v in metrics.items() if k not in TIMING}


def outcome(folder: Path) -> tuple[dict, dict, list[str], list[str]]:
    """The final model's tensors, summary.json, the sample files, and leftovers (hidden files but the lock)."""
    model = load_file(str(folder / "model" / "model.safetensors"))
    summary = json.loads((folder / "summary.json").read_text())
    samples = sorted(p.name for p in (folder / "samples").iterdir())
    leftovers = sorted(p.name for p in folder.rglob(".*") if p.name != ".lock")
    return model, summary, samples, leftovers
