"""Which saved models the Hub layer knows, keyed by the `format` field their folder's config.json (or a tabular
model's model.json) carries. Each task registers a factory for its format in its package `__init__` (so that
`import duelo.tasks` stays free of torch); the factory, called on first use, returns a HubFormat: how to load the
folder, how to draw samples from it, which files belong to it and which of a run's sample files show it best.

    HUB_FORMATS.add("duelo-video-generator", video_format)       # video_format() -> HubFormat(...)
    handler = hub_format("duelo-video-generator")

The shared Hub code (duelo.io.hub, duelo.io.card_facts) reads only this registry: it knows no task.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from duelo.errors import ConfigError
from duelo.io.json_files import read_json
from duelo.registry import Registry

CONFIG_NAME = "config.json"         # what a Hub user (and the Hub's download counter) looks for first
WEIGHTS_NAME = "model.safetensors"


def _no_licence(dataset: str) -> str:
    return ""


@dataclass(frozen=True)
class HubFormat:
    """What the Hub layer needs to know about one saved-model format."""

    what:        str                                    # "video generator": messages and the card's title
    modality:    str                                    # Hub tag: "image", "tabular", "time-series", "text", ...
    load:        Callable[[Path, str], tuple[Any, dict[str, Any]]]   # (folder, device) -> (model, extras)
    sample:      Callable[..., Any] | None = None       # (loaded PretrainedModel, n, seed) -> outputs; None: none
    how_to_sample: str = "duelo sample {folder}"         # the card's command line ({folder}: the model's place)
    config_name: str = CONFIG_NAME                      # the folder's own description (tabular: model.json)
    model_files: tuple[str, ...] = ()                   # further files of the model folder (translator: task.json)
    companions:  tuple[str, ...] = ()                   # further model folders of a run (cyclegan: model-reverse)
    previews:    tuple[str, ...] = ()                   # globs of a run's sample files that show the model
    pipeline_tag: str = ""                              # the Hub's widget category, "" where none fits
    dataset_licence: Callable[[str], str] = _no_licence  # a named dataset's licence as its source states it
    docs:        str = ""                               # duelo's page that defines the scores of such a run
    refine:      Callable[["ModelHeader"], "HubFormat"] | None = None   # a variant for this folder (by its kind)


def licence_in(registry: Registry, name: str) -> str:
    """The licence a registry of named datasets states for `name` ("" when it names no such dataset)."""
    return getattr(registry.get(name), "licence", "") if name in registry else ""


def model_device(module: Any) -> Any:
    """Where a loaded module's weights live (the device its samples are drawn on)."""
    return next(module.parameters()).device


HUB_FORMATS: Registry[Callable[[], HubFormat]] = Registry("saved-model format")
_BUILT: dict[str, HubFormat] = {}


def hub_format(name: str) -> HubFormat:
    """The HubFormat registered under `name` (built once)."""
    if name not in _BUILT:
        _BUILT[name] = HUB_FORMATS.get(name)()
    return _BUILT[name]


@dataclass(frozen=True)
class ModelHeader:
    """A saved model's description file, read but not trusted further than its format name."""

    folder:  Path                 # the model folder
    path:    Path                 # its config.json or model.json
    config:  dict[str, Any]
    format:  str


def read_header(folder: Path) -> ModelHeader:
    """config.json (or, for folders that have none, model.json) of a saved model, with its registered format.
    ConfigError naming the file when there is none, it is damaged, or its format is not one this duelo knows."""
    candidates = [folder / CONFIG_NAME, folder / "model.json"]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise ConfigError(f"{folder}: no {CONFIG_NAME} (nor model.json) here; give a run folder, its model/ folder "
                          f"or a folder written by `duelo hub save`")
    config = read_json(path, "a saved model's description", error=ConfigError,
                       remedy="save the model again (duelo hub save RUN -o FOLDER)", max_bytes=64 << 20)
    name = config.get("format") if isinstance(config, dict) else None
    if not isinstance(name, str):
        run = isinstance(config, dict) and "train" in config
        raise ConfigError(f"{path}: no `format` field, so not a saved duelo model" + (
            "; it is a run's configuration, and the run has no model/ yet: wait for its first snapshot" if run
            else ""))
    if name not in HUB_FORMATS:
        raise ConfigError(f"{path}: {HUB_FORMATS.unknown_message(name)} (a model of a newer duelo, or of a task "
                          f"this installation lacks)")
    return ModelHeader(folder, path, config, name)


def is_run_folder(folder: Path) -> bool:
    """A training run's folder: a config.json that is a run configuration (no `format`) beside model/."""
    config = folder / CONFIG_NAME
    if not (config.is_file() and (folder / "model").is_dir()):
        return False
    try:
        head = read_json(config, "a run configuration", error=ConfigError, remedy="", max_bytes=16 << 20)
    except ConfigError:
        return False
    return isinstance(head, dict) and "format" not in head


def handler_for(header: ModelHeader) -> HubFormat:
    """The HubFormat of one folder: its format's, refined by the folder's kind where the format has several."""
    handler = hub_format(header.format)
    return handler.refine(header) if handler.refine is not None else handler


@dataclass(frozen=True)
class ModelSource:
    """Where a model to publish comes from: its folder, its run (None for a bare model folder), its format."""

    header: ModelHeader
    run:    Path | None

    @property
    def folder(self) -> Path:
        return self.header.folder

    @property
    def handler(self) -> HubFormat:
        return handler_for(self.header)


def find_model(source: Path) -> ModelSource:
    """A run folder (its model/), a run's model/ folder (the run is found above it), or a bare model folder."""
    source = Path(source)
    if not source.exists():
        raise ConfigError(f"{source}: no such run or model folder")
    if not source.is_dir():
        raise ConfigError(f"{source} is a file; give a run folder or a saved model's folder")
    if is_run_folder(source):
        return ModelSource(read_header(source / "model"), source)
    header = read_header(source)
    parent = source.resolve().parent
    run = parent if source.resolve().name == "model" and is_run_folder(parent) else None
    return ModelSource(header, run)
