"""The level of detail of a progressively grown network (Karras, Aila, Laine & Lehtinen 2018, "Progressive
Growing of GANs for Improved Quality, Stability, and Variation", section 3).

A growing network holds every stage from the start: stage 0 works at 4x4, stage k at 4·2^k. The level
L in [0, max_level] says how much of it is in use:

  * L an integer k: stages 0..k are in use and the network works at 4·2^k;
  * L = k - 1 + a with 0 < a < 1: stage k is fading in; its output is blended with the output of stage
    k - 1 (upsampled) with weight a (the paper's alpha).

The level is a buffer (saved with the model and the checkpoint, so the growth schedule's position is
part of the saved state) and also mirrored on the host as the newest stage and whether it is fading.
The mirror decides which layers run, so a forward pass never reads a tensor on the host; the blend weight
a stays on the device. A new level written with `set` costs one small device write, no synchronisation.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class LevelOfDetail(nn.Module):
    """Holds the growth level of one network: `stage` (newest stage in use), `fading`, and `alpha()`."""

    def __init__(self, max_level: int, level: float | None = None):
        super().__init__()
        self.max_level = int(max_level)
        self.register_buffer("level", torch.tensor(float(self.max_level)))
        self.value = float(self.max_level)        # host mirror of the buffer
        self.stage = self.max_level
        self.fading = False
        self.register_load_state_dict_post_hook(LevelOfDetail._after_load)
        if level is not None:
            self.set(level)

    def extra_repr(self) -> str:
        return f"max_level={self.max_level}, stage={self.stage}, fading={self.fading}"

    def set(self, level: float) -> None:
        """Move to `level` (clamped to [0, max_level]); no host synchronisation."""
        level = min(max(float(level), 0.0), float(self.max_level))
        self.level.fill_(level)
        self._mirror(level)

    @staticmethod
    def _after_load(module: "LevelOfDetail", incompatible_keys) -> None:
        module._mirror(float(module.level))             # one host read, at load time only

    def _mirror(self, level: float) -> None:
        self.value = level
        self.stage = int(math.ceil(level))
        self.fading = self.stage != level

    def alpha(self) -> torch.Tensor:
        """Blend weight of the newest stage while it fades in: level - (stage - 1), in (0, 1), on the device."""
        return (self.level - (self.stage - 1)).clamp(0.0, 1.0)
