"""A trained text generator as a folder: config.json (the network's arguments, the vocabulary, the class names)
+ model.safetensors. No pickle. Samples are written as text lines."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from duelo.errors import ConfigError

FORMAT = "duelo-text-generator"
FORMAT_VERSION = 1


def save_text_model(folder: Path, G, kwargs: dict, vocab, class_names: list[str], config) -> None:
    from safetensors.torch import save_file

    state = {k: v.detach().cpu().contiguous() for k, v in G.state_dict().items()}
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "kwargs": kwargs, "vocab": vocab.state(),
            "class_names": class_names if kwargs["c_dim"] else None, "dataset": config.data.dataset,
            "model": config.text.model}
    save_file(state, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def _meta(folder: Path) -> tuple[Path, dict] | None:
    for model in (folder / "model", folder):
        try:
            meta = json.loads((model / "config.json").read_text())
        except (OSError, ValueError):
            continue
        if isinstance(meta, dict) and meta.get("format") == FORMAT:
            return model, meta
    return None


def is_text_model(folder: Path) -> bool:
    return _meta(folder) is not None


def load_text_model(folder: Path, device: str = "cpu"):
    """(G in eval mode, its vocabulary, config.json) from a run folder or its model/ folder."""
    from safetensors.torch import load_file

    from duelo.tasks.text.networks import TextGenerator
    from duelo.tasks.text.vocab import Vocabulary

    found = _meta(folder)
    if found is None:
        raise ConfigError(f"{folder}: no duelo text generator here (expected model/config.json of format {FORMAT})")
    model, meta = found
    if meta.get("format_version") != FORMAT_VERSION:
        raise ConfigError(f"{model}: text generator format version {meta.get('format_version')!r}; this duelo "
                          f"reads version {FORMAT_VERSION}")
    try:
        G = TextGenerator(**meta["kwargs"])
        G.load_state_dict(load_file(str(model / "model.safetensors")), strict=True)
        vocab = Vocabulary.from_state(meta["vocab"])
    except (KeyError, TypeError, ValueError, RuntimeError, OSError) as error:
        raise ConfigError(f"{model}: the saved text generator does not load ({type(error).__name__}: "
                          f"{str(error)[:200]}); the folder is damaged or from another duelo version") from None
    return G.to(device).eval(), vocab, meta


def generate_ids(G, n: int, labels: torch.Tensor | None, temperature: float, seed: int,
                 device) -> torch.Tensor:
    """(n, max_len) token ids by ancestral sampling, in chunks, from a seeded stream."""
    generator = torch.Generator(device=device).manual_seed(seed)
    parts = []
    for chunk in torch.arange(n, device=device).split(512):
        parts.append(G.sample(len(chunk), None if labels is None else labels[chunk], temperature, generator))
    return torch.cat(parts).cpu()


def labels_like(G, n: int, label_pool: torch.Tensor | None, seed: int, device) -> torch.Tensor | None:
    """Labels for n samples of a conditional G drawn like the training lines' classes; None otherwise."""
    if not G.c_dim or label_pool is None:
        return None
    generator = torch.Generator(device=device).manual_seed(seed + 1)
    pool = label_pool.to(device)
    return pool[torch.randint(0, len(pool), (n,), generator=generator, device=device)]
