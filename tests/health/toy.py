"""The 8-Gaussians ring as a tiny GAN for the health tests: 2-D points instead of images, the real trainer
and objective, and the health monitor's probe reading modes as classes (Metz et al. 2017 set-up)."""

from __future__ import annotations

import torch
from torch import nn

from duelo.evaluation.toy_modes import ring_of_gaussians
from duelo.health.signals import ProbeData
from duelo.losses import LOSSES
from duelo.losses.objective import ImageGANObjective
from duelo.training.runtime import Runtime
from duelo.training.trainer import Trainer, TrainerSettings

STD = 0.02


class ToyG(nn.Module):
    c_dim = 0

    def __init__(self, z_dim: int = 16, width: int = 128):
        super().__init__()
        self.z_dim = z_dim
        self.net = nn.Sequential(nn.Linear(z_dim, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                                 nn.Linear(width, 2))

    def sample_latents(self, n, generator=None):
        device = next(self.parameters()).device
        return torch.randn(n, self.z_dim, generator=generator, device=device)

    def forward(self, z, labels=None):
        return self.net(z)                                           # (N, 2)


class ToyD(nn.Module):
    c_dim = 0

    def __init__(self, width: int = 128):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                                 nn.Linear(width, 1))

    def forward(self, x, labels=None):
        return self.net(x).squeeze(1)                                # (N,)


class RingFeed:
    """Fresh ring samples each batch, from its own seeded generator."""

    def __init__(self, batch: int, seed: int):
        self.batch = batch
        self.generator = torch.Generator().manual_seed(1000 + seed)

    def next(self):
        return ring_of_gaussians(self.batch, std=STD, generator=self.generator)[0], None


def nearest_mode(points: torch.Tensor) -> torch.Tensor:
    """Index of the nearest centre, or 8 ("no mode") beyond 3 standard deviations (VEEGAN/PacGAN's rule)."""
    centres = ring_of_gaussians(0)[1]
    distance = torch.cdist(points.float(), centres)                 # (n, 8)
    best, index = distance.min(dim=1)
    return torch.where(best <= 3 * STD, index, torch.full_like(index, 8))


def ring_probe_data(n: int = 2000) -> ProbeData:
    generator = torch.Generator().manual_seed(7)
    train = ring_of_gaussians(n, std=STD, generator=generator)[0]
    heldout = ring_of_gaussians(n // 4, std=STD, generator=generator)[0]
    return ProbeData(train_images=train, heldout_images=heldout, features=lambda x: x, classify=nearest_mode,
                     num_classes=8, prepare=lambda x: x)


def ring_trainer(seed: int, g_lr: float, d_lr: float, r1_gamma: float = 0.0, reg_interval: int = 1,
                 batch: int = 256) -> Trainer:
    torch.manual_seed(seed)
    G, D = ToyG(), ToyD()
    objective = ImageGANObjective(G, D, LOSSES.get("bce"), r1_gamma=r1_gamma, reg_interval=reg_interval)
    optimizers = {"G": torch.optim.Adam(G.parameters(), lr=g_lr, betas=(0.5, 0.999)),
                  "D": torch.optim.Adam(D.parameters(), lr=d_lr, betas=(0.5, 0.999))}
    runtime = Runtime.create("cpu", "fp32")
    return Trainer(objective, G, D, optimizers, RingFeed(batch, seed), runtime, TrainerSettings(batch=batch),
                   seed=seed)
