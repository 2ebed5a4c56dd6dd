"""Latent-space tools: interpolation (lerp, slerp), paths through keyframes, and truncation.

Pure tensor functions with no model in sight; `duelo interpolate` builds on them.

References:
  T. White, "Sampling Generative Networks", 2016 (arXiv:1609.04468): spherical interpolation (slerp)
    keeps an interpolated N(0, I) latent at the typical radius sqrt(D) where linear interpolation
    drifts towards the origin, a region the generator rarely saw in training.
  A. Brock, J. Donahue, K. Simonyan, "Large Scale GAN Training for High Fidelity Natural Image
    Synthesis" (BigGAN), ICLR 2019: the truncation trick, latents drawn from a truncated normal.
  T. Karras, S. Laine, T. Aila, "A Style-Based Generator Architecture for GANs" (StyleGAN), CVPR 2019:
    truncation as interpolation towards a centre latent, `centre + psi * (z - centre)`.
"""

from __future__ import annotations

import torch

from duelo.errors import ConfigError

PARALLEL_EPS = 1e-6            # sin(angle) below this: the vectors are (anti)parallel -> lerp
MAX_RESAMPLE_ROUNDS = 100


def _as_t(t: float | torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """t as a tensor with a trailing singleton dimension, so it broadcasts against (..., D) rows."""
    t = torch.as_tensor(t, dtype=like.dtype, device=like.device)
    return t.unsqueeze(-1)


def lerp(a: torch.Tensor, b: torch.Tensor, t: float | torch.Tensor) -> torch.Tensor:
    """Linear interpolation `a + t * (b - a)` over the last dimension.

    a, b: (D,) or (N, D). t: a float (result shaped like a) or a tensor whose shape broadcasts against
    the leading dimensions: with (D,) vectors a (T,) tensor of t values gives (T, D); with (N, D) rows an
    (N,) tensor gives each row its own t.
    """
    tt = _as_t(t, a)
    return a + tt * (b - a)


def slerp(a: torch.Tensor, b: torch.Tensor, t: float | torch.Tensor) -> torch.Tensor:
    """Spherical linear interpolation (White 2016, "Sampling Generative Networks").

        slerp(a, b; t) = sin((1 - t) w) / sin(w) * a + sin(t w) / sin(w) * b,   w = angle(a, b)

    Moves along the great circle between a and b (with the norm interpolated in between when the norms
    differ); for unit vectors the result stays on the unit sphere. Falls back to lerp where a and b are
    (anti)parallel, where the great circle is undefined. Batched like `lerp`: a, b (D,) or (N, D) rows;
    t a float or a tensor broadcasting against the leading dimensions ((T,) t with (D,) vectors -> (T, D)).
    """
    a_unit = a / a.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    b_unit = b / b.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    cos = (a_unit * b_unit).sum(dim=-1, keepdim=True).clamp(-1.0, 1.0)
    omega = torch.acos(cos)
    sin_omega = torch.sin(omega)
    tt = _as_t(t, a)
    parallel = sin_omega.abs() < PARALLEL_EPS
    safe_sin = torch.where(parallel, torch.ones_like(sin_omega), sin_omega)
    spherical = (torch.sin((1.0 - tt) * omega) / safe_sin) * a + (torch.sin(tt * omega) / safe_sin) * b
    return torch.where(parallel, lerp(a, b, t), spherical)


def interpolation_path(z: torch.Tensor, frames_per_segment: int, mode: str = "slerp",
                       loop: bool = False) -> torch.Tensor:
    """(frames, D) latents walking through the K keyframes z (K, D) in order.

    Each segment between consecutive keyframes has `frames_per_segment` frames, starting exactly on its
    first keyframe. A loop also walks from the last keyframe back to the first and has K * frames_per_segment
    frames (the first frame follows the last seamlessly); an open path ends on the last keyframe and has
    (K - 1) * frames_per_segment + 1 frames. Keyframes appear in the path bit-for-bit.
    """
    if mode not in ("lerp", "slerp"):
        raise ConfigError(f"interpolation mode {mode!r}: use 'lerp' or 'slerp'")
    if z.dim() != 2 or z.shape[0] < 2:
        raise ConfigError(f"need at least 2 keyframes as a (K, D) tensor, got shape {tuple(z.shape)}")
    if int(frames_per_segment) < 1:
        raise ConfigError(f"frames per segment must be at least 1, got {frames_per_segment}")
    frames_per_segment = int(frames_per_segment)
    interpolate = slerp if mode == "slerp" else lerp
    k = z.shape[0]
    starts = z if loop else z[:-1]
    ends = torch.roll(z, -1, dims=0) if loop else z[1:]
    t = torch.arange(frames_per_segment, dtype=z.dtype, device=z.device) / frames_per_segment   # (F,)
    segments = []
    for a, b in zip(starts, ends):
        segment = interpolate(a, b, t)                   # (F, D)
        segment[0] = a                                   # exactly the keyframe
        segments.append(segment)
    if not loop:
        segments.append(z[k - 1:k].clone())
    return torch.cat(segments)


def truncate(z: torch.Tensor, psi: float, centre: torch.Tensor | None = None) -> torch.Tensor:
    """The truncation trick as interpolation towards a centre: `centre + psi * (z - centre)`.

    psi = 1 leaves z alone, psi = 0 collapses every latent onto the centre (Karras et al. 2019; the
    centre defaults to the zero vector, the mean of a N(0, I) latent). Smaller psi trades variety for
    fidelity (Brock et al. 2019). psi in [0, 1] is usual; values up to 2 extrapolate away from the centre.
    """
    psi = float(psi)
    if not 0.0 <= psi <= 2.0:
        raise ConfigError(f"truncation psi {psi}: use a value in [0, 1] (at most 2 to exaggerate)")
    if centre is None:
        return z * psi
    centre = torch.as_tensor(centre, dtype=z.dtype, device=z.device)
    return centre + psi * (z - centre)


def truncated_normal(n: int, d: int, threshold: float,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """(n, d) standard-normal samples with every |entry| <= threshold (Brock et al. 2019, BigGAN).

    Entries beyond the threshold are redrawn until they fall inside it. After MAX_RESAMPLE_ROUNDS rounds
    (only tiny thresholds get there) the few left are drawn exactly by inverse-CDF sampling of the
    truncated normal. Deterministic for a seeded `generator`.
    """
    threshold = float(threshold)
    if not threshold > 0.0:
        raise ConfigError(f"truncation threshold {threshold}: must be greater than 0")
    z = torch.randn(n, d, generator=generator)
    for _ in range(MAX_RESAMPLE_ROUNDS):
        outside = z.abs() > threshold
        count = int(outside.sum())
        if count == 0:
            return z
        z[outside] = torch.randn(count, generator=generator)
    outside = z.abs() > threshold
    count = int(outside.sum())
    if count:
        low = torch.special.ndtr(torch.tensor(-threshold, dtype=torch.float64))
        u = low + (1.0 - 2.0 * low) * torch.rand(count, generator=generator, dtype=torch.float64)
        z[outside] = torch.special.ndtri(u).clamp(-threshold, threshold).to(z.dtype)
    return z
