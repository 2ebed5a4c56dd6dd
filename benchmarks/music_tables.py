"""Renderers of docs/benchmarks.md's music tables (issue 20), from benchmarks/music.py results."""

from __future__ import annotations

SCORES = (("used_pitch_classes", "used pitch classes per bar", 2), ("polyphony", "polyphony", 2),
          ("in_key", "in key", 3), ("qualified_notes", "qualified notes", 3),
          ("range_violations", "range violations", 4))


def music_real(result: dict) -> str:
    """The real chorales' scores, even and odd halves side by side, and the corpus's own repetition."""
    halves = result["halves"]
    lines = ["| score | even chorales | odd chorales |", "| --- | --- | --- |"]
    for key, label, digits in SCORES:
        lines.append(f"| {label} | {halves['even'][key]:.{digits}f} | {halves['odd'][key]:.{digits}f} |")
    floor = result["histogram_distance_between_halves"]
    lines.append(f"| pitch-class histogram distance between the halves | {floor:.3f} | |")
    shared = result["longest_shared_soprano"]
    lines.append(f"| longest soprano run shared with another chorale (notes; median melody "
                 f"{shared['median_melody_notes']:g}) | median {shared['median']:g}, max {shared['max']} | whole "
                 f"melody shared: {100 * shared['whole_melody_share']:.1f} % of chorales |")
    return "\n".join(lines)


RENDERERS = {"music-real": music_real}
