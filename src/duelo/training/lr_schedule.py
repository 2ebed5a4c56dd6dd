"""Learning-rate schedules, run by the trainer before every step (Trainer.schedules).

pix2pix and CycleGAN (Isola et al. 2017, Zhu et al. 2017, their training details) keep the learning rate
constant for the first half of training, then let it fall linearly to zero. Here the schedule is a pure
function of the image count, so a resumed run repeats it exactly; the rates it starts from are those the
optimisers were built with, and the divergence rollback's cuts (Trainer.lr_scale) multiply on top.
"""

from __future__ import annotations

import torch


class LinearDecay:
    """lr(nimg) = lr0 * lr_scale * min(1, (total - nimg) / (total - start)) once nimg passes `start`."""

    def __init__(self, optimizers: dict[str, torch.optim.Optimizer], total_nimg: int, start_fraction: float):
        assert 0.0 <= start_fraction < 1.0 and total_nimg > 0
        self.total_nimg = int(total_nimg)
        self.start_nimg = int(round(start_fraction * total_nimg))
        # the rates at construction, before any step: a function of the configuration alone
        self.base = {name: [group["lr"] for group in optimizer.param_groups] for name, optimizer in optimizers.items()}

    def factor(self, nimg: int) -> float:
        """The multiplier at `nimg` images: 1 until start, then linearly down to 0 at total (never below)."""
        if nimg <= self.start_nimg:
            return 1.0
        return max(0.0, (self.total_nimg - nimg) / (self.total_nimg - self.start_nimg))

    def __call__(self, trainer) -> None:
        factor = self.factor(trainer.counters.nimg) * trainer.lr_scale
        for name, optimizer in trainer.optimizers.items():
            for group, base in zip(optimizer.param_groups, self.base[name]):
                group["lr"] = base * factor

    def describe(self) -> str:
        return (f"learning rates: constant to {self.start_nimg / 1000:g} kimg, then linearly to 0 at "
                f"{self.total_nimg / 1000:g} kimg")


def lr_schedules(config, optimizers: dict[str, torch.optim.Optimizer]) -> list:
    """The schedules optim.decay_start asks for (none when it is unset)."""
    if config.optim.decay_start is None:
        return []
    return [LinearDecay(optimizers, int(round(config.train.total_kimg * 1000)), config.optim.decay_start)]
