"""What every generator and discriminator exposes, and the two registries they live in.

Models take plain typed keyword arguments (never a config object), so that a saved model is just
`{"name": ..., "kwargs": ...}` plus its weights (see duelo.io.pretrained).

Generator contract:
  attributes  z_dim, c_dim (0 = unconditional), resolution, channels, aspect ("W:H"), image_size (H, W)
  forward(z: (N, z_dim) float, labels: (N,) int64 | None) -> images (N, channels, H, W) in [-1, 1]
              (in eval mode; a family registered with linear_output=True may overshoot while training)
  sample_latents(n, generator=None, device=None) -> (N, z_dim) standard normal
Discriminator contract:
  attributes  c_dim, resolution, channels, aspect, image_size (H, W)
  forward(images: (N, C, H, W) float in [-1, 1], labels: (N,) int64 | None) -> logits (N,)
Conditional models (c_dim > 0) require labels; unconditional ones reject them.
Images are square (H = W = resolution) unless the family is registered with aspects=True and built with an
`aspect` other than "1:1": then resolution is the long side and (H, W) = duelo.aspect.image_size(resolution, aspect).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from duelo.aspect import SQUARE, image_size
from duelo.errors import ConfigError
from duelo.registry import Registry


@dataclass(frozen=True)
class ModelInfo:
    """What callers need to know about an architecture without building it."""

    style: bool = False        # G: a mapping + synthesis network (path-length regularisation, style mixing)
    grows: bool = False        # progressive growing: G and D take a level of detail (duelo.training.growth)
    mbstd: str = "none"        # D: minibatch-stddev layer "none" | "optional" (mbstd_group, off by default) |
                               # "built-in" (on by default)
    linear_output: bool = False  # G: unbounded output while training (D sees it as it is), clamped to [-1, 1] in
                                 # eval mode (StyleGAN2, R3GAN); otherwise in [-1, 1] in both modes
    # arguments added after models of this family were first saved, with the value that reproduces the older
    # behaviour: a saved model's config.json lists every argument (duelo.io.pretrained writes the defaults out),
    # so one that lacks such an argument was written before it existed and is rebuilt with the old value
    legacy: tuple[tuple[str, Any], ...] = ()
    aspects: bool = False      # G and D take `aspect` ("W:H", duelo.aspect): non-square images from a base grid
                               # of h0 x w0 cells instead of 4 x 4; other families make square images only


GENERATORS: Registry[type[nn.Module]] = Registry("generator", info=ModelInfo)
DISCRIMINATORS: Registry[type[nn.Module]] = Registry("discriminator", info=ModelInfo)

SPEC_ATTRIBUTE = "duelo_spec"  # set on every model built through build_generator/build_discriminator


def standard_latents(module: nn.Module, n: int, generator: torch.Generator | None = None,
                     device: torch.device | str | None = None) -> torch.Tensor:
    """Standard-normal latents (N, module.z_dim) on `device` (default: the generator's, else the module's)."""
    if device is None:
        device = generator.device if generator is not None else next(module.parameters()).device
    return torch.randn(n, module.z_dim, generator=generator, device=device)


class Generator(nn.Module):
    """Base class: stores the shared attributes and checks labels against c_dim."""

    def __init__(self, *, z_dim: int, c_dim: int, resolution: int, channels: int, aspect: str = SQUARE):
        super().__init__()
        self.z_dim = int(z_dim)
        self.c_dim = int(c_dim)
        self.resolution = int(resolution)
        self.channels = int(channels)
        self.aspect = aspect
        self.image_size = image_size(self.resolution, aspect)      # (H, W) of the images G makes

    def sample_latents(self, n: int, generator: torch.Generator | None = None,
                       device: torch.device | str | None = None) -> torch.Tensor:
        """Standard-normal latents (N, z_dim); pass a torch.Generator for reproducible draws."""
        return standard_latents(self, n, generator, device)


class Discriminator(nn.Module):
    """Base class for discriminators (critics): images (and labels) in, one logit per image out."""

    def __init__(self, *, c_dim: int, resolution: int, channels: int, aspect: str = SQUARE):
        super().__init__()
        self.c_dim = int(c_dim)
        self.resolution = int(resolution)
        self.channels = int(channels)
        self.aspect = aspect
        self.image_size = image_size(self.resolution, aspect)      # (H, W) of the images D judges
        self.classifier: nn.Module | None = None                    # the AC-GAN head (classify=True)

    def _classifier_head(self, classify: bool, feature_dim: int) -> None:
        """With classify, an auxiliary classifier on the features the projection term reads (conditional D only;
        duelo.nn.conditioning.ClassifierHead)."""
        from duelo.nn.conditioning import ClassifierHead

        if classify and self.c_dim == 0:
            raise ConfigError(f"{type(self).__name__}: an auxiliary classifier (classify=True) needs a "
                              f"class-conditional discriminator; train with --conditional")
        self.classifier = ClassifierHead(self.c_dim, feature_dim) if classify else None

    def forward_with_class_loss(self, images: torch.Tensor,
                                labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N,) logits and (N,) the auxiliary classifier's cross-entropy of `labels`, read from the pooled features
        that the projection term receives in this one forward pass (a hook, removed before returning)."""
        if self.classifier is None or getattr(self, "projection", None) is None:
            raise ValueError(f"{type(self).__name__} was built without an auxiliary classifier (classify=False)")
        seen: list[torch.Tensor] = []
        handle = self.projection.register_forward_hook(lambda module, inputs, output: seen.append(inputs[0]))
        try:
            logits = self(images, labels)
        finally:
            handle.remove()
        return logits, self.classifier(seen[0], labels)


ZERO_ALLOWED = frozenset({"c_dim", "mbstd_group", "attention_at"})   # sizes where 0 means "none"


def check_resolution(model: str, resolution: Any, minimum: int) -> None:
    """Teaching error for a resolution that is not a power of two >= minimum, naming the next valid one
    (duelo pads smaller images up to it)."""
    if isinstance(resolution, int) and not isinstance(resolution, bool) and resolution >= minimum \
            and not resolution & (resolution - 1):
        return
    suggestion = minimum
    while isinstance(resolution, int) and suggestion < resolution:
        suggestion *= 2
    raise ConfigError(f"{model}: resolution must be a power of two >= {minimum} (got {resolution!r}); "
                      f"use --resolution {suggestion}, which pads smaller images")


def channels_at(res: int, channel_base: int, channel_max: int) -> int:
    """Feature channels at a res x res stage: min(channel_base // res, channel_max), at least 1 (the width rule
    of StyleGAN2, also used by progan)."""
    return max(1, min(channel_base // res, channel_max))


def check_sizes(model: str, **sizes: Any) -> None:
    """Every size an integer >= 1 (>= 0 for those in ZERO_ALLOWED), or a ConfigError naming it."""
    for field, value in sizes.items():
        minimum = 0 if field in ZERO_ALLOWED else 1
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise ConfigError(f"{model}: {field} must be an integer >= {minimum} (got {value!r})")


def check_labels(module: nn.Module, labels: torch.Tensor | None, n: int) -> None:
    """Internal check that labels match the model's conditioning (cheap, shape-only: no host sync)."""
    if module.c_dim > 0:
        if labels is None:
            raise ValueError(f"{type(module).__name__} is class-conditional (c_dim={module.c_dim}); pass labels")
        if labels.shape != (n,):
            raise ValueError(f"labels must have shape ({n},), got {tuple(labels.shape)}")
    elif labels is not None:
        raise ValueError(f"{type(module).__name__} is unconditional (c_dim=0); labels must be None")


def _build(registry: Registry, kind: str, name: str, kwargs: dict[str, Any]) -> nn.Module:
    cls = registry.get(name)
    kwargs = _without_square_aspect(registry, kind, name, kwargs)
    try:
        module = cls(**kwargs)
    except TypeError as error:  # unknown or missing keyword: name the model and the field
        raise ConfigError(f"{kind} {name!r}: {error}") from None
    setattr(module, SPEC_ATTRIBUTE, {"kind": kind, "name": name, "kwargs": dict(kwargs)})
    return module


def _without_square_aspect(registry: Registry, kind: str, name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """A family without ModelInfo.aspects makes square images: "aspect": "1:1" is dropped (it changes nothing),
    any other aspect is a ConfigError naming the families that take one."""
    info = registry.info(name)
    if "aspect" not in kwargs or getattr(info, "aspects", False):
        return kwargs
    if kwargs["aspect"] != SQUARE:
        raise ConfigError(f"{kind} {name!r} takes no aspect (asked for {kwargs['aspect']!r}): it trains on square "
                          f"images only; the families that take an aspect: "
                          f"{', '.join(GENERATORS.names(aspects=True))} (--model), or leave the aspect at {SQUARE}")
    return {key: value for key, value in kwargs.items() if key != "aspect"}


def build_generator(name: str, **kwargs: Any) -> Generator:
    """Build a registered generator and remember (name, kwargs) so it can be saved and rebuilt."""
    return _build(GENERATORS, "generator", name, kwargs)  # type: ignore[return-value]


def build_discriminator(name: str, **kwargs: Any) -> Discriminator:
    """Build a registered discriminator and remember (name, kwargs) so it can be saved and rebuilt."""
    return _build(DISCRIMINATORS, "discriminator", name, kwargs)  # type: ignore[return-value]
