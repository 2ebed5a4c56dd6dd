"""What stands between the images and the discriminator: augmentation, then stabilising noise.

Every image D sees, real or generated, in every phase (D step, G step, R1/R2), goes through the same
stages with fresh random draws, so D cannot tell real from fake by the augmentation (Zhao et al. 2020;
Karras et al. 2020). The stages' state (ADA's p, the noise schedule) lives in buffers of this module,
which the trainer saves with the run.
"""

from __future__ import annotations

import torch
from torch import nn

Tensor = torch.Tensor


class DInputs(nn.Module):
    def __init__(self, stages: list[nn.Module]):
        super().__init__()
        self.stages = nn.ModuleList(stages)

    def __bool__(self) -> bool:
        return len(self.stages) > 0

    def forward(self, images: Tensor, generator: torch.Generator) -> Tensor:
        for stage in self.stages:
            images = stage(images, generator)                         # (N, C, H, W)
        return images

    def observe(self, real_logits: Tensor) -> None:
        """Once per D step: D's logits on the (augmented) real batch drive ADA's p and the noise schedule."""
        for stage in self.stages:
            stage.observe(real_logits.detach())

    def status(self) -> dict[str, Tensor]:
        """Scalar tensors reported every D step (augment_p, ada_rt, instance_noise_sigma)."""
        values: dict[str, Tensor] = {}
        for stage in self.stages:
            values.update(stage.status())
        return values
