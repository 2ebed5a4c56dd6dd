"""What `duelo translate`, `duelo inpaint` and `duelo restore` share: finding the input images, decoding them
safely, naming and guarding the outputs, provenance text, and the task a command accepts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import os
from pathlib import Path
from typing import Any

import click

from duelo.errors import ConfigError

MAX_MODEL_PIXELS = 4096 * 4096     # largest image a model is run on (after superres up-sampling), in pixels



@dataclass(frozen=True)
class InputImage:
    path: Path               # the file to read
    relative: Path           # its name under --out (suffix .png): the file name, or its path under a folder arg


def model_option(function):
    return click.argument("run_or_model", type=click.Path(path_type=Path))(function)


def device_option(function):
    return click.option("--device", default="cpu", help="cpu, cuda or cuda:N.")(function)


def force_option(function):
    return click.option("--force", is_flag=True, help="Overwrite output files that already exist.")(function)


def collect_images(arguments: tuple[Path, ...]) -> list[InputImage]:
    """Image files named on the command line; folders are searched recursively (hidden files skipped, files
    without an image suffix ignored). Output names: a file keeps its name, a file inside a folder argument
    its path under that folder, with the suffix .png. Two inputs that would write one output are refused."""
    from duelo.data.image_files import list_folder
    from duelo.data.report import DataReport

    images: list[InputImage] = []
    for argument in arguments:
        if argument.is_dir():
            found = list_folder(argument, DataReport(str(argument)))
            if not found:
                raise ConfigError(f"{argument} holds no image files (.png, .jpg, ...); give image files or a "
                                  f"folder of them")
            images += [InputImage(Path(item.display_path), Path(*item.parts).with_suffix(".png")) for item in found]
        elif argument.exists():
            images.append(InputImage(argument, Path(argument.name).with_suffix(".png")))
        else:
            raise ConfigError(f"no such image file or folder: {argument}")
    if not images:
        raise ConfigError("give at least one image file or folder")
    seen: dict[Path, Path] = {}
    for image in images:
        if image.relative in seen:
            raise ConfigError(f"{seen[image.relative]} and {image.path} would both be written as "
                              f"{image.relative}; rename one, or translate them in separate calls")
        seen[image.relative] = image.path
    return images


def read_image(path: Path):
    """uint8 (C, H, W), C in {1, 3}: the data layer's safe decoder (full decode, EXIF orientation, bomb limit,
    every mode to grey or RGB, alpha onto white); a bad file is a DataError naming it."""
    import torch

    from duelo.data.images import decode_image_file

    if not path.exists():
        raise ConfigError(f"no such image file: {path}")
    decoded = decode_image_file(str(path))
    return torch.from_numpy(decoded.pixels).permute(2, 0, 1).contiguous()


def check_pixels(path: Path, height: int, width: int, what: str = "the model's input") -> None:
    """Refuse an image the model would run on for minutes and gigabytes."""
    if height * width > MAX_MODEL_PIXELS:
        raise ConfigError(f"{path}: {what} would be {width}x{height} pixels, more than {MAX_MODEL_PIXELS:,}; "
                          f"resize or tile the image first")


def check_inputs(inputs: list[InputImage], model_size: Callable[[int, int], tuple[int, int]]) -> None:
    """Decode every input once before anything is written, so an unreadable or oversized file stops the
    command with nothing half done; `model_size(h, w)` is the (height, width) the model would run on."""
    for item in inputs:
        image = read_image(item.path)
        check_pixels(item.path, *model_size(image.shape[1], image.shape[2]))


def check_task(task: dict[str, Any], model_dir: Path, command: str, accepted: tuple[str, ...]) -> None:
    """Refuse a model this command does not run, naming the command that does."""
    name = task["task"]
    if name in accepted:
        return
    from duelo.sampling.image2image import MODEL_TASKS

    other = MODEL_TASKS.info(name).command if name in MODEL_TASKS else "another command"
    if name == "translate" and task.get("degradation") is None:
        other = "duelo translate"
    raise ConfigError(f"{model_dir} is a {name} model; `{command}` runs {' and '.join(accepted)} models: "
                      f"use `{other}`")


def prepare_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"--out {out_dir} is a file; give a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot write to --out {out_dir} ({error.strerror})") from None


def refuse_overwrite(paths: list[Path], force: bool) -> None:
    """Nothing is written when an output exists already, unless --force (then those files are replaced); never
    inside a run or model folder (duelo.io.outputs). Checked before any work; nothing is created yet."""
    from duelo.io.outputs import output_file

    existing = [path for path in paths if os.path.lexists(path)]
    if existing and not force:
        raise ConfigError(f"{len(existing)} output file(s) exist already (e.g. {existing[0]}); pass --force "
                          f"to overwrite them or choose another --out")
    for path in paths:
        output_file(path, force=force, create=False)


def provenance(model_dir: Path, task: dict[str, Any], **extra: Any) -> dict[str, str]:
    """PNG text chunks: which model (weights sha256), which task, which duelo, and what was given."""
    from duelo import __version__
    from duelo.io.pretrained import model_sha256

    text = {"duelo:model_sha256": model_sha256(model_dir), "duelo:task": task["task"],
            "duelo:version": __version__}
    if "direction" in task:
        text["duelo:direction"] = task["direction"]
    text.update({f"duelo:{key}": str(value) for key, value in extra.items()})
    return text


def side_by_side(*images):
    """uint8 (C, H, W) images of one height in a row (2-pixel dark gaps); grey ones are shown as RGB when
    another is RGB; a smaller image is enlarged by an integer factor (nearest) to the tallest one."""
    import torch

    height = max(image.shape[1] for image in images)
    channels = max(image.shape[0] for image in images)
    row = []
    for image in images:
        factor = height // image.shape[1]
        if factor > 1:
            image = image.repeat_interleave(factor, 1).repeat_interleave(factor, 2)
        image = image.expand(channels, -1, -1)
        if image.shape[1] != height:                      # not an integer factor: pad at the bottom
            image = torch.cat([image, image.new_zeros(channels, height - image.shape[1], image.shape[2])], 1)
        row += [image, image.new_zeros(channels, height, 2)]
    return torch.cat(row[:-1], 2)
