"""The toy task's parts: two MLPs, the shared GAN objective with the configured stabilisers, a feed of the
training points, and what the health monitor probes (modes read as classes)."""

from __future__ import annotations

import torch

from duelo import stabilisers
from duelo.config import Config
from duelo.tasks.base import Parts
from duelo.training.optim import lazy_adam_settings
from duelo.training.protocols import Player


def assemble(config: Config, data, runtime) -> Parts:
    from duelo.health.heldout import split_heldout
    from duelo.losses import LOSSES
    from duelo.objectives import GANObjective
    from duelo.tasks.toy.networks import PointDiscriminator, PointGenerator
    from duelo.training.feed import BatchFeed
    from duelo.training.lr_schedule import lr_schedules

    toy, health, device = config.toy, config.health, runtime.device
    per_round = config.train.batch // config.train.accum_rounds
    split = split_heldout(data["points"], None, health.heldout_fraction if health.enabled else 0.0,
                          health.heldout_max, batch=per_round)
    data["train"], data["heldout"] = split.train_images, split.heldout_images
    feed = BatchFeed(split.train_images, None, per_round, config.train.seed, device)
    a = stabilisers.Assembly(config=config, d_kwargs={}, loss=LOSSES.get(config.loss.name), sample_shape=(2,))
    stabilisers.apply(a, "before_models")
    a.G = PointGenerator(toy.z_dim, toy.width, toy.depth).to(device)
    a.D = PointDiscriminator(toy.width, toy.depth)
    stabilisers.apply(a, "after_models")
    G, D = a.G, a.D.to(device)
    betas = (config.optim.beta1, config.optim.beta2)
    d_lr, d_betas = lazy_adam_settings(config.optim.d_lr, betas, a.d_lazy_interval)
    a.optimizers = {"G": torch.optim.Adam(G.parameters(), lr=config.optim.g_lr, betas=betas),
                    "D": torch.optim.Adam(D.parameters(), lr=d_lr, betas=d_betas)}
    stabilisers.apply(a, "after_optimizers")
    kwargs = dict(a.objective_kwargs)
    if "pool" in kwargs:
        kwargs["pool"] = kwargs["pool"].to(device)
    gp_weight = a.loss.gp_weight if config.loss.gp_weight is None else config.loss.gp_weight
    objective = GANObjective(G, D, a.loss, gp_weight=gp_weight, d_steps=config.train.d_steps, **kwargs)
    players = {"G": Player(G, a.optimizers["G"], ema=True), "D": Player(D, a.optimizers["D"])}
    return Parts(players, objective, feed, lr_schedules(config, a.optimizers))


def nearest_mode(points: torch.Tensor, centres: torch.Tensor, std: float) -> torch.Tensor:
    """Index of the nearest centre, or len(centres) ("no mode") beyond 3 standard deviations."""
    best, index = torch.cdist(points.float(), centres.to(points.device)).min(dim=1)
    return torch.where(best <= 3 * std, index, torch.full_like(index, len(centres)))


def probe_data(session):
    """The health monitor's view of the points: raw coordinates as features, modes as classes."""
    from duelo.health.signals import ProbeData

    data, std = session.data, session.config.toy.std
    return ProbeData(train_images=data["train"], heldout_images=data["heldout"], features=lambda x: x,
                     classify=lambda x: nearest_mode(x, data["centres"], std), num_classes=len(data["centres"]),
                     prepare=lambda x: x)
