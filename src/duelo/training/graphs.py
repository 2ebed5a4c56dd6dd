"""Whole-iteration CUDA graphs: capture one training iteration (every phase's forward, backward and optimiser
step, and the EMA update) once, then replay it with a single launch.

At batch 64 a GAN step is bound by the host, not the GPU: a DCGAN-32 iteration launches hundreds of small
kernels and takes ~10 ms in eager PyTorch whatever the batch (docs/benchmarks.md), while its arithmetic
needs well under one. A replayed graph removes the Python and launch overhead altogether.

What makes an iteration capturable is the trainer's protocol (docs/design.md): static shapes, random
numbers from torch generators on the device (registered with each graph, so every replay draws fresh
numbers and leaves the generator where eager steps would), data indices staged into a fixed buffer
(BatchFeed.stage), running statistics and the EMA decay in device tensors, capturable optimisers, no host
reads. Which phases run differs between iterations (lazy regularisation every 16, path length every 4):
each distinct set of phases, the *key*, gets its own graph.

Per key: the first `warmup` iterations run eagerly on a side stream (lazy initialisation: cuDNN/cuBLAS
handles, optimiser state, autotuning, the statistics' tensors), then the next one is captured and replayed;
from then on every iteration with that key is one replay. Captured graphs refer to the exact tensors they
were captured with: anything that replaces those tensors (loading a checkpoint into the optimisers, a new
learning rate) must call `reset()`, and the next iterations re-capture.
"""

from __future__ import annotations

from typing import Callable, Hashable

import torch


def graphs_supported(device: torch.device) -> str | None:
    """None when whole-step graphs can run on `device`, else the reason they cannot."""
    if device.type != "cuda":
        return "CUDA graphs need a CUDA device"
    if not hasattr(torch.cuda.CUDAGraph, "register_generator_state"):
        return f"torch {torch.__version__} cannot register a torch.Generator with a CUDA graph (needs >= 2.5)"
    return None


class StepGraphs:
    """Run `body()` for a key: eagerly during warm-up, then as a replay of its captured graph."""

    def __init__(self, device: torch.device, generators: list[torch.Generator], warmup: int = 3):
        self.device = device
        self.generators = generators
        self.warmup = warmup
        self.graphs: dict[Hashable, torch.cuda.CUDAGraph] = {}
        self.seen: dict[Hashable, int] = {}
        self.side = torch.cuda.Stream(device)
        self.captures = 0                       # graphs captured so far (re-captures after reset included)

    def run(self, key: Hashable, body: Callable[[], None]) -> None:
        graph = self.graphs.get(key)
        if graph is not None:
            graph.replay()
            return
        count = self.seen.get(key, 0)
        self.seen[key] = count + 1
        if count < self.warmup:
            self._on_side_stream(body)
            return
        graph = torch.cuda.CUDAGraph()
        for generator in self.generators:
            graph.register_generator_state(generator)
        current = torch.cuda.current_stream(self.device)
        self.side.wait_stream(current)
        # set_to_none gradients at the start of the body make backward allocate them inside the graph's pool;
        # autocast's weight cache must be off while capturing (Runtime.autocast does so when graphs are on)
        with torch.cuda.graph(graph, stream=self.side):
            body()
        current.wait_stream(self.side)
        self.graphs[key] = graph
        self.captures += 1
        graph.replay()                          # capture records without running: this iteration runs now

    def _on_side_stream(self, body: Callable[[], None]) -> None:
        current = torch.cuda.current_stream(self.device)
        self.side.wait_stream(current)
        with torch.cuda.stream(self.side):
            body()
        current.wait_stream(self.side)

    def reset(self) -> None:
        """Forget every captured graph (their tensors were replaced); the next iterations warm up and re-capture
        (one warm-up iteration suffices now that the lazy initialisation is done)."""
        self.graphs.clear()
        self.seen = {key: self.warmup - 1 for key in self.seen}
