"""The toy task's parts: two MLPs, the shared GAN objective with the configured stabilisers, a feed of the
training points, and what the health monitor probes (modes read as classes)."""

from __future__ import annotations

import torch

from duelo.config import Config
from duelo.tasks.base import Parts


def assemble(config: Config, data, runtime) -> Parts:
    from duelo.health.heldout import split_heldout
    from duelo.tasks.gan_parts import assemble_gan
    from duelo.tasks.toy.networks import PointDiscriminator, PointGenerator
    from duelo.training.feed import BatchFeed
    from duelo.training.lr_schedule import lr_schedules

    toy, health, device = config.toy, config.health, runtime.device
    per_round = config.train.batch // config.train.accum_rounds
    split = split_heldout(data["points"], None, health.heldout_fraction if health.enabled else 0.0,
                          health.heldout_max, batch=per_round)
    data["train"], data["heldout"] = split.train_images, split.heldout_images
    feed = BatchFeed(split.train_images, None, per_round, config.train.seed, device)
    gan = assemble_gan(config, lambda: PointGenerator(toy.z_dim, toy.width, toy.depth),
                       lambda **kwargs: PointDiscriminator(toy.width, toy.depth, **kwargs), {}, (2,), device)
    return Parts(gan.players, gan.objective, feed, lr_schedules(config, gan.optimizers))


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
