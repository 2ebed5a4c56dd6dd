"""The data of an image-to-image task: what it trains on and what it is evaluated on.

Three shapes of data, one per kind of task:
  degraded  the target images alone (data.dataset); the input is made on the fly by a degradation
            (inpainting, denoising, super-resolution, edges -> image)
  paired    input and target images from files (image2image.source + data.dataset, or one folder with A/B
            sub-folders or side-by-side images): pix2pix
  unpaired  two domains, any sizes and counts (image2image.source = A, data.dataset = B): CycleGAN
Evaluation uses images the model never trained on: a registered dataset's "test" split when it has one,
else a deterministic held-out part of the data (at most image2image.eval_images, at most a tenth).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from duelo.errors import ConfigError

EVAL_SPLIT_SEED = 20171003        # fixed: the held-out part never depends on the training seed
MAX_HELDOUT_FRACTION = 0.1


@dataclass
class TranslationData:
    """uint8 (N, C, H, W) tensors. `a` is the input side (None when a degradation makes it), `b` the target."""

    train_a: torch.Tensor | None
    train_b: torch.Tensor
    eval_a: torch.Tensor | None
    eval_b: torch.Tensor
    target: object                               # the target side's ImageDataset (name, labels, report)
    eval_b_labels: torch.Tensor | None = None    # target-domain labels of eval_b (domain-space distances)
    reports: list = field(default_factory=list)  # DataReports of every file read
    summary: str = ""                            # one line for the log

    @property
    def resolution(self) -> int:
        return int(self.train_b.shape[-1])

    @property
    def channels(self) -> int:
        return int(self.train_b.shape[1])

    @property
    def source_channels(self) -> int | None:
        return None if self.train_a is None else int(self.train_a.shape[1])


def _has_test_split(spec: str) -> bool:
    from duelo.data.sources import SOURCES

    return spec in SOURCES and "test" in SOURCES.get(spec).splits


def _subset(images: torch.Tensor, labels: torch.Tensor | None, limit: int):
    """A fixed random subset of at most `limit` rows (test sets are often sorted by class)."""
    if len(images) <= limit:
        return images, labels
    pick = torch.randperm(len(images), generator=torch.Generator().manual_seed(EVAL_SPLIT_SEED))[:limit]
    pick = pick.sort().values
    return images[pick], None if labels is None else labels[pick]


def _heldout_fraction(count: int, limit: int, what: str) -> float:
    if count < 20:
        raise ConfigError(f"{what} has {count} images; an image-to-image task needs at least 20 (a tenth is "
                          f"held out to evaluate the model)")
    return min(limit, max(1, int(count * MAX_HELDOUT_FRACTION))) / count


def _train_and_eval(spec: str, options: dict, limit: int, channels: int | None):
    """(train ImageDataset, eval images, eval labels) of one side."""
    from duelo.data import load_dataset

    dataset = load_dataset(spec, channels=channels, **options)
    if _has_test_split(spec):
        test = load_dataset(spec, channels=channels, split="test", **options)
        images, labels = _subset(test.images, test.labels, limit)
        return dataset, images, labels
    train, held = dataset.split(_heldout_fraction(len(dataset), limit, spec), EVAL_SPLIT_SEED)
    train.report = dataset.report
    return train, held.images, held.labels


def refuse_kept_alpha(options: dict, task: str) -> None:
    """Image-to-image tasks work on gray or RGB: RGBA data (alpha "keep") is refused before anything is read."""
    from duelo.data.alpha import parse_alpha

    if parse_alpha(options.get("alpha", "white")).keep:
        raise ConfigError(f"task {task} translates gray or RGB images; alpha 'keep' (RGBA, 4 channels) is for "
                          f"image-gan. Flatten the transparency instead: --alpha white (the default), black, gray "
                          f"or #rrggbb")


def load_unpaired(source: str, target: str, options: dict, limit: int, source_channels: int | None,
                  target_channels: int | None) -> TranslationData:
    """Two domains without pairs: A = `source`, B = `target` (CycleGAN)."""
    refuse_kept_alpha(options, "cyclegan")
    a, eval_a, _ = _with_side("A", _train_and_eval, source, options, limit, source_channels)
    b, eval_b, eval_labels = _with_side("B", _train_and_eval, target, options, limit, target_channels)
    return TranslationData(a.images, b.images, eval_a, eval_b, b, eval_labels, [a.report, b.report],
                           f"domain A {source}: {len(a)} images; domain B {target}: {len(b)} images")


def load_targets(target: str, options: dict, limit: int, channels: int | None) -> TranslationData:
    """The target images alone: a degradation makes the input on the fly (restoration, edges -> images)."""
    refuse_kept_alpha(options, "image-to-image")
    b, eval_b, eval_labels = _train_and_eval(target, options, limit, channels)
    return TranslationData(None, b.images, None, eval_b, b, eval_labels, [b.report], f"{target}: {len(b)} images")


def _with_side(side: str, function, *args):
    from duelo.data.errors import DataError

    try:
        return function(*args)
    except DataError as error:
        raise type(error)(f"domain {side}: {error}") from None


def load_pairs(source: str | None, target: str, layout: str, options: dict, limit: int,
               source_channels: int | None, target_channels: int | None, task: str) -> TranslationData:
    """Aligned (input, target) pairs from files: `source` and `target` folders, or `target` alone holding A/ and
    B/ or side-by-side images (duelo.data.paired)."""
    from duelo.data import load_paired
    from duelo.data.sources import SOURCES

    refuse_kept_alpha(options, task)
    if target in SOURCES or (source or "") in SOURCES:
        raise ConfigError(f"task {task} needs pairs of images, and the registered dataset "
                          f"{source if (source or '') in SOURCES else target!r} holds single images: give "
                          f"--source FOLDER --dataset FOLDER with matching file names (or one folder with A/ and "
                          f"B/, or side-by-side images), or make the input from {target} with --degrade NAME "
                          f"(e.g. edges)")
    pairs = load_paired(source or target, target if source else None, layout=layout,
                        source_channels=source_channels, target_channels=target_channels, **options)
    train, held = pairs.split(_heldout_fraction(len(pairs), limit, "the paired data"), EVAL_SPLIT_SEED)
    return TranslationData(train.source.images, train.target.images, held.source.images, held.target.images,
                           pairs.target, held.target.labels, pairs.reports,
                           f"{len(pairs)} pairs ({len(held)} held out for evaluation)")
