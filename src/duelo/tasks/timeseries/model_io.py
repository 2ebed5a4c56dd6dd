"""A trained series generator as a folder: config.json (the model's name and arguments, the channels and the scaling
that maps [-1, 1] back to the data's units, the class names) + model.safetensors. No pickle."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from duelo.errors import ConfigError

FORMAT = "duelo-series-generator"
FORMAT_VERSION = 1


def save_series_model(folder: Path, G, kwargs: dict, data, model: str = "conv") -> None:
    """Fill `folder` (created by the caller, e.g. through duelo.io.folders.commit_folder)."""
    from safetensors.torch import save_file

    train = data.train
    state = {k: v.detach().cpu().contiguous() for k, v in G.state_dict().items()}
    config = {"format": FORMAT, "format_version": FORMAT_VERSION, "model": model, "kwargs": kwargs,
              "columns": list(train.columns),
              "low": [float(v) for v in train.low], "high": [float(v) for v in train.high],
              "class_names": list(train.class_names) if kwargs["c_dim"] else None, "dataset": train.name,
              "masked": bool(getattr(data, "masked", False)), "min_length": int(getattr(data, "min_length", 1))}
    save_file(state, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def is_series_model(folder: Path) -> bool:
    """Whether `folder` (a run folder or its model/) holds a series generator."""
    for candidate in (folder / "model" / "config.json", folder / "config.json"):
        try:
            if json.loads(candidate.read_text()).get("format") == FORMAT:
                return True
        except (OSError, ValueError, AttributeError):
            continue
    return False


def load_series_model(folder: Path, device: str = "cpu"):
    """(G in eval mode, its config.json as a dict) from a run folder or its model/ folder."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from duelo.tasks.timeseries.parts import SERIES_MODELS

    model = folder / "model" if (folder / "model" / "config.json").is_file() else folder
    try:
        config = json.loads((model / "config.json").read_text())
    except (OSError, ValueError) as error:
        raise ConfigError(f"{model / 'config.json'}: cannot read it ({error}); give a time-series run folder or "
                          f"its model/ folder") from None
    if config.get("format") != FORMAT or config.get("format_version") != FORMAT_VERSION:
        raise ConfigError(f"{model}: not a duelo series generator (format {config.get('format')!r}, version "
                          f"{config.get('format_version')!r})")
    name = config.get("model", "conv")        # folders written before TimeGAN name no model: conv
    if name not in SERIES_MODELS:
        raise ConfigError(f"{model / 'config.json'}: model {name!r} is not one this duelo knows "
                          f"({', '.join(SERIES_MODELS.names())}); a newer duelo wrote it")
    try:
        G = SERIES_MODELS.get(name).build(config["kwargs"])
        G.load_state_dict(load_file(str(model / "model.safetensors")), strict=True)
    except (KeyError, TypeError, RuntimeError, OSError, SafetensorError) as error:
        raise ConfigError(f"{model}: the saved {name} model does not load ({type(error).__name__}: "
                          f"{str(error)[:200]}); the folder is damaged or from another duelo version") from None
    return G.to(device).eval(), config


def hub_format():
    """The Hub entry of series generators (duelo.io.hub_formats)."""
    from duelo.io.hub_formats import HubFormat, licence_in

    def load(folder: Path, device: str):
        G, config = load_series_model(folder, device)
        return G, {"config": config}

    def sample(loaded, n: int, seed: int) -> torch.Tensor:
        """(n, T, C) windows in the data's units as `duelo sample -n N --seeds SEED` draws them."""
        G = loaded.model
        return generate_windows(G, loaded.extras["config"], n, seed, None, str(next(G.parameters()).device))[0]

    def licence(name: str) -> str:
        from duelo.tasks.timeseries.data import SERIES_SOURCES, register_all

        register_all()
        return licence_in(SERIES_SOURCES, name)

    return HubFormat(what="time-series generator", modality="time-series", load=load, sample=sample,
                     how_to_sample="duelo sample {folder} -n 100 --out windows.csv",
                     previews=("samples/series-*.png",), docs="docs/timeseries.md", dataset_licence=licence)


def generate_windows(G, config: dict, n: int, seed: int = 0, label: int | None = None,
                     device: str = "cpu") -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """n windows (n, T, C) in the data's units, their labels and (variable-length data) their lengths, from
    latents of `seed`; steps past a window's length hold 0."""
    from duelo.sampling.labels import sampling_labels

    generator = torch.Generator(device=device).manual_seed(seed)
    labels = sampling_labels(G.c_dim, n, label, generator, device, "series model")
    with torch.no_grad():
        scaled = torch.cat([G(G.sample_latents(len(chunk), generator), None if labels is None else labels[chunk])
                            for chunk in torch.arange(n, device=device).split(4096)])
    lengths = None
    scaled = scaled.cpu()
    if config.get("masked"):
        from duelo.tasks.timeseries.masking import split_mask_channel

        scaled, lengths = split_mask_channel(scaled, config.get("min_length", 1))
    low = torch.tensor(config["low"], dtype=torch.float64)
    high = torch.tensor(config["high"], dtype=torch.float64)
    values = (scaled.double() + 1) / 2 * (high - low) + low
    if lengths is not None:
        values = values * (torch.arange(values.shape[1])[None, :] < lengths[:, None])[..., None]
    return values, None if labels is None else labels.cpu(), lengths
