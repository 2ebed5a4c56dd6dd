"""Put a paired image-to-image task together: translator, patch discriminator, optimisers, objective, feed,
schedules. Every piece comes from a registry (translators, patch discriminators, losses, degradations)."""

from __future__ import annotations

import torch

from duelo.config import Config
from duelo.errors import ConfigError
from duelo.tasks.base import Parts
from duelo.training.protocols import Player


def network_channels(data, degradation) -> tuple[int, int, int]:
    """(channels into G, channels of the source image, channels out of G)."""
    out_channels = data.channels
    if degradation is None:
        return data.source_channels, data.source_channels, out_channels
    probe = torch.zeros(1, out_channels, data.resolution, data.resolution)
    degraded = degradation(probe, torch.Generator().manual_seed(0))
    source = degraded.source.shape[1]
    return source + (0 if degraded.mask is None else 1), source, out_channels


def make_feed(config: Config, data, device: torch.device):
    from duelo.training.feed import BatchFeed, PairedFeed

    per_round = config.train.batch // config.train.accum_rounds
    if data.train_a is None:
        return BatchFeed(data.train_b, None, per_round, config.train.seed, device)
    return PairedFeed(data.train_a, data.train_b, per_round, config.train.seed, device)


def assemble(config: Config, task, data, degradation, device: torch.device) -> Parts:
    """Players G (with an EMA copy) and D, the pix2pix objective, the feed; weights seeded beforehand."""
    from duelo.losses import LOSSES
    from duelo.tasks.image2image.objective import PairedObjective
    from duelo.tasks.translators import adam, critic, translator
    from duelo.training.lr_schedule import lr_schedules

    t, R = config.image2image, data.resolution
    in_channels, source_channels, out_channels = network_channels(data, degradation)
    if t.residual and source_channels != out_channels:
        raise ConfigError(f"image2image.residual adds G's output to its input, which needs as many input as output "
                          f"channels ({source_channels} vs {out_channels}); set it to false")
    G = translator(config, in_channels, out_channels, R).to(device)
    D = critic(config, in_channels + out_channels, R).to(device)
    objective = PairedObjective(G, D, LOSSES.get(config.loss.name), t.l1_weight, degradation,
                                paste_back=task.spec.paste_back and t.paste_back, residual=t.residual,
                                hole_fill=t.hole_fill if task.spec.holes else "grey", d_steps=config.train.d_steps)
    optimizers = {"G": adam(config, G, config.optim.g_lr), "D": adam(config, D, config.optim.d_lr)}
    players = {"G": Player(G, optimizers["G"], ema=True), "D": Player(D, optimizers["D"])}
    return Parts(players, objective, make_feed(config, data, device), lr_schedules(config, optimizers))
