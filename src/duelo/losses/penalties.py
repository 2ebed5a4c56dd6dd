"""Regularisers on the discriminator, as pure functions returning per-sample values."""

from __future__ import annotations

from typing import Callable

import torch

Tensor = torch.Tensor


def gradient_penalty(critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor,
                     generator: torch.Generator | None = None) -> Tensor:
    """WGAN-GP two-sided penalty (Gulrajani et al. 2017, eq. 3): (‖∇ D(x̂)‖₂ − 1)² per sample,
    x̂ = ε·x + (1 − ε)·G(z), ε ~ U[0, 1] per sample.

    `critic` maps images to logits (N,) (bind labels in a closure for conditional critics). The graph
    is kept (create_graph=True) so the penalty's gradient reaches the critic's weights; no backward here.
    """
    n = real.shape[0]
    eps = torch.rand(n, 1, 1, 1, generator=generator, device=real.device, dtype=real.dtype)
    mixed = (eps * real.detach() + (1.0 - eps) * fake.detach()).requires_grad_(True)   # (N, C, H, W)
    logits = critic(mixed)                                                           # (N,)
    (grad,) = torch.autograd.grad(logits.sum(), mixed, create_graph=True)
    norms = grad.flatten(1).norm(2, dim=1)                                           # (N,)
    return (norms - 1.0).square()
