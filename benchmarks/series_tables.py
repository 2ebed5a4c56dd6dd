"""Renderers of docs/benchmarks.md's time-series tables (issue 18), from benchmarks/timeseries.py results."""

from __future__ import annotations

from timeseries import ANCHORS, PAPER_SCALE

DASH = "—"
MODEL_LABELS = {"conv": "duelo conv", "timegan": "duelo `--preset timegan`"}
VARIANT_LABELS = {"old": "earlier design: ReLU G without position features, mean-pooling D"}   # else the name


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows]) + "\n"


def _f(value, digits: int = 3) -> str:
    return DASH if value is None else f"{value:.{digits}f}"


def timeseries(*results: dict) -> str:
    """Every job of one or more results: training, TimeGAN's two scores (the predictive MAE on the paper's scale
    where the paper has the data set, else on duelo's [-1, 1]: PAPER_SCALE), the convolutional discriminative
    score where measured, context-FID, and the classification ratio of labelled sets; then the published
    anchors."""
    rows = []
    for result in results:
        for row in result["rows"]:
            label = MODEL_LABELS.get(row["model"], row["model"])
            if row.get("variant"):
                label += f" ({VARIANT_LABELS.get(row['variant'], row['variant'])})"
            if row.get("returncode") != 0 or "scores" not in row:
                rows.append([row["dataset"], label, f"failed: {str(row.get('error', ''))[-60:]}"] + [DASH] * 7)
                continue
            s = row["scores"]
            minutes = f"{result['minutes']:g} min, {row['kimg']:,.0f} kimg"
            if result.get("parallel", 1) > 1:
                minutes += f", {result['parallel']} jobs sharing the GPU"
            if s.get("discriminative_test_windows"):
                minutes += f"; discriminative scores on {s['discriminative_test_windows']:,} test windows"
            scale = PAPER_SCALE.get(row["dataset"], 1.0)
            rows.append([row["dataset"], label, minutes, _f(s["discriminative"]), _f(s.get("discriminative_conv")),
                         _f(s["predictive_mae"] * scale), _f(s["predictive_mae_real"] * scale),
                         _f(s["context_fid"]), _f(s["context_fid_real"]), _f(s.get("class_accuracy_ratio"), 2)])
    for name, by_data in ANCHORS.items():           # published figures: constants of benchmarks/timeseries.py
        for data, figures in by_data.items():
            rows.append([data, name, "published", _f(figures["discriminative"]), DASH,
                         _f(figures["predictive_mae_paper"]), DASH, DASH, DASH, DASH])
    header = ["data", "model", "training", "discriminative (TimeGAN's GRU)", "discriminative (conv)",
              "predictive MAE (paper's scale: sines ×1/4, stocks ×1/2)", "the same, trained on real",
              "context-FID", "context-FID, real vs real",
              "class accuracy, synthetic / real"]
    return _table(header, rows)


def _pair(value, real, digits: int = 3) -> str:
    """A score beside its real-vs-real figure in brackets."""
    return f"{_f(value, digits)} ({_f(real, digits)})"


def video(*results: dict) -> str:
    """The video runs: training, the judge's video and frame Fréchet distances, Inception frame FID/KID, frame
    change and the shuffled-order score, each beside its real-vs-real figure, and class accuracy."""
    rows = []
    for result in results:
        for row in result["rows"]:
            if row.get("returncode") != 0 or "scores" not in row:
                rows.append([row["config"], f"failed: {str(row.get('error', ''))[-60:]}"] + [DASH] * 7)
                continue
            s, inception = row["scores"], row.get("inception", {})
            training = f"{result['minutes']:g} min, {row['kimg']:,.1f} kimg"
            if result.get("parallel", 1) > 1:
                training += f", {result['parallel']} runs sharing the GPU"
            rows.append([row["config"], training, _pair(s["video_fd"], s["video_fd_real"], 1),
                         _pair(s["frame_fd"], s["frame_fd_real"], 2),
                         _pair(inception.get("frame_fid"), inception.get("frame_fid_real"), 1),
                         _pair(inception.get("frame_kid"), inception.get("frame_kid_real"), 4),
                         _pair(s["frame_change"], s["frame_change_real"], 4), _pair(s["shuffled"], s["shuffled_real"]),
                         _f(s.get("class_accuracy"), 2)])
    header = ["configuration", "training", "video FD, judge (real vs real)", "frame FD, judge (real)",
              "frame FID, Inception (real)", "frame KID, Inception (real)", "frame change (real)",
              "shuffled-order score (real)", "class accuracy"]
    return _table(header, rows)


def video_variants(*results: dict) -> str:
    """The video GAN's bare-loop diagnostic (benchmarks/video_variants.py): per variant, the steps it ran, how
    much its clips differ from each other, their bright-pixel fraction and frame change (each beside the real
    figure), and D's last hinge loss."""
    rows = []
    for result in results:
        for row in result["rows"]:
            if "error" in row:
                rows.append([row["variant"], f"failed: {str(row['error'])[-60:]}"] + [DASH] * 4)
                continue
            rows.append([row["variant"], f"{row['steps']:,}",
                         _pair(row["std_across_clips"], row["std_across_clips_real"]),
                         _pair(row["bright_fraction"], row["bright_fraction_real"]),
                         _pair(row["frame_change"], row["frame_change_real"]), _f(row["trace"][-1]["loss_d"])])
    header = ["variant", "steps", "std across clips (real)", "bright fraction (real)", "frame change (real)",
              "last loss_D"]
    return _table(header, rows)


RENDERERS = {"timeseries": timeseries, "video": video, "video-variants": video_variants}
