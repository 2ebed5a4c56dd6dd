"""Put an image-to-image task together: translators, patch discriminators, optimisers, objective, schedules.
Every piece comes from a registry (translators, patch discriminators, losses, degradations)."""

from __future__ import annotations

import torch

from duelo.config import Config
from duelo.errors import ConfigError


def network_channels(config: Config, spec, data, degradation) -> tuple[int, int]:
    """(channels into G, channels out of G) of a paired or restoration task."""
    out_channels = data.channels
    if degradation is None:
        return data.source_channels, out_channels
    probe = torch.zeros(1, out_channels, data.resolution, data.resolution)
    degraded = degradation(probe, torch.Generator().manual_seed(0))
    return degraded.source.shape[1] + (0 if degraded.mask is None else 1), out_channels


def _check_names(config: Config) -> None:
    from duelo.models.translation import PATCH_DISCRIMINATORS, TRANSLATORS

    if config.model.name not in TRANSLATORS:
        raise ConfigError(f"task {config.train.task} needs an image-to-image generator: --model "
                          f"{' or '.join(TRANSLATORS.names())} (got {config.model.name!r}, which is not one)")
    PATCH_DISCRIMINATORS.get(config.image2image.discriminator)
    if config.model.z_dim is not None:
        raise ConfigError(f"model.z_dim is not used by task {config.train.task}: its generator takes an image, "
                          f"not a latent; leave it unset")


def _translator(config: Config, in_channels: int, out_channels: int, resolution: int):
    from duelo.models.translation import build_translator

    width = {} if config.model.width is None else {"width": config.model.width}
    return build_translator(config.model.name, in_channels=in_channels, out_channels=out_channels,
                            resolution=resolution, **width, **config.model.g_kwargs)


def _critic(config: Config, in_channels: int, resolution: int):
    from duelo.models.translation import build_patch_discriminator

    width = {} if config.model.width is None else {"width": config.model.width}
    kwargs = {**width, **config.model.d_kwargs}
    if config.image2image.discriminator == "patchgan" and "n_layers" not in kwargs:
        # pix2pix's 70x70 PatchGAN (3 stride-2 layers) needs 24x24 images; smaller ones get fewer layers
        kwargs["n_layers"] = max(1, min(3, (resolution // 3).bit_length() - 1))
    return build_patch_discriminator(config.image2image.discriminator, in_channels=in_channels,
                                     resolution=resolution, **kwargs)


def _loss(config: Config):
    from duelo.losses import LOSSES

    loss = LOSSES.get(config.loss.name)
    if loss.gp_weight > 0 or config.loss.gp_weight:
        raise ConfigError(f"loss {config.loss.name!r} needs a gradient penalty, which image-to-image tasks do "
                          f"not apply; use lsgan (CycleGAN's choice), bce (pix2pix's) or hinge")
    return loss


def assemble(config: Config, spec, data, degradation, device: torch.device):
    """(G, D, optimisers, objective, schedules); weights are seeded by the caller beforehand."""
    from duelo.losses.cyclegan import CycleObjective, CyclePair
    from duelo.losses.pix2pix import PairedObjective
    from duelo.training.history_pool import HistoryPool
    from duelo.training.lr_schedule import lr_schedules

    _check_names(config)
    loss = _loss(config)
    t, R = config.image2image, data.resolution
    if spec.unpaired:
        ca, cb = data.source_channels, data.channels
        if t.identity_weight > 0 and ca != cb:
            raise ConfigError(f"the identity terms compare an image with its translation, which needs the same "
                              f"channels in both domains (A has {ca}, B {cb}); set image2image.identity_weight=0")
        G = CyclePair(ab=_translator(config, ca, cb, R), ba=_translator(config, cb, ca, R)).to(device)
        D = CyclePair(a=_critic(config, ca, R), b=_critic(config, cb, R)).to(device)
        size = int(config.stabilise.history_pool)
        pools = CyclePair(a=HistoryPool(size, (ca, R, R)), b=HistoryPool(size, (cb, R, R))).to(device) \
            if size else None
        objective = CycleObjective(G, D, loss, t.cycle_weight, t.identity_weight, pools)
    else:
        in_channels, out_channels = network_channels(config, spec, data, degradation)
        source_channels = data.source_channels if degradation is None else degradation.source_channels(out_channels)
        if t.residual and source_channels != out_channels:
            raise ConfigError(f"image2image.residual adds G's output to its input, which needs as many input as "
                              f"output channels ({source_channels} vs {out_channels}); set it to false")
        G = _translator(config, in_channels, out_channels, R).to(device)
        D = _critic(config, in_channels + out_channels, R).to(device)
        if config.stabilise.history_pool:
            raise ConfigError("stabilise.history_pool is used by cyclegan; paired tasks show D the current "
                              "outputs only (as pix2pix does): leave it at 0")
        objective = PairedObjective(G, D, loss, t.l1_weight, degradation,
                                    paste_back=spec.paste_back and t.paste_back, residual=t.residual,
                                    hole_fill=t.hole_fill)
    _check_size(G, R)
    betas = (config.optim.beta1, config.optim.beta2)
    optimizers = {"G": torch.optim.Adam(G.parameters(), lr=config.optim.g_lr, betas=betas),
                  "D": torch.optim.Adam(D.parameters(), lr=config.optim.d_lr, betas=betas)}
    return G, D, optimizers, objective, lr_schedules(config, optimizers)


def _check_size(G: torch.nn.Module, resolution: int) -> None:
    translators = [G] if not hasattr(G, "ab") else [G.ab, G.ba]
    for net in translators:
        if resolution % net.size_multiple or resolution < getattr(net, "min_size", 1):
            raise ConfigError(f"{type(net).__name__} needs images whose side is a multiple of {net.size_multiple}"
                              f" and at least {getattr(net, 'min_size', 1)}; --resolution {resolution} is not: "
                              f"use a power of two such as 32 or 64")
