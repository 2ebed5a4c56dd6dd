"""The text task's training: maximum likelihood (teacher forcing) and, for relgan, the shared GAN objective on
Gumbel-softmax relaxed samples after a pre-training stage, with the inverse temperature annealed upwards.

    mle      one phase for ever: "G_mle", cross-entropy of each next token of a real batch
    relgan   "G_mle" for the first P iterations (P = pretrain_kimg of samples), then the shared objective's
             phases (D, its lazy regulariser, G) from iteration P on; BetaSchedule raises G's beta from 1 to
             beta_max as beta_max ** progress (Nie et al. 2019's exponential schedule) over the adversarial stage
"""

from __future__ import annotations

import dataclasses
import math

import torch
from torch import nn
from torch.nn import functional as F

from duelo.tasks.text.networks import _until_end
from duelo.training.protocols import Phase, Terms


class MLEObjective:
    """Teacher-forced cross-entropy on real rows, until iteration `ends` (0: for ever), then `after`'s phases."""

    def __init__(self, G: nn.Module, ends: int = 0, after=None):
        self.G, self.after = G, after
        mle = Phase("G_mle", ("G",), self._mle_terms, uses_real=True, ends=ends)
        later = () if after is None else tuple(dataclasses.replace(p, starts=max(p.starts, ends))
                                               for p in after.phases)
        self.phases = (mle, *later)

    def state_modules(self) -> dict[str, nn.Module]:
        return {} if self.after is None else self.after.state_modules()

    def sample_generator_inputs(self, n: int, generator: torch.Generator):
        if self.after is not None:
            return self.after.sample_generator_inputs(n, generator)
        return self.G.sample_latents(n, generator), None

    def _mle_terms(self, batch, generator: torch.Generator, n: int) -> Terms:
        rows, labels = batch
        ids = rows.argmax(-1)                                                   # (N, L)
        logits = self.G.teacher_logits(ids, labels if self.G.c_dim else None).float()
        mask = _until_end(ids)
        nll = (F.cross_entropy(logits.transpose(1, 2), ids, reduction="none") * mask).sum() / mask.sum()
        return Terms({"G_mle": nll}, {"nll_per_token": nll.detach()})


class StageRate:
    """G's learning rate: text.mle_lr while maximum likelihood trains it (before `start_nimg`), then the rate its
    optimiser was built with (optim.g_lr), unless a decay schedule already sets it; both times the divergence
    rollback's lr_scale."""

    def __init__(self, optimizer, start_nimg: int, mle_lr: float, decayed: bool):
        self.optimizer, self.start, self.mle_lr, self.decayed = optimizer, int(start_nimg), float(mle_lr), decayed
        self.base = [group["lr"] for group in optimizer.param_groups]

    def __call__(self, trainer) -> None:
        if trainer.counters.nimg < self.start:
            rates = [self.mle_lr] * len(self.base)
        elif self.decayed:
            return
        else:
            rates = self.base
        for group, rate in zip(self.optimizer.param_groups, rates):
            group["lr"] = rate * trainer.lr_scale

    def describe(self) -> str:
        return f"G's learning rate: {self.mle_lr:g} (maximum likelihood) until {self.start / 1000:g} kimg"


class BetaSchedule:
    """G's Gumbel-softmax inverse temperature from the sample count alone (a resume repeats it)."""

    def __init__(self, G: nn.Module, start_nimg: int, end_nimg: int, beta_max: float):
        self.G, self.start, self.end, self.beta_max = G, int(start_nimg), int(end_nimg), float(beta_max)

    def value(self, nimg: int) -> float:
        progress = min(max((nimg - self.start) / max(1, self.end - self.start), 0.0), 1.0)
        return math.exp(math.log(self.beta_max) * progress)

    def __call__(self, trainer) -> None:
        self.G.beta.fill_(self.value(trainer.counters.nimg))

    def describe(self) -> str:
        return (f"Gumbel-softmax beta 1 -> {self.beta_max:g} (exponential) from {self.start / 1000:g} to "
                f"{self.end / 1000:g} kimg")
