"""Uploading an image to an image-to-image run's page gives what the commands give: `duelo restore`'s output for a
denoising model, `duelo inpaint --mask`'s for holes drawn as a mask; what is not an image is refused."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
from PIL import Image

from duelo.cli.main import main


def _png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def _picture() -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.integers(0, 256, (20, 24), dtype=np.uint8)              # grey, not the training size


def test_an_uploaded_image_is_restored_as_duelo_restore_restores_it(image2image_studio, tmp_path):
    (tmp_path / "in.png").write_bytes(_png(_picture()))
    run = image2image_studio.runs / "noise"
    assert main(["restore", str(run), str(tmp_path / "in.png"), "--out", str(tmp_path / "out")]) == 0
    answer = image2image_studio.request("/api/translate?id=0/noise", body=(tmp_path / "in.png").read_bytes())
    assert answer.status == 200 and answer.content_type == "image/png"
    assert np.array_equal(_pixels(answer.body), _pixels((tmp_path / "out" / "in.png").read_bytes()))
    page = image2image_studio.get("/run?id=0/noise").text
    assert 'id="translate-form"' in page and 'id="inpaint-form" data-run="0/noise" class="hidden"' in page


def test_holes_drawn_as_a_mask_are_filled_as_duelo_inpaint_fills_them(image2image_studio, tmp_path):
    picture = _picture()
    mask = np.zeros_like(picture)
    mask[4:12, 6:14] = 255
    (tmp_path / "in.png").write_bytes(_png(picture))
    (tmp_path / "mask.png").write_bytes(_png(mask))
    run = image2image_studio.runs / "holes"
    assert main(["inpaint", str(run), str(tmp_path / "in.png"), "--mask", str(tmp_path / "mask.png"),
                 "--out", str(tmp_path / "out.png")]) == 0
    body = json.dumps({"image": base64.b64encode(_png(picture)).decode(),
                       "mask": base64.b64encode(_png(mask)).decode()}).encode()
    answer = image2image_studio.request("/api/inpaint?id=0/holes", body=body)
    assert answer.status == 200
    filled = _pixels(answer.body)
    assert np.array_equal(filled, _pixels((tmp_path / "out.png").read_bytes()))
    assert np.array_equal(filled[mask == 0], picture[mask == 0])              # outside the holes: the input
    assert 'id="inpaint-canvas"' in image2image_studio.get("/run?id=0/holes").text


def test_uploads_that_are_not_images_or_not_for_this_model_are_refused(image2image_studio):
    garbage = image2image_studio.request("/api/translate?id=0/noise", body=b"import os; os.system('x')" * 10)
    assert garbage.status == 400 and "not an image" in garbage.json()["error"]
    empty_mask = json.dumps({"image": base64.b64encode(_png(_picture())).decode(),
                             "mask": base64.b64encode(_png(np.zeros((20, 24), np.uint8))).decode()}).encode()
    assert "no holes" in image2image_studio.request("/api/inpaint?id=0/holes", body=empty_mask).json()["error"]
    assert "base64" in image2image_studio.request("/api/inpaint?id=0/holes", body=b"{}").json()["error"]
    assert "inpainting" in image2image_studio.request("/api/translate?id=0/holes",
                                                      body=_png(_picture())).json()["error"]
