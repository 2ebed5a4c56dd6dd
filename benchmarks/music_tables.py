"""Renderers of docs/benchmarks.md's music tables (issue 20), from benchmarks/music.py results."""

from __future__ import annotations

SCORES = (("used_pitch_classes", "used pitch classes per bar", 2), ("polyphony", "polyphony", 2),
          ("in_key", "in key", 3), ("qualified_notes", "qualified notes", 3),
          ("range_violations", "range violations", 4))


def music_real(result: dict) -> str:
    """The real pieces' scores, even and odd halves side by side, and the corpus's own repetition."""
    halves = result["halves"]
    what = result.get("dataset", "chorales")
    lines = [f"| score | even {what} | odd {what} |", "| --- | --- | --- |"]
    for key, label, digits in SCORES:
        lines.append(f"| {label} | {halves['even'][key]:.{digits}f} | {halves['odd'][key]:.{digits}f} |")
    floor = result["histogram_distance_between_halves"]
    lines.append(f"| pitch-class histogram distance between the halves | {floor:.3f} | |")
    shared = result["longest_shared_soprano"]
    lines.append(f"| longest melody run shared with another piece (notes; median melody "
                 f"{shared['median_melody_notes']:g}) | median {shared['median']:g}, max {shared['max']} | whole "
                 f"melody shared: {100 * shared['whole_melody_share']:.1f} % of pieces |")
    return "\n".join(lines)


TRAINED = (("histogram_distance", "pitch-class histogram distance", 3), ("in_key", "in key", 3),
           ("used_pitch_classes", "used pitch classes per bar", 2), ("polyphony", "polyphony", 2),
           ("qualified_notes", "qualified notes", 3), ("range_violations", "range violations", 3),
           ("longest_shared", "longest soprano run shared with training (notes)", 2),
           ("real_vs_generated", "real-vs-generated classifier accuracy (0.5: cannot tell)", 3),
           ("mode_in_key", "in the asked mode's key (conditional; C major or A minor)", 3),
           ("mode_accuracy", "read as the asked mode by a classifier of real windows (conditional; real: their own "
                             "mode)", 3))


def _column(row: dict) -> str:
    """A run's column: its kimg and training seconds where its summary gave them."""
    if row.get("kimg") is None or row.get("train_time_s") is None:
        return "generated"
    return f"{row['kimg']:,.0f} kimg, {row['train_time_s']:.0f} s"


def music_train(*results: dict) -> str:
    """Each run's scores beside the held-out windows' own (the histogram distance's is training windows against
    held-out ones)."""
    runs = [row for result in results for row in result["rows"] if "scores" in row]
    header = "| score | " + " | ".join(_column(row) for row in runs) + " | held-out windows |"
    lines = [header, "| --- " * (len(runs) + 2) + "|"]
    for key, label, digits in TRAINED:
        if not all(key in row["scores"] for row in runs):             # a score added after these runs
            continue
        cells = [f"{row['scores'][key]:.{digits}f}" for row in runs]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {runs[-1]['scores'][key + '_real']:.{digits}f} |")
    return "\n".join(lines)


RENDERERS = {"music-real": music_real, "music-train": music_train}
