"""The one seam for where and how tensors compute: device, precision, process rank.

Everything device- or precision-specific the trainer needs goes through a Runtime, so that DDP,
CUDA graphs and compile settings can arrive later behind the same object without touching the loop.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

from duelo.errors import ConfigError


@dataclass(frozen=True)
class Runtime:
    device:           torch.device
    amp_dtype:        torch.dtype | None  # autocast dtype for forward passes; None = full fp32
    rank:             int = 0             # process rank (DDP); 0 writes files
    world_size:       int = 1
    check_every:      int = 1             # steps between host reads of the non-finite flag

    @classmethod
    def create(cls, device: str = "auto", precision: str = "auto") -> "Runtime":
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        try:
            dev = torch.device(device)
        except RuntimeError:
            raise ConfigError(f"train.device {device!r} is not a device; use auto, cpu, cuda or cuda:N") from None
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise ConfigError("train.device is cuda but this machine has no usable CUDA GPU; use --device cpu")
        if precision == "auto":
            precision = "bf16" if dev.type == "cuda" else "fp32"
        amp = {"fp32": None, "bf16": torch.bfloat16}[precision]
        if amp is not None and dev.type == "cpu":
            raise ConfigError("train.precision bf16 is for CUDA; on the CPU use fp32 (or auto)")
        # On the CPU a host read of a flag costs nothing, so non-finite values are caught at the very step;
        # on a GPU each read is a synchronisation, so it happens at log intervals (and before every save).
        check_every = 1 if dev.type == "cpu" else 50
        return cls(device=dev, amp_dtype=amp, check_every=check_every)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def precision(self) -> str:
        return "fp32" if self.amp_dtype is None else "bf16"

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype)

    def describe(self) -> str:
        name = torch.cuda.get_device_name(self.device) if self.device.type == "cuda" else \
            f"CPU, {torch.get_num_threads()} threads"
        return f"{self.device} ({name}), {self.precision}"
