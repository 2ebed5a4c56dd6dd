"""Put an image GAN together from a config: models, stabilisers, augmentation, optimisers, objective.

Only composition lives here; every piece comes from a registry (models, losses, augmentations,
stabilisers), so a new piece is registered once and appears here without an edit.
"""

from __future__ import annotations

import torch

from duelo.aspect import SQUARE, canonical_aspect, image_size
from duelo.augment.choice import AugmentChoice, choose_augment
from duelo.config import Config
from duelo.errors import ConfigError
from duelo.tasks.base import Parts


def model_kwargs(config: Config, resolution: int, channels: int, num_classes: int) -> tuple[dict, dict]:
    common = {"resolution": resolution, "channels": channels,
              "c_dim": num_classes if config.model.conditional else 0}
    aspect = canonical_aspect(config.data.aspect, "data.aspect")
    if aspect != SQUARE:              # square models keep the arguments (and saved specs) they always had
        common["aspect"] = aspect
    if config.model.width is not None:
        common["width"] = config.model.width
    g_kwargs = {**common, **({"z_dim": config.model.z_dim} if config.model.z_dim else {}), **config.model.g_kwargs}
    d_kwargs = {**common, **({"classify": True} if config.model.aux_weight > 0 else {}), **config.model.d_kwargs}
    return g_kwargs, d_kwargs


def build_augment(config: Config, choice: AugmentChoice, channels: int):
    """The registered augmentation `choice.name` with the config fields it declares, or None for "none"."""
    from duelo.augment import AUGMENTS

    if choice.name == "none":
        return None
    settings = {name: getattr(config.augment, name) for name in AUGMENTS.info(choice.name).fields}
    return AUGMENTS.build(choice.name, channels=channels, **settings)


def assemble(config: Config, feed, images: int, resolution: int, channels: int, num_classes: int,
             device: torch.device, objective_type=None, objective_extra: dict | None = None) -> Parts:
    """Build G, D, optimisers and the objective around `feed` (weights seeded by the caller beforehand); fake
    labels follow the feed's label frequencies; `objective_type` replaces GANObjective (a private run's)."""
    from duelo.models import build_discriminator, build_generator
    from duelo.tasks.gan_parts import assemble_gan
    from duelo.tasks.image_gan.finetune import trainable_d_parameters
    from duelo.training.lr_schedule import lr_schedules

    g_kwargs, d_kwargs = model_kwargs(config, resolution, channels, num_classes)
    if config.model.aux_weight > 0:                                       # AC-GAN: D's classifier term
        objective_extra = {"aux_weight": config.model.aux_weight, **(objective_extra or {})}
    size = image_size(resolution, config.data.aspect)                     # (H, W)
    choice = choose_augment(config.augment.name, images, resolution)
    augment = build_augment(config, choice, channels)
    if augment is not None and size[0] != size[1]:
        choice, augment = fit_augment_to_size(config, choice, augment, channels, size)
    gan = assemble_gan(config, lambda: build_generator(config.model.name, **g_kwargs),
                       lambda **kwargs: build_discriminator(config.model.name, **kwargs), d_kwargs,
                       (channels, *size), device, label_pool=feed.labels,
                       conditional=config.model.conditional, d_stages=() if augment is None else (augment,),
                       d_parameters=lambda D: trainable_d_parameters(D, config.finetune.freeze_d),
                       objective_type=objective_type, objective_extra=objective_extra)
    check_pairing(gan.G, gan.D, gan.objective)
    schedules = growth_schedules(config, gan.G, gan.D, resolution) + lr_schedules(config, gan.optimizers)
    return Parts(gan.players, gan.objective, feed, schedules, extras={"augment": choice})


def fit_augment_to_size(config: Config, choice: AugmentChoice, augment, channels: int,
                        size: tuple[int, int]) -> tuple[AugmentChoice, object]:
    """(choice, augment) for non-square (H, W) images: the augmentation as it is when it takes them (asked of a
    probe batch, so an augmentation that learns to needs no edit here); else none when augment.name "auto" chose
    it, saying so; else a ConfigError."""
    from dataclasses import replace

    try:
        augment(torch.zeros(2, channels, *size), torch.Generator().manual_seed(0))
        return choice, augment
    except ValueError:
        pass
    text = f"augmentation {choice.name} takes square images only; these are {size[1]}x{size[0]} (width x height)"
    if config.augment.name == "auto":
        return replace(choice, name="none", message=f"{text}, so training without augmentation (the data-size "
                                                    f"check: {choice.message})"), None
    raise ConfigError(f"{text}: use --augment none, or --aspect 1:1")


def growth_schedules(config: Config, G: torch.nn.Module, D: torch.nn.Module, resolution: int) -> list:
    """Progressive growing's level schedule when the networks grow (both must, at the same depth)."""
    from duelo.training.growth import GrowthHook, GrowthSchedule, growing

    if not (growing(G) or growing(D)):
        return []
    if not (growing(G) and growing(D)) or G.lod.max_level != D.lod.max_level:
        raise ConfigError("progressive growing needs a generator and a discriminator that both grow to the same "
                          "resolution; use the same --model for both")
    schedule = GrowthSchedule(G.lod.max_level, config.growth.stable_kimg, config.growth.fade_kimg)
    return [GrowthHook(schedule, resolution)]


def check_pairing(G: torch.nn.Module, D: torch.nn.Module, objective) -> None:
    """Refuse configurations that would fail or silently mislead at step 1, before anything is written."""
    from torch.nn.modules.batchnorm import _BatchNorm

    if objective.gp_weight > 0 and any(isinstance(m, _BatchNorm) for m in D.modules()):
        raise ConfigError("the gradient penalty (WGAN-GP) needs a discriminator without batch norm, which mixes "
                          "the samples of a batch; add --set model.d_kwargs='{\"norm\": \"none\"}' or use "
                          "--preset wgan-gp")
    if getattr(objective, "aux_weight", 0) > 0 and getattr(D, "self_supervised", False) and D.recon_weight > 0:
        raise ConfigError("model.aux_weight (the auxiliary classifier term) and FastGAN's self-supervised D (its "
                          "reconstruction term) share D's real-image pass; choose one: --set model.aux_weight=0, "
                          "or --set model.d_kwargs='{\"recon_weight\": 0}'")
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
