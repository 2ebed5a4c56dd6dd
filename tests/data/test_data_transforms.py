"""Channel conversion and the resize modes: exact where they should be exact, deterministic everywhere."""

from __future__ import annotations

import pytest
import torch

from duelo.data.transforms import (
    RESIZE_MODES,
    choose_resize_mode,
    convert_channels,
    resize_image,
    resize_images,
)


def random_images(*shape: int, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, shape, generator=generator, dtype=torch.uint8)


def test_modes_are_registered():
    assert RESIZE_MODES.names() == ["auto", "center-crop", "pad", "stretch"]


def test_pad_is_exact_and_symmetric():
    images = random_images(4, 1, 28, 28)
    padded = resize_images(images, 32, "pad")
    assert padded.shape == (4, 1, 32, 32)
    assert torch.equal(padded[:, :, 2:30, 2:30], images)
    padded[:, :, 2:30, 2:30] = 0
    assert int(padded.max()) == 0


def test_pad_odd_difference_puts_extra_pixel_bottom_right():
    image = torch.full((1, 3, 3), 9, dtype=torch.uint8)
    padded = resize_image(image, 6, "pad")
    assert torch.nonzero(padded[0]).min(0).values.tolist() == [1, 1]
    assert torch.nonzero(padded[0]).max(0).values.tolist() == [3, 3]


def test_pad_shrinks_a_larger_image_keeping_aspect():
    image = torch.full((3, 20, 40), 200, dtype=torch.uint8)
    out = resize_image(image, 10, "pad")
    assert out.shape == (3, 10, 10)
    rows_with_content = torch.nonzero(out[0].amax(dim=1)).flatten().tolist()
    assert rows_with_content == [2, 3, 4, 5, 6]                     # 40×20 → 10×5; 2 rows above, 3 below


def test_center_crop_takes_the_middle_square():
    image = torch.zeros((1, 10, 20), dtype=torch.uint8)
    image[:, :, 5:15] = 255                                           # the centred 10×10 square is white
    out = resize_image(image, 10, "center-crop")
    assert out.shape == (1, 10, 10) and int(out.min()) == 255


def test_center_crop_antialiases_when_shrinking():
    stripes = torch.zeros((1, 64, 64), dtype=torch.uint8)
    stripes[:, :, ::2] = 255                                    # one-pixel stripes alias without a filter
    out = resize_image(stripes, 8, "center-crop")
    assert 100 < float(out.float().mean()) < 155 and float(out.float().std()) < 20


def test_stretch_ignores_aspect():
    image = random_images(3, 10, 30)
    assert resize_image(image, 16, "stretch").shape == (3, 16, 16)


@pytest.mark.parametrize("size, resolution, expected", [
    ((28, 28), 32, "pad"), ((24, 24), 32, "pad"), ((23, 23), 32, "center-crop"),
    ((32, 32), 32, "pad"), ((40, 40), 32, "center-crop"), ((28, 30), 32, "center-crop"),
])
def test_auto_pads_only_small_square_gaps(size, resolution, expected):
    assert choose_resize_mode("auto", *size, resolution) == expected


def test_auto_on_mnist_sizes_matches_pad():
    images = random_images(2, 1, 28, 28)
    assert torch.equal(resize_images(images, 32, "auto"), resize_images(images, 32, "pad"))


def test_same_size_is_a_no_op():
    images = random_images(2, 3, 16, 16)
    for mode in RESIZE_MODES:
        assert torch.equal(resize_images(images, 16, mode), images)


def test_list_of_mixed_sizes():
    images = [random_images(3, 10, 12), random_images(3, 40, 20, seed=1)]
    assert resize_images(images, 16, "center-crop").shape == (2, 3, 16, 16)


@pytest.mark.parametrize("mode", ["auto", "pad", "center-crop", "stretch"])
def test_deterministic(mode: str):
    images = random_images(3, 3, 37, 23)
    assert torch.equal(resize_images(images, 16, mode), resize_images(images.clone(), 16, mode))


def test_gray_to_rgb_replicates_and_back_is_identity():
    gray = random_images(2, 1, 5, 5)
    rgb = convert_channels(gray, 3)
    assert rgb.shape == (2, 3, 5, 5) and rgb.is_contiguous()
    assert all(torch.equal(rgb[:, index], gray[:, 0]) for index in range(3))
    assert torch.equal(convert_channels(rgb, 1), gray)


def test_rgb_to_gray_uses_bt601_weights():
    pixel = torch.tensor([255, 0, 0], dtype=torch.uint8).view(1, 3, 1, 1)
    assert int(convert_channels(pixel, 1)) == 76                       # round(0.299 · 255)
    pixel = torch.tensor([0, 255, 0], dtype=torch.uint8).view(1, 3, 1, 1)
    assert int(convert_channels(pixel, 1)) == 150                      # round(0.587 · 255)
    white = torch.full((1, 3, 1, 1), 255, dtype=torch.uint8)
    assert int(convert_channels(white, 1)) == 255


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match="uint8"):
        resize_images(torch.zeros(1, 1, 4, 4), 8)
    with pytest.raises(ValueError, match="channels must be 1 or 3"):
        convert_channels(random_images(1, 1, 2, 2), 2)
