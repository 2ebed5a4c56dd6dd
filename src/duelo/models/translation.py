"""Image-to-image networks: what every translator and patch discriminator exposes, and their registries.

Translators map a source image to a target image of the same height and width (pix2pix, Isola, Zhu,
Zhou & Efros 2017, "Image-to-Image Translation with Conditional Adversarial Networks"; CycleGAN, Zhu,
Park, Isola & Efros 2017, "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial
Networks"; inpainting feeds [image, mask]). They are fully convolutional: trained at `resolution`, they
run on any height and width that are multiples of `size_multiple` (and at least `min_size`).

Translator contract:
  attributes  in_channels, out_channels, resolution (training size), size_multiple, min_size
  forward(x: (N, in_channels, H, W) float in [-1, 1]) -> (N, out_channels, H, W) float in [-1, 1] (tanh)
Patch discriminator contract:
  attributes  in_channels, resolution, min_size, receptive_field (pixels seen by one logit)
  forward(x: (N, in_channels, H, W)) -> logits (N, h, w), one per overlapping patch
  pix2pix feeds torch.cat([source, image], 1) (in_channels = source + image channels); CycleGAN the image.

Forward passes only look at shapes (no .item(), no branching on tensor values), so they compile with
torch.compile(fullgraph=True), can be captured in a CUDA graph, and export to ONNX with free sizes.
Build models with build_translator / build_patch_discriminator so save_pretrained can rebuild them.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from duelo.errors import ConfigError
from duelo.models.base import _build
from duelo.registry import Registry

TRANSLATORS: Registry[type[nn.Module]] = Registry("translator")
PATCH_DISCRIMINATORS: Registry[type[nn.Module]] = Registry("patch discriminator")

TRANSLATOR_KIND = "translator"                    # `kind` in config.json of a saved translator
PATCH_DISCRIMINATOR_KIND = "patch-discriminator"  # `kind` in config.json of a saved patch discriminator

# Feature normalisations shared by the image-to-image families. Instance norm is what CycleGAN and the
# pix2pix follow-ups use (Ulyanov, Vedaldi & Lempitsky 2016: per-image statistics, so the batch size
# does not matter, batch 1 included); batch norm is the original pix2pix choice.
NORMS = ("instance", "batch", "none")


def check_norm(model: str, norm: Any, choices: tuple[str, ...] = NORMS) -> None:
    """Teaching error for a normalisation name that `model` does not offer."""
    if norm not in choices:
        raise ConfigError(f"{model}: unknown norm {norm!r}; choose one of: {', '.join(choices)}")


def norm_layer(norm: str, channels: int) -> nn.Module:
    """The normalisation layer called `norm` for `channels` feature maps (nn.Identity for "none")."""
    if norm == "instance":
        return nn.InstanceNorm2d(channels, affine=True)   # no running statistics: same in train and eval
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    return nn.Identity()


def conv_bias(norm: str) -> bool:
    """A bias before an affine norm is cancelled by its mean subtraction; keep it only without a norm."""
    return norm not in ("instance", "batch")


def _check_image(module: nn.Module, x: torch.Tensor, multiple: int) -> None:
    """Shape-only checks shared by both contracts (no host sync)."""
    name = type(module).__name__
    if x.dim() != 4:
        raise ValueError(f"{name} expects images (N, C, H, W), got shape {tuple(x.shape)}")
    if x.shape[1] != module.in_channels:
        raise ValueError(f"{name} expects {module.in_channels} input channels, got {x.shape[1]} "
                         f"(shape {tuple(x.shape)})")
    height, width = x.shape[2], x.shape[3]
    if height % multiple or width % multiple or height < module.min_size or width < module.min_size:
        raise ValueError(f"{name} needs height and width that are multiples of {multiple} and at least "
                         f"{module.min_size}, got {height}x{width}; pad or crop the images")


class Translator(nn.Module):
    """Base class: stores the shared attributes and checks inputs against them."""

    def __init__(self, *, in_channels: int, out_channels: int, resolution: int):
        super().__init__()
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.resolution = int(resolution)   # training size; any multiple of size_multiple runs
        self.size_multiple = 1              # input height and width must be multiples of this
        self.min_size = 1                   # ... and at least this (subclasses set both)

    def check_input(self, x: torch.Tensor) -> None:
        """ValueError naming the expected channels and size multiple; shapes only, so no host sync."""
        _check_image(self, x, self.size_multiple)


class PatchDiscriminator(nn.Module):
    """Base class for patch discriminators: images in, one logit per overlapping patch out."""

    def __init__(self, *, in_channels: int, resolution: int):
        super().__init__()
        self.in_channels = int(in_channels)
        self.resolution = int(resolution)   # training size; any size >= min_size runs
        self.min_size = 1                   # smallest height/width that leaves a 1x1 logit map
        self.receptive_field = 1            # side in pixels of the patch one logit sees

    def check_input(self, x: torch.Tensor) -> None:
        """ValueError naming the expected channels and smallest size; shapes only, so no host sync."""
        _check_image(self, x, 1)


def build_translator(name: str, **kwargs: Any) -> Translator:
    """Build a registered translator and remember (name, kwargs) so it can be saved and rebuilt."""
    return _build(TRANSLATORS, TRANSLATOR_KIND, name, kwargs)  # type: ignore[return-value]


def build_patch_discriminator(name: str, **kwargs: Any) -> PatchDiscriminator:
    """Build a registered patch discriminator and remember (name, kwargs) so it can be saved and rebuilt."""
    return _build(PATCH_DISCRIMINATORS, PATCH_DISCRIMINATOR_KIND, name, kwargs)  # type: ignore[return-value]
