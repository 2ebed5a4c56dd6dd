"""Scores of generated clips against clips rendered from held-out digits (never seen in training).

The Fréchet video distance (FVD) judges clips in the space of an I3D network trained on Kinetics; those weights
are not available offline, so duelo trains its own judge on the real clips instead (`ClipClassifier`, seconds on
a GPU): per-frame convolutional encoders of the frames and of the changes between consecutive frames, then
temporal convolutions, trained to name the digits a clip shows and to tell clips played in order from clips
whose frames were shuffled (so that its features depend on motion, not only on appearance). Values compare
runs scored by one judge, not published FVDs.

    video_fd        Fréchet distance of clip features (generated against held-out real clips)
    frame_fd/kid    Fréchet distance / KID of per-frame features (the judge's frame encoder)
    *_real          the same for a second set of held-out real clips: the floor a perfect generator reaches
    frame_change    mean absolute change between consecutive frames (pixels in [0, 1]); real clips: frame_change_real
    shuffled        the judge's mean probability that a clip's frames are out of order (real clips: shuffled_real)
    class_accuracy  conditional runs: share of generated clips whose most likely digit is their label
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from duelo.evaluation.sequence_models import seeded_init

FRAMES_PER_CLIP_SCORED = 4      # frames of each clip behind the frame scores


def _encoder(channels: int, width: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(width, 2 * width, 4, 2, 1),
        nn.LeakyReLU(0.2), nn.Conv2d(2 * width, 2 * width, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten())


class ClipClassifier(nn.Module):
    """Per-frame features of the frames and of the changes between consecutive frames (a clip that does not
    move has none), temporal convolutions over both, mean- and max-pooled over time."""

    def __init__(self, channels: int = 1, width: int = 32, classes: int = 10):
        super().__init__()
        self.frame = _encoder(channels, width)
        self.change = _encoder(channels, width)
        self.time = nn.Sequential(nn.Conv1d(4 * width, 2 * width, 3, padding=1), nn.LeakyReLU(0.2),
                                  nn.Conv1d(2 * width, 2 * width, 3, padding=1), nn.LeakyReLU(0.2))
        self.digits = nn.Linear(4 * width, classes)
        self.order = nn.Linear(4 * width, 1)

    def frame_features(self, clips: torch.Tensor) -> torch.Tensor:
        n, T = clips.shape[:2]
        return self.frame(clips.reshape(n * T, *clips.shape[2:])).view(n, T, -1)      # (N, T, 2w)

    def change_features(self, clips: torch.Tensor) -> torch.Tensor:
        n, T = clips.shape[:2]
        change = torch.cat([torch.zeros_like(clips[:, :1]), clips[:, 1:] - clips[:, :-1]], dim=1)
        return self.change(change.reshape(n * T, *clips.shape[2:])).view(n, T, -1)    # (N, T, 2w)

    def temporal(self, frames: torch.Tensor, clips: torch.Tensor) -> torch.Tensor:
        h = self.time(torch.cat([frames, self.change_features(clips)], dim=2).transpose(1, 2))   # (N, 2w, T)
        return torch.cat([h.mean(2), h.amax(2)], dim=1)                                 # (N, 4w)

    def clip_features(self, clips: torch.Tensor) -> torch.Tensor:
        return self.temporal(self.frame_features(clips), clips)

    def forward(self, clips: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.clip_features(clips)
        return self.digits(h), self.order(h)[:, 0]


def _shuffle_half(clips: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Every other clip with its frames in a random order, and the flags (1 = shuffled)."""
    n, T = clips.shape[:2]
    flags = (torch.arange(n, device=clips.device) % 2).float()
    keys = torch.rand(n, T, generator=generator, device=clips.device)
    keys = torch.where(flags[:, None].bool(), keys, torch.arange(T, device=clips.device).float()[None])
    order = keys.argsort(dim=1)
    return torch.gather(clips, 1, order[:, :, None, None, None].expand_as(clips)), flags


def train_clip_classifier(clips, steps: int, seed: int, device: torch.device, batch: int = 64) -> ClipClassifier:
    """The judge, trained on clips rendered from `clips` (a MovingDigits bank) with a private random stream."""
    with seeded_init(seed, device):
        model = ClipClassifier(classes=clips.classes).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator(device=device).manual_seed(seed)
    for _ in range(steps):
        x, _, digits = clips.render_with_digits(batch, generator)
        x, shuffled = _shuffle_half(x, generator)
        present = torch.zeros(batch, clips.classes, device=device).scatter_(1, digits, 1.0)
        digit_logits, order_logit = model(x)
        loss = (F.binary_cross_entropy_with_logits(digit_logits, present)
                + F.binary_cross_entropy_with_logits(order_logit, shuffled))
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
    return model.eval()


def _features(model: ClipClassifier, clips: torch.Tensor, batch: int = 256) -> dict:
    parts: dict[str, list] = {"clip": [], "frame": [], "shuffled": [], "digits": []}
    with torch.no_grad():
        for start in range(0, len(clips), batch):
            x = clips[start:start + batch]
            frames = model.frame_features(x)
            clip = model.temporal(frames, x)
            step = max(1, x.shape[1] // FRAMES_PER_CLIP_SCORED)
            parts["clip"].append(clip)
            parts["frame"].append(frames[:, ::step][:, :FRAMES_PER_CLIP_SCORED].reshape(-1, frames.shape[2]))
            parts["shuffled"].append(torch.sigmoid(model.order(clip)[:, 0]))
            parts["digits"].append(model.digits(clip))
    return {k: torch.cat(v).double().cpu() for k, v in parts.items()}


def frame_change(clips: torch.Tensor) -> float:
    """Mean absolute change between consecutive frames, pixels in [0, 1]."""
    return float(((clips[:, 1:] - clips[:, :-1]).abs() / 2).mean())


def score_clips(data, fake: torch.Tensor, fake_labels: torch.Tensor | None, steps: int, seed: int,
                device: torch.device, judge: ClipClassifier | None = None) -> dict:
    """Generated clips (M, T, 1, H, W) in [-1, 1] against two sets of M clips from the held-out digits; `judge`:
    one trained before (train_clip_classifier) instead of a new one trained for `steps`."""
    from duelo.evaluation.frechet import FeatureStats, frechet_distance
    from duelo.evaluation.kid import kernel_inception_distance

    judge = judge or train_clip_classifier(data.train, steps, seed, device)
    generator = torch.Generator(device=device).manual_seed(seed + 1)
    reference, _ = data.heldout.render(len(fake), generator)
    other, _ = data.heldout.render(len(fake), generator)
    f_ref, f_other, f_fake = (_features(judge, x.to(device)) for x in (reference, other, fake))

    def fd(a, b, key):
        return round(frechet_distance(FeatureStats.from_features(a[key]), FeatureStats.from_features(b[key])), 4)

    def kid(a, b):
        return round(kernel_inception_distance(a["frame"], b["frame"], subsets=50, seed=seed)[0], 5)

    scores = {"video_fd": fd(f_ref, f_fake, "clip"), "video_fd_real": fd(f_ref, f_other, "clip"),
              "frame_fd": fd(f_ref, f_fake, "frame"), "frame_fd_real": fd(f_ref, f_other, "frame"),
              "frame_kid": kid(f_ref, f_fake), "frame_kid_real": kid(f_ref, f_other),
              "frame_change": round(frame_change(fake.float()), 4),
              "frame_change_real": round(frame_change(reference.float()), 4),
              "shuffled": round(float(f_fake["shuffled"].mean()), 4),
              "shuffled_real": round(float(f_ref["shuffled"].mean()), 4),
              "clips": int(len(fake)), "judge_steps": int(steps)}
    if fake_labels is not None:
        predicted = f_fake["digits"].argmax(1)
        scores["class_accuracy"] = round(float((predicted == fake_labels.cpu()).double().mean()), 4)
    return scores
