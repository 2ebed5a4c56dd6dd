"""Using a trained image-to-image model on a user's own images: loading it with its task.json, and running it
on images of any size, the way training prepared its inputs.

    G, task, model_dir = load_translator("runs/edges2digits")             # or runs/x/model, or reverse=True
    out = translate_images(G, images)                 # uint8 (N, C, H, W) -> uint8 (N, C', H, W), any H, W
    filled = inpaint_image(G, task, image, holes)     # known pixels equal the input bit for bit
    restored = restore_images(G, task, low_res)       # superres: H x scale; denoise/translate: same size
    damaged, holes = degrade_for_demo(task, clean, seed=0)   # the model's own damage, for a demonstration

Translators are fully convolutional (duelo.models.translation): they run on any height and width that are
multiples of `size_multiple` and at least `min_size`. Other sizes are padded by reflection (Isola et al.
2017 and Zhu et al. 2017 pad by reflection inside their networks for the same reason: no dark frame for the
network to react to), run, and cropped back, so an output has exactly the input's size.

What each task's model is given (as in training, duelo.tasks.image2image and duelo.tasks.cyclegan):
    translate   the source image; for a model trained with --degrade edges, an edge map: white (255) edges
                on black, one channel (degrade_for_demo makes one from a photo with the same Sobel filter)
    cyclegan    an image of the other domain
    denoise     the noisy image
    superres    the LOW-resolution image: it is up-sampled bicubically by the model's scale first (the
                SRCNN set-up the model was trained on), so the output is scale times larger
    inpaint     the image with its holes set to mid-grey (or pre-filled smoothly, task.json's hole_fill), and
                the mask as one more channel
A model trained with image2image.residual (task.json's "residual") returns a correction that is added to its
input, here as in training (duelo.degrade.model_io.finish_output).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from duelo.errors import ConfigError
from duelo.registry import Registry

TASK_FILE = "task.json"
TASK_FORMAT = "duelo-image2image"
TASK_FORMAT_VERSION = 1               # task.json versions this reader understands
REVERSE_FOLDER = "model-reverse"      # cyclegan: the B -> A translator, next to model/
CHUNK = 16                            # images per forward pass
LUMA_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R BT.601, as Pillow's RGB -> L conversion

Tensor = torch.Tensor


@dataclass(frozen=True)
class ModelTask:
    command: str          # the command that runs a model of this task on a user's images


# the tasks whose task.json this module can prepare inputs for; every task that writes a translator model
# registers here (a test checks it against duelo.tasks.TASKS)
MODEL_TASKS: Registry[str] = Registry("image-to-image model task", info=ModelTask)
for _name, _command in (("translate", "duelo translate"), ("cyclegan", "duelo translate"),
                        ("inpaint", "duelo inpaint"), ("denoise", "duelo restore"), ("superres", "duelo restore")):
    MODEL_TASKS.add(_name, _name, command=_command)


# --- loading --------------------------------------------------------------------------------------------------

def load_translator(run_or_model: str | Path, device: str = "cpu",
                    reverse: bool = False) -> tuple[torch.nn.Module, dict[str, Any], Path]:
    """(translator in eval mode on `device`, its task.json as a dict, its model folder).

    `run_or_model` is a run folder (its model/ is used; with `reverse`, its model-reverse/) or a model folder
    (with `reverse`, the folder of the other direction next to it). Refuses, with what to do instead, a
    folder that holds an image-synthesis generator or a discriminator, `reverse` on a model that is not a
    cyclegan one, and a translator without task.json.
    """
    from duelo.io.pretrained import load_pretrained, read_config
    from duelo.training.runtime import Runtime

    runtime = Runtime.create(device, "fp32")              # validates the device with a clear message
    model_dir = _model_folder(Path(run_or_model), reverse)
    kind = read_config(model_dir).get("kind")
    if kind == "generator":
        raise ConfigError(f"{model_dir} holds an image-synthesis generator (it makes images from latents), "
                          f"not an image-to-image model; use `duelo sample {run_or_model}` to draw images")
    if kind != "translator":
        raise ConfigError(f"{model_dir} holds a {kind}, not an image-to-image model; give the run folder or "
                          f"its model/ folder")
    task = read_task(model_dir)
    G = load_pretrained(model_dir, map_location=runtime.device)
    expected = task["source_channels"] + (1 if task["task"] == "inpaint" else 0)
    if G.in_channels != expected or G.out_channels != task["target_channels"]:
        raise ConfigError(f"{model_dir / TASK_FILE} does not match the model beside it (task.json: "
                          f"{expected} -> {task['target_channels']} channels, model: {G.in_channels} -> "
                          f"{G.out_channels}); copy both from the same run")
    return G, task, model_dir


def _model_folder(path: Path, reverse: bool) -> Path:
    """The model folder meant by a run or model folder, and by --reverse."""
    from duelo.io.pretrained import resolve_model_dir

    model_dir = resolve_model_dir(path)                   # clear errors for a missing or foreign folder
    if not reverse:
        return model_dir
    task = read_task(model_dir) if (model_dir / "config.json").exists() and \
        _kind(model_dir) == "translator" else None
    if task is None or task["task"] != "cyclegan":
        what = "an image-synthesis model" if task is None else f"a {task['task']} model"
        raise ConfigError(f"--reverse is for cyclegan models, which translate both ways; {path} is {what}, "
                          f"which works one way only: drop --reverse")
    other = REVERSE_FOLDER if task.get("direction", "a_to_b") == "a_to_b" else "model"
    reverse_dir = model_dir.parent / other
    if not (reverse_dir / "config.json").exists():
        raise ConfigError(f"--reverse: {reverse_dir} is missing; a cyclegan run writes model/ and "
                          f"{REVERSE_FOLDER}/ side by side: give the run folder")
    return reverse_dir


def _kind(model_dir: Path) -> str | None:
    from duelo.io.pretrained import read_config

    return read_config(model_dir).get("kind")


def read_task(model_dir: Path) -> dict[str, Any]:
    """task.json of a model folder, checked: what the commands need to prepare the model's input."""
    path = Path(model_dir) / TASK_FILE
    if not path.is_file():
        raise ConfigError(f"{path} is missing: it says how to prepare this translator's input. `duelo train "
                          f"--task ...` writes it with every snapshot; re-run the training command (it "
                          f"resumes and snapshots) or copy task.json from the run's model/ folder")
    from duelo.io.json_files import read_json

    task = read_json(path, "the translator's task file", error=ConfigError, remedy="copy it again from the run")
    if not isinstance(task, dict) or task.get("format") != TASK_FORMAT:
        raise ConfigError(f"{path} is not a duelo image-to-image task file (format {TASK_FORMAT!r})")
    if not isinstance(task.get("format_version"), int) or task["format_version"] > TASK_FORMAT_VERSION:
        raise ConfigError(f"{path} has format_version {task.get('format_version')!r}; this duelo reads up to "
                          f"{TASK_FORMAT_VERSION}: upgrade duelo")
    if task.get("task") not in MODEL_TASKS:
        raise ConfigError(f"{path}: unknown task {task.get('task')!r}; known: {', '.join(MODEL_TASKS.names())}")
    degradation = task.get("degradation")
    if degradation is not None and not (isinstance(degradation, dict) and isinstance(degradation.get("name"), str)
                                        and isinstance(degradation.get("settings"), dict)):
        raise ConfigError(f"{path}: degradation must be null or {{\"name\": ..., \"settings\": {{...}}}}")
    for key in ("source_channels", "target_channels"):
        if task.get(key) not in (1, 3):
            raise ConfigError(f"{path}: {key} must be 1 or 3 (got {task.get(key)!r})")
    return task


def task_file(description: dict[str, Any]) -> dict[str, str]:
    """{task.json: its text} for the folder of a translator: `description` (task, resolution, channels,
    degradation, residual, paste_back, hole_fill...) with the format header this module reads back; saved in
    the same commit as the weights (duelo.io.pretrained.save_pretrained's `extra`)."""

    assert description.get("task") in MODEL_TASKS, description.get("task")
    record = {"format": TASK_FORMAT, "format_version": TASK_FORMAT_VERSION, **description}
    return {TASK_FILE: json.dumps(record, indent=2, sort_keys=True) + "\n"}


# --- running --------------------------------------------------------------------------------------------------

def to_channels(images: Tensor, channels: int) -> Tensor:
    """uint8 (N, C, H, W) with C in {1, 3} -> `channels` channels: grey is repeated, RGB becomes BT.601 luma."""
    if images.shape[1] == channels:
        return images
    if channels == 3:
        return images.expand(-1, 3, -1, -1).contiguous()
    r, g, b = LUMA_WEIGHTS
    luma = r * images[:, 0:1].float() + g * images[:, 1:2].float() + b * images[:, 2:3].float()
    return luma.round().clamp(0, 255).to(torch.uint8)


def _check_uint8(images: Tensor, what: str = "images") -> None:
    if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8 or images.dim() != 4 \
            or images.shape[1] not in (1, 3):
        got = f"{tuple(images.shape)} {images.dtype}" if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"{what} must be uint8 (N, C, H, W) with C = 1 or 3, got {got}")


def padded_size(size: int, multiple: int, smallest: int) -> int:
    """The least side >= max(size, smallest) that is a multiple of `multiple`."""
    side = max(size, smallest)
    return -(-side // multiple) * multiple


def reflect_pad(x: Tensor, height: int, width: int) -> Tensor:
    """Pad (N, C, h, w) to (N, C, height, width) by reflection, (height - h) // 2 rows on top and the rest
    below (columns likewise), so run_padded knows where to crop. Reflection adds at most side - 1 pixels
    per side and pass, so wide padding takes several passes; a side of 1 pixel, with nothing to reflect,
    is replicated."""
    import torch.nn.functional as F

    top, left = (height - x.shape[2]) // 2, (width - x.shape[3]) // 2
    bottom, right = height - x.shape[2] - top, width - x.shape[3] - left
    if x.shape[2] == 1 and top + bottom:
        return reflect_pad(F.pad(x, (0, 0, top, bottom), mode="replicate"), height, width)
    if x.shape[3] == 1 and left + right:
        return reflect_pad(F.pad(x, (left, right, 0, 0), mode="replicate"), height, width)
    while top or bottom or left or right:
        h, w = x.shape[2] - 1, x.shape[3] - 1                   # the most one reflection pass can add
        step = (min(left, w), min(right, w), min(top, h), min(bottom, h))
        x = F.pad(x, step, mode="reflect")
        left, right, top, bottom = left - step[0], right - step[1], top - step[2], bottom - step[3]
    return x


@torch.no_grad()
def run_padded(G: torch.nn.Module, inputs: Tensor) -> Tensor:
    """G on float inputs (N, in_channels, H, W) in [-1, 1] of any size: reflection-padded to a size G takes,
    run in eval mode without gradients, in chunks, cropped back; float (N, out_channels, H, W) on the CPU."""
    height, width = inputs.shape[2], inputs.shape[3]
    padded_h = padded_size(height, G.size_multiple, G.min_size)
    padded_w = padded_size(width, G.size_multiple, G.min_size)
    top, left = (padded_h - height) // 2, (padded_w - width) // 2
    device = next(G.parameters()).device
    was_training = G.training
    G.eval()
    try:
        outputs = []
        for start in range(0, len(inputs), CHUNK):
            x = reflect_pad(inputs[start:start + CHUNK].to(device), padded_h, padded_w)
            y = G(x).float()                                                     # (n, C', padded_h, padded_w)
            outputs.append(y[:, :, top:top + height, left:left + width].cpu())
    finally:
        G.train(was_training)
    return torch.cat(outputs)


def _float(images: Tensor) -> Tensor:
    return images.float().div(127.5).sub(1.0)


def _uint8(images: Tensor) -> Tensor:
    from duelo.io.images import to_uint8

    return to_uint8(images)


def translate_images(G: torch.nn.Module, images: Tensor) -> Tensor:
    """uint8 (N, C, H, W) of any size -> uint8 (N, G.out_channels, H, W): channels converted to G's input
    (grey <-> RGB), reflection-padded to a size G takes, cropped back."""
    _check_uint8(images)
    if G.in_channels not in (1, 3):
        raise ConfigError(f"this translator takes {G.in_channels} input channels (image + mask: an inpainting "
                          f"model); use inpaint_image / `duelo inpaint`")
    return _uint8(run_padded(G, _float(to_channels(images, G.in_channels))))


def inpaint_image(G: torch.nn.Module, task: dict[str, Any], image: Tensor, holes: Tensor) -> Tensor:
    """Fill the holes (bool (H, W), True = missing) of one uint8 image (C, H, W) of any size.

    The input is built as in training (duelo.degrade.masks.fill_holes): holes set to 0 in [-1, 1] (mid-grey)
    and the mask appended as a channel. The result is pasted back in uint8, so every pixel outside the holes
    equals the input (in the model's channels: an RGB image given to a grey model is converted first).
    """
    _check_task(task, ("inpaint",), "inpaint_image", "use translate_images or restore_images")
    _check_uint8(image.unsqueeze(0) if isinstance(image, torch.Tensor) else image, "image")
    if not isinstance(holes, torch.Tensor) or holes.dtype != torch.bool or tuple(holes.shape) != tuple(image.shape[1:]):
        got = f"{tuple(holes.shape)} {holes.dtype}" if isinstance(holes, torch.Tensor) else type(holes).__name__
        raise ConfigError(f"the mask must be bool (H, W) of the image's size {tuple(image.shape[1:])}, got {got}")
    from duelo.degrade.model_io import finish_output, network_input

    known = to_channels(image.unsqueeze(0), task["target_channels"])              # (1, C, H, W) uint8
    mask = holes.view(1, 1, *holes.shape)                                          # (1, 1, H, W)
    source = torch.where(mask, torch.zeros(()), _float(known))                     # holes -> 0 (mid-grey)
    condition, base = network_input(source, mask.float(), task.get("hole_fill", "grey"))
    raw = run_padded(G, condition)                                                 # (1, C, H, W)
    output = _uint8(finish_output(raw, base, source, mask.float(), residual=bool(task.get("residual"))))
    return torch.where(mask, output, known)[0]                                     # paste back, bit for bit


def restore_images(G: torch.nn.Module, task: dict[str, Any], images: Tensor) -> Tensor:
    """Damaged uint8 (N, C, H, W) -> restored uint8: denoise and translate (and cyclegan) keep the size;
    superres takes LOW-resolution images and returns them `scale` times larger (bicubic up-sampling by the
    model's scale, as its training input was made, then the model)."""
    from duelo.degrade.resolution import upsample_bicubic

    _check_task(task, ("denoise", "superres", "translate", "cyclegan"), "restore_images",
                "use inpaint_image (it needs a mask)")
    _check_uint8(images)
    from duelo.degrade.model_io import finish_output

    if not task.get("residual"):
        if task["task"] != "superres":
            return translate_images(G, images)
    x = _float(to_channels(images, G.in_channels))
    if task["task"] == "superres":
        x = upsample_bicubic(x, superres_scale(task))
    return _uint8(finish_output(run_padded(G, x), x, x, None, residual=bool(task.get("residual"))))


def superres_scale(task: dict[str, Any]) -> int:
    degradation = task.get("degradation") or {}
    scale = degradation.get("settings", {}).get("scale")
    if degradation.get("name") != "downsample" or not isinstance(scale, int) or scale < 2:
        raise ConfigError(f"this superres model's task.json names no down-sampling scale "
                          f"(degradation: {task.get('degradation')!r}); copy task.json again from the run")
    return scale


def degrade_for_demo(task: dict[str, Any], images: Tensor, seed: int) -> tuple[Tensor, Tensor | None]:
    """The model's own damage applied to clean uint8 images (N, C, H, W): (what restore_images or
    inpaint_image take, uint8; the holes, bool (N, H, W), for inpainting, else None).

    The degradation is rebuilt from task.json and draws from torch.Generator().manual_seed(seed), so the
    same images and seed give the same damage. Images are first converted to the model's target channels.
    superres returns the low-resolution images (images cropped at the bottom and right to a multiple of the
    scale, then each scale x scale block averaged); edges returns one-channel edge maps.
    """
    from duelo.degrade import build_degradation
    from duelo.degrade.resolution import downsample

    _check_uint8(images)
    if task.get("degradation") is None:
        raise ConfigError(f"this {task['task']} model was trained on pairs of real images, not on damage it "
                          f"makes itself, so there is no degradation to demonstrate")
    clean = to_channels(images, task["target_channels"])
    if task["task"] == "superres":
        scale = superres_scale(task)
        height, width = clean.shape[2] // scale * scale, clean.shape[3] // scale * scale
        if not height or not width:
            raise ConfigError(f"images of {clean.shape[2]}x{clean.shape[3]} pixels are smaller than the "
                              f"model's scale {scale}")
        return _uint8(downsample(_float(clean[:, :, :height, :width]), scale)), None
    op = build_degradation(task["degradation"]["name"], **task["degradation"]["settings"])
    degraded = op(_float(clean), torch.Generator().manual_seed(seed))
    holes = None if degraded.mask is None else degraded.mask[:, 0] > 0.5
    return _uint8(degraded.source), holes


def generate_holes(name: str, height: int, width: int, seed: int, settings: dict[str, Any] | None = None) -> Tensor:
    """A bool (H, W) hole mask drawn by the registered mask degradation `name` (boxes, strokes) with
    `settings` (its init arguments) from torch.Generator().manual_seed(seed)."""
    from duelo.degrade import build_degradation

    op = build_degradation(name, **(settings or {}))
    probe = torch.zeros(1, 1, height, width)
    degraded = op(probe, torch.Generator().manual_seed(seed))
    if degraded.mask is None:
        raise ConfigError(f"degradation {name!r} draws no holes; use boxes or strokes")
    return degraded.mask[0, 0] > 0.5


def _check_task(task: dict[str, Any], allowed: tuple[str, ...], function: str, instead: str) -> None:
    if task.get("task") not in allowed:
        raise ConfigError(f"{function} is for {', '.join(allowed)} models, not {task.get('task')!r}; {instead}")
