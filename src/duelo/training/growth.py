"""The growth schedule of progressive growing (Karras et al. 2018, section 3): which level of detail the
networks work at after a given number of training images.

Stage 0 (4x4) trains for `stable_kimg`; then every further stage first fades in over `fade_kimg` (the level
rises linearly from k - 1 to k) and then trains for `stable_kimg` at its full weight. After the last stage
the level stays at its maximum. The level is a pure function of the image count, so a resumed run finds
the same level as the uninterrupted one; the networks also carry it in a buffer, so every checkpoint and
saved model records where the growth stood.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from duelo.errors import ConfigError


@dataclass(frozen=True)
class GrowthSchedule:
    max_level:   int        # the fully grown level: log2(resolution) - 2
    stable_kimg: float      # thousands of images at each level once it is fully in
    fade_kimg:   float      # thousands of images over which each new stage fades in

    def __post_init__(self) -> None:
        for field in ("stable_kimg", "fade_kimg"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ConfigError(f"growth.{field} must be a number >= 0 (got {value!r})")
        if self.stable_kimg + self.fade_kimg <= 0:
            raise ConfigError("growth.stable_kimg and growth.fade_kimg cannot both be 0")

    def level(self, nimg: int) -> float:
        """Level of detail after `nimg` training images."""
        kimg = nimg / 1000.0
        if kimg < self.stable_kimg:
            return 0.0
        period = self.fade_kimg + self.stable_kimg
        done, into = divmod(kimg - self.stable_kimg, period)       # whole later stages done, kimg into the next
        stage = int(done) + 1
        if stage > self.max_level:
            return float(self.max_level)
        fraction = into / self.fade_kimg if self.fade_kimg > 0 and into < self.fade_kimg else 1.0
        return stage - 1 + fraction

    def grown_kimg(self) -> float:
        """kimg at which the last stage is fully faded in."""
        return self.max_level * (self.fade_kimg + self.stable_kimg)

    def describe(self, resolution: int) -> str:
        return (f"progressive growing: 4x4 -> {resolution}x{resolution} in {self.max_level} stages, each fading "
                f"in over {self.fade_kimg:g} kimg and training {self.stable_kimg:g} kimg; fully grown at "
                f"{self.grown_kimg():g} kimg")


def growing(module: nn.Module) -> bool:
    """Whether a network grows by a level of detail (has `set_level`)."""
    return callable(getattr(module, "set_level", None))


class GrowthHook:
    """Sets the schedule's level on every growing network before each training step (a trainer schedule).

    It compares with each network's own (host-mirrored) level rather than remembering what it set last: a
    resume or a rollback loads levels from a checkpoint (or the starting state), which need not be the
    schedule's level for the restored image count, and the next step must correct them."""

    def __init__(self, schedule: GrowthSchedule, resolution: int):
        self.schedule = schedule
        self.resolution = resolution

    def describe(self) -> str:
        return self.schedule.describe(self.resolution)

    def __call__(self, trainer) -> None:
        level = self.schedule.level(trainer.counters.nimg)
        for net in (*trainer.nets.values(), *trainer.ema.values()):
            if growing(net) and net.lod.value != level:     # most steps: nothing to write
                net.set_level(level)
