"""The paired image-to-image objective of pix2pix (Isola et al. 2017, "Image-to-Image Translation with
Conditional Adversarial Networks"), which inpainting, denoising and super-resolution share.

G maps an input x to an output y' of the same size; a patch discriminator judges the pair (x, y) against
(x, y'), so it learns what a good output looks like *for this input*; an L1 term (their eq. 3-4, λ = 100)
pulls y' towards the ground truth y, the adversarial term keeps it sharp.

The input comes with the batch (paired data: the feed yields (source, target)) or is made from the target
on the fly by a degradation (duelo.degrade; the feed yields (target, None)). For inpainting the hole mask is
a further input channel of G and D, and the output keeps the input's known pixels exactly (paste-back:
torch.where, not a blend), so only the hole is generated and only the hole is judged.

The input's preparation and the output's finishing (hole fill, residual, paste-back) are shared with
evaluation and the inference commands: duelo.degrade.model_io.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from duelo.degrade.model_io import finish_output, network_input
from duelo.losses.adversarial import AdversarialLoss
from duelo.training.protocols import Phase, Terms

Tensor = torch.Tensor


@dataclass
class Example:
    """One batch made ready: what G sees, what D is conditioned on, and the ground truth."""

    condition: Tensor            # (N, Cin, H, W): G's input (source, plus the mask channel when inpainting)
    source: Tensor               # (N, Cs, H, W): the damaged or source-domain image
    base: Tensor                 # (N, Cs, H, W): the source with its holes pre-filled (= source without holes)
    target: Tensor               # (N, C, H, W): the ground truth
    mask: Tensor | None          # (N, 1, H, W) 1 = missing, or None


class PairedObjective:
    """pix2pix: D sees (condition, image) pairs; G minimises the adversarial loss plus l1_weight * L1."""

    def __init__(self, G: nn.Module, D: nn.Module, loss: AdversarialLoss,
                 l1_weight:   float = 100.0,     # λ of the L1 term (pix2pix: 100)
                 degradation=None,               # duelo.degrade op making the input from the target, or None
                 paste_back:  bool = False,      # inpainting: keep the known pixels of the input exactly
                 residual:    bool = False,      # G predicts a correction added to its input
                 hole_fill:   str = "grey",      # holes in G's input: a name in duelo.degrade.model_io.HOLE_FILLS
                 d_steps:     int = 1):          # D steps per G step
        self.G, self.D = G, D
        self.loss = loss
        self.l1_weight = float(l1_weight)
        self.degradation = degradation
        self.paste_back = bool(paste_back)
        self.residual = bool(residual)
        self.hole_fill = hole_fill
        # G's step takes a fresh batch: its images are not counted twice towards kimg
        self.phases = (Phase("D", ("D",), self._discriminator_terms, repeats=d_steps, uses_real=True),
                       Phase("G", ("G",), self._generator_terms, uses_real=True, counted=False))

    def state_modules(self) -> dict[str, nn.Module]:
        return {}

    def example(self, batch: tuple[Tensor, Tensor | None], generator: torch.Generator) -> Example:
        """The batch as (condition, source, target, mask), degrading the target when the task says so."""
        first, second = batch
        if self.degradation is None:
            condition, base = network_input(first, None)
            return Example(condition, first, base, second, None)
        # data preparation, not the model: in float32 even under bf16 autocast, so training sees the same
        # damage as evaluation and `duelo restore` (the JPEG DCT is a matrix product)
        with torch.autocast(first.device.type, enabled=False):
            degraded = self.degradation(first.float(), generator)
            condition, base = network_input(degraded.source, degraded.mask, self.hole_fill)
        return Example(condition, degraded.source, base, first, degraded.mask)

    def output(self, example: Example) -> Tensor:
        """G's prediction (residual added, known pixels pasted back, as configured)."""
        out = self.G(example.condition)                                   # (N, C, H, W)
        return finish_output(out, example.base, example.source, example.mask, self.residual, self.paste_back)

    def _judge(self, condition: Tensor, image: Tensor) -> Tensor:
        return self.D(torch.cat([condition, image.to(condition.dtype)], 1)).float()   # (N, h, w) patch logits

    def _discriminator_terms(self, batch, generator: torch.Generator, n: int) -> Terms:
        example = self.example(batch, generator)
        with torch.no_grad():
            fake = self.output(example)
        real_logits = self._judge(example.condition, example.target)
        fake_logits = self._judge(example.condition, fake)
        return Terms({"D": self.loss.d_loss(real_logits, fake_logits).mean()},
                     {"D_real": real_logits.mean(), "D_fake": fake_logits.mean()})

    def _generator_terms(self, batch, generator: torch.Generator, n: int) -> Terms:
        example = self.example(batch, generator)
        fake = self.output(example)
        l1 = (fake.float() - example.target.float()).abs().mean()
        terms = Terms({"G": self.loss.g_loss(self._judge(example.condition, fake)).mean()}, {"G_l1": l1})
        if self.l1_weight > 0:
            terms.losses["G_l1"] = self.l1_weight * l1
        return terms
