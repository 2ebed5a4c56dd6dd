"""Decoding every kind of bad and odd image file: each bad one gets its reason, each odd one decodes right."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from duelo.data.errors import BadImageError, DataError
from duelo.data.images import decode_image_bytes, decode_image_file


def test_truncated_images_are_not_loaded_silently():
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


@pytest.mark.parametrize("name", ["empty.png", "garbage.png", "truncated.png", "truncated.jpg", "bomb.png"])
def test_bad_file_has_its_reason(corpus: Path, bad_reasons: dict[str, str], name: str):
    with pytest.raises(BadImageError) as caught:
        decode_image_file(str(corpus / name))
    assert caught.value.reason.startswith(bad_reasons[name]), caught.value.reason
    assert caught.value.path == str(corpus / name)
    assert isinstance(caught.value, DataError)
    assert str(corpus / name) in str(caught.value)


def test_truncated_jpeg_passes_verify_but_fails_decode(corpus: Path):
    path = corpus / "truncated.jpg"
    with Image.open(path) as image:
        image.verify()                                   # PIL's cheap check says nothing is wrong ...
    with pytest.raises(BadImageError, match="truncated"):
        decode_image_file(str(path))                     # ... a full decode finds it


def test_bomb_reason_names_size_and_limit(corpus: Path, bomb_limit: int):
    with pytest.raises(BadImageError) as caught:
        decode_image_file(str(corpus / "bomb.png"))
    assert caught.value.reason == f"decompression bomb: 64×64 pixels exceeds limit {bomb_limit}"


def test_pillow_bomb_warning_becomes_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Even with our own limit out of the way, PIL's DecompressionBombWarning is not just printed."""
    Image.new("L", (40, 40)).save(tmp_path / "b.png")            # 1,600 pixels
    monkeypatch.setattr("duelo.data.images.MAX_IMAGE_PIXELS", 10**9)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)          # warning zone is (1000, 2000]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                           # the caller's filters must not matter
        with pytest.raises(BadImageError, match="decompression bomb"):
            decode_image_file(str(tmp_path / "b.png"))


def test_cmyk_jpeg_becomes_rgb(corpus: Path):
    decoded = decode_image_file(str(corpus / "cmyk.jpg"))
    assert decoded.pixels.shape == (16, 16, 3) and decoded.source_mode == "CMYK"
    assert decoded.pixels.min() >= 250                          # CMYK (0,0,0,0) is white
    assert any("CMYK" in note for note in decoded.notes)


def test_sixteen_bit_png_is_scaled_not_clipped(corpus: Path):
    decoded = decode_image_file(str(corpus / "sixteen_bit.png"))
    assert decoded.source_mode.startswith("I;16")
    assert decoded.pixels.shape == (16, 16, 1) and decoded.pixels.dtype == np.uint8
    assert decoded.pixels[0, 0, 0] == 255 and decoded.pixels[0, 1, 0] == 128 and decoded.pixels[1, 1, 0] == 0
    assert any("16-bit" in note for note in decoded.notes)


def test_palette_transparency_goes_to_white(corpus: Path):
    decoded = decode_image_file(str(corpus / "palette_transparent.png"))
    assert decoded.pixels.shape == (16, 16, 3)
    assert decoded.pixels[0, 0].tolist() == [255, 255, 255]    # transparent red -> white
    assert decoded.pixels[0, 12].tolist() == [0, 0, 255]        # opaque blue stays blue


def test_rgba_transparent_pixel_becomes_white(corpus: Path):
    decoded = decode_image_file(str(corpus / "rgba.png"))
    assert decoded.pixels.shape == (16, 16, 3)
    assert decoded.pixels[0, 0].tolist() == [255, 255, 255]
    assert decoded.pixels[0, 12].tolist() == [200, 0, 0]
    assert "transparency flattened onto white" in decoded.notes


def test_gray_alpha_stays_one_channel(corpus: Path):
    decoded = decode_image_file(str(corpus / "gray_alpha.png"))
    assert decoded.pixels.shape == (16, 16, 1)
    assert decoded.pixels[0, 0, 0] == 255 and decoded.pixels[0, 12, 0] == 0


def test_bilevel_is_zero_or_255(corpus: Path):
    decoded = decode_image_file(str(corpus / "bilevel.png"))
    assert decoded.pixels.shape == (16, 16, 1)
    assert set(np.unique(decoded.pixels).tolist()) <= {0, 255}


def test_exif_orientation_is_applied(corpus: Path):
    decoded = decode_image_file(str(corpus / "exif_rotated.jpg"))
    assert decoded.pixels.shape == (32, 16, 3)                  # stored 16 high × 32 wide, shown upright
    gray = decoded.pixels.mean(axis=2)
    assert gray[:8, 8:].mean() > 200                            # top-left block turned to top-right
    assert gray[:8, :8].mean() < 50 and gray[8:, :].mean() < 50
    assert "EXIF orientation 6 applied" in decoded.notes


def test_animated_gif_uses_first_frame(corpus: Path):
    decoded = decode_image_file(str(corpus / "animated.gif"))
    assert decoded.pixels.shape == (16, 16, 3)
    assert decoded.pixels[0, 0].tolist() == [255, 0, 0]
    assert any(note.startswith("animated") and "first frame used" in note for note in decoded.notes)


@pytest.mark.parametrize("mode, channels",
                         [("L", 1), ("RGB", 3), ("YCbCr", 3), ("LAB", 3), ("I", 1), ("F", 1)])
def test_other_modes_decode_to_uint8(tmp_path: Path, mode: str, channels: int):
    image = Image.new(mode, (6, 4))
    data_format = "TIFF"
    path = tmp_path / f"x.{mode}.tif"
    try:
        image.save(path, data_format)
    except (OSError, KeyError, ValueError):
        pytest.skip(f"PIL cannot write mode {mode} as TIFF here")
    decoded = decode_image_file(str(path))
    assert decoded.pixels.dtype == np.uint8 and decoded.pixels.shape == (4, 6, channels)


def test_float_image_in_unit_range_is_scaled(tmp_path: Path):
    values = np.full((4, 4), 1.0, dtype=np.float32)
    Image.fromarray(values, "F").save(tmp_path / "f.tif")
    decoded = decode_image_file(str(tmp_path / "f.tif"))
    assert decoded.pixels.max() == 255


def test_decode_bytes_names_the_given_path():
    with pytest.raises(BadImageError) as caught:
        decode_image_bytes(b"\x89PNG\r\n\x1a\n garbage", "archive.zip/a.png")
    assert caught.value.path == "archive.zip/a.png"
