"""A MoCoGAN-class video GAN (Tulyakov et al., CVPR 2018), written from the paper: a clip's latent splits into
content (one code for the whole clip: what is shown) and motion (a recurrent network turns per-frame noise into
a path of motion codes: how it moves); one image generator draws every frame from [content, motion_t]. Two
discriminators judge it: an image discriminator on single frames (are they real digits?) and a video
discriminator on whole clips with 3-D convolutions (do they move like real clips?).

Clips are (N, T, C, H, W) in [-1, 1] at the interface. The latent is one flat vector per clip (the contract of
duelo.models.base): [content (z_content) ++ per-frame noise (T x z_motion)].

The discriminator returns (N, 2T) logits: the video logit repeated T times next to the T frame logits, so that
the shared objective's per-element losses (any of duelo.losses, averaged) weigh the two discriminators equally,
as MoCoGAN's sum of the two terms does, and every stabiliser of the shared objective (R1 on the whole clip,
spectral norm, including the 3-D convolutions) applies unchanged.
"""

from __future__ import annotations

import torch
from torch import nn

from duelo.models.base import standard_latents
from duelo.nn.conditioning import ClassProjection, LabelEmbedding

SLOPE = 0.2


def _levels(size: int) -> int:
    """Doublings from 4x4 to `size` (a power of two times 4)."""
    levels, side = 0, 4
    while side < size:
        side, levels = side * 2, levels + 1
    if side != size:
        raise ValueError(f"frame size {size} must be 4 times a power of two (16, 32, 64, 128)")
    return levels


class VideoGenerator(nn.Module):
    def __init__(self, frames: int, size: int, channels: int = 1, z_content: int = 64, z_motion: int = 16,
                 width: int = 32, c_dim: int = 0, embed_dim: int = 16):
        super().__init__()
        self.frames, self.size, self.channels, self.c_dim = int(frames), int(size), int(channels), int(c_dim)
        self.z_content, self.z_motion = int(z_content), int(z_motion)
        self.z_dim = self.z_content + self.frames * self.z_motion
        self.embed = LabelEmbedding(c_dim, embed_dim) if c_dim > 0 else None
        self.motion = nn.GRU(self.z_motion, self.z_motion, batch_first=True)
        levels = _levels(self.size)
        top = width * 2 ** (levels - 1)
        inputs = self.z_content + self.z_motion + (embed_dim if c_dim > 0 else 0)
        self.project = nn.Sequential(nn.Linear(inputs, top * 16), nn.Unflatten(1, (top, 4, 4)),
                                     nn.BatchNorm2d(top), nn.ReLU())
        layers: list[nn.Module] = []
        channels_in = top
        for level in range(levels - 1):
            channels_out = channels_in // 2
            layers += [nn.ConvTranspose2d(channels_in, channels_out, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(channels_out), nn.ReLU()]
            channels_in = channels_out
        layers += [nn.ConvTranspose2d(channels_in, self.channels, 4, 2, 1), nn.Tanh()]
        self.frame = nn.Sequential(*layers)

    def sample_latents(self, n: int, generator: torch.Generator | None = None,
                       device: torch.device | str | None = None) -> torch.Tensor:
        return standard_latents(self, n, generator, device)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        n, T = z.shape[0], self.frames
        content = z[:, :self.z_content]
        if self.embed is not None:
            if labels is None:
                raise ValueError("this generator is class-conditional: pass labels")
            content = torch.cat([content, self.embed(labels)], dim=1)
        noise = z[:, self.z_content:].reshape(n, T, self.z_motion)
        motion = self.motion(noise)[0]                                          # (N, T, z_motion)
        codes = torch.cat([content[:, None].expand(-1, T, -1), motion], dim=2)  # (N, T, inputs)
        frames = self.frame(self.project(codes.reshape(n * T, -1)))             # (N*T, C, H, W)
        return frames.view(n, T, self.channels, self.size, self.size)


class VideoDiscriminator(nn.Module):
    def __init__(self, frames: int, size: int, channels: int = 1, width: int = 32, c_dim: int = 0):
        super().__init__()
        self.frames, self.size, self.channels, self.c_dim = int(frames), int(size), int(channels), int(c_dim)
        levels = _levels(self.size)
        image: list[nn.Module] = []
        video: list[nn.Module] = []
        channels_in = self.channels
        for level in range(levels):
            channels_out = width * 2 ** level
            image += [nn.Conv2d(channels_in, channels_out, 4, 2, 1), nn.LeakyReLU(SLOPE)]
            time_stride = 2 if level >= 1 else 1                     # halve time after the first level
            video += [nn.Conv3d(channels_in, channels_out, (3, 4, 4), (time_stride, 2, 2), (1, 1, 1)),
                      nn.LeakyReLU(SLOPE)]
            channels_in = channels_out
        self.image = nn.Sequential(*image, nn.Flatten(), nn.Linear(channels_in * 16, 1))
        self.video = nn.Sequential(*video)
        self.video_out = nn.Linear(channels_in, 1)
        self.projection = ClassProjection(c_dim, channels_in) if c_dim > 0 else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        n, T = x.shape[0], x.shape[1]
        frame_logits = self.image(x.reshape(n * T, *x.shape[2:])).view(n, T)
        h = self.video(x.transpose(1, 2)).mean(dim=(2, 3, 4))                  # (N, width * 2^(levels-1))
        video_logit = self.video_out(h)
        if self.projection is not None:
            video_logit = video_logit + self.projection(h, labels)[:, None]
        return torch.cat([video_logit.expand(n, T), frame_logits], dim=1)     # (N, 2T)
