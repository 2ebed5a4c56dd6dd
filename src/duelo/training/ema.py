"""Exponential moving average of the generator's weights (Karras et al. 2018; Yazıcı et al. 2019).

The half-life is counted in images, not steps, so it means the same at any batch size; an optional
ramp-up caps it at a fraction of the images seen so far, so early averages do not remember noise.
"""

from __future__ import annotations

import torch
from torch import nn


def ema_beta(images_this_step: int, images_seen: int, halflife_kimg: float, rampup: float | None) -> float:
    """Decay for one update: 0.5 ** (images_this_step / half-life in images)."""
    halflife_nimg = halflife_kimg * 1000.0
    if rampup is not None:
        halflife_nimg = min(halflife_nimg, images_seen * rampup)
    if halflife_nimg <= 0:
        return 0.0
    return 0.5 ** (images_this_step / max(halflife_nimg, 1e-8))


@torch.no_grad()
def update_ema(ema: nn.Module, model: nn.Module, beta: float | torch.Tensor) -> None:
    """ema ← model + beta·(ema − model) for parameters; buffers (e.g. BatchNorm statistics) are copied.
    `beta` may be a 0-dim device tensor: a step captured in a CUDA graph reads it at every replay."""
    ema_params = list(ema.parameters())
    params = [p.detach() for p in model.parameters()]
    if torch.is_tensor(beta):
        # _foreach_lerp_ reads a tensor weight back to the host (a sync a graph cannot capture): add
        # (1 - beta)(model - ema) with the tensor-scalar product, which stays on the device
        step = torch._foreach_sub(params, ema_params)
        torch._foreach_mul_(step, 1.0 - beta)
        torch._foreach_add_(ema_params, step)
    else:
        torch._foreach_lerp_(ema_params, params, 1.0 - beta)
    for ema_buffer, buffer in zip(ema.buffers(), model.buffers()):
        ema_buffer.copy_(buffer)


@torch.no_grad()
def recalibrate_batchnorm(module: nn.Module, sample_inputs, batches: int, batch: int, seed: int) -> None:
    """Re-estimate BatchNorm running statistics of an averaged network by running it on fresh inputs.

    Averaged weights are a network nobody trained, so the running statistics copied from the live
    generator do not match its activations; recomputing them (a cumulative average over `batches`
    batches) makes eval-mode samples faithful. `sample_inputs(n, torch.Generator)` returns the forward
    arguments. Uses its own seeded generator, so training randomness is untouched.
    """
    norms = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    device = next(module.parameters()).device
    generator = torch.Generator(device=device).manual_seed(seed)
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average over the calibration batches
    was_training = module.training
    module.train()
    for _ in range(batches):
        module(*sample_inputs(batch, generator))
    module.train(was_training)
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
