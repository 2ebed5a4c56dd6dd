"""Fixtures for the data tests: a generated corpus of bad and odd image files, written with PIL and bytes."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

# file name -> the start of the reason it must be skipped with
BAD_FILES: dict[str, str] = {
    "empty.png": "empty file (0 bytes)",
    "garbage.png": "not an image (cannot identify format)",
    "truncated.png": "truncated or corrupt image data",
    "truncated.jpg": "truncated or corrupt image data",
    "bomb.png": "decompression bomb",
}
BOMB_LIMIT_PIXELS = 1000          # the bomb is 64×64 = 4096 pixels; tests lower the limit to this
ODD_FILES = ("cmyk.jpg", "sixteen_bit.png", "palette_transparent.png", "rgba.png", "gray_alpha.png",
             "bilevel.png", "exif_rotated.jpg", "animated.gif", "wide.png")
CLEAN_FILES = ("rgb.png", "gray.png", "photo.jpg")


def noise(height: int, width: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    shape = (height, width) if channels == 1 else (height, width, channels)
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def write_clean(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(noise(16, 16)).save(folder / "rgb.png")
    Image.fromarray(noise(16, 16, 1)).save(folder / "gray.png")
    Image.fromarray(noise(16, 16, seed=1)).save(folder / "photo.jpg", quality=90)


def write_odd(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    Image.new("CMYK", (16, 16), (0, 0, 0, 0)).save(folder / "cmyk.jpg")                 # white in CMYK
    sixteen = np.zeros((16, 16), dtype=np.uint16)
    sixteen[0, 0], sixteen[0, 1] = 65535, 32768
    Image.fromarray(sixteen).save(folder / "sixteen_bit.png")                           # mode I;16
    palette = Image.new("P", (16, 16), 0)
    palette.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)                              # 0 red, 1 blue
    palette.paste(1, (8, 0, 16, 16))
    palette.save(folder / "palette_transparent.png", transparency=0)                    # red is transparent
    rgba = np.zeros((16, 16, 4), dtype=np.uint8)
    rgba[..., 0] = 200
    rgba[:, :8, 3] = 0                                                          # left half transparent
    rgba[:, 8:, 3] = 255
    Image.fromarray(rgba).save(folder / "rgba.png")
    gray_alpha = np.zeros((16, 16, 2), dtype=np.uint8)
    gray_alpha[:, 8:, 1] = 255                                                  # left half transparent
    Image.fromarray(gray_alpha, "LA").save(folder / "gray_alpha.png")
    Image.fromarray(noise(16, 16, 1) > 127).save(folder / "bilevel.png")                 # mode "1"
    stored = np.zeros((16, 32, 3), dtype=np.uint8)                                       # 16 high, 32 wide
    stored[:8, :8] = 255                                                        # white block top-left
    exif = Image.Exif()
    exif[0x0112] = 6                                                            # "rotate 90° CW to view"
    Image.fromarray(stored).save(folder / "exif_rotated.jpg", exif=exif, quality=95)
    frames = [Image.new("RGB", (16, 16), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(folder / "animated.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    Image.fromarray(noise(24, 40)).save(folder / "wide.png")                             # a different size


def write_bad(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.png").write_bytes(b"")
    (folder / "garbage.png").write_text("this is a shopping list, not a picture\n")
    png = encoded(Image.fromarray(noise(24, 24)), "PNG")                  # under the bomb limit
    (folder / "truncated.png").write_bytes(png[: len(png) // 2])
    jpeg = encoded(Image.fromarray(noise(30, 30, seed=2)), "JPEG", quality=90)   # header intact
    (folder / "truncated.jpg").write_bytes(jpeg[: len(jpeg) * 3 // 4])          # cut inside the scan data
    Image.new("L", (64, 64), 128).save(folder / "bomb.png")


@pytest.fixture
def bomb_limit(monkeypatch: pytest.MonkeyPatch) -> int:
    """Lower the pixel limit so the 64×64 bomb.png counts as a decompression bomb."""
    monkeypatch.setattr("duelo.data.images.MAX_IMAGE_PIXELS", BOMB_LIMIT_PIXELS)
    return BOMB_LIMIT_PIXELS


@pytest.fixture
def corpus(tmp_path: Path, bomb_limit: int) -> Path:
    """A flat folder with clean, odd-but-valid and bad files (names in CLEAN_FILES, ODD_FILES, BAD_FILES)."""
    folder = tmp_path / "corpus"
    write_clean(folder)
    write_odd(folder)
    write_bad(folder)
    return folder


@pytest.fixture
def clean_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "clean"
    write_clean(folder)
    return folder


@pytest.fixture
def bad_reasons() -> dict[str, str]:
    """Bad file name -> the start of its expected reason."""
    return dict(BAD_FILES)
