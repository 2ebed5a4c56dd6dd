"""ImageDataset: the one in-memory form every source and reader produces, and the trainer consumes.

Images stay uint8 (N, C, H, W) on the CPU: a quarter of the memory of float32, exact, and cheap to hash.
Conversion to float in [-1, 1] happens per batch on the training device. C is 1 (gray), 3 (RGB) or 4 (RGBA,
when the data is loaded with alpha="keep"; see duelo.data.alpha).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import torch

from duelo.data.errors import ArrayFormatError
from duelo.data.report import DataReport
from duelo.data.splits import split_indices

MIN_CLASS_LIMIT = 1000      # labels may imply up to max(images, this) classes without class names
DATASET_CHANNELS = (1, 3, 4)   # gray, RGB, RGBA


def implied_class_count(low: int, high: int, count: int, where: str) -> int:
    """The number of classes labels in [low, high] imply (high + 1), once it is sane to name them 0..K-1.

    Refuses negative labels, and labels implying more than max(count, MIN_CLASS_LIMIT) classes: one
    stray value such as 10**9 would otherwise mean a billion class names (minutes, gigabytes) and a
    conditional model with a billion classes. `where` names the file and key, e.g. "x.npz: labels 'y'".
    """
    if count == 0:
        return 0
    if low < 0:
        raise ArrayFormatError(
            f"{where} contain negative values ({low}); use integers 0..K-1, one class index per image")
    classes = high + 1
    limit = max(count, MIN_CLASS_LIMIT)
    if classes > limit:
        raise ArrayFormatError(
            f"{where} go up to {high}, which would mean {classes} classes for {count} images (at most "
            f"{limit} allowed); use class indices 0..K-1 (renumber the labels), or give class names")
    return classes


@dataclass
class ImageDataset:
    """Images, optional labels and where they came from."""

    images: torch.Tensor                 # uint8 (N, C, H, W), contiguous, C in {1, 3, 4}
    labels: torch.Tensor | None          # int64 (N,) in [0, num_classes), or None when unlabelled
    class_names: list[str] | None        # class_names[i] names label i; None when unlabelled
    name: str                            # source name ("mnist-5k") or the path that was given
    report: DataReport = field(default_factory=DataReport)  # files skipped or odd while reading
    item_names: list[str] | None = None  # item_names[i] names image i (file stem, emoji code) when the source
                                         # keeps them, so sets of the same items pair by name; else None

    def __post_init__(self) -> None:
        self.images = self.images.contiguous()
        if self.images.dtype != torch.uint8 or self.images.ndim != 4 \
                or self.images.shape[1] not in DATASET_CHANNELS:
            raise ArrayFormatError(
                f"{self.name}: images must be uint8 (N, C, H, W) with C in {{1, 3, 4}}, "
                f"got {self.images.dtype} {tuple(self.images.shape)}; convert them to 0..255 uint8, "
                f"gray, RGB or RGBA")
        if self.item_names is not None and len(self.item_names) != len(self.images):
            raise ArrayFormatError(f"{self.name}: {len(self.images)} images but {len(self.item_names)} item "
                                   f"names; give one name per image, or none")
        if self.labels is None:
            if self.class_names is not None:
                raise ArrayFormatError(f"{self.name}: class_names given without labels; give labels too, "
                                       f"or leave class_names out")
            return
        self.labels = self.labels.to(torch.int64).contiguous()
        if self.labels.shape != (len(self.images),):
            raise ArrayFormatError(
                f"{self.name}: {len(self.images)} images but labels have shape {tuple(self.labels.shape)}; "
                f"give one label per image")
        low, high = (int(self.labels.min()), int(self.labels.max())) if len(self.labels) else (0, -1)
        if self.class_names is None:
            top = implied_class_count(low, high, len(self.labels), f"{self.name}: labels")
            self.class_names = [str(index) for index in range(top)]
        if low < 0 or high >= len(self.class_names):
            raise ArrayFormatError(
                f"{self.name}: labels must lie in [0, {len(self.class_names)}), "
                f"found [{low}, {high}]; give one class name per label value")

    # ---- shape ---------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def num_classes(self) -> int:
        """Number of classes; 0 for an unlabelled set (the generator's c_dim)."""
        return 0 if self.labels is None else len(self.class_names or [])

    @property
    def channels(self) -> int:
        return int(self.images.shape[1])

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) of the images, square or not."""
        return int(self.images.shape[2]), int(self.images.shape[3])

    @property
    def resolution(self) -> int:
        """Side of square images; a non-square set is an error here (use `size`)."""
        height, width = self.size
        if height != width:
            raise ArrayFormatError(
                f"{self.name}: images are {width}×{height} (width×height), not square; "
                f"load with resolution=N to make them square, or resolution=(height, width) and read `size`")
        return height

    # ---- identity ------------------------------------------------------------------------------------
    def fingerprint(self) -> str:
        """sha256 (hex) over shape, pixels and labels: a cache key for statistics computed on this data.

        Two datasets with the same fingerprint hold the same pixels in the same order with the same labels,
        whatever their name, so cached FID statistics can be shared between them. Computed once per state of the
        tensors (a run asks for it at its start and again for its summary): replacing or changing them in place
        makes it compute again.
        """
        import weakref

        tensors = [t for t in (self.images, self.labels) if t is not None]
        cached = self.__dict__.get("_fingerprint")     # (weak references to the tensors hashed, versions, digest)
        if cached is not None and len(cached[0]) == len(tensors) \
                and all(ref() is t for ref, t in zip(cached[0], tensors)) \
                and cached[1] == [t._version for t in tensors]:
            return cached[2]
        digest = hashlib.sha256()
        digest.update(f"uint8{tuple(self.images.shape)}".encode())
        digest.update(self.images.numpy().tobytes())
        if self.labels is None:
            digest.update(b"unlabelled")
        else:
            digest.update(f"int64{tuple(self.labels.shape)}".encode())
            digest.update(self.labels.numpy().astype("<i8").tobytes())
        self.__dict__["_fingerprint"] = ([weakref.ref(t) for t in tensors], [t._version for t in tensors],
                                         digest.hexdigest())
        return self.__dict__["_fingerprint"][2]

    # ---- subsets -------------------------------------------------------------------------------------
    def subset(self, indices: torch.Tensor, name: str | None = None) -> ImageDataset:
        """The images at `indices` (int64), keeping class names so label indices mean the same thing."""
        return ImageDataset(
            images=self.images[indices].contiguous(),
            labels=None if self.labels is None else self.labels[indices].contiguous(),
            class_names=None if self.class_names is None else list(self.class_names),
            name=name or self.name,
            report=self.report,
            item_names=None if self.item_names is None else [self.item_names[i] for i in indices.tolist()],
        )

    def split(self, fraction: float, seed: int) -> tuple[ImageDataset, ImageDataset]:
        """Deterministic split into (rest, held_out), held_out getting about `fraction` of the images.

        Labelled sets are split per class (stratified), so a 10% validation set of MNIST has 10% of every
        digit. Both parts keep the original order, and the same (fraction, seed) gives the same split on
        every machine (torch's CPU generator).
        """
        rest, held = split_indices(len(self), self.labels, self.num_classes, fraction, seed)
        return self.subset(rest, f"{self.name}[rest]"), self.subset(held, f"{self.name}[held-out]")
