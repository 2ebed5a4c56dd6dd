"""photo-patches: 64×64 RGB patches of the two photos that ship with scikit-learn (china.jpg, flower.jpg).

Real photographic texture with no download, for restoration tasks (denoising, inpainting,
super-resolution) whose degradations are applied on the fly. The split is by place, not by draw:
train patches lie wholly in the left 80% of each photo's columns, test patches wholly in the right 20%,
so no test pixel is ever seen in training. Patches of one split overlap each other heavily (4,000 of
them from two 427×640 photos); they are many views of little data, which is the point for quick tests.

The JPEG files are found without importing scikit-learn (its import takes a second or more) and
decoded by duelo's own reader, like any user image; nothing is cached on disk.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import torch

from duelo.data.dataset import ImageDataset
from duelo.data.errors import BadImageError, DataError, DatasetUnavailableError
from duelo.data.images import decode_image_file
from duelo.data.sources.base import DataSource, register_source

NAME = "photo-patches"
PHOTO_FILES = ("china.jpg", "flower.jpg")          # in sklearn/datasets/images/, 427×640 RGB each
PATCH_SIZE = 64                                    # pixels per side
TRAIN_COLUMN_FRACTION = 0.8                        # train patches lie in the left 80% of the columns
PATCHES_PER_PHOTO = {"train": 2000, "test": 250}   # 4,000 train and 500 test patches in all
PATCH_SEEDS = {"train": 2017, "test": 2018}        # numpy RandomState seeds, one stream per split
SPLITS = ("train", "test")
HOW_TO_GET = ("photo-patches is cut from the sample photos inside scikit-learn, a duelo dependency: "
              "`pip install scikit-learn`")


def sample_photo_paths() -> list[Path] | None:
    """The photos inside the installed scikit-learn, found without importing it; None when missing."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        paths = [Path(location) / "datasets" / "images" / name for name in PHOTO_FILES]
        if all(path.is_file() for path in paths):
            return paths
    return None


def load_sample_photos() -> list[np.ndarray]:
    """The photos as uint8 (H, W, 3) arrays, in PHOTO_FILES order."""
    paths = sample_photo_paths()
    if paths is None:
        raise DatasetUnavailableError(f"{NAME}: scikit-learn's sample photos are not installed. {HOW_TO_GET}")
    photos = []
    for path in paths:
        try:
            decoded = decode_image_file(str(path))
        except BadImageError as error:
            raise DataError(f"{error}; reinstall scikit-learn "
                            f"(`pip install --force-reinstall scikit-learn`)") from None
        if decoded.channels != 3 or min(decoded.size_hw) < 2 * PATCH_SIZE:
            raise DataError(f"{path}: expected an RGB photo of at least {2 * PATCH_SIZE}×{2 * PATCH_SIZE}, "
                            f"found {decoded.size_hw[1]}×{decoded.size_hw[0]} with {decoded.channels} "
                            f"channel(s); reinstall scikit-learn")
        photos.append(decoded.pixels)
    return photos


def split_columns(split: str, width: int) -> tuple[int, int]:
    """[first, stop) columns of a `width`-wide photo that patches of `split` may cover."""
    boundary = int(width * TRAIN_COLUMN_FRACTION)                 # 512 of 640
    return (0, boundary) if split == "train" else (boundary, width)


def patch_boxes(split: str, sizes_hw: list[tuple[int, int]]) -> list[np.ndarray]:
    """Crop boxes per photo: int64 (PATCHES_PER_PHOTO[split], 4) rows of (left, top, right, bottom).

    Drawn uniformly from the columns split_columns allows and all rows, from one RandomState per split,
    photo after photo; so the boxes depend only on the split and the photo sizes.
    """
    if split not in PATCH_SEEDS:
        raise DataError(f"{NAME} has the splits {', '.join(map(repr, SPLITS))}; asked for {split!r}")
    random = np.random.RandomState(PATCH_SEEDS[split])
    boxes = []
    for height, width in sizes_hw:
        first, stop = split_columns(split, width)
        count = PATCHES_PER_PHOTO[split]
        lefts = random.randint(first, stop - PATCH_SIZE + 1, size=count)       # high is exclusive
        tops = random.randint(0, height - PATCH_SIZE + 1, size=count)
        boxes.append(np.stack([lefts, tops, lefts + PATCH_SIZE, tops + PATCH_SIZE], axis=1).astype(np.int64))
    return boxes


def load_photo_patches(split: str) -> ImageDataset:
    photos = load_sample_photos()
    boxes = patch_boxes(split, [photo.shape[:2] for photo in photos])
    patches = np.stack([photo[top:bottom, left:right]
                        for photo, photo_boxes in zip(photos, boxes)
                        for left, top, right, bottom in photo_boxes])                 # (N, 64, 64, 3)
    images = torch.from_numpy(patches).permute(0, 3, 1, 2).contiguous()               # (N, 3, 64, 64)
    return ImageDataset(images, None, None, NAME)


def _fetch_message(force: bool) -> str:
    if sample_photo_paths() is None:
        raise DatasetUnavailableError(f"{NAME}: scikit-learn's sample photos are missing. {HOW_TO_GET}")
    return f"{NAME} is cut from the photos inside the installed scikit-learn package; nothing to fetch"


register_source(DataSource(
    name=NAME,
    description="64×64 RGB patches of scikit-learn's two sample photos: 4,000 train (left 80%), "
                "500 test (right 20%)",
    splits=SPLITS,
    loader=load_photo_patches,
    available=lambda: sample_photo_paths() is not None,
    how_to_get=lambda: HOW_TO_GET,
    fetch=_fetch_message,
))
