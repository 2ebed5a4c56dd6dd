"""Projection: find the latent from which a generator best reproduces a given image ("GAN inversion").

Optimisation-based, after the StyleGAN2 projector (Karras et al. 2020, "Analyzing and Improving the Image
Quality of StyleGAN", section 5): Adam on the latent, a learning rate that warms up and then ramps down
along a cosine, starting from the centre of the latent distribution.

Spaces:
  "w"   style-based generators: one w (w_dim) broadcast to all synthesis layers; starts at the mean w of
        the image's class (estimated from `w_avg_samples` mapped latents). The default for them.
  "w+"  style-based generators: one w per layer (num_ws, w_dim) (Abdal, Qin & Wonka 2019, Image2StyleGAN):
        reproduces more, generalises less.
  "z"   any generator: the input latent, kept in the shell where N(0, I) latents concentrate (norm within
        sqrt(z_dim) +- 3 standard deviations of the chi distribution, ~0.71 each); starts from the best of
        `candidates` random latents. The default for generators without a w space.
w and w+ are optimised as offsets in units of the spread of w (w = mean + std * u, u starting at 0), so
one learning rate suits every model. Noise inputs are not optimised: the projection renders with the layers'
fixed eval-mode maps (a plain eval call; sampling draws each seed's own, duelo.nn.seeded_noise), and fitting
noise would let it reproduce images the generator cannot make.

The loss is the mean squared error over the pixels where `mask` is 1 (0 = unknown pixel, fractions
weight), so the same function fills in missing regions (inpainting): pixels under mask 0 do not touch the
result at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn

from duelo.errors import ConfigError
from duelo.sampling.mixing import is_style_based

SPACES = ("auto", "z", "w", "w+")
SHELL_STDS = 3.0                 # z norms kept within sqrt(D) +- SHELL_STDS / sqrt(2) (typical set)
ProgressFn = Callable[[int, int, float], None]


@dataclass
class ProjectionResult:
    """latent: (N, z_dim) for "z", (N, w_dim) for "w", (N, num_ws, w_dim) for "w+" (detached).
    images: G's output for the latent, float (N, C, R, R) in [-1, 1]. loss_history: masked MSE averaged
    over the images, one value per step. mse: each image's final masked MSE (N,)."""

    latent: torch.Tensor
    images: torch.Tensor
    loss_history: list[float]
    space: str
    mse: torch.Tensor = field(default_factory=lambda: torch.empty(0))


def masked_mse(images: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Per-image mean squared error (N,) over the pixels weighted by mask (broadcast to the images)."""
    squared = (images - target) ** 2
    if mask is None:
        return squared.flatten(1).mean(dim=1)
    weight = mask.expand_as(squared)
    return (weight * squared).flatten(1).sum(dim=1) / weight.flatten(1).sum(dim=1)


def psnr(mse: torch.Tensor | float) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB of an MSE measured on [-1, 1] images (peak-to-peak 2)."""
    mse = torch.as_tensor(mse, dtype=torch.float64)
    return 10.0 * torch.log10(4.0 / mse.clamp_min(1e-12))


def resolve_space(G: nn.Module, space: str) -> str:
    """"auto" -> "w" for style-based generators, "z" for the others; refuses w spaces they lack."""
    if space not in SPACES:
        raise ConfigError(f"projection space {space!r}: use one of {', '.join(SPACES)}")
    if space == "auto":
        return "w" if is_style_based(G) else "z"
    if space in ("w", "w+") and not is_style_based(G):
        name = getattr(G, "duelo_spec", {}).get("name", type(G).__name__)
        raise ConfigError(f"projection space {space!r} needs a style-based generator; {name!r} has only z: "
                          f"use space 'z' (or 'auto'), or a stylegan2 model")
    return space


def render(G: nn.Module, latent: torch.Tensor, space: str, labels: torch.Tensor | None = None) -> torch.Tensor:
    """G's images for a latent of the given space ("z", "w" or "w+"; see ProjectionResult.latent)."""
    if space == "z":
        return G(latent, labels)
    if space == "w":
        return G.synthesis(latent.unsqueeze(1).expand(-1, G.num_ws, -1))
    if space == "w+":
        return G.synthesis(latent)
    raise ConfigError(f"projection space {space!r}: use 'z', 'w' or 'w+'")


def to_typical_shell(z: torch.Tensor) -> torch.Tensor:
    """z (..., D) with each norm clamped into sqrt(D) +- SHELL_STDS / sqrt(2): the typical set of N(0, I),
    whose radius has mean ~sqrt(D) and standard deviation ~1/sqrt(2) (chi distribution). A hard sphere
    would be too tight for small D; the origin, where lerp drifts, is excluded for large D."""
    d = z.shape[-1]
    low = max(0.0, math.sqrt(d) - SHELL_STDS / math.sqrt(2))
    high = math.sqrt(d) + SHELL_STDS / math.sqrt(2)
    norm = z.norm(dim=-1, keepdim=True)
    return z * (norm.clamp(low, high) / norm.clamp_min(1e-8))


def learning_rate(step: int, steps: int, lr: float, rampup: float, rampdown: float) -> float:
    """lr with a linear warm-up over the first `rampup` fraction of the steps and a cosine ramp-down to 0
    over the last `rampdown` fraction (0 turns either off)."""
    t = step / max(1, steps)
    scale = 1.0
    if rampdown > 0:
        scale = 0.5 - 0.5 * math.cos(math.pi * min(1.0, (1.0 - t) / rampdown))
    if rampup > 0:
        scale *= min(1.0, (step + 1) / (rampup * steps))
    return lr * scale


def _check_inputs(G: nn.Module, target: torch.Tensor, labels, mask, steps: int, lr: float) -> None:
    shape = (G.channels, *getattr(G, "image_size", (G.resolution, G.resolution)))     # (C, H, W)
    if not isinstance(target, torch.Tensor) or target.dim() != 4 or tuple(target.shape[1:]) != shape:
        got = tuple(target.shape) if isinstance(target, torch.Tensor) else type(target).__name__
        raise ValueError(f"target must be images (N, {', '.join(map(str, shape))}) in [-1, 1] for this "
                         f"generator, got {got}")
    if not target.is_floating_point() or not torch.isfinite(target).all() or target.abs().max() > 1.001:
        raise ValueError("target must be finite float images in [-1, 1] (uint8 images: x / 127.5 - 1)")
    if G.c_dim > 0:
        if labels is None or torch.as_tensor(labels).shape != (target.shape[0],):
            raise ValueError(f"the generator is class-conditional ({G.c_dim} classes): give one label per "
                             f"target image, shape ({target.shape[0]},)")
        bad = [int(v) for v in torch.as_tensor(labels).flatten() if not 0 <= int(v) < G.c_dim]
        if bad:
            raise ConfigError(f"label {bad[0]} is out of range: this model has classes 0..{G.c_dim - 1}")
    elif labels is not None:
        raise ValueError("the generator is unconditional: labels must be None")
    if mask is not None:
        try:
            weight = torch.broadcast_to(mask, target.shape)
        except RuntimeError:
            raise ValueError(f"mask of shape {tuple(mask.shape)} does not broadcast to the target "
                             f"{tuple(target.shape)}; use (N, 1, R, R) or (N, C, R, R)") from None
        if not torch.isfinite(weight).all() or weight.min() < 0 or weight.max() > 1:
            raise ValueError("mask values must lie in [0, 1] (1 = known pixel, 0 = unknown)")
        if (weight.flatten(1).sum(dim=1) <= 0).any():
            raise ValueError("mask hides every pixel of some image: nothing is left to project onto")
    if int(steps) < 1:
        raise ConfigError(f"projection steps must be at least 1, got {steps}")
    if not float(lr) > 0:
        raise ConfigError(f"projection learning rate must be greater than 0, got {lr}")


def _w_stats(G: nn.Module, labels, n: int, samples: int, generator, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean w per image (N, w_dim) (its class's mean for conditional G) and the scalar spread of w."""
    z = torch.randn(samples, G.z_dim, generator=generator).to(device)
    if labels is None:
        w = G.mapping(z, None)[:, 0]
        mean = w.mean(dim=0, keepdim=True).expand(n, -1)
        spread = (w - mean[:1]).square().sum(dim=1).mean().sqrt()
    else:
        means, spreads = [], {}
        for value in labels.tolist():
            if value not in spreads:
                y = torch.full((samples,), value, dtype=torch.long, device=device)
                w = G.mapping(z, y)[:, 0]
                spreads[value] = (w.mean(dim=0), (w - w.mean(dim=0)).square().sum(dim=1).mean().sqrt())
            means.append(spreads[value][0])
        mean = torch.stack(means)
        spread = torch.stack([s for _, s in spreads.values()]).mean()
    return mean, (spread / math.sqrt(G.w_dim)).clamp_min(1e-8)


def project(G: nn.Module, target: torch.Tensor, *, labels: torch.Tensor | None = None, steps: int = 500,
            lr: float = 0.1, mask: torch.Tensor | None = None, space: str = "auto", latent_reg: float = 0.0,
            candidates: int = 16, w_avg_samples: int = 1000, rampup: float = 0.05, rampdown: float = 0.25,
            generator: torch.Generator | None = None, progress: ProgressFn | None = None) -> ProjectionResult:
    """Optimise a latent with Adam so that G(latent) matches `target` (N, C, R, R) in [-1, 1].

    labels: (N,) int64 for conditional G. mask: 1 = known pixel, 0 = unknown (broadcast to the target).
    latent_reg: weight of mean(u^2), u the latent's offset from the mean w in units of the spread of w
    (spaces w and w+; z stays in its typical shell anyway); 0 = off. Every image is projected independently (the
    batch only shares the
    calls). The random draws (z candidates, w statistics) come from `generator`, a CPU torch.Generator,
    so a seeded generator gives the same result twice. progress(step, steps, mse) is called after every
    tenth of the steps (mse: the batch mean at that step). G runs in eval mode with its parameters
    frozen; both are restored afterwards. The returned latent is the best one seen for each image
    (never worse than the start).
    """
    space = resolve_space(G, space)
    _check_inputs(G, target, labels, mask, steps, lr)
    steps = int(steps)
    device = next(G.parameters()).device
    target = target.to(device=device, dtype=torch.float32)
    n = target.shape[0]
    labels = None if labels is None else torch.as_tensor(labels, dtype=torch.long).to(device)
    mask = None if mask is None else mask.to(device=device, dtype=torch.float32)

    was_training = G.training
    flags = [(p, p.requires_grad) for p in G.parameters()]
    G.eval()
    for p, _ in flags:
        p.requires_grad_(False)
    try:
        with torch.no_grad():
            if space == "z":
                start, scale = _best_z(G, target, labels, mask, max(1, int(candidates)), generator), None
                offset = start.clone()
            else:
                start, scale = _w_stats(G, labels, n, max(2, int(w_avg_samples)), generator, device)
                shape = (n, G.w_dim) if space == "w" else (n, G.num_ws, G.w_dim)
                offset = torch.zeros(shape, device=device)
        offset.requires_grad_(True)
        optimiser = torch.optim.Adam([offset], lr=lr, betas=(0.9, 0.999))

        def latent_of(u: torch.Tensor) -> torch.Tensor:
            if space == "z":
                return u
            return start + scale * u if space == "w" else start.unsqueeze(1) + scale * u

        best_latent = latent_of(offset).detach().clone()
        best_mse = torch.full((n,), float("inf"), device=device)
        history = []
        report_every = max(1, steps // 10)
        for step in range(steps):
            for group in optimiser.param_groups:
                group["lr"] = learning_rate(step, steps, lr, rampup, rampdown)
            latent = latent_of(offset)
            mse = masked_mse(render(G, latent, space, labels), target, mask)
            with torch.no_grad():
                better = mse < best_mse
                best_mse = torch.where(better, mse, best_mse)
                best_latent[better] = latent[better]
            history.append(mse.detach().mean())
            loss = mse.sum()
            if latent_reg > 0 and space != "z":
                loss = loss + latent_reg * offset.square().flatten(1).mean(dim=1).sum()
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            if space == "z":
                with torch.no_grad():
                    offset.copy_(to_typical_shell(offset))
            if progress is not None and ((step + 1) % report_every == 0 or step == steps - 1):
                progress(step + 1, steps, float(history[-1]))
        with torch.no_grad():
            images = render(G, best_latent, space, labels)
            final = masked_mse(images, target, mask)
    finally:
        G.train(was_training)
        for p, flag in flags:
            p.requires_grad_(flag)
    return ProjectionResult(latent=best_latent, images=images.detach(), space=space, mse=final.detach(),
                            loss_history=torch.stack(history).tolist())


def _best_z(G: nn.Module, target, labels, mask, candidates: int, generator) -> torch.Tensor:
    """For each target, the one of `candidates` random latents whose image is closest under the mask."""
    n, device = target.shape[0], target.device
    z = to_typical_shell(torch.randn(candidates, n, G.z_dim, generator=generator).to(device))
    losses = torch.stack([masked_mse(G(z[k], labels), target, mask) for k in range(candidates)])  # (K, N)
    best = losses.argmin(dim=0)
    return z[best, torch.arange(n, device=device)]
