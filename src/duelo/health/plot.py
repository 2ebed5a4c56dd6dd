"""The picture `duelo doctor` writes: the health signals of a run over training, one panel per family,
sharing the kimg axis, with the monitor's events as vertical lines. matplotlib with the Agg backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from duelo.health.doctor import is_number, kimg_of, read_jsonl

SEVERITY_COLOURS = {"info": "#4c72b0", "warning": "#dd8452", "error": "#c44e52"}   # least to most severe
Series = tuple[str, list[float], list[float]]            # label, kimg, values


def series(records: list[dict[str, Any]], key: str, label: str | None = None,
           positive: bool = False) -> Series:
    """(label, x, y) for the records holding a finite number under `key` (a positive one for log axes)."""
    points = [(kimg_of(r), r[key]) for r in records if is_number(r.get(key)) and (r[key] > 0 or not positive)]
    return label or key, [x for x, _ in points], [y for _, y in points]


def coverage(signals: list[dict[str, Any]]) -> Series:
    """classes_covered / classes_total as a fraction."""
    rows = [{"kimg": r["kimg"], "fraction": r["classes_covered"] / r["classes_total"]} for r in signals
            if is_number(r.get("classes_covered")) and is_number(r.get("classes_total"))
            and r["classes_total"] > 0]
    return series(rows, "fraction", "classes covered / total")


Panel = tuple[str, list[Series], bool]                  # title, curves, log y


def panels(metrics: list[dict[str, Any]], signals: list[dict[str, Any]]) -> list[Panel]:
    """(title, curves, log y) per panel; panels without a single point are left out."""
    logits = [series(signals, k) for k in ("d_real_train", "d_real_heldout", "d_fake")]
    if not any(xs for _, xs, _ in logits):
        logits = [series(metrics, k) for k in ("D_real", "D_fake")]
    balance = [series(signals, k) for k in ("rt_train", "rt_heldout", "overfit_rv", "augment_p")]
    if not balance[-1][1]:
        balance[-1] = series(metrics, "augment_p")
    candidates = [
        ("losses", [series(metrics, k) for k in ("loss_D", "loss_G")], False),
        ("D logits (mean)", logits, False),
        ("D overfitting: r_t, r_v, augment p", balance, False),
        ("gradient norms", [series(signals, k, positive=True) for k in ("grad_norm_D", "grad_norm_G")], True),
        ("diversity and class coverage", [series(signals, "diversity_ratio"), coverage(signals)], False),
    ]
    return [(title, [c for c in curves if c[1]], log) for title, curves, log in candidates
            if any(xs for _, xs, _ in curves)]


def plot_health(run: Path, out: Path) -> Path | None:
    """Write the PNG to `out`; returns its path, or None when the run holds nothing to draw."""
    run = Path(run)
    metrics = read_jsonl(run / "metrics.jsonl")
    health = read_jsonl(run / "health.jsonl")
    signals = [{"kimg": kimg_of(r), **r["signals"]} for r in health
               if r.get("kind") == "signals" and isinstance(r.get("signals"), dict)]
    marks: dict[float, tuple[str, list[str]]] = {}     # kimg -> (worst severity, event names) for one line
    for record in health:
        if record.get("kind") == "event" and isinstance(record.get("event"), str):
            worst, names = marks.get(kimg_of(record), ("info", []))
            severity = record.get("severity") if record.get("severity") in SEVERITY_COLOURS else "info"
            worst = max(worst, severity, key=list(SEVERITY_COLOURS).index)
            marks[kimg_of(record)] = (worst, [*names, record["event"].replace("_", " ")])
    chosen = panels(metrics, signals)
    if not chosen:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(chosen), 1, figsize=(8, 2.3 * len(chosen) + 0.6), sharex=True,
                                squeeze=False)
    for row, (axis, (title, curves, log)) in enumerate(zip(axes[:, 0], chosen)):
        for label, xs, ys in curves:
            axis.plot(xs, ys, label=label, linewidth=1.2, marker="o" if len(xs) < 20 else None, markersize=3)
        if log:
            axis.set_yscale("log")
        for kimg, (severity, names) in marks.items():
            colour = SEVERITY_COLOURS[severity]
            axis.axvline(kimg, color=colour, linewidth=0.9, linestyle="--", alpha=0.8)
            if row == 0:                                  # one label per line, on the top panel
                axis.annotate(", ".join(dict.fromkeys(names)), (kimg, 1.0),
                              xycoords=("data", "axes fraction"), rotation=90, fontsize=6, color=colour,
                              va="top", ha="right")
        axis.set_title(title, fontsize=9)
        axis.legend(fontsize=7, loc="best")
        axis.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("kimg")
    figure.suptitle(f"training health: {run.name}", fontsize=10)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=100)
    plt.close(figure)
    return out
