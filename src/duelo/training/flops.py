"""Counted floating-point operations of a training step, and model FLOPs utilisation (MFU).

The FLOPs of a GAN step are counted, not estimated: the step runs once under a dispatch mode that applies
torch's FLOP formulas (torch.utils.flop_counter) to the matrix products and convolutions of the forward
pass, the backward pass and any double backward (R1, WGAN-GP) as they execute. Elementwise work is not counted (the
usual MFU convention), so
MFU = counted FLOPs per second / the device's measured dense matrix-multiply rate.

    flops = count_flops(lambda: trainer.step())          # one step: G and D, every phase that ran
    rate = measure_matmul_rate(device, torch.bfloat16)   # FLOP/s of a large matrix product
    mfu = flops.total * steps_per_second / rate

(Groundwork for issue 8's benchmark harness; counting runs one extra step, so call it after warm-up and
before timing, or on a copy.)
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry


@dataclass(frozen=True)
class FlopCount:
    total: int                       # FLOPs of the whole call (a multiply-add counts 2)
    by_operator: dict[str, int]      # FLOPs per aten operator, e.g. {"aten.mm": ...}


class _Counter(TorchDispatchMode):
    """Adds up torch's registered FLOP formulas (matrix products, convolutions, attention) per operator.

    torch's FlopCounterMode does the same but also tracks modules with backward hooks, which breaks
    torch.autograd.grad on a leaf input (the double backward of R1 and WGAN-GP; torch 2.13), so the
    formulas are applied here without the module tracking.
    """

    def __init__(self):
        super().__init__()
        self.counts: dict[str, int] = defaultdict(int)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        formula = flop_registry.get(func._overloadpacket)
        if formula is not None:
            self.counts[str(func._overloadpacket)] += int(formula(*args, **kwargs, out_val=out))
        return out


def count_flops(fn: Callable[[], object]) -> FlopCount:
    """Run fn() once and count the FLOPs of its matrix products and convolutions (forward and backward)."""
    with _Counter() as counter:
        fn()
    return FlopCount(total=sum(counter.counts.values()), by_operator=dict(counter.counts))


def measure_matmul_rate(device: torch.device | str, dtype: torch.dtype = torch.bfloat16, size: int = 8192,
                        repeats: int = 20) -> float:
    """FLOP/s of a (size x size) @ (size x size) matrix product on `device`, best of `repeats` after warm-up:
    the dense rate MFU is measured against (measured, not the datasheet's)."""
    device = torch.device(device)
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    best = float("inf")
    for i in range(repeats + 2):
        _sync(device)
        start = time.perf_counter()
        torch.mm(a, b)
        _sync(device)
        if i >= 2:                   # two warm-up products (kernel selection, clocks)
            best = min(best, time.perf_counter() - start)
    return 2.0 * size**3 / best


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
