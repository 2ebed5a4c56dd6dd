"""History of generated images for the discriminator (Shrivastava, Pfister, Tuzel, Susskind, Wang & Webb
2017, "Learning from Simulated and Unsupervised Images through Adversarial Training", section 2.3).

A discriminator that only sees the current generator's output forgets the artefacts of earlier
generators, and the generator can reintroduce them; the two then chase each other. Showing D a mix of
current fakes and fakes from earlier steps keeps those artefacts penalised. Per D step (their Algorithm
1, with the paper's b/2 split): half of the fake batch is replaced by images drawn from a buffer of
past fakes, then the current fakes are written into the buffer.

Everything is tensor work on the pool's device (no host sync, no branching on tensor values), so a
training step that calls `mix` can be captured in a CUDA graph; the pool's state is in buffers and is
saved with the state_dict. Move the pool to the training device with `.to(device)`.
"""

from __future__ import annotations

import torch
from torch import nn

from duelo.errors import ConfigError

Tensor = torch.Tensor


class HistoryPool(nn.Module):
    """Ring buffer of past fake images (and their labels) with a `mix` that trades half a batch for it.

    Buffers: `images` (size, *shape) float32, `labels` (size,) int64, `seen` int64 scalar = number of
    images ever pushed (the filled part is the first min(seen, size) slots).
    """

    def __init__(self,
        size:        int,                   # capacity in images (several batches' worth)
        shape:       tuple[int, ...],       # shape of one image, e.g. (C, H, W)
        conditional: bool   = False,        # keep labels with the images (class-conditional D)
    ):
        super().__init__()
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ConfigError(f"HistoryPool: size must be an integer >= 1 (got {size!r})")
        shape = tuple(shape)
        if not shape or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in shape):
            raise ConfigError(f"HistoryPool: shape must be a tuple of positive integers such as (C, H, W) "
                              f"(got {shape!r})")
        self.size = size
        self.shape = shape
        self.conditional = bool(conditional)
        self.register_buffer("images", torch.zeros(size, *shape, dtype=torch.float32))
        self.register_buffer("labels", torch.zeros(size, dtype=torch.long))
        self.register_buffer("seen", torch.zeros((), dtype=torch.long))

    def extra_repr(self) -> str:
        return f"size={self.size}, shape={self.shape}, conditional={self.conditional}"

    def mix(self, fake: Tensor, labels: Tensor | None,
            generator: torch.Generator) -> tuple[Tensor, Tensor | None]:
        """Return the batch to show D, then push the current fakes.

        The first n // 2 samples are replaced by pool images drawn uniformly (with replacement) from the
        filled part, together with their labels; the rest are the current fakes. While the pool is empty
        (seen == 0) the batch comes back unchanged. Gradients flow to the kept half only. `generator`
        must live on the pool's device.
        """
        draws = torch.rand(fake.shape[0] // 2, generator=generator, device=self.images.device)
        return self.mix_with_draws(fake, labels, draws)

    def mix_with_draws(self, fake: Tensor, labels: Tensor | None,
                       draws: Tensor) -> tuple[Tensor, Tensor | None]:
        """`mix` with its uniform numbers given: draws (n // 2,) in [0, 1) pick the pool slots, slot =
        floor(draw * min(seen, size)). No randomness inside, so it traces into one graph (torch.compile
        does not take a torch.Generator argument)."""
        n = fake.shape[0]
        self._check(fake, labels)
        half = n // 2
        if draws.shape != (half,):
            raise ValueError(f"HistoryPool: draws must have shape ({half},) for a batch of {n}, "
                             f"got {tuple(draws.shape)}")
        filled = self.seen.clamp(1, self.size)                                   # () int64, >= 1
        index = (draws * filled).long().clamp(max=filled - 1)                    # (half,) in [0, filled)
        use_pool = self.seen > 0                                                 # () bool, stays on device

        from_pool = self.images.index_select(0, index).to(fake.dtype)            # (half, *shape)
        shape_ones = (1,) * len(self.shape)
        mixed = torch.cat([torch.where(use_pool.view(1, *shape_ones), from_pool, fake[:half]), fake[half:]])
        mixed_labels = None
        if self.conditional:
            pool_labels = self.labels.index_select(0, index)
            mixed_labels = torch.cat([torch.where(use_pool, pool_labels, labels[:half]), labels[half:]])

        self._push(fake, labels)
        return mixed, mixed_labels

    @torch.no_grad()
    def _push(self, fake: Tensor, labels: Tensor | None) -> None:
        """Write the batch at positions (seen + i) % size; if n > size only the last `size` land."""
        n = fake.shape[0]
        skip = max(n - self.size, 0)            # earlier ones would be overwritten within this same write
        positions = (self.seen + skip + torch.arange(n - skip, device=self.seen.device)) % self.size
        self.images.index_copy_(0, positions, fake[skip:].detach().to(self.images.dtype))
        if self.conditional:
            self.labels.index_copy_(0, positions, labels[skip:].to(self.labels.dtype))
        self.seen.add_(n)

    def _check(self, fake: Tensor, labels: Tensor | None) -> None:
        """Shape-only checks (no host sync)."""
        if tuple(fake.shape[1:]) != self.shape:
            raise ValueError(f"HistoryPool holds images of shape {self.shape}, got a batch of shape "
                             f"{tuple(fake.shape)}")
        if self.conditional:
            if labels is None or labels.shape != (fake.shape[0],):
                got = None if labels is None else tuple(labels.shape)
                raise ValueError(f"conditional HistoryPool needs labels of shape ({fake.shape[0]},), "
                                 f"got {got}")
        elif labels is not None:
            raise ValueError("HistoryPool(conditional=False) keeps no labels; pass labels=None")
