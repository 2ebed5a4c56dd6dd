"""Saved models as data, not code: `config.json` (registry name + init kwargs + versions) and
`model.safetensors` (every parameter and buffer). No pickle is read or written.

    directory/
      config.json        {"format": "duelo-model", "format_version": 1, "duelo_version": "...",
                          "kind": "generator" | "discriminator" | "translator" | "patch-discriminator",
                          "name": "dcgan", "kwargs": {...}}
      model.safetensors  the state_dict (parameters and buffers, e.g. batch-norm running statistics)

The folder is committed whole (duelo.io.folders.commit_folder: written into a temp folder, fsynced, put in place
by one rename or exchange), so a failed or killed save leaves the previous model as it was.
"""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path
from typing import Any, Callable

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

import duelo
from duelo.io.folders import commit_folder
from duelo.io.json_files import read_json
from duelo.io.hashing import file_digest
from duelo.errors import CheckpointError, ConfigError
from duelo.models import (DISCRIMINATORS, GENERATORS, PATCH_DISCRIMINATORS, TRANSLATORS, build_discriminator,
                          build_generator, build_patch_discriminator, build_translator)
from duelo.models.base import SPEC_ATTRIBUTE

FORMAT = "duelo-model"
FORMAT_VERSION = 1                 # bump when the layout changes; readers refuse newer versions
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"

_BUILDERS: dict[str, tuple[Callable[..., nn.Module], Any]] = {   # kind -> (builder, registry)
    "generator": (build_generator, GENERATORS),
    "discriminator": (build_discriminator, DISCRIMINATORS),
    "translator": (build_translator, TRANSLATORS),
    "patch-discriminator": (build_patch_discriminator, PATCH_DISCRIMINATORS),
}


def save_pretrained(module: nn.Module, directory: str | os.PathLike, extra: dict[str, str | bytes] | None = None
                    ) -> Path:
    """Write `module` to `directory` (created if needed) as config.json + model.safetensors, plus the `extra`
    files ({name: content}, e.g. an image-to-image task.json) in the same commit; return the path.

    The module must come from build_generator/build_discriminator, which record its registry name and
    keyword arguments. DDP- and torch.compile-wrapped modules are unwrapped. Defaults the caller did not
    pass are written out too, so the saved model rebuilds identically even if a default changes later.
    """
    module = _unwrap(module)
    spec = getattr(module, SPEC_ATTRIBUTE, None)
    if spec is None:
        raise CheckpointError(
            f"cannot save a {type(module).__name__}: it has no '{SPEC_ATTRIBUTE}'. Build models with "
            "duelo.models.build_generator(name, **kwargs) or build_discriminator(name, **kwargs) so that "
            "they can be rebuilt from config.json")
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "duelo_version": duelo.__version__,
        "kind": spec["kind"],
        "name": spec["name"],
        "kwargs": _complete_kwargs(spec),
    }
    try:
        config_bytes = (json.dumps(config, indent=2, sort_keys=False) + "\n").encode("utf-8")
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"cannot save {spec['name']!r}: its kwargs are not JSON data ({error}); "
                              "models must take plain int/float/str/bool/list arguments") from None
    tensors = {key: value.detach().cpu().contiguous() for key, value in module.state_dict().items()}
    files = {name: (data.encode("utf-8") if isinstance(data, str) else data) for name, data in (extra or {}).items()}

    def fill(folder: Path) -> None:
        save_file(tensors, folder / WEIGHTS_NAME, metadata={"format": "pt"})
        (folder / CONFIG_NAME).write_bytes(config_bytes)
        for name, data in files.items():
            (folder / name).write_bytes(data)

    # one commit for the whole folder (duelo.io.folders): a reader never pairs new weights with an old config;
    # files the folder held besides the model's (an exported model.onnx, a user's notes) are kept
    return commit_folder(directory, fill, keep_other_files=True)


def load_pretrained(directory: str | os.PathLike, map_location: str | torch.device = "cpu") -> nn.Module:
    """Rebuild a model saved by save_pretrained and load its weights strictly; returned in eval mode.

    Call `.train()` on the result to fine-tune it.
    """
    directory = Path(directory)
    config = read_config(directory)
    builder, _ = _BUILDERS[config["kind"]]
    weights_path = directory / WEIGHTS_NAME
    if not weights_path.is_file():
        raise CheckpointError(f"{weights_path} is missing; a saved model needs both {CONFIG_NAME} and "
                              f"{WEIGHTS_NAME} (write them with duelo.io.pretrained.save_pretrained)")
    _with_legacy_kwargs(config)
    _check_sizes_before_building(builder, config, directory, weights_path)
    try:
        module = builder(config["name"], **config["kwargs"])
    except (ConfigError, TypeError, ValueError) as error:
        raise CheckpointError(f"{directory / CONFIG_NAME}: its kwargs do not build a "
                              f"{config['name']!r} {config['kind']}: {error}") from None
    try:
        tensors = load_file(weights_path, device="cpu")
    except (SafetensorError, OSError, ValueError) as error:
        raise CheckpointError(f"{weights_path} is not a readable safetensors file ({error}); "
                              "it may be truncated: save the model again") from None
    _check_weights_match(module, tensors, weights_path, config)
    module.load_state_dict(tensors, strict=True)
    return module.to(map_location).eval()


def _with_legacy_kwargs(config: dict[str, Any]) -> None:
    """Fill the arguments its family gained since the model was saved with the values that reproduce it
    (ModelInfo.legacy): e.g. a stylegan2 generator saved before `output` existed ends in tanh."""
    _, registry = _BUILDERS[config["kind"]]
    info = registry.info(config["name"]) if config["name"] in registry else None
    for name, value in getattr(info, "legacy", ()):
        config["kwargs"].setdefault(name, value)


def read_config(directory: str | os.PathLike) -> dict[str, Any]:
    """Read and validate config.json of a saved model (without building it or reading the weights)."""
    directory = Path(directory)
    if not directory.exists():
        raise CheckpointError(f"no saved model at {directory}: the directory does not exist")
    if not directory.is_dir():
        raise CheckpointError(f"{directory} is a file; pass the directory that holds {CONFIG_NAME} and "
                              f"{WEIGHTS_NAME}")
    config_path = directory / CONFIG_NAME
    if not config_path.is_file():
        raise CheckpointError(f"{config_path} is missing: {directory} is not a saved duelo model "
                              "(write one with duelo.io.pretrained.save_pretrained)")
    config = read_json(config_path, "a saved model's configuration", error=CheckpointError,
                       remedy="restore it or save the model again")
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        found = config.get("format") if isinstance(config, dict) else type(config).__name__
        if isinstance(found, str) and found.startswith("duelo-"):      # another task's model: say so
            raise CheckpointError(f"{config_path}: a {found} (format {found!r}), not an image generator "
                                  f"({FORMAT!r}), which is all this reads; its run's summary.json holds its scores")
        raise CheckpointError(f"{config_path}: format is {found!r}, expected {FORMAT!r}; this is not a "
                              "duelo saved model")
    version = config.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(f"{config_path}: format_version must be a positive integer (got {version!r})")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{config_path} has format_version {version} (written by duelo {config.get('duelo_version')}); "
            f"this duelo ({duelo.__version__}) reads up to version {FORMAT_VERSION}: upgrade duelo")
    kind = config.get("kind")
    if kind not in _BUILDERS:
        raise CheckpointError(f"{config_path}: kind is {kind!r}; choose one of: {', '.join(_BUILDERS)}")
    registry = _BUILDERS[kind][1]
    name = config.get("name")
    if not isinstance(name, str) or name not in registry:
        raise CheckpointError(f"{config_path}: {registry.unknown_message(str(name))} "
                              "(a model added by a plugin must be imported before loading)")
    if not isinstance(config.get("kwargs"), dict):
        raise CheckpointError(f"{config_path}: kwargs must be a JSON object of constructor arguments")
    return config


def model_sha256(directory: str | os.PathLike) -> str:
    """SHA-256 (hex) of the saved weights file: the provenance hash written into generated images."""
    weights_path = Path(directory) / WEIGHTS_NAME
    if not weights_path.is_file():
        raise CheckpointError(f"{weights_path} is missing; cannot hash a model that was not saved")
    return file_digest(weights_path)


def _unwrap(module: nn.Module) -> nn.Module:
    """Strip DistributedDataParallel (`.module`) and torch.compile (`._orig_mod`) wrappers."""
    while True:
        if isinstance(module, nn.parallel.DistributedDataParallel):
            module = module.module
        elif isinstance(getattr(module, "_orig_mod", None), nn.Module):
            module = module._orig_mod
        else:
            return module


def _complete_kwargs(spec: dict[str, Any]) -> dict[str, Any]:
    """The kwargs the model was built with, plus the constructor defaults that were not passed."""
    registry = _BUILDERS[spec["kind"]][1]
    try:
        signature = inspect.signature(registry.get(spec["name"]))
        bound = signature.bind(**spec["kwargs"])
    except (TypeError, ValueError):  # no introspectable signature: keep what was passed
        return dict(spec["kwargs"])
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in signature.parameters.values()):
        return dict(spec["kwargs"])  # defaults hidden behind **kwargs cannot be listed
    bound.apply_defaults()
    return dict(bound.arguments)


def _check_sizes_before_building(builder, config: dict[str, Any], directory: Path, weights_path: Path) -> None:
    """Build the model on the meta device (no memory) and compare its tensor shapes with the weights file's
    header: a config.json whose sizes are absurd (c_dim 1e10) or do not match the weights is refused before
    anything is allocated."""
    from safetensors import safe_open

    what = f"{config['name']!r} {config['kind']} with kwargs {config['kwargs']}"
    try:
        with torch.device("meta"):
            skeleton = builder(config["name"], **config["kwargs"])
    except (ConfigError, TypeError, ValueError, OverflowError) as error:
        raise CheckpointError(f"{directory / CONFIG_NAME}: its kwargs do not build a "
                              f"{config['name']!r} {config['kind']}: {str(error)[:200]}") from None
    except (RuntimeError, NotImplementedError):
        return          # a constructor that computes on its tensors: the real build checks (no size bound here)
    try:
        with safe_open(str(weights_path), framework="pt") as handle:
            shapes = {key: tuple(handle.get_slice(key).get_shape()) for key in handle.keys()}
    except (SafetensorError, OSError, ValueError) as error:
        raise CheckpointError(f"{weights_path} is not a readable safetensors file ({error}); "
                              "it may be truncated: save the model again") from None
    expected = skeleton.state_dict()
    for problem, keys in (("missing", [k for k in expected if k not in shapes]),
                          ("unexpected", [k for k in shapes if k not in expected])):
        if keys:
            raise CheckpointError(f"{weights_path} does not match {what}: {problem} key {keys[0]!r} ({len(keys)} "
                                  f"{problem}); was config.json edited or copied from another model?")
    for key, tensor in expected.items():
        if shapes[key] != tuple(tensor.shape):
            raise CheckpointError(f"{weights_path} does not match {what}: {key!r} has shape {shapes[key]}, "
                                  f"the config builds {tuple(tensor.shape)}; was config.json edited?")


def _check_weights_match(module: nn.Module, tensors: dict[str, torch.Tensor], weights_path: Path,
                         config: dict[str, Any]) -> None:
    """Teaching error for weights that belong to another architecture (names the first bad key)."""
    expected = module.state_dict()
    what = f"{config['name']!r} {config['kind']} with kwargs {config['kwargs']}"
    missing = [key for key in expected if key not in tensors]
    if missing:
        raise CheckpointError(f"{weights_path} does not match {what}: missing key {missing[0]!r} "
                              f"({len(missing)} missing); was config.json edited or copied from another "
                              "model?")
    unexpected = [key for key in tensors if key not in expected]
    if unexpected:
        raise CheckpointError(f"{weights_path} does not match {what}: unexpected key {unexpected[0]!r} "
                              f"({len(unexpected)} unexpected); was config.json edited or copied from "
                              "another model?")
    for key, tensor in expected.items():
        if tensors[key].shape != tensor.shape:
            raise CheckpointError(f"{weights_path} does not match {what}: {key!r} has shape "
                                  f"{tuple(tensors[key].shape)}, the config builds {tuple(tensor.shape)}")


def resolve_model_dir(path: Path) -> Path:
    """A run folder (its model/ sub-folder) or a saved-model folder."""
    if not path.exists():
        raise ConfigError(f"no such run or model folder: {path}")
    if (path / "model" / "config.json").exists():
        return path / "model"
    if (path / "config.json").exists() and (path / "model.safetensors").exists():
        return path
    raise ConfigError(f"{path} is neither a run folder (with model/) nor a saved model "
                      f"(config.json + model.safetensors); has the run written its first snapshot?")
