"""Non-square targets: resize modes, load_dataset and conform bring images to (height, width), and a square (R, R)
target is exactly the old int R."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from duelo.data import load_dataset
from duelo.data.errors import ArrayFormatError, DataError
from duelo.data.transforms import RESIZE_MODES, choose_resize_mode, resize_image, resize_images


def random_images(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, 256, shape, generator=torch.Generator().manual_seed(seed), dtype=torch.uint8)


@pytest.mark.parametrize("mode", RESIZE_MODES.names())
@pytest.mark.parametrize("size", [(24, 32), (32, 24), (8, 32)])
def test_every_mode_reaches_height_by_width(mode, size):
    for shape in ((3, 28, 28), (3, 40, 30), (1, 50, 90)):
        assert resize_image(random_images(*shape), size, mode).shape == (shape[0], *size)
    assert resize_images(random_images(2, 1, 28, 28), size, mode).shape == (2, 1, *size)


@pytest.mark.parametrize("mode", RESIZE_MODES.names())
def test_a_square_pair_is_the_old_square_side(mode):
    images = random_images(3, 3, 20, 28, seed=1)
    assert torch.equal(resize_images(images, (16, 16), mode), resize_images(images, 16, mode))


def test_pad_centres_the_image_in_the_rectangle():
    image = torch.full((1, 20, 20), 200, dtype=torch.uint8)
    out = resize_image(image, (24, 32), "pad")
    assert out.shape == (1, 24, 32)
    assert torch.equal(torch.nonzero(out[0]).min(0).values, torch.tensor([2, 6]))   # 2 rows, 6 columns of border
    assert int(out.sum()) == 200 * 400
    shrunk = resize_image(torch.full((1, 60, 40), 255, dtype=torch.uint8), (24, 32), "pad")   # too tall: shrunk
    assert shrunk.shape == (1, 24, 32) and int((shrunk[0] > 128).sum(0).gt(0).sum()) == 16       # 24 x 16 kept


def test_center_crop_cuts_the_target_shape_from_the_middle():
    image = torch.arange(40, dtype=torch.uint8).view(1, 40, 1).expand(1, 40, 40).contiguous()   # row index
    out = resize_image(image, (30, 40), "center-crop")              # 40x40 -> rows 5..34, no resampling
    assert torch.equal(out, image[:, 5:35, :])
    wide = torch.arange(40, dtype=torch.uint8).view(1, 1, 40).expand(1, 30, 40).contiguous()  # column index
    assert torch.equal(resize_image(wide, (30, 20), "center-crop"), wide[:, :, 10:30])


def test_auto_pads_an_image_of_the_target_shape_a_little_smaller():
    assert choose_resize_mode("auto", 18, 24, (24, 32)) == "pad"        # 3:4 of height:width, 6 and 8 px short
    assert choose_resize_mode("auto", 28, 28, (24, 32)) == "center-crop"
    assert choose_resize_mode("auto", 12, 16, (24, 32)) == "center-crop"   # too small: enlarged instead
    assert choose_resize_mode("auto", 28, 28, 32) == "pad"                  # square: as before


def test_load_dataset_at_height_by_width(tmp_path):
    digits = load_dataset("digits", resolution=(6, 8))
    assert digits.size == (6, 8) and digits.images.shape[1:] == (1, 6, 8)
    with pytest.raises(ArrayFormatError, match="not square"):
        digits.resolution                                                   # the property raises
    assert load_dataset("digits", resolution=(8, 8)).resolution == 8
    for bad in ((0, 8), (8,), (8.0, 8), "8x6"):
        with pytest.raises(DataError, match="height, width"):
            load_dataset("digits", resolution=bad)


def test_a_folder_of_non_square_images_keeps_its_pixels_at_its_own_size(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, (5, 24, 32, 3), dtype=np.uint8)
    for index, picture in enumerate(pixels):
        Image.fromarray(picture).save(tmp_path / f"{index}.png")
    data = load_dataset(str(tmp_path), resolution=(24, 32))
    assert data.size == (24, 32)
    assert torch.equal(data.images, torch.from_numpy(pixels).permute(0, 3, 1, 2))    # no resampling at all
    Image.fromarray(pixels[0][:20]).save(tmp_path / "short.png")                    # mixed sizes: noted as W×H
    notes = " ".join(entry.reason for entry in load_dataset(str(tmp_path), resolution=(24, 32)).report.entries)
    assert "all brought to 32×24" in notes
