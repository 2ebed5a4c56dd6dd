"""photo-patches: 64×64 RGB patches of scikit-learn's sample photos, split by columns into train and test."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from duelo.data import SOURCES, load_dataset
from duelo.data.errors import DataError
from duelo.data.sources import photos


@pytest.fixture(scope="module")
def train():
    return load_dataset("photo-patches")


@pytest.fixture(scope="module")
def test_split():
    return load_dataset("photo-patches", split="test")


def test_shapes_and_counts(train, test_split):
    assert train.images.shape == (4000, 3, 64, 64) and train.images.dtype == torch.uint8
    assert test_split.images.shape == (500, 3, 64, 64) and test_split.images.dtype == torch.uint8
    assert train.images.is_contiguous() and test_split.images.is_contiguous()
    assert train.labels is None and train.num_classes == 0 and train.resolution == 64
    assert int(train.images.float().std()) > 10                # real texture, not a blank or constant image


def test_loading_is_deterministic(train, test_split):
    assert load_dataset("photo-patches").fingerprint() == train.fingerprint()
    assert load_dataset("photo-patches", split="test").fingerprint() == test_split.fingerprint()
    assert train.fingerprint() != test_split.fingerprint()


def test_train_and_test_cover_disjoint_columns():
    sizes = [photo.shape[:2] for photo in photos.load_sample_photos()]
    assert sizes == [(427, 640), (427, 640)]
    train_boxes = photos.patch_boxes("train", sizes)
    test_boxes = photos.patch_boxes("test", sizes)
    for (height, width), train_box, test_box in zip(sizes, train_boxes, test_boxes, strict=True):
        for boxes in (train_box, test_box):
            lefts, tops, rights, bottoms = boxes.T
            assert (rights - lefts == 64).all() and (bottoms - tops == 64).all()
            assert lefts.min() >= 0 and tops.min() >= 0 and rights.max() <= width and bottoms.max() <= height
        assert train_box[:, 2].max() <= 512 <= test_box[:, 0].min()              # 80% of 640 columns
        train_columns = {column for left, _, right, _ in train_box for column in range(left, right)}
        test_columns = {column for left, _, right, _ in test_box for column in range(left, right)}
        assert not train_columns & test_columns
        assert min(test_columns) == 512 and max(train_columns) == 511      # both reach the boundary
    assert len(np.unique(np.concatenate(train_boxes), axis=0)) > 3000       # mostly distinct positions


def test_patches_are_the_crops_of_the_boxes(train, test_split):
    from sklearn.datasets import load_sample_images

    reference = load_sample_images().images                               # scikit-learn's own decoding
    for dataset, split in ((train, "train"), (test_split, "test")):
        boxes = photos.patch_boxes(split, [image.shape[:2] for image in reference])
        per_photo = len(boxes[0])
        for row in (0, per_photo - 1, per_photo, len(dataset) - 1):       # first and last of each photo
            photo_index, box_index = divmod(row, per_photo)
            left, top, right, bottom = boxes[photo_index][box_index]
            crop = reference[photo_index][top:bottom, left:right]                     # (64, 64, 3)
            expected = torch.from_numpy(crop.copy()).permute(2, 0, 1)
            assert torch.equal(dataset.images[row], expected)


def test_registered_and_listed(capsys):
    assert "photo-patches" in SOURCES.names()
    source = SOURCES.get("photo-patches")
    assert source.splits == ("train", "test") and source.available()
    assert source.description and "\n" not in source.description
    assert "pip install scikit-learn" in source.how_to_get()
    assert "nothing to fetch" in source.fetch(False)
    from click.testing import CliRunner

    from duelo.cli.datasets import datasets

    result = CliRunner().invoke(datasets, [], terminal_width=200)
    assert result.exit_code == 0 and "photo-patches" in result.output


def test_unknown_split_is_refused():
    with pytest.raises(DataError, match="'train', 'test'.*'val'"):
        load_dataset("photo-patches", split="val")


def test_missing_scikit_learn_teaches(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(photos, "sample_photo_paths", lambda: None)
    assert not SOURCES.get("photo-patches").available()
    with pytest.raises(DataError, match="pip install scikit-learn"):
        load_dataset("photo-patches")
