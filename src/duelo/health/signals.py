"""Cheap health signals of a GAN in training, computed at each check from fresh batches.

The probe works on copies of G and D in training mode (what the step sees: batch statistics, spectral
norm's power iteration) with its own random generator, so it never changes the run. D sees raw images
here, not augmented ones: the question is what D thinks of the data itself.

Signals (left out, or None, when they do not apply):
  d_real_train, d_real_heldout, d_fake   mean D logits on training reals, held-out reals, fakes
  rt_train, rt_heldout                   E[sign D(x)] on training / held-out reals (ADA's r_t; -1 … 1)
  overfit_rv                             (E[D_train] − E[D_heldout]) / (E[D_train] − E[D_fake]), ADA's r_v:
                                         0 = D judges unseen reals like training ones, 1 = like fakes;
                                         None while the two mean logits are less than 0.1 apart
  d_accuracy                             share of reals and fakes on the right side of the midpoint
                                         between the two mean logits (how well D separates them)
  grad_norm_D, grad_norm_G               ‖∇θ‖ of each network's adversarial loss on one batch
  diversity_ratio                        mean pairwise feature distance of G_ema's samples / of reals (≈1)
  classes_covered, classes_total         classes the judge finds among G_ema's samples, whatever label was
                                         asked for (PacGAN's ≥ 20 % rule): a G that ignores its labels but
                                         draws every class has not collapsed
  class_accuracy                         conditional G: share of G_ema's samples judged as the requested class
  augment_p, ada_rt, instance_noise_sigma, lr_scale   the current settings of the run
  loss_D, loss_G                         mean logged losses since the previous check (added by the monitor)
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Callable

import torch

Tensor = torch.Tensor
COVERED_SHARE = 0.2       # a class counts as produced when it gets >= 20 % of its fair share (PacGAN's rule)
PROBE_SEED = 0x4EA1_7400
MIN_LOGIT_GAP = 0.1       # r_v needs D's mean logits on reals and fakes at least this far apart


def uint8_to_model(images: Tensor) -> Tensor:
    return images.float().div(127.5).sub(1.0)


@dataclass
class ProbeData:
    """Real samples as stored (uint8 images, or any tensor with `prepare`), and the spaces to compare in.
    `features` and `classify` take samples as the networks see them (images in [-1, 1])."""

    train_images:   Tensor                   # (N, ...) training reals as stored, e.g. uint8 (N, C, H, W)
    heldout_images: Tensor | None            # (M, ...) never trained on
    features:       Callable[[Tensor], Tensor]   # samples -> (n, F) features for the diversity ratio
    classify:       Callable[[Tensor], Tensor] | None = None   # samples -> predicted class (n,); >= classes = none
    num_classes:    int = 0
    prepare:        Callable[[Tensor], Tensor] = uint8_to_model   # stored -> what the networks take
    train_labels:   Tensor | None = None     # (N,) for a conditional D
    heldout_labels: Tensor | None = None     # (M,)


def to_uint8(images: Tensor) -> Tensor:
    return images.clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8).cpu()


def mean_pairwise_distance(features: Tensor) -> float:
    """Mean Euclidean distance over all pairs of distinct rows (float64)."""
    x = features.double().flatten(1)
    n = x.shape[0]
    if n < 2:
        return float("nan")
    return float(torch.cdist(x, x).sum() / (n * (n - 1)))


def pooled_pixels(images: Tensor, size: int = 8) -> Tensor:
    """Fallback feature space for unlabelled data: images in [-1, 1] average-pooled to at most size x size."""
    x = images.float()
    if x.shape[-1] > size:
        x = torch.nn.functional.adaptive_avg_pool2d(x, size)
    return x.flatten(1)


def _chunks(n: int, size: int) -> list[slice]:
    return [slice(i, min(i + size, n)) for i in range(0, n - size + 1, size)] or [slice(0, n)]


def _logits(D, images: Tensor, labels: Tensor | None, batch: int) -> Tensor:
    out = [D(images[s], None if labels is None else labels[s]).float() for s in _chunks(len(images), batch)]
    return torch.cat(out)


def _grad_norm(module: torch.nn.Module) -> float:
    grads = [p.grad.detach().flatten() for p in module.parameters() if p.grad is not None]
    return float(torch.cat(grads).norm()) if grads else float("nan")


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if abs(denominator) > 1e-6 and math.isfinite(denominator) else None


def probe(trainer, data: ProbeData, samples: int, seed: int) -> dict[str, float | None]:
    """All signals for the trainer's current state; `seed` makes two probes of one state identical."""
    objective = trainer.objective
    device = trainer.runtime.device
    batch = trainer.feed.batch
    G = copy.deepcopy(trainer.nets["G"]).train().requires_grad_(True)
    G_ema = copy.deepcopy(trainer.G_ema).train()      # batch statistics: its BatchNorm buffers are G's
    D = copy.deepcopy(trainer.nets["D"]).train().requires_grad_(True)
    generator = torch.Generator(device=device).manual_seed(PROBE_SEED + seed)
    cpu_generator = torch.Generator().manual_seed(PROBE_SEED + seed)
    n = min(samples, len(data.train_images))
    pick = torch.randperm(len(data.train_images), generator=cpu_generator)[:n]
    real = data.prepare(data.train_images[pick].to(device))                     # (n, C, H, W) in [-1, 1]
    conditional = D.c_dim > 0
    real_labels = data.train_labels[pick].to(device) if conditional else None
    held_labels_all = data.heldout_labels if conditional else None
    z, fake_labels = objective.sample_generator_inputs(n, generator)
    signals: dict[str, float | None] = {}
    with torch.no_grad():
        fake = torch.cat([G(z[s], None if fake_labels is None else fake_labels[s])
                          for s in _chunks(n, batch)])
        fake_labels = None if fake_labels is None else fake_labels[:len(fake)]
        d_real = _logits(D, real[:len(fake)], real_labels if real_labels is None else real_labels[:len(fake)], batch)
        d_fake = _logits(D, fake, fake_labels, batch)
        signals["d_real_train"], signals["d_fake"] = float(d_real.mean()), float(d_fake.mean())
        signals["rt_train"] = float(d_real.sign().mean())
        signals["d_heldout"] = None
        if data.heldout_images is not None:
            held = data.prepare(data.heldout_images[:n].to(device))
            held_labels = None if held_labels_all is None else held_labels_all[:len(held)].to(device)
            d_held = _logits(D, held, held_labels, min(batch, len(held)))
            signals["d_real_heldout"] = float(d_held.mean())
            signals["rt_heldout"] = float(d_held.sign().mean())
            gap = signals["d_real_train"] - signals["d_fake"]
            # undefined while D barely separates reals from fakes: a tiny gap would blow noise up
            signals["overfit_rv"] = (_ratio(signals["d_real_train"] - signals["d_real_heldout"], gap)
                                     if gap > MIN_LOGIT_GAP else None)
        signals.pop("d_heldout")
        middle = 0.5 * (signals["d_real_train"] + signals["d_fake"])
        right = torch.cat([d_real > middle, d_fake <= middle]).float().mean()
        signals["d_accuracy"] = float(right) if signals["d_real_train"] >= signals["d_fake"] else float(1 - right)
    signals.update(_gradient_norms(G, D, objective, real[:batch],
                                   None if real_labels is None else real_labels[:batch], generator))
    with torch.no_grad():                             # what users get: the averaged generator's samples
        ema_fake = torch.cat([G_ema(z[s], None if fake_labels is None else fake_labels[s])
                              for s in _chunks(len(fake), batch)])
    signals.update(_diversity_and_classes(data, real[:len(ema_fake)], ema_fake,
                                          None if fake_labels is None else fake_labels.cpu(), conditional))
    if objective.d_inputs:                           # augmentation / instance noise: their current strength
        signals.update({k: float(v) for k, v in objective.d_inputs.status().items()})
    signals["lr_scale"] = trainer.lr_scale
    return signals


def _gradient_norms(G, D, objective, real: Tensor, labels: Tensor | None,
                    generator: torch.Generator) -> dict[str, float]:
    n = real.shape[0]
    z = G.sample_latents(n, generator=generator)
    fake = G(z, labels)
    real_logits = D(real, labels).float()
    d_loss = objective.loss.d_loss(real_logits, D(fake.detach(), labels).float()).mean()
    D.zero_grad(set_to_none=True)
    d_loss.backward()
    grad_d = _grad_norm(D)
    D.zero_grad(set_to_none=True)
    G.zero_grad(set_to_none=True)
    fake_logits = D(fake, labels).float()
    # a relativistic loss (rpgan) scores fake i against real i: G's loss takes the reals' logits too (G has no
    # part in them, so they enter detached)
    g_loss = (objective.loss.g_loss(fake_logits, real_logits.detach()) if objective.loss.relativistic
              else objective.loss.g_loss(fake_logits))
    g_loss.mean().backward()
    return {"grad_norm_D": grad_d, "grad_norm_G": _grad_norm(G)}


def _diversity_and_classes(data: ProbeData, real: Tensor, fake: Tensor, fake_labels: Tensor | None,
                           conditional: bool) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    real_spread = mean_pairwise_distance(data.features(real).cpu())
    out["diversity_ratio"] = _ratio(mean_pairwise_distance(data.features(fake).cpu()), real_spread)
    if data.classify is None or data.num_classes == 0:
        return out
    predicted = data.classify(fake).cpu()
    k = data.num_classes
    out["classes_total"] = float(k)
    counts = torch.bincount(predicted, minlength=k + 1)[:k].float()       # labels >= k: no class
    out["classes_covered"] = float((counts >= COVERED_SHARE * len(predicted) / k).sum())
    if conditional and fake_labels is not None:
        out["class_accuracy"] = float((predicted == fake_labels).float().mean())
    return out
