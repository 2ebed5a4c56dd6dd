"""Numeric precisions a run can train in, by name (`train.precision`).

"auto" is not an entry: each task says what it means on a device (duelo.tasks.base.Task.auto_precision).
Image GANs use TF32 on CUDA: on an H100 the eager DCGAN/MLP steps ran faster in TF32 than with bf16 autocast at
every batch size measured (docs/benchmarks.md); bf16 pays once the step is compute-bound. A table's small
MLPs use bf16 autocast on CPUs that multiply bf16 natively (docs/tabular.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from duelo.registry import Registry


@dataclass(frozen=True)
class Precision:
    amp_dtype: torch.dtype | None = None   # autocast dtype of forward passes; None = float32 tensors throughout
    tf32:      bool = False                # let float32 matrix products and convolutions use TF32 tensor cores
    cuda_only: bool = False                # meaningless elsewhere (refused on the CPU)


PRECISIONS: Registry[Precision] = Registry("precision")
PRECISIONS.add("fp32", Precision())
PRECISIONS.add("tf32", Precision(tf32=True, cuda_only=True))
PRECISIONS.add("bf16", Precision(amp_dtype=torch.bfloat16, tf32=True))


def cpu_has_native_bf16() -> bool:
    """Whether this CPU multiplies bf16 natively (AVX512-BF16 or AMX): bf16 autocast then speeds matmuls up."""
    cpu = getattr(torch, "cpu", None)
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(cpu, name, lambda: False)() for name in checks)
