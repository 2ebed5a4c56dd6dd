"""`duelo clean` on text lines (a named text set such as kjv, or a .txt file of one sample per line, `label<TAB>text`
when labelled): the text checks (cleaning/text_faults.py), report.json and report.html (each finding's line, with
the line it copies for a duplicate) and cleaned.txt, a file of the same form that `duelo train --task text
--dataset` reads as it is."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from duelo.cli.clean import KINDS, REPORT_FILES, check_request

COPY_NAME = "cleaned.txt"


def is_text(data: str) -> bool:
    """A named text set, or a .txt file (a .tsv is a table: `duelo clean` reads it as one)."""
    from duelo.tasks.text.sources import named_sources

    return data in named_sources() or Path(data).suffix.lower() == ".txt"


def clean_text(data: str, out_dir: Path, keep: set[str], force: bool, seed: int) -> None:
    import pandas as pd

    from duelo.cleaning.report import summary_lines, write_json, write_table_html
    from duelo.cleaning.text_faults import find_text_faults
    from duelo.io.atomic import atomic_write_text
    from duelo.io.outputs import output_folder
    from duelo.tasks.text.sources import load_text

    check_request(keep, "text lines", out_dir, force, COPY_NAME)
    text = load_text(data)
    labelled = text.labels is not None
    click.echo(f"checking {len(text.lines):,} lines of {data}"
               + (f" ({len(text.class_names)} classes)" if labelled else "") + " ...", err=True)
    faults = find_text_faults(text.lines, text.labels, text.class_names, seed,
                              log=lambda message: click.echo(message, err=True))
    names = [f"line {i + 1}" for i in range(len(text.lines))]
    folder = output_folder(out_dir, force=force, names=[*REPORT_FILES[:2], COPY_NAME])
    removed = set(KINDS) - keep
    mask = faults.kept(len(text.lines), removed)
    lines = summary_lines(faults, len(text.lines), [], removed, KINDS, "lines")
    labels = None if not labelled else np.asarray(text.labels)
    write_json(folder / "report.json", data, faults, names, text.class_names if labelled else None, labels, [],
               removed, int(mask.sum()))
    frame = pd.DataFrame({"text": list(text.lines)})
    if labelled:
        frame.insert(0, "label", [text.class_names[k] for k in text.labels])
    frame["copies line"] = ""
    for f in faults.findings:
        if f.related is not None:
            frame.loc[f.index, "copies line"] = f"{f.related + 1}: {text.lines[f.related]}"
    write_table_html(folder / "report.html", data, faults, frame, lines, first_row=1, row_word="line")
    kept = np.nonzero(mask)[0]
    rows = [f"{text.class_names[text.labels[i]]}\t{text.lines[i]}" if labelled else text.lines[i] for i in kept]
    atomic_write_text(folder / COPY_NAME, "".join(row + "\n" for row in rows))
    for line in lines:
        click.echo(line)
    click.echo(f"wrote {folder / 'report.html'}, report.json and {COPY_NAME} ({len(kept):,} lines); {data} itself "
               f"was not changed")
