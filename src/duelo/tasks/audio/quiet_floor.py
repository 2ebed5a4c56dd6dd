"""What a spectral model's D is shown of a clip's quiet cells (`audio.d_floor_db`): every cell of the log magnitude
more than `db` below the clip's loudest is raised to that level, and its instantaneous frequency set to the silent
value, for real and generated clips alike. The cells between a note's partials then look the same in every clip,
so D has to judge the partials themselves. Built for what the partials probe found (docs/benchmarks.md, "Inside the
note"): D told G's notes apart by the noise between their partials, 10-20 dB off the real notes', and not by how
each partial rises and decays, which is what the judge hears. The floor follows the clip's loudest cell (held
fixed for the gradient), so a louder or softer copy of a clip is floored alike.

The gradient (`audio.d_floor_gradient`): "stopped", G gets none from the cells under the floor, the form measured
first, which collapsed a notes run (G's loudest cells went to the output's ceiling and most of its picture lay under
the floor without gradient: docs/benchmarks.md, "Three levers on the notes preset"); "through", D is shown the
floored picture and the gradient passes every cell as if nothing were floored (a straight-through estimator), so G
still learns where D's gradient points under the floor.
"""

from __future__ import annotations

import math

import torch

from duelo.augment.base import Augment


GRADIENTS = ("stopped", "through")


class QuietFloor(Augment):
    def __init__(self, db: float, log_gain_scale: float, silence: tuple[float, ...], gradient: str = "stopped"):
        """db: how far below the loudest cell the floor lies; log_gain_scale: how much one unit of natural-log
        gain moves the log-magnitude channel (channel 0); silence: per channel, the value of a silent clip (the
        instantaneous frequency's under the floor); gradient: one of GRADIENTS (module doc)."""
        super().__init__()
        if not db > 0:
            raise ValueError(f"quiet floor {db} dB: it must lie above 0 dB below the loudest cell")
        if gradient not in GRADIENTS:
            raise ValueError(f"quiet floor gradient {gradient!r}: one of {', '.join(GRADIENTS)}")
        self.db = float(db)
        self.through = gradient == "through"
        self.depth = self.db / 20 * math.log(10) * float(log_gain_scale)      # in the picture's units
        self.register_buffer("silence", torch.tensor(silence, dtype=torch.float32), persistent=False)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        magnitude = x[:, 0]
        floor = magnitude.detach().flatten(1).amax(1).view(-1, *(1,) * (magnitude.dim() - 1)) - self.depth
        quiet = magnitude < floor
        channels = [torch.maximum(magnitude, floor)]
        for c in range(1, x.shape[1]):
            channels.append(torch.where(quiet, self.silence[c].to(x.dtype), x[:, c]))
        shown = torch.stack(channels, dim=1)
        return x + (shown - x).detach() if self.through else shown
