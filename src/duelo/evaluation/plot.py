"""The small picture `duelo eval` writes next to eval.json: per-class figures as bars and, for a run with
periodic evaluation, the ranked metric over training. matplotlib with the Agg backend (no display)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from duelo.io.atomic import atomic_write_bytes


def plot_evaluation(results: dict[str, Any], path: Path, history: Path | None = None) -> Path | None:
    """Write a PNG; returns its path, or None when there is nothing worth drawing."""
    per_class = {k: v for k, v in results.items() if k.endswith("_per_class") and isinstance(v, list) and v}
    series: list[dict] = []
    if history is not None:
        from duelo.io.json_files import json_lines

        series = [row for row in json_lines(history) if isinstance(row.get("kimg"), (int, float))]
    if not per_class and len(series) < 2:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = len(per_class) + (1 if len(series) >= 2 else 0)
    figure, axes = plt.subplots(1, panels, figsize=(4.2 * panels, 3.2), squeeze=False)
    for axis, (name, values) in zip(axes[0], per_class.items()):
        axis.bar(range(len(values)), values, color="#4c72b0")
        axis.set_xticks(range(len(values)))
        axis.set_xlabel("class")
        axis.set_title(name.removesuffix("_per_class"))
    if len(series) >= 2:
        axis = axes[0][-1]
        keys = sorted({k for row in series for k, v in row.items()
                       if isinstance(v, (int, float)) and k not in ("nimg", "kimg")})
        for key in keys[:3]:
            axis.plot([row["kimg"] for row in series if key in row], [row[key] for row in series if key in row],
                      marker="o", label=key)
        axis.set_xlabel("kimg")
        axis.set_title("periodic evaluation")
        axis.legend(fontsize=7)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    return atomic_write_bytes(path, buffer.getvalue())
