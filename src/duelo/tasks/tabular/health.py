"""The health monitor's probe for a table (the same signals as an image GAN's, duelo.health.signals, measured
on rows): D's verdicts on training rows, held-out rows and generated rows, each network's gradient norm, the
diversity of the averaged generator's rows against the real ones, and how many categorical levels it
produces (a level counts when it gets at least COVERED_SHARE of its real frequency).

A real row is shown to D with one of its own categories as its condition (a random categorical column),
as training-by-sampling shows it; a generated row with the condition it was asked for.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch

from duelo.health.signals import MIN_LOGIT_GAP, PROBE_SEED, mean_pairwise_distance

COVERED_SHARE = 0.2         # PacGAN's rule, as for image classes
MIN_LEVEL_SHARE = 0.01      # levels rarer than this in the real table are not counted


@dataclass
class TableProbeData:
    train:   torch.Tensor           # (N, D) encoded training rows
    heldout: torch.Tensor | None    # (M, D) encoded rows never trained on


def _conditions(rows: torch.Tensor, sampler, generator: torch.Generator) -> torch.Tensor | None:
    """(n, cond_dim) one-hot of one of each row's own categories (a random categorical column)."""
    if not sampler.spans:
        return None
    span = torch.randint(sampler.n_spans, (len(rows),), device=rows.device, generator=generator)
    category = torch.stack([rows[:, start:start + width].argmax(1) for start, width in sampler.spans], 1)
    index = sampler.offsets[span] + category.gather(1, span[:, None])[:, 0]
    return torch.nn.functional.one_hot(index, sampler.cond_dim).float()


def _with(rows: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
    return rows if cond is None else torch.cat([rows, cond], 1)


def _fake(objective, G, n: int, generator: torch.Generator, training: bool):
    cond = objective.sampler.sample(n, training=training, generator=generator)
    rows, _ = objective.activation(G(objective.generator_input(cond, n, generator)), generator)
    return rows, None if cond is None else cond.vector


def _grad_norm(module: torch.nn.Module) -> float:
    grads = [p.grad.detach().flatten() for p in module.parameters() if p.grad is not None]
    return float(torch.cat(grads).norm()) if grads else float("nan")


def _levels(rows: torch.Tensor, spans) -> torch.Tensor:
    """(levels,) frequency of every categorical level among `rows`."""
    parts = [torch.bincount(rows[:, s:s + w].argmax(1), minlength=w).float() / len(rows) for s, w in spans]
    return torch.cat(parts) if parts else torch.zeros(0)


def table_probe(trainer, data: TableProbeData, samples: int, seed: int) -> dict[str, float | None]:
    objective, device = trainer.objective, trainer.runtime.device
    pac = objective.pac
    G = copy.deepcopy(trainer.nets["G"]).train().requires_grad_(True)
    D = copy.deepcopy(trainer.nets["D"]).train().requires_grad_(True)
    G_ema = copy.deepcopy(trainer.ema["G"]).train()
    generator = torch.Generator(device=device).manual_seed(PROBE_SEED + seed)
    n = min(samples, len(data.train)) // pac * pac
    pick = torch.randperm(len(data.train), generator=torch.Generator().manual_seed(PROBE_SEED + seed))[:n]
    real_rows = data.train[pick].to(device)
    real = _with(real_rows, _conditions(real_rows, objective.sampler, generator))
    signals: dict[str, float | None] = {}
    with torch.no_grad():
        fake_rows, fake_cond = _fake(objective, G, n, generator, training=True)
        d_real = D(real, generator).float().flatten()
        d_fake = D(_with(fake_rows, fake_cond), generator).float().flatten()
        signals["d_real_train"], signals["d_fake"] = float(d_real.mean()), float(d_fake.mean())
        signals["rt_train"] = float(d_real.sign().mean())
        if data.heldout is not None and len(data.heldout) >= pac:
            held_rows = data.heldout[: min(n, len(data.heldout)) // pac * pac].to(device)
            d_held = D(_with(held_rows, _conditions(held_rows, objective.sampler, generator)), generator).float()
            signals["d_real_heldout"] = float(d_held.mean())
            signals["rt_heldout"] = float(d_held.sign().mean())
            gap = signals["d_real_train"] - signals["d_fake"]
            signals["overfit_rv"] = ((signals["d_real_train"] - signals["d_real_heldout"]) / gap
                                     if gap > MIN_LOGIT_GAP else None)
        middle = 0.5 * (signals["d_real_train"] + signals["d_fake"])
        right = float(torch.cat([d_real > middle, d_fake <= middle]).float().mean())
        signals["d_accuracy"] = right if signals["d_real_train"] >= signals["d_fake"] else 1 - right
    fake_rows, fake_cond = _fake(objective, G, n, generator, training=True)     # with gradients
    fake = _with(fake_rows, fake_cond)
    (D(fake.detach(), generator).mean() - D(real, generator).mean()).backward()
    signals["grad_norm_D"] = _grad_norm(D)
    D.zero_grad(set_to_none=True)
    (-D(fake, generator).mean()).backward()
    signals["grad_norm_G"] = _grad_norm(G)
    with torch.no_grad():                    # what users get: the averaged generator, frequency conditions
        ema_rows, _ = _fake(objective, G_ema, n, generator, training=False)
    real_spread = mean_pairwise_distance(real_rows.cpu())
    fake_spread = mean_pairwise_distance(ema_rows.cpu())
    signals["diversity_ratio"] = fake_spread / real_spread if real_spread > 1e-6 else None
    spans = objective.sampler.spans
    if spans:
        real_share, fake_share = _levels(data.train, spans), _levels(ema_rows.cpu(), spans)
        counted = real_share >= MIN_LEVEL_SHARE
        signals["classes_total"] = float(counted.sum())
        signals["classes_covered"] = float(((fake_share >= COVERED_SHARE * real_share) & counted).sum())
    signals["lr_scale"] = trainer.lr_scale
    return signals


def table_monitor(session, advise):
    """The health monitor of a tabular run (the common HealthMonitor with this probe)."""
    from duelo.health.monitor import HealthMonitor

    extras = session.parts.extras
    data = TableProbeData(extras["train_rows"], extras["heldout_rows"])
    return HealthMonitor(session.config, session.health_log, lambda: data, session.log, advise, probe_fn=table_probe)
