"""Table and plot of benchmarks/time_to_quality.py: a metric against training wall-clock time, one line per
(dataset, mode), and the training time each run needed to reach fixed thresholds. Kept apart from the runner
so that `report` works anywhere matplotlib is installed, with no data or GPU at hand."""

from __future__ import annotations

from pathlib import Path

THRESHOLDS = {"fid": (50.0, 20.0, 10.0), "fd_domain": (5.0, 1.0, 0.3)}
DATASET_ORDER, MODE_ORDER = ("mnist", "fashion-mnist"), ("fast", "eager")    # row order (JSON keys are sorted)
NOT_RUNS = ("provenance", "train_provenance")


def runs(results: dict) -> list[tuple[str, dict]]:
    """The runs of a results dict (not _meta, _skipped_*, provenance), in dataset then mode order."""
    def key(item):
        name, run = item
        rank = [order.index(run[field]) if run.get(field) in order else len(order)
                for field, order in (("dataset", DATASET_ORDER), ("mode", MODE_ORDER))]
        return (*rank, name)

    return sorted(((name, run) for name, run in results.items() if not name.startswith("_") and name not in NOT_RUNS),
                  key=key)


def metric_label(meta: dict) -> str:
    """'FID-10k' for the real thing; the sample count spelled out otherwise (FID is biased at small N)."""
    samples = meta.get("samples", 0)
    name = "FID" if meta.get("metric", "fid") == "fid" else meta["metric"]
    return f"{name}-{samples // 1000}k" if samples % 1000 == 0 and samples else f"{name} ({samples:,} samples)"


def _reached(snapshots: list[dict], metric: str, threshold: float) -> str:
    """Training time of the first evaluated snapshot at or below the threshold; '≤' when an earlier snapshot
    was not evaluated (the crossing may lie before it)."""
    for position, snapshot in enumerate(snapshots):
        value = snapshot.get(metric)
        if value is not None and value <= threshold:
            bound = "≤ " if position == 0 or snapshots[position - 1].get(metric) is None else ""
            return f"{bound}{snapshot['clock_s']:.0f} s ({snapshot['kimg']:.0f} kimg)"
    return "not reached"


def table(results: dict) -> str:
    meta = results["_meta"]
    metric, thresholds = meta.get("metric", "fid"), meta.get("thresholds") or THRESHOLDS["fid"]
    label = metric_label(meta)
    lines = [f"| run | img/s (clean) | kimg in budget | train s | snapshots (evaluated) | snapshot+health s | "
             f"{label} first → best → last | " + " | ".join(f"s to {label} ≤ {t:g}" for t in thresholds) + " |",
             "|---" * (7 + len(thresholds)) + "|"]
    for name, run in runs(results):
        if "snapshots" not in run:
            lines.append(f"| {name} | failed: {run.get('error', 'missing')[-160:]!r} |")
            continue
        snaps = run["snapshots"]
        values = [s[metric] for s in snaps if s.get(metric) is not None]
        trend = f"{values[0]:.1f} → {min(values):.1f} → {values[-1]:.1f}" if values else "n/a"
        speed = f"{run['img_per_s_clean']:,.0f}" if run["img_per_s_clean"] else "n/a"
        lines.append(f"| {name} | {speed} | {run['kimg']:,.0f} | {run['train_time_s']:.0f} "
                     f"| {len(snaps)} ({len(values)}) | {run['snapshot_overhead_s']:.1f} | {trend} | "
                     + " | ".join(_reached(snaps, metric, t) for t in thresholds) + " |")
    return "\n".join(lines)


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    meta = results["_meta"]
    metric = meta.get("metric", "fid")
    colours, styles = {"mnist": "#1f77b4", "fashion-mnist": "#d62728"}, {"fast": "-", "eager": "--"}
    figure, axis = plt.subplots(figsize=(7.5, 4.6))
    for name, run in runs(results):
        points = [(s["clock_s"], s[metric]) for s in run.get("snapshots", []) if s.get(metric)]
        if points:
            dataset, mode = run["dataset"], run["mode"]
            axis.plot(*zip(*points), styles.get(mode, ":"), color=colours.get(dataset, "#555555"), marker="o",
                      markersize=3, label=f"{dataset}, {mode} ({run['img_per_s_clean'] or float('nan'):,.0f} img/s)")
    for threshold in meta.get("thresholds") or ():
        axis.axhline(threshold, color="#999999", linewidth=0.6, linestyle=":")
    axis.set_yscale("log")
    axis.set_xlabel("training wall-clock time, s (the run's clock; snapshots and health checks included)")
    axis.set_ylabel(f"{metric_label(meta)} against the test images (log)")
    axis.set_title(f"duelo defaults (DCGAN-32, batch 64), {meta.get('gpu', '?')}, {meta.get('date', '')}", fontsize=9)
    axis.grid(True, which="both", linewidth=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_outputs(results: dict, out: Path, stamp: bool = True) -> None:
    """JSON, markdown table and PNG in `out`. `stamp`: add this process's provenance block (duelo.io.provenance;
    the evaluate step); without it the results are written as they are (`report`, which measures nothing)."""
    from duelo.io.atomic import atomic_write_json
    from duelo.io.provenance import write_result

    out.mkdir(parents=True, exist_ok=True)
    if stamp:
        write_result(out / "time_to_quality.json", results)
    else:
        atomic_write_json(out / "time_to_quality.json", results)
    (out / "time_to_quality.md").write_text(table(results) + "\n")
    print(table(results), flush=True)
    try:
        plot(results, out / "time_to_quality.png")
    except ImportError as error:
        print(f"no plot ({error}); run `report` where matplotlib is installed", flush=True)
