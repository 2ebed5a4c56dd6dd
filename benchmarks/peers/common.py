"""What every contender shares: the Contender record the harness times, the Unsupported error, random data.

A contender is one codebase's training iteration for one task, packaged as a zero-argument `step()` so the
harness can warm it up, count its FLOPs and time it without knowing whose code runs inside. Random tensors
stand in for a dataset: throughput does not depend on pixel content, and every contender gets its real
batches from device memory (no decoding, no host-to-device copy), so only the training step is compared.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

# the task definitions are in benchmarks/peers/README.md
TASKS = ("dcgan32", "sngan32", "stylegan2-32", "stylegan2-64", "stylegan2-128", "stylegan2-256")
RESOLUTION, CHANNELS = 32, 3           # RESOLUTION: of the tasks without a size suffix (resolution_of)


def resolution_of(task: str) -> int:
    """The image side of a task: its trailing number (stylegan2-64 -> 64, dcgan32 -> 32)."""
    digits = re.search(r"(\d+)$", task)
    return int(digits.group(1)) if digits else RESOLUTION


class Unsupported(Exception):
    """A contender cannot run this task (or on this device); the message says why and lands in the table."""


@dataclass
class Contender:
    name: str                                     # e.g. "torch-mimicry 0.1.16", "plain eager", "duelo (graph, bf16)"
    step: Callable[[], None]                      # ONE training iteration (all D steps + the G step); may be async
    real_images_per_step: int                     # real images D sees per call of step() (batch * n_dis for SNGAN)
    notes: str = ""                               # where layer sizes / precision / loss differ from the task
    flop_step: Callable[[], None] | None = None   # an equivalent eager step to count when step() cannot be counted


Builder = Callable[[str, int, torch.device], Contender]   # build(task, batch, device) -> Contender


def check_task(task: str, supported: tuple[str, ...], who: str) -> None:
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose from {', '.join(TASKS)}")
    if task not in supported:
        raise Unsupported(f"{who} has no {task} recipe (it covers {', '.join(supported)})")


def random_images(count: int, device: torch.device, seed: int = 0, resolution: int = RESOLUTION) -> torch.Tensor:
    """`count` float images in [-1, 1], (count, 3, R, R), drawn once on `device`."""
    generator = torch.Generator(device="cpu").manual_seed(seed)
    images = torch.rand(count, CHANNELS, resolution, resolution, generator=generator) * 2 - 1
    return images.to(device)


def real_batches(batch: int, device: torch.device, pool_batches: int = 8, seed: int = 0,
                 resolution: int = RESOLUTION) -> Iterator[torch.Tensor]:
    """An endless iterator over `pool_batches` distinct real batches kept on the device: the cheapest data
    loader there is, so each peer's own step, not its input pipeline, is what gets timed."""
    pool = random_images(batch * pool_batches, device, seed, resolution).view(pool_batches, batch, CHANNELS,
                                                                              resolution, resolution)
    while True:
        for index in range(pool_batches):
            yield pool[index]


def require_module(name: str, wheel: str) -> None:
    """Teaching Unsupported when a peer package is not importable (see README.md for the wheel commands)."""
    if importlib.util.find_spec(name) is None:
        raise Unsupported(f"{name} is not installed: pip install --no-deps {wheel} "
                          f"(benchmarks/peers/README.md lists the wheels and their dependencies)")


def require_cuda(device: torch.device, who: str, why: str) -> None:
    if device.type != "cuda":
        raise Unsupported(f"{who} runs on CUDA only ({why})")
