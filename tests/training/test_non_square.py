"""A tiny non-square run through the CLI (`--aspect 4:3` on a folder of 32x24 pictures): the grid, the saved model
and `duelo sample` all hold 32-wide, 24-high images; square-only models and unsupported ratios are refused before
anything is written."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
from PIL import Image

from duelo.cli.main import main

WIDTH, HEIGHT = 32, 24
ARGS = ["--resolution", "32", "--aspect", "4:3", "--model", "dcgan", "--width", "8", "--z-dim", "8", "--batch", "16",
        "--kimg", "0.1", "--snapshot-kimg", "0.1", "--log-kimg", "0.05", "--seed", "3", "--set", "run.grid_samples=4"]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A folder of 40 PNGs, 32 wide and 24 high (a bar of varying width), as the working directory."""
    cwd = tmp_path_factory.mktemp("wide")
    data = cwd / "wide-data"
    data.mkdir()
    rng = np.random.default_rng(0)
    for index in range(40):
        pixels = rng.integers(0, 30, (HEIGHT, WIDTH, 3), dtype=np.uint8)
        pixels[:, :8 + index % 16] += np.array([200, 100, 0], dtype=np.uint8)
        Image.fromarray(pixels).save(data / f"{index:03d}.png")
    old = os.getcwd()
    os.chdir(cwd)
    yield cwd
    os.chdir(old)


@pytest.fixture(scope="module")
def run(workdir):
    assert main(["train", "--dataset", "wide-data", *ARGS, "--name", "wide"]) == 0
    return workdir / "runs" / "wide"


def test_the_run_makes_width_by_height_images(run, workdir):
    config = json.loads((run / "config.json").read_text())
    assert config["data"]["aspect"] == "4:3" and config["data"]["resolution"] == 32
    model = json.loads((run / "model" / "config.json").read_text())
    assert model["kwargs"]["aspect"] == "4:3" and model["kwargs"]["resolution"] == 32
    grid = sorted((run / "samples").glob("grid-*.png"))[-1]
    with Image.open(grid) as picture:                       # 2 x 2 images with 2 px of padding around each
        assert picture.size == (2 * (WIDTH + 2) + 2, 2 * (HEIGHT + 2) + 2)
    assert main(["sample", str(run), "--seeds", "0-2", "--out", str(workdir / "out")]) == 0
    for seed in range(3):
        with Image.open(workdir / "out" / f"seed{seed:06d}.png") as picture:
            assert picture.size == (WIDTH, HEIGHT)


def test_a_square_only_model_is_refused_before_anything_is_written(workdir, capsys):
    assert main(["train", "--dataset", "wide-data", *ARGS, "--model", "mlp", "--name", "square-only"]) == 2
    error = capsys.readouterr().err
    assert "data.aspect 4:3: model mlp makes square images only" in error and "dcgan, fastgan, r3gan" in error
    assert not (workdir / "runs" / "square-only").exists()


@pytest.mark.parametrize("aspect, hint", [("16:9", "the nearest is 2:1"), ("4-3", "width:height"),
                                          ("0:1", "zero side")])
def test_an_unsupported_aspect_names_the_field(aspect, hint, workdir, capsys):
    args = [*ARGS, "--name", "bad"]
    args[args.index("4:3")] = aspect
    assert main(["train", "--dataset", "wide-data", *args]) == 2
    error = capsys.readouterr().err
    assert "data.aspect" in error and hint in error
    assert not (workdir / "runs" / "bad").exists()


def test_an_augmentation_for_square_images_only():
    """Non-square images and an augmentation that refuses them (ValueError on a probe batch): "auto" trains without
    it and says so, an explicit choice is a ConfigError."""
    from duelo.augment.choice import AugmentChoice
    from duelo.errors import ConfigError
    from duelo.tasks.image_gan.parts import fit_augment_to_size
    from duelo.tasks.registry import TASKS

    def square_only(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if images.shape[2] != images.shape[3]:
            raise ValueError("square images only")
        return images

    config = TASKS.get("image-gan").default_config()
    small = AugmentChoice("ada", True, "40 training images is small for 32x32 (< 4000): D would overfit, ...")
    choice, augment = fit_augment_to_size(config, small, square_only, 3, (24, 32))
    assert (choice.name, augment) == ("none", None) and "takes square images only" in choice.message
    chosen = config.with_overrides({"augment.name": "ada"})
    with pytest.raises(ConfigError, match="--augment none"):
        fit_augment_to_size(chosen, small, square_only, 3, (24, 32))
    assert fit_augment_to_size(chosen, small, lambda images, generator: images, 3, (24, 32))[0] is small
