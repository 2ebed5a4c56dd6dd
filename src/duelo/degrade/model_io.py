"""How a restoration or translation model's input is made from a damaged image, and how its raw output becomes
the prediction: one definition for training (the pix2pix objective), evaluation and `duelo inpaint|restore`.

`hole_fill` says what G sees in the holes: mid-grey (the source's own 0), or a smooth fill from the known pixels
(a coarse first stage, as in two-stage inpainting, Yu et al. 2018). `residual` makes G predict a correction
added to its input (VDSR, Kim et al. 2016; DnCNN, Zhang et al. 2017), so an untrained G already returns the
input and training only has to improve on it. `paste_back` keeps the known pixels exactly (torch.where, not a
blend), so only the holes are generated.
"""

from __future__ import annotations

from typing import Callable

import torch

from duelo.registry import Registry

Tensor = torch.Tensor
PREFILL_ITERATIONS = 8             # smoothing steps of the blur pre-fill after its pull-push pyramid

HoleFill = Callable[[Tensor, Tensor], Tensor]      # (source with holes, mask) -> the image G's input starts from
HOLE_FILLS: Registry[HoleFill] = Registry("hole fill")


@HOLE_FILLS.register("grey")
def grey_fill(source: Tensor, mask: Tensor) -> Tensor:
    """The holes as the degradation left them: mid-grey (0 in [-1, 1])."""
    return source


@HOLE_FILLS.register("blur")
def smooth_fill(source: Tensor, mask: Tensor) -> Tensor:
    """The holes filled smoothly from the known pixels (duelo.degrade.baselines.blur_fill)."""
    from duelo.degrade.baselines import blur_fill

    return blur_fill(source, mask, iterations=PREFILL_ITERATIONS)


def network_input(source: Tensor, mask: Tensor | None, hole_fill: str = "grey") -> tuple[Tensor, Tensor]:
    """(G's input, the image a residual G corrects): holes filled per `hole_fill`, the mask appended."""
    if mask is None:
        return source, source
    base = HOLE_FILLS.get(hole_fill)(source, mask)
    return torch.cat([base, mask.to(base.dtype)], 1), base


def finish_output(out: Tensor, base: Tensor, source: Tensor, mask: Tensor | None,
                  residual: bool = False, paste_back: bool = False) -> Tensor:
    """G's raw output -> the prediction: plus `base` for a residual G (clamped to [-1, 1]); the known pixels
    of `source` pasted back exactly when `paste_back` and there are holes."""
    if residual:
        out = (base.to(out.dtype) + out).clamp(-1.0, 1.0)
    if paste_back and mask is not None:
        out = torch.where(mask > 0.5, out, source.to(out.dtype))
    return out
