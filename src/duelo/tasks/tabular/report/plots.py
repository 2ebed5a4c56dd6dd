"""Figures of report.html as base64 PNG strings (matplotlib, Agg backend, no display needed)."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import pandas as pd

from duelo.tasks.tabular.report.frames import numeric_column

REAL_COLOUR, SYNTH_COLOUR, HOLDOUT_COLOUR = "#4c72b0", "#dd8452", "#55a868"
HIST_BINS = 30


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _text(value: Any) -> str:
    """Label text shown literally: matplotlib would read "$...$" as math (and fail on unknown symbols)."""
    return str(value).replace("$", r"\$")


def _png(figure: Any) -> str:
    """The figure as base64 PNG text; the figure is closed."""
    plt = _pyplot()
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=80)
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def column_plot(entry: dict[str, Any], real: pd.Series, synthetic: pd.Series) -> str | None:
    """Histogram overlay (numeric) or level-frequency bars (categorical) of one report column entry."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(4.2, 2.8))
    title = f"{entry['name']} ({entry['metric']} score {entry['score']:.3f})"
    if entry["kind"] == "numeric":
        values = {role: numeric_column(series, entry["detail"], role)
                  for role, series in (("real", real), ("synthetic", synthetic))}
        present = {role: v[~np.isnan(v)] for role, v in values.items()}
        if not len(present["real"]) or not len(present["synthetic"]):
            plt.close(figure)
            return None
        low, high = np.quantile(np.concatenate(list(present.values())), [0.005, 0.995])
        edges = np.linspace(low, high if high > low else low + 1, HIST_BINS + 1)
        for role, colour in (("real", REAL_COLOUR), ("synthetic", SYNTH_COLOUR)):
            axis.hist(np.clip(present[role], edges[0], edges[-1]), bins=edges, density=True, alpha=0.5,
                      color=colour, label=role)
        if entry["detail"] == "datetime":
            axis.set_xlabel("seconds since 1970")
    else:
        levels = entry["top_levels"]
        positions = np.arange(len(levels))
        axis.bar(positions - 0.2, [level["real"] for level in levels], 0.4, color=REAL_COLOUR, label="real")
        axis.bar(positions + 0.2, [level["synthetic"] for level in levels], 0.4, color=SYNTH_COLOUR,
                 label="synthetic")
        axis.set_xticks(positions, [_text(str(level["level"])[:12]) for level in levels], rotation=45, ha="right",
                        fontsize=7)
        axis.set_ylabel("share of rows")
    axis.set_title(_text(title), fontsize=9)
    axis.legend(fontsize=7)
    return _png(figure)


def pair_heatmap(columns: list[str], pairs: list[dict[str, Any]]) -> str | None:
    """Heat map of the pair scores (lower triangle; grey = pair not scored)."""
    if not pairs:
        return None
    names = list(dict.fromkeys(name for pair in pairs for name in pair["columns"]))
    names = [name for name in columns if name in set(names)]
    position = {name: i for i, name in enumerate(names)}
    matrix = np.full((len(names), len(names)), np.nan)
    for pair in pairs:
        i, j = sorted(position[name] for name in pair["columns"])
        matrix[j, i] = pair["score"]
    plt = _pyplot()
    size = min(3 + 0.28 * len(names), 14)
    figure, axis = plt.subplots(figsize=(size + 1, size))
    image = axis.imshow(np.ma.masked_invalid(matrix), cmap="RdYlGn", vmin=0, vmax=1)
    labels = [_text(name[:16]) for name in names]
    axis.set_xticks(range(len(names)), labels, rotation=90, fontsize=7)
    axis.set_yticks(range(len(names)), labels, fontsize=7)
    axis.set_title("column pair trend scores (1 = same relationship)", fontsize=9)
    figure.colorbar(image, ax=axis, fraction=0.046)
    return _png(figure)


def dcr_histogram(histogram: dict[str, Any]) -> str | None:
    """Distance-to-closest-record histograms of synthetic and holdout rows (shares of each)."""
    if not histogram or not histogram.get("synthetic"):
        return None
    plt = _pyplot()
    edges = np.asarray(histogram["edges"])
    figure, axis = plt.subplots(figsize=(5.2, 2.8))
    for role, colour in (("synthetic", SYNTH_COLOUR), ("holdout", HOLDOUT_COLOUR)):
        counts = histogram.get(role)
        if counts:
            shares = np.asarray(counts, dtype=float) / max(sum(counts), 1)
            axis.stairs(shares, edges, color=colour, label=f"{role} rows", linewidth=1.5)
    axis.set_xlabel("distance to the closest real row")
    axis.set_ylabel("share of rows")
    axis.set_title("distance to closest record", fontsize=9)
    axis.legend(fontsize=7)
    return _png(figure)
