"""Batches of real samples with an exact, resumable position.

The data set sits on the training device as stored (uint8 images, float points or windows: small sets fit
easily) and is decoded per batch (uint8 images to floats in [-1, 1]; other tensors as they are). Each epoch's
order is a permutation drawn from (seed, epoch) alone, and the position is just (epoch, cursor): resuming
needs no saved RNG state and replays exactly the same batches. The last partial batch of an epoch is dropped,
so every batch has the same shape (what CUDA graphs and compiled steps need).

Two things serve the trainer's captured step and data parallelism:
- `stage(count)` draws the indices of the next `count` batches on the host and copies them into one fixed
  device buffer; `next()` then gathers from that buffer's rows in order. A step captured in a CUDA graph
  reads the same addresses at every replay, so only the (cheap, asynchronous) staging runs per iteration.
- With `world_size` processes, every process walks the same permutation in global batches of
  `batch * world_size` images and takes its own `batch`-sized part (rank r: the r-th part). Two processes
  with batch 32 thus see exactly the images one process with batch 64, or with two accumulation rounds of
  32, would see: data parallelism changes where a batch is computed, not which images it holds.
"""

from __future__ import annotations

import torch

from duelo.errors import DataError


def decode(samples: torch.Tensor) -> torch.Tensor:
    """What a stored batch becomes for the networks: uint8 images -> float in [-1, 1]; floats as they are."""
    if samples.dtype == torch.uint8:
        return samples.float().div_(127.5).sub_(1.0)
    return samples


class BatchFeed:
    def __init__(self, images: torch.Tensor, labels: torch.Tensor | None, batch: int, seed: int,
                 device: torch.device, rank: int = 0, world_size: int = 1):
        if images.ndim < 2 or not (images.dtype == torch.uint8 or images.is_floating_point()):
            raise DataError(f"samples must be uint8 images or a float tensor (N, ...), got {images.dtype} "
                            f"{tuple(images.shape)}")
        if images.shape[0] < batch * world_size:
            raise DataError(f"the dataset has {images.shape[0]} samples, fewer than one batch "
                            f"({batch * world_size}{f' over {world_size} processes' if world_size > 1 else ''}); "
                            f"use a smaller --batch or more data")
        assert 0 <= rank < world_size
        self.images = images.to(device)                                   # (N, ...) e.g. (N, C, H, W) uint8
        self.labels = None if labels is None else labels.to(device=device, dtype=torch.long)  # (N,)
        self.batch = batch                                                # this process's images per batch
        self.rank, self.world_size = rank, world_size
        self.seed = seed
        self.device = device
        self.epoch = 0
        self.cursor = 0                                                   # in the permutation, global
        self._order = self._permutation(0)
        self._staged = torch.zeros((0, batch), dtype=torch.long, device=device)  # (capacity, batch)
        self._slot: int | None = None                                     # next staged row; None: not staged

    @property
    def global_batch(self) -> int:
        return self.batch * self.world_size

    @property
    def batches_per_epoch(self) -> int:
        return self.images.shape[0] // self.global_batch

    def _permutation(self, epoch: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed((self.seed * 1_000_003 + epoch) % 2**63)
        return torch.randperm(self.images.shape[0], generator=generator).to(self.device)

    def _take(self) -> torch.Tensor:
        """Indices (batch,) of this process's part of the next global batch; advances the position."""
        if self.cursor + self.global_batch > self.images.shape[0]:
            self.epoch += 1
            self.cursor = 0
            self._order = self._permutation(self.epoch)
        start = self.cursor + self.rank * self.batch
        self.cursor += self.global_batch
        return self._order[start:start + self.batch]

    def reserve(self, count: int) -> None:
        """Make room for `count` staged batches now, so that the buffer never moves once a step that reads it
        has been captured."""
        if count > self._staged.shape[0]:
            self._staged = torch.zeros((count, self.batch), dtype=torch.long, device=self.device)

    def stage(self, count: int) -> None:
        """Draw the next `count` batches' indices into the staging buffer; `next()` reads them in order."""
        self.reserve(count)
        for row in range(count):
            self._staged[row].copy_(self._take(), non_blocking=True)
        self._slot = 0

    def _next_index(self) -> torch.Tensor:
        if self._slot is None:
            return self._take()
        assert self._slot < self._staged.shape[0], "more batches drawn than staged"
        index = self._staged[self._slot]
        self._slot += 1
        return index

    def next(self, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The next batch: samples decoded (images as float in [-1, 1], (N, C, H, W)) and labels (N,) or None.
        The order is the epoch's permutation, so the round's random `generator` is not needed."""
        index = self._next_index()
        images = decode(self.images[index])                               # (N, ...)
        labels = None if self.labels is None else self.labels[index]       # (N,)
        return images, labels

    def state_dict(self) -> dict[str, int]:
        # the global batch: a run resumed on another number of processes, same global batch, reads on exactly
        return {"epoch": self.epoch, "cursor": self.cursor, "seed": self.seed, "batch": self.global_batch,
                "size": int(self.images.shape[0])}

    def load_state_dict(self, state: dict[str, int]) -> None:
        if state["size"] != self.images.shape[0] or state["batch"] != self.global_batch:
            raise DataError(f"the checkpoint was written for {state['size']} images in batches of "
                            f"{state['batch']}, but the dataset now has {self.images.shape[0]} images in batches "
                            f"of {self.global_batch}; the data changed since the run started: use a new run folder "
                            f"(--name NEW_NAME or another --out)")
        self.seed = state["seed"]
        self.epoch = state["epoch"]
        self.cursor = state["cursor"]
        self._order = self._permutation(self.epoch)
        self._slot = None


class PairedFeed(BatchFeed):
    """Pairs (source, target) kept side by side in one uint8 tensor (N, Cs + Ct, H, W), so that a pair always
    travels together and the position logic is BatchFeed's. Yields (source, target), both in [-1, 1]."""

    def __init__(self, source: torch.Tensor, target: torch.Tensor, batch: int, seed: int, device: torch.device,
                 rank: int = 0, world_size: int = 1):
        if source.shape[0] != target.shape[0] or source.shape[2:] != target.shape[2:]:
            raise DataError(f"paired images must match in number and size: {tuple(source.shape)} source vs "
                            f"{tuple(target.shape)} target")
        self.source_channels = int(source.shape[1])
        super().__init__(torch.cat([source, target], 1), None, batch, seed, device, rank, world_size)

    def next(self, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        both, _ = super().next()                                            # (N, Cs + Ct, H, W)
        return both[:, :self.source_channels], both[:, self.source_channels:]


class UnpairedFeed:
    """Two independent feeds (domains A and B, any sizes) stepped together: yields (a, b) in [-1, 1].
    Each has its own order (seeds `seed` and `seed + 1`), so neither domain's sequence depends on the other's."""

    def __init__(self, a: torch.Tensor, b: torch.Tensor, batch: int, seed: int, device: torch.device,
                 rank: int = 0, world_size: int = 1):
        self.a = BatchFeed(a, None, batch, seed, device, rank, world_size)
        self.b = BatchFeed(b, None, batch, seed + 1, device, rank, world_size)
        self.batch = batch
        self.labels = None

    def reserve(self, count: int) -> None:
        self.a.reserve(count)
        self.b.reserve(count)

    def stage(self, count: int) -> None:
        self.a.stage(count)
        self.b.stage(count)

    def next(self, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        return self.a.next()[0], self.b.next()[0]

    def state_dict(self) -> dict:
        return {"a": self.a.state_dict(), "b": self.b.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        if set(state) != {"a", "b"}:
            raise DataError("the checkpoint's data position is not that of an unpaired (two-domain) run; "
                            "the task changed since the run started: use a new run folder (--name NEW_NAME or another "
                            "--out)")
        self.a.load_state_dict(state["a"])
        self.b.load_state_dict(state["b"])
