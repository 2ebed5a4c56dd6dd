"""Drawing from a run's model for the studio: each model is loaded once (again when its weights change) and used
through duelo's own library functions, so the studio shows what the commands write: an image for a seed is
`duelo sample`'s PNG byte for byte, a table is `TabularGAN.sample`'s rows, a translation is `duelo translate`'s.

Uploaded images are decoded only by duelo's image reader (full decode, size and bomb limits); nothing uploaded
is ever unpickled or executed, and model weights are read from safetensors only.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from pathlib import Path
from typing import Any, Callable

from duelo.studio.http import StudioError

MAX_SAMPLE_ROWS = 10_000           # rows of one tabular request
MAX_WALK_FRAMES = 32               # frames of one interpolation strip
MAX_UPLOAD_PIXELS = 4096 * 4096    # an uploaded image's decoded size


class ModelCache:
    """Loaded models by folder, reloaded when the folder's weights change (a live run writes a new model at
    every snapshot). One lock: the studio serves one person, and loading twice at once would only waste memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: dict[tuple[str, str], tuple[int, Any]] = {}

    def get(self, folder: Path, kind: str, load: Callable[[Path], Any]) -> Any:
        weights = folder / "model.safetensors"
        try:
            stamp = weights.stat().st_mtime_ns
        except OSError:
            raise StudioError(f"{folder.name}/model.safetensors is missing: the run has no model yet (wait for "
                              f"its first snapshot)", 404) from None
        key = (str(folder), kind)
        with self._lock:
            cached = self._models.get(key)
            if cached is None or cached[0] != stamp:
                self._models[key] = (stamp, load(folder))
            return self._models[key][1]


def load_image_generator(folder: Path) -> Any:
    from duelo.cli.model_args import load_generator

    G, _ = load_generator(folder, "cpu", "sample from")
    return G


def load_tabular(folder: Path) -> Any:
    from duelo.tabular import TabularGAN

    return TabularGAN.load(folder)


def load_translator(folder: Path) -> tuple[Any, dict[str, Any]]:
    from duelo.sampling.image2image import load_translator as load

    G, task, _ = load(folder, "cpu")
    return G, task


def check_class(G: Any, label: int | None) -> None:
    if G.c_dim == 0 and label is not None:
        raise StudioError("this model is unconditional: leave the class empty")
    if G.c_dim > 0 and label is None:
        raise StudioError(f"this model is class-conditional: pick a class 0..{G.c_dim - 1}")
    if label is not None and not 0 <= label < G.c_dim:
        raise StudioError(f"class {label} is out of range: this model has classes 0..{G.c_dim - 1}")


def seed_png(G: Any, model_dir: Path, seed: int, label: int | None, psi: float | None) -> bytes:
    """One image as `duelo sample --seeds SEED [--label CLASS]` writes it (with truncation noted when used)."""
    from duelo import __version__
    from duelo.io.images import png_bytes, to_pil
    from duelo.io.pretrained import model_sha256
    from duelo.sampling.steered import seed_images

    check_class(G, label)
    image = seed_images(G, [seed], label, psi)[0]
    text = {"duelo:model_sha256": model_sha256(model_dir), "duelo:seed": str(seed),
            "duelo:label": "" if label is None else str(label), "duelo:version": __version__}
    if psi is not None and psi != 1.0:
        text["duelo:truncation"] = f"{psi:g}"
    return png_bytes(to_pil(image), text)


def walk_png(G: Any, model_dir: Path, seed_a: int, seed_b: int, frames: int, label: int | None,
             psi: float | None) -> bytes:
    """A strip of `frames` images walking (slerp) from seed_a's latent to seed_b's, left to right."""
    from duelo import __version__
    from duelo.io.images import make_grid, png_bytes, to_pil
    from duelo.io.pretrained import model_sha256
    from duelo.sampling.steered import walk_images

    check_class(G, label)
    if not 2 <= frames <= MAX_WALK_FRAMES:
        raise StudioError(f"frames {frames}: use 2..{MAX_WALK_FRAMES}")
    images = walk_images(G, seed_a, seed_b, frames, label, psi)
    text = {"duelo:model_sha256": model_sha256(model_dir), "duelo:seeds": f"{seed_a},{seed_b}",
            "duelo:version": __version__}
    return png_bytes(to_pil(make_grid(images, columns=frames)), text)


def tabular_csv(model: Any, rows: int, seed: int, conditions: dict[str, str]) -> bytes:
    """`rows` rows as CSV, every one meeting the conditions (as `duelo tabular sample --condition`)."""
    if not 1 <= rows <= MAX_SAMPLE_ROWS:
        raise StudioError(f"rows {rows}: use 1..{MAX_SAMPLE_ROWS:,}")
    frame = model.sample(rows, conditions=conditions, random_state=seed)
    return frame.to_csv(index=False).encode("utf-8")


def categorical_levels(model: Any) -> dict[str, list[str]]:
    """{column: its levels as text} of the categorical columns a tabular model can be conditioned on."""
    from duelo.tasks.tabular.conditioning import CategoricalSpec

    return {str(spec.name): [str(level) for level in spec.levels] for spec in model.transformer_.column_specs_
            if isinstance(spec, CategoricalSpec)}


def decode_upload(data: bytes, what: str) -> Any:
    """uint8 (C, H, W) of uploaded image bytes, decoded by duelo's image reader (no other decoder, no code)."""
    import torch

    from duelo.data.errors import BadImageError
    from duelo.data.images import decode_image_bytes

    if not data:
        raise StudioError(f"{what}: the upload is empty; choose an image file")
    try:
        decoded = decode_image_bytes(data, what)
    except BadImageError as error:
        raise StudioError(f"{what}: not an image duelo can read ({error})") from None
    height, width = decoded.pixels.shape[:2]
    if height * width > MAX_UPLOAD_PIXELS:
        raise StudioError(f"{what}: {width}x{height} pixels is more than the studio's {MAX_UPLOAD_PIXELS:,}")
    return torch.from_numpy(decoded.pixels).permute(2, 0, 1).contiguous()


def translate_png(G: Any, task: dict[str, Any], model_dir: Path, data: bytes) -> bytes:
    """The uploaded image through an image-to-image model, as `duelo translate` / `duelo restore` write it."""
    from duelo.cli.image2image_args import provenance
    from duelo.io.images import png_bytes, to_pil
    from duelo.sampling.image2image import restore_images, translate_images

    image = decode_upload(data, "the uploaded image")
    if task["task"] == "inpaint":
        raise StudioError("this is an inpainting model: draw the holes on the image instead")
    run = translate_images if task["task"] in ("translate", "cyclegan") else \
        lambda G, images: restore_images(G, task, images)
    output = run(G, image.unsqueeze(0))[0]
    return png_bytes(to_pil(output), provenance(model_dir, task, source="studio upload"))


def inpaint_png(G: Any, task: dict[str, Any], model_dir: Path, body: bytes) -> bytes:
    """The holes drawn on an image filled by an inpainting model. The body is JSON {"image": base64 of the
    picture, "mask": base64 of a PNG of its size whose light pixels mark the holes}."""
    from duelo.cli.image2image_args import provenance
    from duelo.io.images import png_bytes, to_pil
    from duelo.sampling.image2image import inpaint_image

    if task["task"] != "inpaint":
        raise StudioError(f"this model does {task['task']}, not inpainting: upload an image to translate instead")
    try:
        parts = json.loads(body)
        image = decode_upload(base64.b64decode(parts["image"], validate=True), "the image")
        mask = decode_upload(base64.b64decode(parts["mask"], validate=True), "the mask")
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise StudioError("send JSON with the image and the mask as base64 (the page does this)") from None
    if tuple(mask.shape[1:]) != tuple(image.shape[1:]):
        raise StudioError(f"the mask is {mask.shape[2]}x{mask.shape[1]} pixels, the image "
                          f"{image.shape[2]}x{image.shape[1]}: draw on the image itself")
    holes = mask.float().mean(dim=0) > 127.5                                       # (H, W) light = missing
    if not bool(holes.any()):
        raise StudioError("no holes drawn: paint over the part of the image to fill")
    output = inpaint_image(G, task, image, holes)
    return png_bytes(to_pil(output), provenance(model_dir, task, source="studio upload"))
