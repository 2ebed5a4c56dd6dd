"""A trained text generator as a folder: config.json (the network's arguments, the vocabulary, the class names)
+ model.safetensors. No pickle. Samples are written as text lines."""

from __future__ import annotations

from pathlib import Path

import torch

from duelo.errors import ConfigError
from duelo.io.model_folders import find_model_folder, load_model_folder, save_model_folder

FORMAT = "duelo-text-generator"
FORMAT_VERSION = 1


BEST = "best"          # RUN/best: the maximum-likelihood model at its lowest held-out NLL (snapshots.py)


def save_text_model(folder: Path, G, kwargs: dict, vocab, class_names: list[str], config,
                    extra: dict | None = None) -> None:
    save_model_folder(folder, G, {"format": FORMAT, "format_version": FORMAT_VERSION, "kwargs": kwargs,
                                  "vocab": vocab.state(), "class_names": class_names if kwargs["c_dim"] else None,
                                  "dataset": config.data.dataset, "model": config.text.model, **(extra or {})})


def best_heldout_nll(run: Path) -> float | None:
    """The held-out NLL that RUN/best was saved at, if there is a readable one."""
    found = find_model_folder(run / BEST, FORMAT)
    value = found[1].get("heldout_nll") if found else None
    return float(value) if isinstance(value, (int, float)) else None


def is_text_model(folder: Path) -> bool:
    return find_model_folder(folder, FORMAT) is not None


def load_text_model(folder: Path, device: str = "cpu"):
    """(G in eval mode, its vocabulary, config.json) from a run folder or its model/ folder."""
    from duelo.tasks.text.networks import TextGenerator
    from duelo.tasks.text.vocab import Vocabulary

    G, meta = load_model_folder(folder, FORMAT, FORMAT_VERSION, "text generator",
                                lambda meta: TextGenerator(**meta["kwargs"]))
    try:
        vocab = Vocabulary.from_state(meta["vocab"])
    except (KeyError, TypeError, ValueError) as error:
        raise ConfigError(f"{folder}: the saved vocabulary does not load ({error}); the folder is damaged") from None
    return G.to(device).eval(), vocab, meta


def generate_ids(G, n: int, labels: torch.Tensor | None, temperature: float, seed: int,
                 device) -> torch.Tensor:
    """(n, max_len) token ids by ancestral sampling, in chunks, from a seeded stream."""
    generator = torch.Generator(device=device).manual_seed(seed)
    parts = []
    for chunk in torch.arange(n, device=device).split(512):
        parts.append(G.sample(len(chunk), None if labels is None else labels[chunk], temperature, generator))
    return torch.cat(parts).cpu()


def draw_lines(G, vocab, meta: dict, count: int, seed: int, index: int | None, temperature: float,
               device) -> list[str]:
    """`count` decoded lines as `duelo sample` prints them: `class<TAB>line` for a conditional model, whose classes
    are `index` or, when None, drawn at random from seed + 1."""
    labels = None
    if G.c_dim:
        generator = torch.Generator().manual_seed(seed + 1)
        labels = (torch.full((count,), index, dtype=torch.long) if index is not None
                  else torch.randint(0, G.c_dim, (count,), generator=generator)).to(device)
    lines = [vocab.decode(row) for row in generate_ids(G, count, labels, temperature, seed, device)]
    if labels is not None:
        lines = [f"{meta['class_names'][k]}\t{line}" for k, line in zip(labels.tolist(), lines)]
    return lines


def hub_format():
    """The Hub entry of text generators (duelo.io.hub_formats)."""
    from duelo.io.hub_formats import HubFormat, licence_in
    from duelo.tasks.text.sources import named_sources

    def load(folder: Path, device: str):
        G, vocab, meta = load_text_model(folder, device)
        return G, {"vocab": vocab, "config": meta}

    def sample(loaded, n: int, seed: int) -> list[str]:
        """n lines at temperature 1 as `duelo sample -n N --seeds SEED` prints them."""
        G = loaded.model
        return draw_lines(G, loaded.extras["vocab"], loaded.extras["config"], n, seed, None, 1.0,
                          next(G.parameters()).device)

    return HubFormat(what="text generator", modality="text", load=load, sample=sample,
                     how_to_sample="duelo sample {folder} -n 20", previews=("samples/text-*.txt",),
                     pipeline_tag="text-generation", docs="docs/text.md",
                     dataset_licence=lambda name: licence_in(named_sources(), name))


def labels_like(G, n: int, label_pool: torch.Tensor | None, seed: int, device) -> torch.Tensor | None:
    """Labels for n samples of a conditional G drawn like the training lines' classes; None otherwise."""
    if not G.c_dim or label_pool is None:
        return None
    generator = torch.Generator(device=device).manual_seed(seed + 1)
    pool = label_pool.to(device)
    return pool[torch.randint(0, len(pool), (n,), generator=generator, device=device)]
