"""What `duelo clean` writes into its --out folder (the data it read is never touched):

    report.json    every finding (item index and name, kind, score, reason in plain words), the counts, what
                   each detector did, and the files the reader could not use
    report.html    the same, with a thumbnail of every finding beside the item it duplicates (at most
                   MAX_SHOWN a kind), to look at before trusting it; a series is drawn as a small line plot, a
                   sound as its spectrogram with a player
    cleaned.npz    the items without the findings of the removed kinds (images, labels, class_names): give it
                   to `duelo train --dataset` as is
"""

from __future__ import annotations

import base64
import html
import io
from collections import Counter
from pathlib import Path

import numpy as np
import torch

from duelo.cleaning.findings import Faults

MAX_SHOWN = 200
MAX_HEARD = 40
KIND_WORDS = {"unreadable": "files that could not be read", "degenerate": "flat or degenerate items",
              "duplicate": "duplicates", "outlier": "outliers", "mislabelled": "likely mislabelled items",
              "impossible number": "rows with an impossible number", "likely typo": "rows with a likely typo"}


def summary_lines(faults: Faults, count: int, skipped: list[tuple[str, str]], removed: set[str],
                  kinds=("degenerate", "duplicate", "outlier", "mislabelled"), unit: str = "items") -> list[str]:
    counts = Counter(f.kind for f in faults.findings)
    lines = [f"{count:,} {unit} checked"]
    if skipped:
        lines.append(f"{len(skipped)} file(s) could not be read and were left out by the reader "
                     f"(first: {skipped[0][0]}: {skipped[0][1]})")
    for kind in kinds:
        n = counts.get(kind, 0)
        action = "removed from the copy" if kind in removed else "kept in the copy"
        lines.append(f"{n} {KIND_WORDS[kind]} ({100 * n / max(1, count):.1f} %)" + (f", {action}" if n else ""))
    return lines


def write_json(path: Path, spec: str, faults: Faults, names: list[str], class_names, labels, skipped,
               removed: set[str], kept: int) -> Path:
    from duelo.io.atomic import atomic_write_json

    findings = []
    for f in faults.findings:
        row = {"index": f.index, "name": names[f.index], "kind": f.kind, "score": round(f.score, 4),
               "reason": f.reason}
        if f.related is not None:
            row["duplicate_of"] = {"index": f.related, "name": names[f.related]}
        if labels is not None:
            row["label"] = class_names[int(labels[f.index])]
        if f.suggested is not None:
            row["suggested_label"] = class_names[f.suggested]
        findings.append(row)
    return atomic_write_json(path, {
        "data": spec, "items": len(names), "kept_in_copy": kept, "removed_kinds": sorted(removed),
        "counts": dict(Counter(f.kind for f in faults.findings)), "checked": faults.checked,
        "unreadable": [{"path": p, "reason": r} for p, r in skipped], "findings": findings})


def _thumbnail(image: torch.Tensor) -> str:
    from PIL import Image

    array = image.permute(1, 2, 0).numpy()
    picture = Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array[:, :, :3])
    scale = max(1, 64 // max(picture.size))
    return png_uri(picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST))


def png_uri(picture) -> str:
    """A PIL image as a PNG data URI, for a report's <img>."""
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def write_table_html(path: Path, spec: str, faults: Faults, frame, lines: list[str], first_row: int = 0,
                     row_word: str = "row") -> Path:
    """The findings of a table: per kind, the rows themselves (at most MAX_SHOWN) with the reason; each numbered
    from first_row (a text file's lines: 1) under the heading row_word."""
    from duelo.io.atomic import atomic_write_text

    parts = [f"<!doctype html><meta charset='utf-8'><title>duelo clean: {html.escape(spec)}</title>",
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;font-size:12px}"
             "td,th{border:1px solid #ccc;padding:2px 6px}</style>",
             f"<h1>duelo clean: {html.escape(spec)}</h1><ul>",
             *(f"<li>{html.escape(line)}</li>" for line in lines), "</ul>"]
    header = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    for kind, found in faults.by_kind().items():
        parts.append(f"<h2>{html.escape(KIND_WORDS.get(kind, kind))} ({len(found)})</h2>"
                     f"<table><tr><th>{row_word}</th><th>why</th>{header}</tr>")
        for f in found[:MAX_SHOWN]:
            cells = "".join(f"<td>{html.escape(str(v))}</td>" for v in frame.iloc[f.index].tolist())
            parts.append(f"<tr><td>{f.index + first_row}</td><td>{html.escape(f.reason)}</td>{cells}</tr>")
        parts.append("</table>")
        if len(found) > MAX_SHOWN:
            parts.append(f"<p>... and {len(found) - MAX_SHOWN} more in report.json</p>")
    return atomic_write_text(path, "\n".join(parts) + "\n")


def series_thumbnail(window: np.ndarray, length: int) -> str:
    """A small line plot of one series (T, C) in the [-1, 1] scaling, its valid steps only, one colour a channel."""
    from PIL import Image, ImageDraw

    width, height = 140, 48
    picture = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(picture)
    values = np.asarray(window, np.float64)[:max(1, int(length))]
    xs = np.linspace(2, width - 3, len(values)) if len(values) > 1 else np.array([width / 2])
    for c in range(values.shape[1]):
        ys = (1 - (np.clip(values[:, c], -1, 1) + 1) / 2) * (height - 5) + 2
        draw.line(list(zip(xs.tolist(), ys.tolist())) if len(values) > 1 else [(xs[0], ys[0])] * 2,
                  fill=SERIES_COLOURS[c % len(SERIES_COLOURS)], width=1)
    return png_uri(picture)


SERIES_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf")


def write_html(path: Path, spec: str, faults: Faults, images: torch.Tensor, names: list[str], lines: list[str],
               thumbnail=None, sound=None, heard: int = MAX_HEARD) -> Path:
    """The findings with a picture of each (beside its original for a duplicate); thumbnail(index) -> a data URI,
    by default the image itself; sound(index) -> a data URI of a WAV file to play under the picture, for the first
    `heard` findings of each kind (sounds: each is tens of kilobytes)."""
    from duelo.io.atomic import atomic_write_text

    picture = thumbnail or (lambda index: _thumbnail(images[index]))
    parts = [f"<!doctype html><meta charset='utf-8'><title>duelo clean: {html.escape(spec)}</title>",
             "<style>body{font-family:sans-serif;margin:2em}figure{display:inline-block;margin:4px;width:150px;"
             "vertical-align:top;font-size:11px}img{image-rendering:pixelated;border:1px solid #ccc}"
             "audio{width:150px;height:28px}</style>",
             f"<h1>duelo clean: {html.escape(spec)}</h1><ul>",
             *(f"<li>{html.escape(line)}</li>" for line in lines), "</ul>"]
    for kind, found in faults.by_kind().items():
        parts.append(f"<h2>{html.escape(KIND_WORDS.get(kind, kind))} ({len(found)})</h2>")
        for shown, f in enumerate(found[:MAX_SHOWN]):
            pictures = f"<img src='{picture(f.index)}'>"
            if f.related is not None:
                pictures += f" <img src='{picture(f.related)}'>"
            if sound is not None and shown < heard:
                pictures += "".join(f"<br><audio controls preload='none' src='{sound(index)}'></audio>"
                                    for index in (f.index, f.related) if index is not None)
            parts.append(f"<figure>{pictures}<figcaption>#{f.index} {html.escape(names[f.index])}<br>"
                         f"{html.escape(f.reason)}</figcaption></figure>")
        if len(found) > MAX_SHOWN:
            parts.append(f"<p>... and {len(found) - MAX_SHOWN} more in report.json</p>")
    return atomic_write_text(path, "\n".join(parts) + "\n")


def write_cleaned(path: Path, images: torch.Tensor, labels, class_names, keep: np.ndarray) -> Path:
    from duelo.data.npz_store import string_array
    from duelo.io.atomic import atomic_write

    arrays = {"images": images[torch.from_numpy(keep)].numpy()}
    if labels is not None:
        arrays["labels"] = labels[torch.from_numpy(keep)].numpy()
        arrays["class_names"] = string_array(list(class_names))

    def fill(temp: Path) -> None:
        with open(temp, "wb") as handle:
            np.savez_compressed(handle, **arrays)

    return atomic_write(path, fill)
