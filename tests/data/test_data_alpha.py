"""Transparency as a choice (alpha white | black | gray | #rrggbb | keep): exact pixels on a 2x2 RGBA image,
gray + alpha, .npz arrays, conform on 4-channel data, the config check, and RGBA through evaluation and PNGs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from duelo.data import ImageDataset, conform, load_dataset
from duelo.data.alpha import flatten_for_features, parse_alpha
from duelo.data.errors import DataError

# one pixel each: fully transparent, opaque, half (128) and quarter (64) transparent; (R, G, B, A)
RGBA_2X2 = np.array([[(200, 0, 0, 0), (10, 20, 30, 255)],
                     [(100, 150, 50, 128), (0, 255, 0, 64)]], dtype=np.uint8)
# (c·a + b·(255 − a) + 127) // 255, worked out by hand for each background
EXPECTED = {
    "white":   [[(255, 255, 255), (10, 20, 30)], [(177, 202, 152), (191, 255, 191)]],
    "black":   [[(0, 0, 0), (10, 20, 30)], [(50, 75, 25), (0, 64, 0)]],
    "#102030": [[(16, 32, 48), (10, 20, 30)], [(58, 91, 49), (12, 88, 36)]],
}


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def rgba_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "rgba"
    folder.mkdir()
    Image.fromarray(RGBA_2X2, "RGBA").save(folder / "a.png")
    return folder


@pytest.mark.parametrize("alpha", sorted(EXPECTED))
def test_flattening_gives_exact_pixels(rgba_folder: Path, alpha: str):
    dataset = load_dataset(str(rgba_folder), alpha=alpha)
    assert dataset.images.shape == (1, 3, 2, 2)
    assert dataset.images[0].permute(1, 2, 0).tolist() == [[list(p) for p in row] for row in EXPECTED[alpha]]
    assert any(f"transparency flattened onto {alpha}" in note.reason for note in dataset.report.notes)


def test_keep_gives_the_rgba_pixels_unchanged(rgba_folder: Path):
    dataset = load_dataset(str(rgba_folder), alpha="keep")
    assert dataset.channels == 4 and not dataset.report.notes
    assert np.array_equal(dataset.images[0].permute(1, 2, 0).numpy(), RGBA_2X2)


def test_gray_alpha_stays_gray_on_gray_backgrounds_and_becomes_rgb_or_rgba(tmp_path: Path):
    folder = tmp_path / "la"
    folder.mkdir()
    Image.fromarray(np.array([[(100, 0), (100, 255)]], dtype=np.uint8), "LA").save(folder / "la.png")
    gray = load_dataset(str(folder), alpha="gray")
    assert gray.channels == 1 and gray.images.flatten().tolist() == [128, 100]
    red = load_dataset(str(folder), alpha="#ff0000")
    assert red.channels == 3 and red.images[0, :, 0, 0].tolist() == [255, 0, 0]
    assert red.images[0, :, 0, 1].tolist() == [100, 100, 100]
    kept = load_dataset(str(folder), alpha="keep")
    assert kept.images[0, :, 0, :].T.tolist() == [[100, 100, 100, 0], [100, 100, 100, 255]]


def test_keep_makes_opaque_gray_and_rgb_files_rgba_too(tmp_path: Path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    Image.fromarray(np.full((2, 2), 7, dtype=np.uint8)).save(folder / "gray.png")
    Image.fromarray(np.full((2, 2, 3), 9, dtype=np.uint8)).save(folder / "rgb.png")
    dataset = load_dataset(str(folder), alpha="keep")
    assert dataset.images.shape == (2, 4, 2, 2)
    assert dataset.images[:, 3].unique().tolist() == [255]
    assert dataset.images[0, :3].unique().tolist() == [7] and dataset.images[1, :3].unique().tolist() == [9]


def test_conform_brings_four_channel_data_to_the_choice():
    images = torch.from_numpy(RGBA_2X2).permute(2, 0, 1)[None].contiguous()           # (1, 4, 2, 2)
    rgba = ImageDataset(images, None, None, "rgba", item_names=["a"])
    flat = conform(rgba, resolution=None, channels=None)
    assert flat.images[0].permute(1, 2, 0).tolist() == [[list(p) for p in row] for row in EXPECTED["white"]]
    assert flat.item_names == ["a"]
    gray = conform(rgba, resolution=None, channels=1, alpha="black")
    assert gray.channels == 1 and int(gray.images[0, 0, 1, 0]) == round(0.299 * 50 + 0.587 * 75 + 0.114 * 25)
    padded = conform(rgba, resolution=4, channels=None, alpha="keep", resize="pad")
    assert padded.images.shape == (1, 4, 4, 4) and int(padded.images[0, 3, 0, 0]) == 0   # transparent border
    assert torch.equal(padded.images[0, :, 1:3, 1:3], images[0])
    opaque = conform(ImageDataset(torch.full((1, 1, 2, 2), 5, dtype=torch.uint8), None, None, "g"),
                     resolution=None, channels=None, alpha="keep")
    assert opaque.images[0, :, 0, 0].tolist() == [5, 5, 5, 255]


def test_npz_rgba_follows_the_choice(tmp_path: Path):
    path = tmp_path / "x.npz"
    np.savez(path, images=RGBA_2X2[None])                                               # (1, 2, 2, 4)
    black = load_dataset(str(path), alpha="black")
    assert black.images[0].permute(1, 2, 0).tolist() == [[list(p) for p in row] for row in EXPECTED["black"]]
    assert any("flattened onto black" in note.reason for note in black.report.notes)
    assert np.array_equal(load_dataset(str(path), alpha="keep").images[0].permute(1, 2, 0).numpy(), RGBA_2X2)


def test_wrong_choices_are_refused_with_teaching_errors(rgba_folder: Path):
    with pytest.raises(DataError, match="alpha must be white, black, gray"):
        load_dataset(str(rgba_folder), alpha="purple")
    with pytest.raises(DataError, match="channels must be left unset"):
        load_dataset(str(rgba_folder), alpha="keep", channels=3)
    assert parse_alpha("#AbCdEf").background == (171, 205, 239) and parse_alpha("KEEP").keep


def test_config_checks_alpha():
    from duelo.errors import ConfigError
    from duelo.tasks import task_config

    assert task_config("image-gan", {"data.alpha": "#00ff00"}).data.alpha == "#00ff00"
    with pytest.raises(ConfigError, match="data.alpha must be white, black, gray, a colour #rrggbb, or keep"):
        task_config("image-gan", {"data.alpha": "#00ff0"})


def test_rgba_reaches_features_composited_and_pngs_as_rgba(tmp_path: Path):
    from duelo.evaluation.domain_classifier import DomainClassifier
    from duelo.io.images import save_grid

    images = torch.from_numpy(RGBA_2X2).permute(2, 0, 1)[None].repeat(2, 1, 4, 4).contiguous()  # (2, 4, 8, 8)
    flat = flatten_for_features(images)
    assert flat.shape == (2, 3, 8, 8) and flat[0, :, 1, 0].tolist() == [177, 202, 152]
    judge = DomainClassifier(4, 2).eval()
    assert torch.equal(judge.features(images), judge.features(flat))
    path = save_grid(images, tmp_path / "grid.png", columns=2)
    with Image.open(path) as written:
        assert written.mode == "RGBA"


def test_image_to_image_tasks_refuse_kept_alpha():
    from duelo.data.translation import load_targets
    from duelo.errors import ConfigError

    with pytest.raises(ConfigError, match="alpha 'keep' .* is for image-gan"):
        load_targets("digits", {"resolution": 8, "alpha": "keep"}, 10, None)
