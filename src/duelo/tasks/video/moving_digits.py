"""Moving MNIST (Srivastava, Mansimov & Salakhutdinov 2015): real MNIST digits bouncing inside a square canvas,
rendered on the training device from the digits and a random stream, so a run never runs out of clips and never
stores them.

Each clip places `per_clip` digits (28x28 at a 64 px canvas, scaled with it) at uniform positions with a
uniform direction and a speed of 2-5 px per frame (at 64 px); a digit that reaches an edge bounces (the position
follows a triangle wave). Overlapping digits combine by their maximum, as in the original benchmark. A
conditional variant draws every digit of a clip from one class, the clip's label ("which digits move").

The same (digits, generator state) always renders the same clips on one device; every operation has a fixed
shape, so rendering can run inside a captured CUDA graph.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

MNIST_SIDE = 28
REFERENCE_CANVAS = 64
SPEED_PX = (2.0, 5.0)        # per frame, at a 64 px canvas


class MovingDigits:
    """Renders clips (n, T, 1, size, size) in [-1, 1] from a bank of digits (K, 28, 28) uint8 and their labels."""

    def __init__(self, digits: torch.Tensor, labels: torch.Tensor, frames: int, size: int, per_clip: int,
                 classes: int, conditional: bool, device: torch.device | str = "cpu"):
        self.frames, self.size, self.per_clip, self.classes = int(frames), int(size), int(per_clip), int(classes)
        self.conditional = bool(conditional)
        self.device = torch.device(device)
        side = max(4, round(MNIST_SIDE * self.size / REFERENCE_CANVAS))
        if side >= self.size:
            raise ValueError(f"a {self.size} px canvas is too small for {side} px digits")
        self.side = side
        bank = digits.float().reshape(-1, 1, MNIST_SIDE, MNIST_SIDE) / 255.0
        if side != MNIST_SIDE:
            bank = F.interpolate(bank, size=(side, side), mode="area")
        order = torch.argsort(labels, stable=True)
        self.digits = bank[order, 0].to(self.device)                    # (K, s, s) in [0, 1], sorted by class
        self.labels = labels[order].to(self.device)
        counts = torch.bincount(self.labels, minlength=self.classes)
        if self.conditional and bool((counts == 0).any()):
            missing = torch.nonzero(counts == 0).flatten().tolist()
            raise ValueError(f"no digits of class(es) {missing} to draw conditional clips from")
        self.counts = counts.to(self.device)
        self.offsets = (torch.cumsum(counts, 0) - counts).to(self.device)                  # first index of each class
        self.class_frequencies = counts.float() / counts.sum()
        self.cumulative = torch.cumsum(self.class_frequencies, 0).to(self.device)
        self.scale = self.size / REFERENCE_CANVAS

    def __len__(self) -> int:
        return len(self.digits)

    def _uniform(self, shape, generator: torch.Generator | None) -> torch.Tensor:
        return torch.rand(shape, generator=generator, device=self.device)

    def _pick(self, n: int, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Indices (n, per_clip) into the bank, and the clips' labels when conditional."""
        if not self.conditional:
            return (self._uniform((n, self.per_clip), generator) * len(self.digits)).long(), None
        u = self._uniform((n,), generator)                                  # inverse CDF: no host sync
        labels = torch.searchsorted(self.cumulative, u, right=True).clamp_(max=self.classes - 1)
        within = (self._uniform((n, self.per_clip), generator) * self.counts[labels][:, None]).long()
        return self.offsets[labels][:, None] + within, labels

    def trajectories(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        """Top-left corners (n, per_clip, T, 2) as integer pixel positions inside the canvas."""
        room = float(self.size - self.side)
        start = self._uniform((n, self.per_clip, 2), generator) * room
        angle = self._uniform((n, self.per_clip), generator) * (2 * math.pi)
        low, high = SPEED_PX
        speed = (low + self._uniform((n, self.per_clip), generator) * (high - low)) * self.scale
        velocity = torch.stack([torch.cos(angle), torch.sin(angle)], dim=-1) * speed[..., None]
        t = torch.arange(self.frames, device=self.device, dtype=torch.float32)
        travelled = start[:, :, None, :] + velocity[:, :, None, :] * t[None, None, :, None]   # (n, P, T, 2)
        folded = torch.remainder(travelled, 2 * room)
        return (room - (folded - room).abs()).round().long()            # bounce: a triangle wave in [0, room]

    def render(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """n clips (n, T, 1, size, size) float in [-1, 1], and their labels (n,) when conditional."""
        clips, labels, _ = self.render_with_digits(n, generator)
        return clips, labels

    def render_with_digits(self, n: int, generator: torch.Generator | None = None):
        """(clips, labels or None, the class of every digit shown (n, per_clip))."""
        index, labels = self._pick(n, generator)
        corners = self.trajectories(n, generator)
        T, S, s = self.frames, self.size, self.side
        canvas = torch.zeros(n, T, S * S, device=self.device)
        offsets = torch.arange(s, device=self.device)
        for p in range(self.per_clip):
            rows = corners[:, p, :, 1, None] + offsets                                  # (n, T, s)
            cols = corners[:, p, :, 0, None] + offsets
            flat = (rows[..., :, None] * S + cols[..., None, :]).reshape(n, T, s * s)   # (n, T, s*s)
            values = self.digits[index[:, p]].reshape(n, 1, s * s).expand(n, T, s * s)
            canvas.scatter_reduce_(2, flat, values, reduce="amax")
        clips = canvas.view(n, T, 1, S, S) * 2 - 1
        return clips, labels, self.labels[index]

    def to_uint8(self, clips: torch.Tensor) -> torch.Tensor:
        return ((clips.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
