"""Drawing from runs' models through the studio gives what the commands give: `duelo sample`'s PNG byte for byte,
interpolation strips that start and end on the seeds' images, tabular rows that meet their condition."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from PIL import Image

from duelo.cli.main import main


def _pixels(body: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(body)))


def test_a_drawn_image_is_byte_for_byte_the_png_duelo_sample_writes(studio, studio_runs, tmp_path):
    assert main(["sample", str(studio_runs / "digits"), "--seeds", "5", "--label", "3", "--no-grid",
                 "--out", str(tmp_path)]) == 0
    answer = studio.get("/api/sample?id=0/digits&seed=5&label=3")
    assert answer.status == 200 and answer.content_type == "image/png"
    assert answer.body == (tmp_path / "seed000005-class3.png").read_bytes()
    other = studio.get("/api/sample?id=0/digits&seed=6&label=3").body
    truncated = studio.get("/api/sample?id=0/digits&seed=5&label=3&psi=0.5").body
    assert not np.array_equal(_pixels(other), _pixels(answer.body))
    assert not np.array_equal(_pixels(truncated), _pixels(answer.body))
    assert b"duelo:truncation" in truncated and b"duelo:truncation" not in answer.body


def test_an_interpolation_strip_starts_and_ends_on_the_seeds_images(studio):
    strip = _pixels(studio.get("/api/walk?id=0/digits&seed_a=2&seed_b=7&frames=5&label=1").body)   # (H, W) grey
    first = _pixels(studio.get("/api/sample?id=0/digits&seed=2&label=1").body)
    last = _pixels(studio.get("/api/sample?id=0/digits&seed=7&label=1").body)
    size, pad = first.shape[0], 2                                            # make_grid's padding
    assert strip.shape == (size + 2 * pad, 5 * (size + pad) + pad)
    assert np.array_equal(strip[pad:pad + size, pad:pad + size], first)
    left = pad + 4 * (size + pad)
    assert np.array_equal(strip[pad:pad + size, left:left + size], last)


def test_tabular_rows_with_a_condition_all_meet_it_and_equal_the_library_s(studio, studio_runs):
    from duelo.tabular import TabularGAN

    answer = studio.get("/api/table?id=0/table&rows=30&seed=4&condition=group%3Db")
    assert answer.status == 200 and answer.content_type.startswith("text/csv")
    rows = pd.read_csv(io.StringIO(answer.text))
    assert len(rows) == 30 and set(rows["group"]) == {"b"}
    expected = TabularGAN.load(studio_runs / "table").sample(30, conditions={"group": "b"}, random_state=4)
    assert answer.text == expected.to_csv(index=False)
    wrong = studio.get("/api/table?id=0/table&rows=5&condition=group%3Dz")
    assert wrong.status == 400 and "z" in wrong.json()["error"]


def test_requests_a_model_cannot_answer_get_a_message(studio):
    unconditional = studio.get("/api/sample?id=0/digits&seed=1")
    assert unconditional.status == 400 and "class-conditional" in unconditional.json()["error"]
    assert "out of range" in studio.get("/api/sample?id=0/digits&seed=1&label=10").json()["error"]
    assert "whole number" in studio.get("/api/sample?id=0/digits&seed=x&label=1").json()["error"]
    not_a_translator = studio.get("/api/translate?id=0/digits", body=b"\x89PNG")
    assert not_a_translator.status == 400 and "duelo sample" in not_a_translator.json()["error"]
    assert studio.get("/api/sample?id=0/table&seed=1").status == 400               # a table model draws no image
