"""The clips of a video run: two banks of real MNIST digits (80 % to train on, 20 % held out: the real side of
every score, digits the generator never saw), each rendering Moving MNIST clips on the device, and the feed that
hands the trainer a fresh batch of clips at every step."""

from __future__ import annotations

import torch

from duelo.tasks.video.moving_digits import MovingDigits

HELDOUT_FRACTION = 0.2
SPLIT_SEED = 0
CLASSES = 10
DIGIT_SOURCES = ("mnist-5k", "mnist")          # image sources of 28x28 MNIST digits


class VideoData:
    def __init__(self, train: MovingDigits, heldout: MovingDigits, source: str):
        self.train, self.heldout, self.source = train, heldout, source
        self.class_names = [str(k) for k in range(CLASSES)]


def load_video_data(config, device: torch.device) -> VideoData:
    from duelo.data import load_dataset
    from duelo.data.splits import split_indices

    d = config.data
    digits = load_dataset(d.digits, resolution=28, channels=1)
    rest, held = split_indices(len(digits), digits.labels, CLASSES, HELDOUT_FRACTION, SPLIT_SEED)

    def bank(index: torch.Tensor) -> MovingDigits:
        return MovingDigits(digits.images[index], digits.labels[index], d.frames, d.size, d.per_clip, CLASSES,
                            d.conditional, device)

    return VideoData(bank(rest), bank(held), d.digits)


class ClipFeed:
    """A batch of freshly rendered training clips per call: nothing to stage and no position to save (the
    trainer's checkpointed random streams decide every clip, so a resumed run renders what it would have)."""

    def __init__(self, clips: MovingDigits, batch: int):
        self.clips, self.batch = clips, int(batch)

    def next(self, generator: torch.Generator | None = None):
        return self.clips.render(self.batch, generator)

    def reserve(self, count: int) -> None:
        pass

    def stage(self, count: int) -> None:
        pass

    def state_dict(self) -> dict:
        return {"kind": "rendered", "batch": self.batch}

    def load_state_dict(self, state: dict) -> None:
        pass
