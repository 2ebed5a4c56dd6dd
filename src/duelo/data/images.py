"""Decode one image file into uint8 pixels, or say exactly why it cannot be used.

Why so careful: a training run reads every image many times over hours; a file that breaks it must be
found before the run, with its path and a reason. So we
  * decode fully (`load()`): a truncated JPEG passes `verify()` and only fails when decoded;
  * keep `ImageFile.LOAD_TRUNCATED_IMAGES` False (never pad a truncated file with grey);
  * treat a decompression bomb (more pixels than MAX_IMAGE_PIXELS, or than Pillow's own limit when
    that is lower) as a bad file, not a warning, with one wording whichever check caught it;
  * never open anything but a regular file: a FIFO or device named x.png would block `open()` forever;
  * apply EXIF orientation, so a phone photo stands the way it was shot;
  * bring every mode to gray (1 channel) or RGB (3 channels), flattening alpha onto WHITE by default —
    transparent backgrounds of drawings and logos are usually meant to look like paper, not black — or
    onto another background, or keeping it (RGBA, 4 channels), as the `alpha` choice says (duelo.data.alpha).
"""

from __future__ import annotations

import io
import os
import re
import stat
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from duelo.data.alpha import WHITE, Alpha, apply_alpha, has_alpha
from duelo.data.errors import BadImageError

IMAGE_SUFFIXES: frozenset[str] = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
MAX_IMAGE_PIXELS: int = Image.MAX_IMAGE_PIXELS or 89_478_485   # width × height above which a file is refused
MAX_FILE_BYTES: int = 256 * 1024 * 1024                          # larger image files are refused unread


@dataclass
class DecodedImage:
    """Pixels of one image and what was done to get them."""

    pixels: np.ndarray                       # uint8 (H, W, C), C in {1, 3}; 4 (RGBA) when alpha is kept
    source_mode: str                         # the PIL mode of the file ("P", "I;16", ...)
    notes: list[str] = field(default_factory=list)

    @property
    def size_hw(self) -> tuple[int, int]:
        return int(self.pixels.shape[0]), int(self.pixels.shape[1])

    @property
    def channels(self) -> int:
        return int(self.pixels.shape[2])


def decode_image_file(path: str, max_file_bytes: int | None = None, alpha: Alpha = WHITE) -> DecodedImage:
    """Read and decode an image file from disk; raises BadImageError with a short reason."""
    return decode_image_bytes(read_image_file(path, max_file_bytes), path, alpha)


# ---- reading files ---------------------------------------------------------------------------------------
SPECIAL_FILE_KINDS: tuple[tuple[Callable[[int], bool], str], ...] = (
    (stat.S_ISFIFO, "fifo"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISDIR, "folder"),
)


def not_regular_reason(mode: int) -> str | None:
    """None for a regular file; else "not a regular file (fifo)" and the like, for a report line."""
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in SPECIAL_FILE_KINDS if test(mode)), "special file")
    return f"not a regular file ({kind})"


def path_not_regular(path: str | os.PathLike[str]) -> str | None:
    """not_regular_reason for a path (following symlinks); None too when stat fails (open will say why)."""
    try:
        return not_regular_reason(os.stat(path).st_mode)
    except OSError:
        return None


def read_image_file(path: str, max_file_bytes: int | None = None) -> bytes:
    """The bytes of a regular file of at most `max_file_bytes`; raises BadImageError with a short reason.

    The file is stat()ed before it is opened, so a FIFO, socket or device is never opened (opening a FIFO
    blocks until a writer appears; opening a device can have effects), and the opened descriptor is
    checked again, so a file swapped for a FIFO in between cannot block either (O_NONBLOCK).
    """
    limit = MAX_FILE_BYTES if max_file_bytes is None else max_file_bytes
    try:
        reason = not_regular_reason(os.stat(path).st_mode)
        if reason is not None:
            raise BadImageError(path, reason)
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        with open(descriptor, "rb") as handle:
            reason = not_regular_reason(os.fstat(descriptor).st_mode)
            if reason is not None:
                raise BadImageError(path, reason)
            data = handle.read(limit + 1)
    except OSError as error:
        raise BadImageError(path, f"cannot read file: {error.strerror or error}") from None
    if len(data) > limit:
        raise BadImageError(path, f"file larger than {limit} bytes")
    return data


def decode_image_bytes(data: bytes, path: str, alpha: Alpha = WHITE) -> DecodedImage:
    """Decode image bytes (a file or an archive member); `path` is only used to name it in errors.

    Transparency follows `alpha`: flattened onto its background (a note when any pixel was not opaque), or
    kept, which makes every image RGBA (gray replicated, opaque alpha added where there was none).
    """
    if len(data) == 0:
        raise BadImageError(path, "empty file (0 bytes)")
    limit = pixel_limit()
    with warnings.catch_warnings():
        # Opening: Pillow's warning zone is covered by our own check below, which knows width × height;
        # above twice its limit Pillow raises before the size is known.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except UnidentifiedImageError:
            raise BadImageError(path, "not an image (cannot identify format)") from None
        except Image.DecompressionBombError as error:
            raise BadImageError(path, _bomb_reason(error, limit)) from None
        except Exception as error:  # a corrupt header can raise nearly anything inside a plugin
            raise BadImageError(path, f"truncated or corrupt image data: {_describe(error)}") from None
    width, height = image.size
    if width < 1 or height < 1:
        raise BadImageError(path, f"the image has no pixels ({width}x{height})")
    if max(1, width) * max(1, height) > limit:
        raise BadImageError(path, _bomb_reason(None, limit, (width, height)))
    notes: list[str] = []
    with warnings.catch_warnings():
        # Decoding: plugins check frame and tile sizes again (GIF, TIFF, ICO, ...); any alarm is fatal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            if getattr(image, "n_frames", 1) > 1:
                notes.append(f"animated ({image.n_frames} frames): first frame used")
                image.seek(0)
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise BadImageError(path, _bomb_reason(error, limit, (width, height))) from None
        except Exception as error:
            raise BadImageError(path, f"truncated or corrupt image data: {_describe(error)}") from None
    image = _apply_exif_orientation(image, notes)
    source_mode = image.mode
    converter = MODE_CONVERTERS.get(source_mode, _convert_other)
    try:
        pixels = converter(image, notes)
    except _PixelValueError as error:
        raise BadImageError(path, str(error)) from None
    except Exception as error:
        raise BadImageError(path, f"unsupported image mode {source_mode!r}: {_describe(error)}") from None
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    pixels = _alpha_as_chosen(pixels, alpha, notes)
    assert pixels.dtype == np.uint8 and pixels.ndim == 3 and pixels.shape[2] in ((4,) if alpha.keep else (1, 3)), \
        pixels.shape
    return DecodedImage(np.array(pixels, dtype=np.uint8, order="C"), source_mode, notes)   # own, writable


def _alpha_as_chosen(pixels: np.ndarray, alpha: Alpha, notes: list[str]) -> np.ndarray:
    """(H, W, 1..4) -> the alpha choice's layout, through duelo.data.alpha (one compositing rule everywhere)."""
    channels = int(pixels.shape[2])
    if not alpha.keep and has_alpha(channels) and pixels[:, :, -1].min() < 255:
        notes.append(f"transparency flattened onto {alpha.describe()}")
    if not alpha.keep and not has_alpha(channels):
        return pixels
    return apply_alpha(torch.from_numpy(np.array(pixels, dtype=np.uint8, order="C")), alpha, dim=-1).numpy()


# ---- helpers ---------------------------------------------------------------------------------------------
_PILLOW_PIXEL_COUNT = re.compile(r"\((\d+) pixels\)")


def pixel_limit() -> int:
    """Width × height above which an image is a decompression bomb: ours, or Pillow's when lower."""
    pillow_limit = Image.MAX_IMAGE_PIXELS
    return MAX_IMAGE_PIXELS if not pillow_limit else min(MAX_IMAGE_PIXELS, int(pillow_limit))


def _bomb_reason(error: Exception | None, limit: int, size: tuple[int, int] | None = None) -> str:
    """One wording for every bomb: "decompression bomb: W×H pixels exceeds limit N".

    When Pillow stops before the size is known (over twice its limit), or alarms on a frame or tile
    whose size differs from the image's, the pixel count from its message stands in for W×H.
    """
    counted = _PILLOW_PIXEL_COUNT.search(str(error)) if error is not None else None
    pixels = int(counted.group(1)) if counted else None
    if size is not None and (pixels is None or pixels == max(1, size[0]) * max(1, size[1])):
        return f"decompression bomb: {size[0]}×{size[1]} pixels exceeds limit {limit}"
    if pixels is not None:
        return f"decompression bomb: {pixels} pixels exceeds limit {limit}"
    return f"decompression bomb: more pixels than the limit {limit}"


class _PixelValueError(ValueError):
    """Pixel values that make a decoded image unusable; the message becomes the report reason."""


def _describe(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _apply_exif_orientation(image: Image.Image, notes: list[str]) -> Image.Image:
    """Rotate/flip by the EXIF Orientation tag (values 2..8); a broken EXIF block is noted and ignored."""
    try:
        orientation = image.getexif().get(0x0112, 1)
    except Exception:
        notes.append("EXIF data unreadable: orientation ignored")
        return image
    if orientation in (None, 1):
        return image
    try:
        turned = ImageOps.exif_transpose(image)
    except Exception:
        notes.append(f"EXIF orientation {orientation} could not be applied: ignored")
        return image
    notes.append(f"EXIF orientation {orientation} applied")
    return turned if turned is not None else image


def _scale_16bit(values: np.ndarray) -> np.ndarray:
    """0..65535 → 0..255 by rounding v·255/65535 (so 65535 → 255 and mid-grey stays mid-grey)."""
    values = np.clip(values.astype(np.int64), 0, 65535)
    return ((values * 255 + 32767) // 65535).astype(np.uint8)


def _gray(image: Image.Image, notes: list[str]) -> np.ndarray:
    return np.asarray(image, dtype=np.uint8)


def _rgb(image: Image.Image, notes: list[str]) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def _bilevel(image: Image.Image, notes: list[str]) -> np.ndarray:
    return np.asarray(image.convert("L"), dtype=np.uint8)


def _gray_alpha(image: Image.Image, notes: list[str]) -> np.ndarray:
    """Gray + alpha (H, W, 2); decode_image_bytes applies the alpha choice."""
    return np.asarray(image.convert("LA"), dtype=np.uint8)


def _rgb_alpha(image: Image.Image, notes: list[str]) -> np.ndarray:
    """RGBA (H, W, 4); decode_image_bytes applies the alpha choice."""
    return np.asarray(image.convert("RGBA"), dtype=np.uint8)


def _palette(image: Image.Image, notes: list[str]) -> np.ndarray:
    if "transparency" in image.info or image.mode == "PA":
        return _rgb_alpha(image, notes)
    return _rgb(image, notes)


def _sixteen_bit(image: Image.Image, notes: list[str]) -> np.ndarray:
    notes.append(f"{image.mode} (16-bit) scaled to 8 bits")
    return _scale_16bit(np.asarray(image))


def _int32(image: Image.Image, notes: list[str]) -> np.ndarray:
    """Mode "I" holds 32-bit integers; in practice 16-bit data (PNG, TIFF) or 8-bit data widened."""
    values = np.asarray(image, dtype=np.int64)
    if values.size and (values.min() < 0 or values.max() > 255):
        notes.append("32-bit integer image read as 16-bit (0..65535) and scaled to 8 bits")
        return _scale_16bit(values)
    notes.append("32-bit integer image with values in 0..255 used as 8-bit")
    return values.astype(np.uint8)


def _float32(image: Image.Image, notes: list[str]) -> np.ndarray:
    values = np.asarray(image, dtype=np.float64)
    if not np.isfinite(values).all():
        raise _PixelValueError("float image contains NaN or Inf")
    if values.size and values.min() >= 0.0 and values.max() <= 1.0:
        notes.append("float image in [0, 1] scaled to 0..255")
        return np.rint(values * 255.0).astype(np.uint8)
    notes.append("float image clipped to 0..255")
    return np.rint(np.clip(values, 0.0, 255.0)).astype(np.uint8)


def _convert_other(image: Image.Image, notes: list[str]) -> np.ndarray:
    notes.append(f"mode {image.mode} converted to RGB")
    return _rgb(image, notes)


def _noted_rgb(image: Image.Image, notes: list[str]) -> np.ndarray:
    notes.append(f"{image.mode} converted to RGB")
    return _rgb(image, notes)


# PIL mode -> converter to uint8 gray (H, W), gray + alpha (H, W, 2), RGB (H, W, 3) or RGBA (H, W, 4);
# unknown modes go through _convert_other
MODE_CONVERTERS: dict[str, Callable[[Image.Image, list[str]], np.ndarray]] = {
    "1": _bilevel,
    "L": _gray,
    "LA": _gray_alpha,
    "La": _gray_alpha,
    "P": _palette,
    "PA": _palette,
    "RGB": _rgb,
    "RGBA": _rgb_alpha,
    "RGBa": _rgb_alpha,
    "RGBX": _rgb,
    "CMYK": _noted_rgb,
    "YCbCr": _rgb,
    "LAB": _noted_rgb,
    "HSV": _noted_rgb,
    "I;16": _sixteen_bit,
    "I;16L": _sixteen_bit,
    "I;16B": _sixteen_bit,
    "I;16N": _sixteen_bit,
    "I": _int32,
    "F": _float32,
}
