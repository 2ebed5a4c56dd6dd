"""The one seam for where and how tensors compute: device, precision, process rank, CUDA graphs.

Everything device- or precision-specific the trainer needs goes through a Runtime: autocast, how
optimisers run (fused, capturable on GPUs), whether the iteration is captured in a CUDA graph, and the
collectives of data parallelism (duelo.training.distributed). A single process on the CPU gets the plain
eager path of the foundation, unchanged.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

from duelo.errors import ConfigError
from duelo.training import distributed
from duelo.training.graphs import graphs_supported
from duelo.training.precision import PRECISIONS


@dataclass(frozen=True)
class Runtime:
    device:           torch.device
    precision:        str                 # a name in PRECISIONS
    rank:             int = 0             # process rank (data parallel); 0 writes files
    world_size:       int = 1
    check_every:      int = 1             # steps between host reads of the non-finite flag
    cuda_graph:       bool = False        # capture each iteration in a CUDA graph (CUDA only)

    @classmethod
    def create(cls, device: str = "auto", precision: str = "auto", cuda_graph: bool = True,
               auto_precision=None) -> "Runtime":
        """The runtime of this process; `auto_precision(device) -> name` says what "auto" means (the task's
        choice; default tf32 on CUDA, fp32 elsewhere). Under torchrun (WORLD_SIZE > 1) it joins the process group,
        and on GPUs
        each process takes the GPU of its local rank (`device` then only says cpu or cuda)."""
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        try:
            dev = torch.device(device)
        except RuntimeError:
            raise ConfigError(f"train.device {device!r} is not a device; use auto, cpu, cuda or cuda:N") from None
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise ConfigError("train.device is cuda but this machine has no usable CUDA GPU; use --device cpu")
        if precision == "auto":
            precision = auto_precision(dev) if auto_precision else ("tf32" if dev.type == "cuda" else "fp32")
        if precision not in PRECISIONS:
            raise ConfigError(f"train.precision must be auto or one of {', '.join(PRECISIONS)}; got {precision!r}")
        if PRECISIONS.get(precision).cuda_only and dev.type != "cuda":
            raise ConfigError(f"train.precision {precision} is for CUDA; on the CPU use fp32 (or auto)")
        group = distributed.launched_world()
        if group is not None:
            distributed.init(dev.type, group)
            if dev.type == "cuda":
                dev = torch.device("cuda", group.local_rank)
        if dev.type == "cuda":   # process-wide switches: they belong to whoever runs the training
            torch.backends.cuda.matmul.allow_tf32 = PRECISIONS.get(precision).tf32
            torch.backends.cudnn.allow_tf32 = PRECISIONS.get(precision).tf32
            torch.backends.cudnn.benchmark = True     # static shapes: the autotuned convolutions pay at once
        # On the CPU a host read of a flag costs nothing, so non-finite values are caught at the very step;
        # on a GPU each read is a synchronisation, so it happens at log intervals (and before every save).
        check_every = 1 if dev.type == "cpu" else 50
        return cls(device=dev, precision=precision, check_every=check_every,
                   rank=group.rank if group else 0, world_size=group.world_size if group else 1,
                   cuda_graph=bool(cuda_graph) and dev.type == "cuda")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def amp_dtype(self) -> torch.dtype | None:
        return PRECISIONS.get(self.precision).amp_dtype

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        # the weight-cast cache cannot live across a CUDA graph's capture: off whenever graphs are
        return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype, cache_enabled=not self.cuda_graph)

    def graphs_off_reason(self) -> str | None:
        """None when the step should be captured in CUDA graphs, else why not."""
        if self.device.type == "cuda" and not self.cuda_graph:
            return "train.cuda_graph is off"
        return graphs_supported(self.device)

    def configure_optimizer(self, optimizer) -> None:
        """On GPUs: fused Adam/AdamW kernels, and capturable state (the step count on the device) so that a
        CUDA graph can own the update. Applied to the optimiser's groups, also after a checkpoint's groups
        replaced them; the step counts are moved to the device when they came from the CPU."""
        inner = getattr(optimizer, "optimizer", optimizer)       # ClipGradNorm and similar wrappers
        if self.device.type != "cuda" or not isinstance(inner, (torch.optim.Adam, torch.optim.AdamW)):
            return
        for group in inner.param_groups:
            group["foreach"] = None
            group["fused"] = True
            group["capturable"] = True
        for state in inner.state.values():
            step = state.get("step")
            if torch.is_tensor(step) and step.device != self.device:
                state["step"] = step.to(self.device, torch.float32)

    def average_gradients(self, optimizer) -> None:
        if self.world_size > 1:
            distributed.average_gradients(getattr(optimizer, "optimizer", optimizer), self.world_size)

    def all_gather(self, tensors: list[torch.Tensor]) -> list[list[torch.Tensor]]:
        if self.world_size == 1:
            return [[t.cpu() for t in tensors]]
        return distributed.all_gather(tensors, self.device)

    def any_true(self, flag: bool) -> bool:
        return distributed.any_true(flag, self.device) if self.world_size > 1 else flag

    def min_across(self, value: float) -> float:
        return distributed.min_across(value, self.device) if self.world_size > 1 else value

    def synchronize(self) -> None:
        """Wait for the device's queued work (CUDA runs asynchronously): for honest wall-clock readings."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def barrier(self) -> None:
        if self.world_size > 1:
            distributed.barrier()

    def describe(self) -> str:
        name = torch.cuda.get_device_name(self.device) if self.device.type == "cuda" else \
            f"CPU, {torch.get_num_threads()} threads"
        extras = []
        if self.world_size > 1:
            extras.append(f"process {self.rank} of {self.world_size}")
        return f"{self.device} ({name}), {self.precision}" + "".join(f", {e}" for e in extras)
