"""Which interactive panel a run page offers, by the run's saved-model format: a registry, so that a new kind of
model gets its panel with one entry here and one template, never a branch in the pages.

    PANELS.add("duelo-model/generator", Panel("panel-image.html", image_context))

The key is the model folder's `format` (duelo.io.hub_formats), followed by `/kind` for formats that hold several
kinds of model (duelo-model: generators and translators). A run whose model has no panel (yet) shows its files,
losses and health only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from duelo.registry import Registry


@dataclass(frozen=True)
class Panel:
    template: str                                        # a file of duelo/studio/templates
    context:  Callable[[Any, Path], dict[str, str]]      # (the studio, the model folder) -> template fields


PANELS: Registry[Panel] = Registry("studio panel")


def _image_context(studio: Any, model_dir: Path) -> dict[str, str]:
    from duelo.studio.models import load_image_generator

    G = studio.models.get(model_dir, "generator", load_image_generator)
    classes = "".join(f'<option value="{c}">{c}</option>' for c in range(G.c_dim))
    return {"classes": classes, "class_hidden": "" if G.c_dim else "hidden",
            "size": f"{G.resolution}x{G.resolution}, {G.channels} channel(s), z {G.z_dim}"}


def _tabular_context(studio: Any, model_dir: Path) -> dict[str, str]:
    import html

    from duelo.studio.models import categorical_levels, load_tabular

    model = studio.models.get(model_dir, "tabular", load_tabular)
    options = ['<option value="">(none)</option>']
    for column, levels in categorical_levels(model).items():
        for level in levels:
            pair = html.escape(f"{column}={level}", quote=True)
            options.append(f'<option value="{pair}">{pair}</option>')
    return {"conditions": "".join(options)}


def _translator_context(studio: Any, model_dir: Path) -> dict[str, str]:
    from duelo.studio.models import load_translator

    _, task = studio.models.get(model_dir, "translator", load_translator)
    return {"task": task["task"], "inpaint_hidden": "" if task["task"] == "inpaint" else "hidden",
            "upload_hidden": "hidden" if task["task"] == "inpaint" else ""}


def _sequence_context(studio: Any, model_dir: Path) -> dict[str, str]:
    """One template for every sequence task: its entry in SEQUENCES names the outputs, the count and the classes."""
    import html

    from duelo.studio.sequences import SEQUENCES, load_pretrained

    loaded = studio.models.get(model_dir, "pretrained", load_pretrained)
    sequence = SEQUENCES.get(loaded.format)
    names = sequence.classes(loaded)
    classes = [f'<option value="">{html.escape(sequence.any_class)}</option>'] + [
        f'<option value="{index}">{html.escape(name)}</option>' for index, name in enumerate(names)]
    return {"noun": sequence.noun, "outputs": " ".join(sequence.outputs), "shown": " ".join(sequence.shown()),
            "max_count": str(sequence.max_count),
            "default_count": str(sequence.default_count), "count_hidden": "hidden" if sequence.max_count == 1 else "",
            "classes": "".join(classes), "class_hidden": "" if names else "hidden"}


def _register() -> None:
    from duelo.sampling.hub_format import FORMAT as IMAGE_FORMAT
    from duelo.tasks.tabular.persistence import FORMAT as TABLE_FORMAT

    PANELS.add(f"{IMAGE_FORMAT}/generator", Panel("panel-image.html", _image_context))
    PANELS.add(f"{IMAGE_FORMAT}/translator", Panel("panel-image2image.html", _translator_context))
    PANELS.add(TABLE_FORMAT, Panel("panel-tabular.html", _tabular_context))
    from duelo.studio.sequences import SEQUENCES

    for name in SEQUENCES.names():
        PANELS.add(name, Panel("panel-sequence.html", _sequence_context))


_register()


def panel_key(model_dir: Path) -> str | None:
    """The PANELS key of a model folder, or None when it has no readable description."""
    import duelo.hub  # noqa: F401  (registers every saved-model format)
    from duelo.errors import DueloError
    from duelo.io.hub_formats import read_header

    try:
        header = read_header(model_dir)
    except DueloError:
        return None
    kind = header.config.get("kind")
    return f"{header.format}/{kind}" if isinstance(kind, str) else header.format


def panel_for(model_dir: Path) -> Panel | None:
    key = panel_key(model_dir) if model_dir.is_dir() else None
    return PANELS.get(key) if key is not None and key in PANELS else None
