"""ImageDataset: validation, fingerprint and the deterministic stratified split; DataReport."""

from __future__ import annotations

import json

import pytest
import torch

from duelo.data import DataReport, ImageDataset, load_dataset
from duelo.data.errors import ArrayFormatError
from duelo.errors import ConfigError


def small(labelled: bool = True, count: int = 40) -> ImageDataset:
    images = torch.arange(count * 4, dtype=torch.int64).remainder(256).to(torch.uint8).view(count, 1, 2, 2)
    labels = torch.arange(count) % 4 if labelled else None
    return ImageDataset(images, labels, None, "small")


def test_defaults_and_properties():
    dataset = small()
    assert dataset.class_names == ["0", "1", "2", "3"] and dataset.num_classes == 4
    assert len(dataset) == 40 and dataset.resolution == 2 and dataset.channels == 1
    assert small(labelled=False).num_classes == 0
    assert isinstance(dataset.report, DataReport)


def test_invalid_contents_are_rejected():
    with pytest.raises(ArrayFormatError, match="uint8"):
        ImageDataset(torch.zeros(2, 1, 4, 4), None, None, "f")
    with pytest.raises(ArrayFormatError, match="C in"):
        ImageDataset(torch.zeros(2, 2, 4, 4, dtype=torch.uint8), None, None, "c")
    with pytest.raises(ArrayFormatError, match="one label per image"):
        ImageDataset(torch.zeros(2, 1, 4, 4, dtype=torch.uint8), torch.zeros(3, dtype=torch.int64), None, "l")
    with pytest.raises(ArrayFormatError, match=r"labels must lie in \[0, 2\)"):
        ImageDataset(torch.zeros(2, 1, 4, 4, dtype=torch.uint8), torch.tensor([0, 2]), ["a", "b"], "r")
    with pytest.raises(ArrayFormatError, match="not square"):
        _ = ImageDataset(torch.zeros(1, 1, 4, 6, dtype=torch.uint8), None, None, "s").resolution


def test_fingerprint_depends_on_pixels_labels_and_shape():
    base = small()
    assert base.fingerprint() == small().fingerprint() and len(base.fingerprint()) == 64
    changed = small()
    changed.images[0, 0, 0, 0] ^= 1
    assert changed.fingerprint() != base.fingerprint()
    relabelled = small()
    relabelled.labels[0] = 3
    assert relabelled.fingerprint() != base.fingerprint()
    assert small(labelled=False).fingerprint() != base.fingerprint()
    reshaped = ImageDataset(base.images.view(40, 1, 1, 4), base.labels, None, "x")
    assert reshaped.fingerprint() != base.fingerprint()


def test_fingerprint_of_real_data_is_stable():
    assert load_dataset("digits").fingerprint() == load_dataset("digits").fingerprint()


def test_split_is_stratified_and_deterministic():
    dataset = load_dataset("mnist-5k")
    rest, held = dataset.split(0.1, seed=3)
    assert len(held) == 500 and len(rest) == 4500
    assert torch.bincount(held.labels).tolist() == [50] * 10
    again_rest, again_held = dataset.split(0.1, seed=3)
    assert torch.equal(held.images, again_held.images) and torch.equal(rest.labels, again_rest.labels)
    _, other = dataset.split(0.1, seed=4)
    assert not torch.equal(other.images, held.images)
    assert held.class_names == dataset.class_names
    together = torch.cat([rest.images, held.images]).view(5000, -1)
    distinct_before = torch.unique(dataset.images.view(5000, -1), dim=0).shape[0]
    assert torch.unique(together, dim=0).shape[0] == distinct_before


def test_split_unlabelled():
    rest, held = small(labelled=False).split(0.25, seed=0)
    assert (len(rest), len(held)) == (30, 10) and held.labels is None


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_split_fraction_must_be_inside(fraction: float):
    with pytest.raises(ConfigError, match="strictly between 0 and 1"):
        small().split(fraction, seed=0)


def test_report_json_round_trip():
    report = DataReport(source="somewhere")
    report.add_ok("a.png")
    report.add_skipped("b.png", "empty file (0 bytes)")
    report.add_note("c.png", "EXIF orientation 6 applied")
    parsed = json.loads(report.to_json())
    assert parsed["summary"] == {"files": 2, "used": 1, "skipped": 1, "notes": 1}
    assert parsed["entries"][0] == {"path": "b.png", "status": "skipped", "reason": "empty file (0 bytes)"}
    assert report.has_bad_files and report.summary_line() == "2 image files: 1 readable, 1 bad, 1 note"


def test_the_fingerprint_is_computed_once_per_state_of_the_tensors():
    """Asked twice (a run's start and its summary) it is hashed once; a change in place or a replaced tensor is
    seen, so the cached value never outlives the data it describes."""
    import hashlib
    from unittest import mock

    data = ImageDataset(torch.zeros(6, 1, 4, 4, dtype=torch.uint8), torch.tensor([0, 1, 0, 1, 0, 1]), None, "x")
    with mock.patch("duelo.data.dataset.hashlib", wraps=hashlib) as spy:
        first = data.fingerprint()
        assert data.fingerprint() == first and spy.sha256.call_count == 1
    data.images[0, 0, 0, 0] = 7
    changed = data.fingerprint()
    assert changed != first
    data.labels[0] = 1
    assert data.fingerprint() not in (first, changed)
    data.images, data.labels = torch.zeros(6, 1, 4, 4, dtype=torch.uint8), torch.tensor([0, 1, 0, 1, 0, 1])
    assert data.fingerprint() == first
