"""Loss curves as inline SVG, drawn on the server from metrics.jsonl: no plotting library in the browser and no
picture file to keep in step with the log. Only numbers and the series' names reach the markup (names escaped)."""

from __future__ import annotations

import html
import math
from typing import Any

WIDTH, HEIGHT, MARGIN = 640, 240, 36
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
MAX_POINTS = 400                  # longer logs are thinned evenly (the last point always kept)


def loss_series(metrics: list[dict[str, Any]]) -> dict[str, list[tuple[float, float]]]:
    """{name: [(kimg, value), ...]} of every `loss_*` field, finite values only."""
    series: dict[str, list[tuple[float, float]]] = {}
    for record in metrics:
        kimg = record.get("kimg")
        if not isinstance(kimg, (int, float)):
            continue
        for name, value in record.items():
            if name.startswith("loss_") and isinstance(value, (int, float)) and math.isfinite(value):
                series.setdefault(name, []).append((float(kimg), float(value)))
    return series


def thin(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if len(points) <= MAX_POINTS:
        return points
    step = len(points) / MAX_POINTS
    return [points[int(i * step)] for i in range(MAX_POINTS - 1)] + [points[-1]]


def loss_chart(metrics: list[dict[str, Any]]) -> str:
    """An <svg> of the losses against kimg, or a short note when the log has none yet."""
    series = {name: thin(points) for name, points in sorted(loss_series(metrics).items())}
    if not series:
        return '<p class="note">no losses logged yet</p>'
    xs = [x for points in series.values() for x, _ in points]
    ys = [y for points in series.values() for _, y in points]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1.0
    y0, y1 = min(ys), max(ys) if max(ys) > min(ys) else min(ys) + 1.0

    def at(x: float, y: float) -> str:
        px = MARGIN + (x - x0) / (x1 - x0) * (WIDTH - 2 * MARGIN)
        py = HEIGHT - MARGIN - (y - y0) / (y1 - y0) * (HEIGHT - 2 * MARGIN)
        return f"{px:.1f},{py:.1f}"

    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="losses against kimg">',
             f'<rect x="{MARGIN}" y="{MARGIN}" width="{WIDTH - 2 * MARGIN}" height="{HEIGHT - 2 * MARGIN}" '
             f'fill="none" stroke="#ccc"/>',
             f'<text x="{MARGIN}" y="{HEIGHT - 8}">{x0:g} kimg</text>',
             f'<text x="{WIDTH - MARGIN}" y="{HEIGHT - 8}" text-anchor="end">{x1:g} kimg</text>',
             f'<text x="4" y="{MARGIN - 6}">{y1:.4g}</text>',
             f'<text x="4" y="{HEIGHT - MARGIN + 14}">{y0:.4g}</text>']
    for index, (name, points) in enumerate(series.items()):
        colour = COLOURS[index % len(COLOURS)]
        line = " ".join(at(x, y) for x, y in points)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{line}"/>')
        if len(points) == 1:                              # one logged line so far: a dot, not an invisible line
            cx, cy = at(*points[0]).split(",")
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{colour}"/>')
        parts.append(f'<text x="{WIDTH - MARGIN - 4}" y="{MARGIN + 14 + 14 * index}" text-anchor="end" '
                     f'fill="{colour}">{html.escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
