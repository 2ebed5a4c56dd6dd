"""Save and load a fitted TabularGAN as a folder: model.safetensors (weights) + model.json (the rest).

model.json holds the hyper-parameters, the fitted transformer (TabularTransformer.to_dict), the condition
sampler's spans and category counts, the training history and versions. Nothing is pickled. The folder is
committed whole (duelo.io.folders), so a crash mid-save leaves the previous model as it was.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from sklearn.utils.validation import check_is_fitted

import duelo
from duelo.errors import CheckpointError, ConfigError
from duelo.io.folders import commit_folder
from duelo.io.json_files import Invalid, check, integer, of, read_json
from duelo.tasks.tabular.conditioning import ConditionSampler
from duelo.tasks.tabular.transformer import TabularTransformer

FORMAT = "duelo.tabular.TabularGAN"
FORMAT_VERSION = 1
WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "model.json"


def save_model(model, path: str | os.PathLike) -> Path:
    """Write `model` (a fitted TabularGAN) into the folder `path`, created if needed."""
    check_is_fitted(model, "generator_")
    params = {key: _plain(value) for key, value in model.get_params().items()}
    return save_model_folder(path, model.generator_, params, model.transformer_, model.sampler_,
                             model.history_, model.fit_seconds_)


def save_model_folder(path: str | os.PathLike, generator: torch.nn.Module, params: dict[str, Any], transformer,
                      sampler, history: list, fit_seconds: float | None) -> Path:
    """Write a model folder from its parts: the (averaged) generator, the hyper-parameters, the fitted
    transformer and the condition sampler's spans and counts. A training run's snapshots write one too."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise CheckpointError(f"{folder} is a file; a TabularGAN model is a folder, pass a folder path")
    config: dict[str, Any] = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "duelo_version": duelo.__version__,
        "torch_version": torch.__version__,
        "params": {key: _plain(value) for key, value in params.items()},
        "transformer": transformer.to_dict(),
        "condition": {"spans": [list(span) for span in sampler.spans], "counts": sampler.counts.tolist()},
        "data_dim": int(transformer.output_dim_),
        "columns": [str(spec.name) for spec in transformer.column_specs_],
        "history": history,
        "fit_seconds": None if fit_seconds is None else float(fit_seconds),
    }
    json.dumps(config, allow_nan=False)          # fail before writing anything if it is not JSON data
    tensors = {key: value.detach().cpu().contiguous() for key, value in generator.state_dict().items()}
    text = json.dumps(config, indent=2, sort_keys=True) + "\n"

    def fill(temp: Path) -> None:
        save_file(tensors, temp / WEIGHTS_NAME, metadata={"format": "pt"})
        (temp / CONFIG_NAME).write_text(text, encoding="utf-8")

    return commit_folder(folder, fill, keep_other_files=True)       # both files in one commit


def load_model(cls, path: str | os.PathLike, device: str = "cpu"):
    """Rebuild a TabularGAN saved by save_model (its folder, or a run folder holding it in model/); its generator
    is in eval mode on `device`."""
    folder = Path(path)
    if (folder / "model" / "model.json").exists():            # a run folder: its model
        folder = folder / "model"
    config = _read_config(folder)
    try:
        known = set(cls().get_params())                  # parameters of this duelo's TabularGAN
        model = cls(**{**{k: v for k, v in config["params"].items() if k in known}, "device": device})
        model._check_params()
        model.transformer_ = TabularTransformer.from_dict(config["transformer"])
        spans = [tuple(span) for span in config["condition"]["spans"]]
        counts = np.asarray(config["condition"]["counts"], dtype=np.int64)
        if config.get("data_dim") != model.transformer_.output_dim_ or isinstance(config.get("data_dim"), bool):
            raise ValueError(f"data_dim {config.get('data_dim')!r} is not the transformer's width "
                             f"{model.transformer_.output_dim_}")
        width = config["data_dim"]
        if counts.ndim != 1 or (counts < 0).any() or any(not (0 <= a and 0 < w and a + w <= width) for a, w in spans):
            raise ValueError("condition spans and counts do not fit the transformer")
        model.sampler_ = ConditionSampler(spans, counts, None, model._device())
    except (KeyError, TypeError, ValueError, ConfigError) as error:
        raise CheckpointError(f"{folder / CONFIG_NAME} is malformed ({error}); save the model again") from None
    model._build(int(config["data_dim"]), model._device())
    weights = folder / WEIGHTS_NAME
    if not weights.is_file():
        raise CheckpointError(f"{weights} is missing; a saved TabularGAN needs {CONFIG_NAME} and {WEIGHTS_NAME}")
    try:
        tensors = load_file(weights, device="cpu")
    except (SafetensorError, OSError, ValueError) as error:
        raise CheckpointError(f"{weights} is not a readable safetensors file ({error}); save the model again") \
            from None
    expected = model.generator_.state_dict()
    if set(tensors) != set(expected) or any(tensors[k].shape != v.shape for k, v in expected.items()):
        raise CheckpointError(f"{weights} does not match the generator {CONFIG_NAME} describes; the two files "
                              f"come from different saves: save the model again")
    model.generator_.load_state_dict(tensors, strict=True)
    model.generator_.eval()
    model.history_ = config.get("history", [])
    model.fit_seconds_ = config.get("fit_seconds")
    model.feature_names_in_ = np.asarray([spec.name for spec in model.transformer_.column_specs_], dtype=object)
    model.n_features_in_ = len(model.feature_names_in_)
    return model


def _plain(value: Any) -> Any:
    """numpy scalars (accepted by fit), paths and tuples as JSON data."""
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _read_config(folder: Path) -> dict[str, Any]:
    config_path = folder / CONFIG_NAME
    if not config_path.is_file():
        hint = " (it is a file; pass the folder save() wrote)" if folder.is_file() else ""
        raise CheckpointError(f"{config_path} not found{hint}; a saved TabularGAN is a folder with "
                              f"{CONFIG_NAME} and {WEIGHTS_NAME}")
    config = read_json(config_path, "a saved TabularGAN", error=CheckpointError, remedy="save the model again")
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise CheckpointError(f"{config_path} is not a saved TabularGAN (format {FORMAT!r} expected)")
    if config.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{config_path} has format version {config.get('format_version')!r}; this duelo "
                              f"{duelo.__version__} reads version {FORMAT_VERSION}")
    try:
        check(config, {"params": of(dict), "transformer": of(dict), "data_dim": integer(1, 10**7),
                       "condition": {"spans": of(list), "counts": of(list)}})
    except Invalid as problem:
        field, expected, got = problem.args
        raise CheckpointError(f"{config_path}: {field} must be {expected}, got {got}; save the model again") from None
    return config


def hub_format():
    """The Hub entry of table models (duelo.io.hub_formats): the folder's own description is model.json, which
    the Hub folder keeps beside its config.json copy."""
    from duelo.io.hub_formats import HubFormat
    from duelo.tasks.tabular.gan import TabularGAN

    def load(folder: Path, device: str):
        return TabularGAN.load(folder, device), {}

    def sample(loaded, n: int, seed: int):
        """A DataFrame of n rows, as `duelo tabular sample -n N --seed SEED` writes them."""
        return loaded.model.sample(n, random_state=seed)

    return HubFormat(what="table model (CTGAN class)", modality="tabular", load=load, sample=sample,
                     how_to_sample="duelo tabular sample {folder} -n 1000 -o synthetic.csv --seed 0",
                     config_name=CONFIG_NAME, previews=("samples/rows-*.csv",), docs="docs/tabular.md")
