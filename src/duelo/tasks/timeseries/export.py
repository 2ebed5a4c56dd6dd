"""Generated windows to files: a CSV in long form (one row per window and valid step: window, step, [label], one
column per channel, in the data's units) or an .npz (windows (N, T, C), labels, lengths, columns). `duelo sample`
on a time-series run calls this."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from duelo.errors import ConfigError

SUFFIXES = (".csv", ".npz")


def series_output_path(out: Path) -> Path:
    """OUT itself when it names a .csv/.npz file, else OUT/windows.csv."""
    return out if out.suffix.lower() in SUFFIXES else out / "windows.csv"


def write_windows(path: Path, values: torch.Tensor, labels: torch.Tensor | None, config: dict,
                  force: bool = False, lengths: torch.Tensor | None = None) -> Path:
    """Write (N, T, C) `values` (and labels, lengths) to `path` (.csv or .npz), atomically; an existing file only
    with `force`. A CSV holds each window's valid steps only; an .npz holds the padded windows and `lengths`."""
    from duelo.io.atomic import atomic_write_bytes

    if path.suffix.lower() not in SUFFIXES:
        raise ConfigError(f"--out {path}: write windows to a .csv or .npz file (or a folder: OUT/windows.csv)")
    if path.exists() and not force:
        raise ConfigError(f"{path} exists; pass --force to replace it or choose another --out")
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = list(config["columns"])
    array = values.numpy()
    if path.suffix.lower() == ".npz":
        import io

        buffer = io.BytesIO()
        extra = {} if labels is None else {"labels": labels.numpy()}
        if lengths is not None:
            extra["lengths"] = lengths.numpy()
        np.savez_compressed(buffer, windows=array.astype(np.float32), columns=np.array(columns), **extra)
        atomic_write_bytes(path, buffer.getvalue())
        return path
    atomic_write_bytes(path, windows_csv(values, labels, config, lengths))
    return path


def windows_csv(values: torch.Tensor, labels: torch.Tensor | None, config: dict,
                lengths: torch.Tensor | None = None) -> bytes:
    """The CSV `write_windows` writes, as bytes (the studio serves it without a file): one row per window and
    valid step."""
    columns = list(config["columns"])
    names = config.get("class_names")
    array = values.numpy()
    n, steps, _ = array.shape
    header = ["window", "step", *(["label"] if labels is not None else []), *columns]
    lines = [",".join(header)]
    for i in range(n):
        label = [] if labels is None else [names[int(labels[i])] if names else str(int(labels[i]))]
        for t in range(steps if lengths is None else int(lengths[i])):
            lines.append(",".join([str(i), str(t), *label, *(f"{v:.6g}" for v in array[i, t])]))
    return ("\n".join(lines) + "\n").encode()
