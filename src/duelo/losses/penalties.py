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
    eps = torch.rand((n,) + (1,) * (real.ndim - 1), generator=generator, device=real.device, dtype=real.dtype)
    mixed = (eps * real.detach() + (1.0 - eps) * fake.detach()).requires_grad_(True)   # (N, ...) like real
    logits = critic(mixed)                                                           # (N,)
    (grad,) = torch.autograd.grad(logits.sum(), mixed, create_graph=True)
    norms = grad.flatten(1).norm(2, dim=1)                                           # (N,)
    return (norms - 1.0).square()


def zero_centred_penalty(critic: Callable[[Tensor], Tensor], images: Tensor) -> Tensor:
    """‖∇ₓ D(x)‖₂² per sample: the zero-centred gradient penalty of Mescheder, Geiger & Nowozin 2018,
    "Which Training Methods for GANs do actually Converge?", section 4.1: R1 on real x, R2 on fakes
    x = G(z). The objective applies the weight: R1 = γ/2 · E_data ‖∇D(x)‖², R2 the same over G's samples.

    Unlike WGAN-GP it pulls the gradient towards 0, not 1, and only on the data (or generated)
    distribution, which makes the GAN training dynamics locally convergent. `critic` maps images to
    logits (N,) (bind labels in a closure for conditional critics). The images are detached, so no
    gradient reaches G; the graph is kept (create_graph=True) so the penalty trains D. The value is
    per sample only for critics that treat samples independently (no batch norm or minibatch std).
    """
    x = images.detach().requires_grad_(True)                        # (N, C, H, W)
    logits = critic(x)                                               # (N,)
    (grad,) = torch.autograd.grad(logits.sum(), x, create_graph=True)
    return grad.flatten(1).square().sum(dim=1)                       # (N,)


def path_lengths(synthesis: Callable[[Tensor], Tensor], ws: Tensor,
                 generator: torch.Generator | None = None) -> Tensor:
    """Per-sample Jacobian norms ‖J_wᵀ y‖₂ of a style-based generator for random image-space directions y
    (Karras et al. 2020, StyleGAN2 §3.2, eq. 4): y ~ N(0, I) / sqrt(H·W), averaged over the broadcast ws.
    The graph is kept so the penalty (lengths − running mean)² trains G."""
    images = synthesis(ws)                                                           # (N, C, H, W)
    noise = torch.randn(images.shape, generator=generator, device=images.device, dtype=images.dtype)
    noise = noise / (images.shape[2] * images.shape[3]) ** 0.5
    (grad,) = torch.autograd.grad((images * noise).sum(), ws, create_graph=True)       # (N, num_ws, w_dim)
    return grad.square().sum(dim=2).mean(dim=1).sqrt()                              # (N,)
