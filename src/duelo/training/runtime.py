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
class Precision:
    amp_dtype:   torch.dtype | None   # autocast dtype of forward passes; None = float32 tensors throughout
    tf32:        bool                 # let float32 matrix products and convolutions use TF32 tensor cores
    cuda_only:   bool


# By name. "auto" is tf32 on CUDA: on an H100 the eager DCGAN/MLP steps ran faster in TF32 than with bf16
# autocast at every batch size measured (docs/benchmarks.md); bf16 pays once the step is compute-bound.
PRECISIONS: dict[str, Precision] = {
    "fp32": Precision(amp_dtype=None, tf32=False, cuda_only=False),
    "tf32": Precision(amp_dtype=None, tf32=True, cuda_only=True),
    "bf16": Precision(amp_dtype=torch.bfloat16, tf32=True, cuda_only=True),
}


@dataclass(frozen=True)
class Runtime:
    device:           torch.device
    precision:        str                 # a name in PRECISIONS
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
            precision = "tf32" if dev.type == "cuda" else "fp32"
        if precision not in PRECISIONS:
            raise ConfigError(f"train.precision must be auto or one of {', '.join(PRECISIONS)}; got {precision!r}")
        if PRECISIONS[precision].cuda_only and dev.type != "cuda":
            raise ConfigError(f"train.precision {precision} is for CUDA; on the CPU use fp32 (or auto)")
        if dev.type == "cuda":   # process-wide switches: they belong to whoever runs the training
            torch.backends.cuda.matmul.allow_tf32 = PRECISIONS[precision].tf32
            torch.backends.cudnn.allow_tf32 = PRECISIONS[precision].tf32
        # On the CPU a host read of a flag costs nothing, so non-finite values are caught at the very step;
        # on a GPU each read is a synchronisation, so it happens at log intervals (and before every save).
        check_every = 1 if dev.type == "cpu" else 50
        return cls(device=dev, precision=precision, check_every=check_every)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def amp_dtype(self) -> torch.dtype | None:
        return PRECISIONS[self.precision].amp_dtype

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype)

    def describe(self) -> str:
        name = torch.cuda.get_device_name(self.device) if self.device.type == "cuda" else \
            f"CPU, {torch.get_num_threads()} threads"
        return f"{self.device} ({name}), {self.precision}"
