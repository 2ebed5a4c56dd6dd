"""`duelo clean` on a set of time series: the series checks (cleaning/series_faults.py), report.json and
report.html (a small line plot of every finding) and cleaned.npz, an .npz of windows in the data's own units that
`duelo train --task timeseries --dataset` reads as it is."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from duelo.cli.clean import check_request, write_findings
from duelo.errors import ConfigError


def clean_series(data: str, out_dir: Path, keep: set[str], force: bool, seed: int) -> None:
    from duelo.cleaning.report import series_thumbnail
    from duelo.cleaning.series_faults import find_series_faults, valid_lengths
    from duelo.tasks.timeseries.data import load_series

    check_request(keep, "time series", out_dir, force)
    series = load_series(data, window=None)
    if series.per_series > 1:
        raise ConfigError(f"{data}: one continuous series cut into overlapping windows ({series.per_series:,} from "
                          f"one series); the checks compare independent items. Give an .npz of windows or a set of "
                          f"series (a .ts file, a named set such as gunpoint), or check a CSV's rows as a table: "
                          f"duelo clean FILE.csv")
    windows = series.windows.numpy()
    lengths = None if series.lengths is None else series.lengths.numpy()
    labels = None if series.labels is None else series.labels.numpy()
    click.echo(f"checking {len(series):,} series of {data} ({windows.shape[1]} steps, {windows.shape[2]} "
               f"channel(s)) ...", err=True)
    faults = find_series_faults(windows, lengths, labels, series.class_names, seed,
                                log=lambda text: click.echo(text, err=True))
    steps = valid_lengths(windows, lengths)
    write_findings(data, out_dir, force, keep, faults, [f"series {i}" for i in range(len(series))],
                   series.class_names, labels, "series", lambda path, mask: write_series(path, series, mask),
                   thumbnail=lambda index: series_thumbnail(windows[index], int(steps[index])))


def write_series(path: Path, series, keep: np.ndarray) -> Path:
    """The kept windows in the data's own units, with labels, lengths, channel and class names (the .npz the series
    reader takes)."""
    import torch

    from duelo.data.npz_store import string_array
    from duelo.io.atomic import atomic_write

    index = torch.from_numpy(np.nonzero(keep)[0])
    arrays = {"windows": series.to_original(series.windows[index]).numpy(), "columns": string_array(series.columns)}
    if series.lengths is not None:
        lengths = series.lengths[index].numpy()
        arrays["lengths"] = lengths
        steps = np.arange(arrays["windows"].shape[1])
        arrays["windows"][steps[None, :] >= lengths[:, None]] = 0.0           # past a series' end: no data
    if series.labels is not None:
        arrays["labels"] = series.labels[index].numpy()
        arrays["class_names"] = string_array(list(series.class_names))

    def fill(temp: Path) -> None:
        with open(temp, "wb") as handle:
            np.savez_compressed(handle, **arrays)

    return atomic_write(path, fill)
