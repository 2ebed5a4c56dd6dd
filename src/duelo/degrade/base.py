"""What every degradation exposes, its registry, the Degraded result and shared argument checks.

A restoration task (inpainting, denoising, super-resolution) or a derived translation task (edges -> digits)
makes the network's input from a clean target image on the fly, inside the training step. The step may be
captured in a CUDA graph, so a degradation is pure tensor work:

  op(images (N, C, H, W) float in [-1, 1], generator: torch.Generator on the images' device) -> Degraded
      every random number comes from `generator`, never from the global RNG; per-image randomness acts
      through tensors and torch.where, never through Python `if` on tensor values; shapes are static
      (they depend on the input's shape and the settings only). No .item(), .tolist() or .cpu().
  op.source_channels(target_channels) -> channels of Degraded.source (1 for edges, C otherwise)
  op.describe() -> one line for logs
  op.settings -> the init arguments as JSON data, so `build_degradation(name, **op.settings)` rebuilds it
      and a task can save them next to a model.
Degradations carry no learned state and no gradient flows through them (the target is data, not a
generator output), so they are plain callables, not nn.Modules.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any

import torch

from duelo.errors import ConfigError
from duelo.registry import Registry

Tensor = torch.Tensor


@dataclass(frozen=True)
class Degraded:
    """What a degradation returns: the network's input and, for inpainting, where the holes are."""

    source: Tensor              # (N, C', H, W) float in [-1, 1]: what the network is given
    mask: Tensor | None = None  # (N, 1, H, W) float in {0., 1.}, 1 = missing pixel; None = no holes


class Degradation:
    """Base: __call__(images, generator) -> Degraded; subclasses register themselves in DEGRADATIONS."""

    name: str = ""                          # registry name, set by each subclass
    baselines: tuple[str, ...] = ()         # names in duelo.degrade.baselines.BASELINES a model must beat

    def __init__(self) -> None:
        self.settings: dict[str, Any] = {}  # init arguments as JSON data (lists, floats, ints, strings)

    def __call__(self, images: Tensor, generator: torch.Generator) -> Degraded:
        raise NotImplementedError

    def source_channels(self, target_channels: int) -> int:
        """Channels of Degraded.source for targets with `target_channels` channels (default: the same)."""
        return target_channels

    def describe(self) -> str:
        """One line for logs, e.g. `gaussian(sigma=[0.0, 0.2])`."""
        args = ", ".join(f"{key}={value!r}" for key, value in self.settings.items())
        return f"{self.name}({args})"

    def __repr__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class DegradationInfo:
    holes:   bool = False     # it draws holes: Degraded.mask is set (inpainting's input)
    rescale: bool = False     # it changes the scale: settings["scale"] (super-resolution's input)


DEGRADATIONS: Registry[type[Degradation]] = Registry("degradation", info=DegradationInfo)


def build_degradation(name: str, /, **kwargs: Any) -> Degradation:
    """DEGRADATIONS.build with a teaching error for arguments the degradation does not take."""
    entry = DEGRADATIONS.get(name)
    valid = [p for p in inspect.signature(entry.__init__).parameters if p != "self"]
    unknown = sorted(set(kwargs) - set(valid))
    if unknown:
        raise ConfigError(f"degradation {name!r} takes no argument {', '.join(map(repr, unknown))}; "
                          f"its arguments are: {', '.join(valid) or '(none)'}")
    try:
        return entry(**kwargs)
    except TypeError as error:           # e.g. a positional-only mix-up: still name the valid arguments
        raise ConfigError(f"degradation {name!r}: {error}; its arguments are: {', '.join(valid)}") from None


# --- argument checks shared by the entries ------------------------------------------------------------------

def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_range(owner: str, arg: str, value: Any, low: float, high: float, *,
                allow_scalar: bool = True, low_open: bool = False) -> list[float]:
    """A `(lo, hi)` pair (or one number meaning lo = hi) inside [low, high] -> [lo, hi] as JSON data."""
    if allow_scalar and _number(value):
        value = (value, value)
    if not (isinstance(value, (tuple, list)) and len(value) == 2 and all(_number(v) for v in value)):
        form = "a number or a pair (lo, hi)" if allow_scalar else "a pair (lo, hi)"
        raise ConfigError(f"{owner}: {arg} must be {form} (got {value!r})")
    lo, hi = float(value[0]), float(value[1])
    low_ok = lo > low if low_open else lo >= low
    if not (low_ok and lo <= hi <= high):
        bracket = "(" if low_open else "["
        relation = "<" if low_open else "<="
        raise ConfigError(f"{owner}: {arg} = {value!r} must satisfy {low} {relation} lo <= hi "
                          f"<= {high}, i.e. lie in {bracket}{low}, {high}]")
    return [lo, hi]


def check_int(owner: str, arg: str, value: Any, low: int, high: int | None = None) -> int:
    """An int in [low, high] (high None = unbounded)."""
    too_high = high is not None and isinstance(value, int) and value > high
    if not isinstance(value, int) or isinstance(value, bool) or value < low or too_high:
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ConfigError(f"{owner}: {arg} must be an integer {bound} (got {value!r})")
    return value


def check_images(owner: str, images: Tensor) -> None:
    """Shape/dtype check only (no host sync): (N, C, H, W) floating point with C in {1, 3}."""
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] not in (1, 3) \
            or not images.is_floating_point():
        got = (f"{tuple(images.shape)} {images.dtype}" if isinstance(images, torch.Tensor)
               else type(images).__name__)
        raise ConfigError(f"{owner} expects float images of shape (N, C, H, W) with C = 1 or 3, scaled to "
                          f"[-1, 1]; got {got} (convert uint8 with x / 127.5 - 1)")


def uniform_per_image(bounds: list[float], images: Tensor, generator: torch.Generator) -> Tensor:
    """One draw per image, U[lo, hi), shaped (N, 1, 1, 1) in the images' dtype; lo == hi costs no draw."""
    lo, hi = bounds
    n = images.shape[0]
    if lo == hi:                                          # static: a setting, not a tensor value
        return images.new_full((n, 1, 1, 1), lo)
    draw = torch.rand((n, 1, 1, 1), generator=generator, device=images.device, dtype=images.dtype)
    return draw * (hi - lo) + lo
