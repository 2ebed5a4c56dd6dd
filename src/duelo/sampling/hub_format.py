"""The Hub entry of `duelo-model` folders (duelo.io.pretrained): image generators, which draw images from seeds,
and image-to-image translators, which need an input image. Registered here rather than in a task because three
tasks write the format and both loading (duelo.io) and drawing (duelo.sampling) sit below the tasks."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from duelo.io.hub_formats import HUB_FORMATS, HubFormat, ModelHeader

FORMAT = "duelo-model"


def _load_generator(folder: Path, device: str) -> tuple[Any, dict[str, Any]]:
    from duelo.io.pretrained import load_pretrained

    return load_pretrained(folder, map_location=device), {}


def _sample_images(loaded, n: int, seed: int):
    """uint8 (n, C, H, W): seeds seed..seed+n-1, classes 0, 1, ... in turn for a conditional generator."""
    from duelo.sampling.generate import generate

    G = loaded.model
    labels = [i % G.c_dim for i in range(n)] if G.c_dim else None
    return generate(G, list(range(seed, seed + n)), labels)


def _load_translator(folder: Path, device: str) -> tuple[Any, dict[str, Any]]:
    from duelo.sampling.image2image import load_translator

    module, task, _ = load_translator(folder, device)
    return module, {"task": task}


def _dataset_licence(name: str) -> str:
    from duelo.data import SOURCES

    return SOURCES.get(name).licence if name in SOURCES else ""


def _refine(header: ModelHeader) -> HubFormat:
    """Generators as they are; translators draw nothing from seeds and bring task.json (and CycleGAN's reverse)."""
    base = image_models()
    if header.config.get("kind") != "translator":
        return base
    from duelo.io.json_files import read_json
    from duelo.errors import ConfigError
    from duelo.sampling.image2image import MODEL_TASKS, REVERSE_FOLDER, TASK_FILE

    task = {}
    if (header.folder / TASK_FILE).is_file():
        task = read_json(header.folder / TASK_FILE, "an image-to-image model's task", error=ConfigError,
                         remedy="save the model again")
    name = task.get("task") if isinstance(task, dict) else None
    command = MODEL_TASKS.info(name).command if name in MODEL_TASKS else "duelo translate"
    return dataclasses.replace(base, what="image-to-image translator", modality="image-to-image",
                               load=_load_translator, sample=None, pipeline_tag="image-to-image",
                               how_to_sample=f"{command} {{folder}} IMAGES --out outputs/", model_files=(TASK_FILE,),
                               companions=(REVERSE_FOLDER,), docs="docs/image2image.md", refine=None)


def image_models() -> HubFormat:
    return HubFormat(what="image generator", modality="image", load=_load_generator, sample=_sample_images,
                     how_to_sample="duelo sample {folder} --seeds 0-15 --out samples/",
                     previews=("samples/grid-*.png",), pipeline_tag="unconditional-image-generation",
                     dataset_licence=_dataset_licence, docs="docs/evaluation.md", refine=_refine)


HUB_FORMATS.add(FORMAT, image_models)
