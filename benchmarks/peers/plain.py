"""The floor: a textbook eager DCGAN-32 training iteration in plain PyTorch, written here from scratch.

It is what a user writes after the PyTorch DCGAN tutorial (Radford et al. 2015; pytorch/examples dcgan):
fp32, BCE on logits, one D step on a real batch and fake.detach(), then one non-saturating G step that reuses
the same fake batch, zero_grad/backward/step, and no .item(). Every other row's speed is reported as a
multiple of this one. Layer sizes are duelo's `dcgan` at width 64 with 3 channels (256, 128, 64 channels at
4x4, 8x8, 16x16; see duelo.models.dcgan.dcgan_channels), so duelo vs plain compares the same arithmetic.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from benchmarks.peers.common import Contender, check_task, real_batches

Z_DIM = 100
WIDTHS = (256, 128, 64)   # G channels at 4x4, 8x8, 16x16; D uses them reversed at 16x16, 8x8, 4x4


def _init(module: nn.Module) -> None:
    """N(0, 0.02) weights; batch-norm scale N(1, 0.02), shift 0 (Radford et al. 2015, section 4)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def generator() -> nn.Sequential:
    """z (N, 100, 1, 1) -> 4x4x256 -> 8x8x128 -> 16x16x64 -> 32x32x3, BN + ReLU, tanh output."""
    a, b, c = WIDTHS
    net = nn.Sequential(
        nn.ConvTranspose2d(Z_DIM, a, 4, 1, 0, bias=False), nn.BatchNorm2d(a), nn.ReLU(True),   # (N, 256, 4, 4)
        nn.ConvTranspose2d(a, b, 4, 2, 1, bias=False), nn.BatchNorm2d(b), nn.ReLU(True),       # (N, 128, 8, 8)
        nn.ConvTranspose2d(b, c, 4, 2, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(True),       # (N, 64, 16, 16)
        nn.ConvTranspose2d(c, 3, 4, 2, 1), nn.Tanh(),                                          # (N, 3, 32, 32)
    )
    net.apply(_init)
    return net


def discriminator() -> nn.Sequential:
    """32x32x3 -> 16x16x64 -> 8x8x128 -> 4x4x256 -> 1 logit; LeakyReLU(0.2), BN after all but the first."""
    a, b, c = reversed(WIDTHS)                                                                 # 64, 128, 256
    net = nn.Sequential(
        nn.Conv2d(3, a, 4, 2, 1), nn.LeakyReLU(0.2, True),                                     # (N, 64, 16, 16)
        nn.Conv2d(a, b, 4, 2, 1, bias=False), nn.BatchNorm2d(b), nn.LeakyReLU(0.2, True),      # (N, 128, 8, 8)
        nn.Conv2d(b, c, 4, 2, 1, bias=False), nn.BatchNorm2d(c), nn.LeakyReLU(0.2, True),      # (N, 256, 4, 4)
        nn.Conv2d(c, 1, 4, 1, 0), nn.Flatten(0),                                               # (N,)
    )
    net.apply(_init)
    return net


def build(task: str, batch: int, device: torch.device) -> Contender:
    check_task(task, ("dcgan32",), "plain eager")
    torch.manual_seed(0)
    G, D = generator().to(device), discriminator().to(device)
    opt_G = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    reals = real_batches(batch, device)
    ones = torch.ones(batch, device=device)
    zeros = torch.zeros(batch, device=device)

    def step() -> None:
        real = next(reals)                                           # (N, 3, 32, 32)
        # D: maximise log D(x) + log(1 - D(G(z)))
        opt_D.zero_grad()
        z = torch.randn(batch, Z_DIM, 1, 1, device=device)
        fake = G(z)                                                  # (N, 3, 32, 32)
        loss_D = F.binary_cross_entropy_with_logits(D(real), ones) + \
            F.binary_cross_entropy_with_logits(D(fake.detach()), zeros)
        loss_D.backward()
        opt_D.step()
        # G: non-saturating, maximise log D(G(z)) on the same fake batch
        opt_G.zero_grad()
        loss_G = F.binary_cross_entropy_with_logits(D(fake), ones)
        loss_G.backward()
        opt_G.step()

    return Contender(name="plain eager", step=step, real_images_per_step=batch,
                     notes="textbook fp32 eager loop; duelo dcgan layer sizes at width 64; G step reuses the D "
                           "step's fake batch (pytorch/examples), so one G forward fewer than a fresh draw")
