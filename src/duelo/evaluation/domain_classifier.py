"""A small CNN classifier trained by duelo on the labelled real data, cached by dataset fingerprint.

It is the "domain feature extractor" for fast CPU metrics: class accuracy of conditional samples now,
Fréchet distance in its feature space and class-aware metrics later. Trained with a held-out split so
its own accuracy on real images is reported next to every number it produces (a metric is only as
trustworthy as its judge). Cached as safetensors + JSON under the user cache directory. RGBA data (alpha "keep")
is judged on its pictures composited onto white (duelo.data.alpha.flatten_for_features, as Inception sees them):
the network reads 3 channels, and `channels` stays the data's 4.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from platformdirs import user_cache_dir
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from duelo.data.alpha import colour_channels, flatten_for_features
from duelo.errors import DataError
from duelo.io.atomic import atomic_write, atomic_write_json
from duelo.io.json_files import integer, number, read_json

VERSION = 2              # bump when the architecture or training recipe changes (invalidates caches)
# A smaller judge on demand: this many optimiser steps instead of the recipe's (at least 6 epochs and 400 steps).
# For quick looks and for the test suite, which sets it (a run's numbers then come from a weaker judge, and its
# cache entry is kept apart from the full one).
STEPS_ENV = "DUELO_JUDGE_STEPS"


class DomainClassifier(nn.Module):
    """conv(32)-pool-conv(64)-pool-conv(128)-global-pool -> features (128) -> logits (classes)."""

    feature_dim = 128

    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.channels, self.num_classes = channels, num_classes          # the data's channels (4: RGBA)
        self.body = nn.Sequential(
            nn.Conv2d(colour_channels(channels), 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(128, num_classes)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 (N, C, H, W; RGBA composited onto white) or [-1, 1] float gray/RGB images -> (N, 128)."""
        if images.dtype == torch.uint8:
            images = flatten_for_features(images).float().div(127.5).sub(1.0)
        return self.body(images)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))                           # (N, classes)


@dataclass
class TrainedClassifier:
    model: DomainClassifier
    val_accuracy: float          # accuracy on the held-out real split it never trained on
    cache_path: Path | None

    @torch.no_grad()
    def predict(self, images: torch.Tensor, batch: int = 500) -> torch.Tensor:
        self.model.eval()
        return torch.cat([self.model(images[i:i + batch]).argmax(1) for i in range(0, len(images), batch)])

    @torch.no_grad()
    def probabilities(self, images: torch.Tensor, batch: int = 500) -> torch.Tensor:
        """(N, classes) softmax of the classifier on images (uint8 or [-1, 1] float)."""
        self.model.eval()
        return torch.cat([self.model(images[i:i + batch]).float().softmax(1) for i in range(0, len(images), batch)])


def cache_dir() -> Path:
    return Path(os.environ.get("DUELO_CACHE_DIR") or user_cache_dir("duelo")) / "classifiers"


def _shift(images: torch.Tensor, generator: torch.Generator, max_px: int = 2) -> torch.Tensor:
    """Random translation by up to max_px pixels (one shift per batch), so the judge tolerates offsets."""
    dx, dy = (torch.randint(-max_px, max_px + 1, (2,), generator=generator)).tolist()
    return torch.roll(images, shifts=(dy, dx), dims=(2, 3))


def split_indices(n: int, val_fraction: float, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(held-out, training) indices; with a generator seeded s this is the judge's own split for seed s."""
    order = torch.randperm(n, generator=generator)
    n_val = max(1, int(n * val_fraction))
    return order[:n_val], order[n_val:]


def judge_steps() -> int | None:
    """The step count DUELO_JUDGE_STEPS asks for, or None for the full recipe."""
    value = os.environ.get(STEPS_ENV)
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        from duelo.errors import ConfigError
        raise ConfigError(f"{STEPS_ENV}={value!r} must be a positive integer (optimiser steps of the judge)")
    return int(value)


def train_classifier(images: torch.Tensor, labels: torch.Tensor, num_classes: int, epochs: int = 6,
                     batch: int = 128, seed: int = 0, val_fraction: float = 0.1, min_steps: int = 400,
                     log=None, steps: int | None = None, init: torch.nn.Module | None = None) -> TrainedClassifier:
    """Train on (1 - val_fraction) of the data; report accuracy on the rest. Deterministic on the CPU.

    At least `epochs` passes and at least `min_steps` optimiser steps, so tiny sets still converge. `init`: start
    from this classifier's weights (fine-tuning) instead of the seed's initialisation. `labels` are class indices
    (N,) or, as targets to match, class probabilities (N, num_classes): a teacher's soft labels.
    """
    generator = torch.Generator().manual_seed(seed)
    val_idx, train_idx = split_indices(len(images), val_fraction, generator)
    with torch.random.fork_rng(devices=[]):    # seeded init without touching the caller's global RNG
        torch.manual_seed(seed)
        model = DomainClassifier(images.shape[1], num_classes)
    if init is not None:
        model.load_state_dict(init.state_dict())
    images = flatten_for_features(images)       # RGBA -> RGB on white, once, before the float conversions
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    batch = min(batch, len(train_idx))
    steps_per_epoch = max(1, len(train_idx) // batch)
    epochs = max(epochs, -(-min_steps // steps_per_epoch))
    if steps is not None:                   # exactly `steps` steps (DUELO_JUDGE_STEPS)
        epochs = -(-steps // steps_per_epoch)
    total = steps if steps is not None else epochs * steps_per_epoch
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=total)
    model.train()
    done = 0
    for _ in range(epochs):
        perm = train_idx[torch.randperm(len(train_idx), generator=generator)]
        for start in range(0, len(perm) - batch + 1, batch):
            if done == total:
                break
            done += 1
            index = perm[start:start + batch]
            x = _shift(images[index].float().div(127.5).sub(1.0), generator)
            loss = F.cross_entropy(model(x), labels[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
    trained = TrainedClassifier(model.eval(), 0.0, None)
    hard = labels.argmax(1) if labels.is_floating_point() else labels
    trained.val_accuracy = float((trained.predict(images[val_idx]) == hard[val_idx]).float().mean())
    if log:
        log(f"domain classifier: held-out accuracy on real images {trained.val_accuracy:.3f}")
    return trained


def load_or_train_classifier(images: torch.Tensor, labels: torch.Tensor, num_classes: int, fingerprint: str,
                             log=None) -> TrainedClassifier:
    """The cached classifier for this exact data (keyed by fingerprint), training it on first use.
    Processes that need the same classifier at once wait for the first one (a lock file) instead of
    training it twice."""
    import fcntl

    steps = judge_steps()
    stem = cache_dir() / f"{fingerprint[:24]}-v{VERSION}{'' if steps is None else f'-s{steps}'}"
    weights, meta_path = stem.with_suffix(".safetensors"), stem.with_suffix(".json")
    cached = _read_cached(weights, meta_path)
    if cached is not None:
        return cached
    stem.parent.mkdir(parents=True, exist_ok=True)
    with open(stem.with_suffix(".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)            # released when the file closes
        cached = _read_cached(weights, meta_path)   # another process may have finished it meanwhile
        if cached is not None:
            return cached
        if log:
            log("training the domain classifier on the real data (once; cached for later runs)")
        trained = train_classifier(images, labels, num_classes, log=log, steps=steps)
        state = {k: v.contiguous() for k, v in trained.model.state_dict().items()}
        atomic_write(weights, lambda temp: save_file(state, str(temp)))
        atomic_write_json(meta_path, {"version": VERSION, "fingerprint": fingerprint, "channels": images.shape[1],
                                      "num_classes": num_classes, "val_accuracy": trained.val_accuracy})
        trained.cache_path = weights
        return trained


def _read_cached(weights: Path, meta_path: Path) -> TrainedClassifier | None:
    if not (weights.exists() and meta_path.exists()):
        return None
    try:
        meta = read_json(meta_path, "a cached judge", {"channels": integer(1, 4), "num_classes": integer(2, 100_000),
                                                        "val_accuracy": number(0)}, error=DataError, remedy="")
        model = DomainClassifier(meta["channels"], meta["num_classes"])
        model.load_state_dict(load_file(str(weights)))
        return TrainedClassifier(model.eval(), float(meta["val_accuracy"]), weights)
    except (DataError, OSError, ValueError, KeyError, RuntimeError, SafetensorError):
        return None  # damaged cache entry: retrain and overwrite
