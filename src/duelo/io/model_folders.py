"""A task's saved generator as a folder: config.json (a `format` name and `format_version`, the network's
arguments and whatever the task needs to use it) + model.safetensors. No pickle. The sequence tasks (video, text)
save and find their generators through these three functions; a run folder or its model/ folder is accepted."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from duelo.errors import ConfigError


def save_model_folder(folder: Path, module, meta: dict) -> None:
    """Fill `folder` (made by the caller, e.g. duelo.io.folders.commit_folder) with the weights and meta."""
    from safetensors.torch import save_file

    state = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    save_file(state, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def find_model_folder(folder: Path | str, fmt: str) -> tuple[Path, dict] | None:
    """(the model folder, its config.json) when `folder` or folder/model holds a model of format `fmt`."""
    folder = Path(folder)
    for model in (folder / "model", folder):
        try:
            meta = json.loads((model / "config.json").read_text())
        except (OSError, ValueError):
            continue
        if isinstance(meta, dict) and meta.get("format") == fmt:
            return model, meta
    return None


def load_model_folder(folder: Path, fmt: str, version: int, what: str, build: Callable[[dict], object]):
    """(module with the saved weights, config.json); build(meta) makes the untrained module. ConfigError that
    names the folder when there is no such model, its version is another, or the weights do not fit."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    found = find_model_folder(folder, fmt)
    if found is None:
        raise ConfigError(f"{folder}: no duelo {what} here (expected model/config.json of format {fmt})")
    model, meta = found
    if meta.get("format_version") != version:
        raise ConfigError(f"{model}: {what} format version {meta.get('format_version')!r}; this duelo reads "
                          f"version {version}")
    try:
        module = build(meta)
        module.load_state_dict(load_file(str(model / "model.safetensors")), strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError, OSError, SafetensorError) as error:
        raise ConfigError(f"{model}: the saved {what} does not load ({type(error).__name__}: {str(error)[:200]}); "
                          f"the folder is damaged or from another duelo version") from None
    return module, meta


def split_run_and_model(folder: Path, fmt: str, best: str = "best") -> tuple[Path, Path]:
    """(run folder, model folder) of a folder given to a command that needs both: RUN -> (RUN, RUN), RUN/best (a
    run's best model so far, a folder of format `fmt`) -> (RUN, RUN/best)."""
    folder = Path(folder)
    if folder.name == best and find_model_folder(folder, fmt) and (folder.parent / "config.json").is_file():
        return folder.parent, folder
    return folder, folder
