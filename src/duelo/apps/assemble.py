"""Put an image GAN together from a config: models, stabilisers, augmentation, optimisers, objective.

Only composition lives here; every piece comes from a registry (models, losses, augmentations,
stabilisers), so a new piece is registered once and appears here without an edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from duelo import stabilisers
from duelo.augment.choice import AugmentChoice, choose_augment
from duelo.config import Config
from duelo.errors import ConfigError


@dataclass
class Parts:
    G: torch.nn.Module
    D: torch.nn.Module
    optimizers: dict[str, Any]
    objective: Any
    augment: AugmentChoice
    schedules: list = field(default_factory=list)     # trainer schedules (e.g. progressive growing)


def model_kwargs(config: Config, resolution: int, channels: int, num_classes: int) -> tuple[dict, dict]:
    common = {"resolution": resolution, "channels": channels,
              "c_dim": num_classes if config.model.conditional else 0}
    if config.model.width is not None:
        common["width"] = config.model.width
    g_kwargs = {**common, **({"z_dim": config.model.z_dim} if config.model.z_dim else {}), **config.model.g_kwargs}
    d_kwargs = {**common, **config.model.d_kwargs}
    return g_kwargs, d_kwargs


def build_augment(config: Config, choice: AugmentChoice, channels: int):
    """The registered augmentation `choice.name` with the config's settings, or None for "none"."""
    from duelo.augment import AUGMENTS

    if choice.name == "none":
        return None
    settings = {"diffaugment": {"policy": config.augment.policy},
                "ada": {"p": config.augment.p, "target": config.augment.target,
                        "speed_kimg": config.augment.speed_kimg, "adjust_nimg": config.augment.adjust_nimg,
                        "adaptive": config.augment.adaptive}}
    return AUGMENTS.build(choice.name, channels=channels, **settings.get(choice.name, {}))


def lazy_adam_settings(lr: float, betas: tuple[float, float], interval: int | None) -> tuple[float, tuple]:
    """Lazy regularisation takes an extra optimiser step every `interval` iterations; Karras et al. 2020
    (StyleGAN2, §B) keep Adam's effective rate by scaling lr and the betas by c = interval / (interval + 1)."""
    if not interval:
        return lr, betas
    c = interval / (interval + 1)
    return lr * c, (betas[0] ** c, betas[1] ** c)


def assemble(config: Config, images: int, resolution: int, channels: int, num_classes: int,
             label_pool: torch.Tensor | None, device: torch.device) -> Parts:
    """Build G, D, optimisers and the objective (weights seeded by the caller beforehand)."""
    from duelo.augment.pipeline import DInputs
    from duelo.losses import LOSSES
    from duelo.losses.objective import ImageGANObjective
    from duelo.models import build_discriminator, build_generator

    loss = LOSSES.get(config.loss.name)
    g_kwargs, d_kwargs = model_kwargs(config, resolution, channels, num_classes)
    a = stabilisers.Assembly(config=config, d_kwargs=dict(d_kwargs), loss=loss, image_shape=(channels, resolution, resolution),
                             conditional=config.model.conditional)
    stabilisers.apply(a, "before_models")
    G = build_generator(config.model.name, **g_kwargs).to(device)
    a.G = G
    try:
        a.D = build_discriminator(config.model.name, **a.d_kwargs)
    except ConfigError as error:               # e.g. an architecture without a stabiliser's argument
        added = sorted(set(a.d_kwargs) - set(d_kwargs))
        if not added:
            raise
        raise ConfigError(f"{error}. The stabiliser setting(s) {', '.join(added)} need a discriminator that takes "
                          f"them: turn the stabiliser off (see --set stabilise.*) or choose another model") from None
    choice = choose_augment(config.augment.name, images, resolution)
    augment = build_augment(config, choice, channels)
    if augment is not None:
        a.d_input_stages.append(augment)
    stabilisers.apply(a, "after_models")
    D = a.D.to(device)
    betas = (config.optim.beta1, config.optim.beta2)
    d_lr, d_betas = lazy_adam_settings(config.optim.d_lr, betas, a.d_lazy_interval)
    g_lr, g_betas = lazy_adam_settings(config.optim.g_lr, betas, a.g_lazy_interval)
    a.optimizers = {"G": torch.optim.Adam(G.parameters(), lr=g_lr, betas=g_betas),
                    "D": torch.optim.Adam(D.parameters(), lr=d_lr, betas=d_betas)}
    stabilisers.apply(a, "after_optimizers")
    gp_weight = a.loss.gp_weight if config.loss.gp_weight is None else config.loss.gp_weight
    kwargs = dict(a.objective_kwargs)
    if "pool" in kwargs:
        kwargs["pool"] = kwargs["pool"].to(device)
    objective = ImageGANObjective(G, D, a.loss, gp_weight=gp_weight, d_steps=config.train.d_steps,
                                  label_pool=label_pool, d_inputs=DInputs(a.d_input_stages).to(device), **kwargs)
    check_pairing(G, D, objective)
    from duelo.training.lr_schedule import lr_schedules

    schedules = growth_schedules(config, G, D) + lr_schedules(config, a.optimizers)
    return Parts(G, D, a.optimizers, objective, choice, schedules)


def growth_schedules(config: Config, G: torch.nn.Module, D: torch.nn.Module) -> list:
    """Progressive growing's level schedule when the networks grow (both must, at the same depth)."""
    from duelo.training.growth import GrowthHook, GrowthSchedule, growing

    if not (growing(G) or growing(D)):
        return []
    if not (growing(G) and growing(D)) or G.lod.max_level != D.lod.max_level:
        raise ConfigError("progressive growing needs a generator and a discriminator that both grow to the same "
                          "resolution; use the same --model for both")
    schedule = GrowthSchedule(G.lod.max_level, config.growth.stable_kimg, config.growth.fade_kimg)
    return [GrowthHook(schedule)]


def check_pairing(G: torch.nn.Module, D: torch.nn.Module, objective) -> None:
    """Refuse configurations that would fail or silently mislead at step 1, before anything is written."""
    from torch.nn.modules.batchnorm import _BatchNorm

    if objective.gp_weight > 0 and any(isinstance(m, _BatchNorm) for m in D.modules()):
        raise ConfigError("the gradient penalty (WGAN-GP) needs a discriminator without batch norm, which mixes "
                          "the samples of a batch; add --set model.d_kwargs='{\"norm\": \"none\"}' or use "
                          "--preset wgan-gp")
    generator = torch.Generator(device=next(G.parameters()).device).manual_seed(0)
    z, labels = objective.sample_generator_inputs(2, generator)
    was = G.training, D.training
    G.eval(), D.eval()
    with torch.no_grad():
        images = G(z, labels)
        logits = D(images, labels)
    G.train(was[0]), D.train(was[1])
    if logits.shape != (2,):
        raise ConfigError(f"the discriminator returned logits of shape {tuple(logits.shape)} for 2 images of "
                          f"shape {tuple(images.shape[1:])}; G and D do not fit together")
