"""Renderers of docs/benchmarks.md's text tables (issue 19), from benchmarks/text.py results."""

from __future__ import annotations

from series_tables import DASH, _f, _pair, _table


def text_curve(*results: dict) -> str:
    """Each model at each temperature: BLEU-4 (quality) and self-BLEU-4 (repetition) beside the held-out lines'
    own figures, novelty, plausibility and the longest copy from training, the held-out NLL per token, and the
    MiniLM embedding FD where the results have it. A maximum-likelihood run read at its lowest held-out NLL
    (RUN/best, row "mle-best") says where that was."""
    rows = []
    points = [point for result in results for row in result["rows"] for point in row.get("curve", [])]
    labelled = any("class_accuracy" in point for point in points)
    embedded = any(point.get("embedding_fd") is not None for point in points)
    joint = any("novel_plausible" in point for point in points)
    for result in results:
        for row in result["rows"]:
            if row.get("returncode") != 0 or "curve" not in row:
                rows.append([row["model"], f"failed: {str(row.get('error', ''))[-60:]}"]
                            + [DASH] * (7 + labelled + embedded + joint))
                continue
            training = f"{row['train_time_s'] / 60:.1f} min, {row['kimg']:,.1f} kimg"   # what it trained, not the cap
            if row.get("best_at"):
                training = f"of {training}: the model at {row['best_at']['kimg']:,.1f} kimg (lowest held-out NLL)"
            for point in row["curve"]:
                rows.append([row["model"], training, f"{point['temperature']:g}",
                             _pair(point["bleu4"], point["bleu4_real"]),
                             _pair(point["self_bleu4"], point["self_bleu4_real"]),
                             _pair(point["novelty"], point["novelty_real"]),
                             _pair(point["plausible"], point["plausible_real"])]
                            + ([_pair(point.get("novel_plausible"), point.get("novel_plausible_real"))] if joint
                               else [])
                            + [_pair(point["longest_copy"], point["longest_copy_real"]), _f(point.get("nll_per_token"))]
                            + ([_pair(point.get("embedding_fd"), point.get("embedding_fd_real"))] if embedded else [])
                            + ([_pair(point.get("class_accuracy"), point.get("class_accuracy_real"))] if labelled
                               else []))
    header = ["model", "training", "temperature", "BLEU-4 (real)", "self-BLEU-4 (real)", "novelty (real)",
              "plausible (real)", "longest copy (real)", "held-out NLL / token"]
    if joint:
        header.insert(7, "new and plausible (real)")
    header += ["embedding FD (real)"] if embedded else []
    header += ["class accuracy (real)"] if labelled else []
    return _table(header, rows)


def text_samples(*results: dict, width: int = 150) -> str:
    """Each model's first samples at temperature 1 (as the result file keeps them), as many as fit `width`
    characters, separated by " / "."""
    rows = []
    for result in results:
        for row in result["rows"]:
            shown: list[str] = []
            for line in row.get("samples", []):
                if shown and sum(len(x) + 3 for x in shown) + len(line) > width:
                    break
                shown.append(line.replace("|", "\\|"))
            rows.append([row["model"], " / ".join(shown) or DASH])
    return _table(["model", "samples at temperature 1"], rows)


RENDERERS = {"text-curve": text_curve, "text-samples": text_samples}
