"""`duelo clean DATA --out DIR`: find unreadable, flat, duplicated, outlying and likely mislabelled images, time
series, sound clips, text lines or pieces of music, or the repeated rows, impossible numbers and likely typos of a
table (.csv / .parquet); write a report (JSON + HTML) and a cleaned copy. The data itself is never modified."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from duelo.errors import ConfigError
from duelo.registry import Registry, lazy

KINDS = ("degenerate", "duplicate", "outlier", "mislabelled")
TABLE_KINDS = ("duplicate", "impossible number", "likely typo", "mislabelled")
RUN_COMMAND = "duelo clean --run"
TABLE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq")     # also compressed: adult.csv.gz, adult.csv.zip
COMPRESSED = (".gz", ".bz2", ".zip", ".xz")


@click.command(context_settings={"show_default": True, "help_option_names": ["-h", "--help"]})
@click.argument("data")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True,
              help="Folder for report.json, report.html and the cleaned copy (cleaned.npz; a table's cleaned.csv, "
                   "text's cleaned.txt).")
@click.option("--keep", "keep_kinds", default="", metavar="KINDS",
              help=f"Kinds of findings to keep in the cleaned copy, comma-separated (images: {', '.join(KINDS)}; "
                   f"tables: {', '.join(TABLE_KINDS)}); the others are left out of it.")
@click.option("--run", "run", type=click.Path(path_type=Path), default=None, metavar="RUN",
              help="An image run folder (`duelo train`'s): its discriminator scores every image, and those it "
                   "finds least like its training images are outliers too. For a run trained on data known to be "
                   "good, checking new data of the same kind.")
@click.option("--alpha", default=None, metavar="CHOICE",
              help="Transparent images: white, black, gray or #rrggbb flattens them onto that colour; keep keeps the "
                   "alpha channel in cleaned.npz (the checks see the images on white). Default: the --run's choice, "
                   "else white, as `duelo train`.")
@click.option("--label", "label_column", default=None, metavar="COLUMN",
              help="A table's label column: also find the rows whose label the other columns dispute (a "
                   "cross-fitted model). Images and series bring their labels with them.")
@click.option("--device", default="auto", help="Where the --run's discriminator runs (auto, cpu, cuda).")
@click.option("--seed", type=int, default=0, help="Seed of the cross-fitting split.")
@click.option("--force", is_flag=True, help="Replace report files that exist already in --out.")
def clean(data: str, out_dir: Path, keep_kinds: str, run: Path | None, alpha: str | None, label_column: str | None,
          device: str, seed: int, force: bool) -> None:
    """Check DATA for what should not be trained on. An image dataset (a named dataset, a folder, a .zip or an
    .npz): files that cannot be read, flat images, exact and near duplicates, outliers and likely mislabelled
    items. A set of time series (a named series set such as gunpoint, an .npz of windows, a .ts file): the same
    checks, each series an item. A set of sound clips (a named audio set such as drums, or the audio task's .npz):
    silent or clipped clips, exact and shifted copies, outliers and likely mislabelled clips. Text lines (a named
    text set such as kjv, or a .txt file, `label<TAB>text` when labelled): damaged lines, exact and near copies,
    lines whose characters or length are unlike the rest, and likely mislabelled lines. Pieces of music (a named
    music set such as chorales, or the music task's .npz): pieces with too few notes or a silent voice, exact,
    transposed and near copies, outliers and pieces whose mode looks like the other. A table (.csv or .parquet):
    repeated rows, impossible numbers and likely typos.
    docs/cleaning.md says how each is found and how well, measured on planted faults.

    \b
      duelo clean ./my_images --out checked/
      duelo clean mnist-5k --out checked/ --keep mislabelled
      duelo train --dataset checked/cleaned.npz
      duelo clean adult.csv --out checked/           # writes checked/cleaned.csv
      duelo clean adult.csv --label income --out checked/   # and the rows whose income the rest disputes
      duelo clean new_batch/ --run runs/good --out checked/   # and the low scores of a trained run's D
      duelo clean ecg_windows.npz --out checked/     # series: writes checked/cleaned.npz
      duelo clean drums --out checked/               # sounds: writes checked/cleaned.npz (clips)
      duelo clean lines.txt --out checked/           # text: writes checked/cleaned.txt
      duelo clean folk --out checked/                # music: writes checked/cleaned.npz (pieces)
    """
    keep = {k.strip() for k in keep_kinds.split(",") if k.strip()}
    kind = next((name for name in DATA_KINDS.names() if DATA_KINDS.info(name).holds(data)), None)
    takes_label = kind is not None and DATA_KINDS.info(kind).takes_label
    if label_column is not None and not takes_label:
        raise ConfigError(f"--label {label_column}: that option is for tables; {data} brings its labels with it")
    if kind is not None:
        _images_only(data, DATA_KINDS.info(kind).what, run=run, alpha=alpha)
        DATA_KINDS.get(kind)(data, out_dir, keep, force, seed, **({"label": label_column} if takes_label else {}))
        return
    from duelo.cleaning.image_faults import find_faults
    from duelo.cleaning.report import summary_lines, write_cleaned, write_html, write_json
    from duelo.data.alpha import flatten_for_features
    from duelo.data.loading import load_dataset
    from duelo.io.outputs import output_folder

    unknown = sorted(keep - set(KINDS))
    if unknown:
        raise ConfigError(f"--keep {keep_kinds}: unknown kind {unknown[0]!r}; give some of {', '.join(KINDS)}")
    if run is not None:                       # refused before anything is written
        from duelo.tasks.image_gan.run_models import check_run

        trained = check_run(run, RUN_COMMAND)
        alpha = alpha if alpha is not None else trained.data.alpha     # the images as the run's D saw its own
    alpha = alpha if alpha is not None else "white"
    check_alpha(alpha)
    names_out = ["report.json", "report.html", "cleaned.npz"]
    output_folder(out_dir, force=force, names=names_out, create=False)   # checked now, made once the checks ran
    dataset = load_dataset(data, alpha=alpha)
    seen = flatten_for_features(dataset.images)    # the checks and the thumbnails read gray or RGB
    skipped = [(e.path, e.reason) for e in dataset.report.entries if e.status == "skipped"]
    names = dataset.item_names or [f"item {i}" for i in range(len(dataset))]
    click.echo(f"checking {len(dataset):,} images of {data} ...", err=True)
    critic = None
    if run is not None:
        from duelo.tasks.image_gan.run_models import run_scores

        critic = run_scores(run, dataset.images, device, RUN_COMMAND, log=lambda text: click.echo(text, err=True))
    faults = find_faults(seen, dataset.labels, dataset.class_names, seed,
                         log=lambda text: click.echo(text, err=True), critic=critic)
    folder = output_folder(out_dir, force=force, names=names_out)
    removed = set(KINDS) - keep
    mask = faults.kept(len(dataset), removed)
    lines = summary_lines(faults, len(dataset), skipped, removed)
    write_json(folder / "report.json", data, faults, names, dataset.class_names, dataset.labels, skipped, removed,
               int(mask.sum()))
    write_html(folder / "report.html", data, faults, seen, names, lines)
    write_cleaned(folder / "cleaned.npz", dataset.images, dataset.labels, dataset.class_names, mask)
    for line in lines:
        click.echo(line)
    click.echo(f"wrote {folder / 'report.html'}, report.json and cleaned.npz ({int(mask.sum()):,} items); "
               f"{data} itself was not changed")


REPORT_FILES = ("report.json", "report.html", "cleaned.npz")


def check_request(keep: set[str], what: str, out_dir: Path, force: bool, copy_name: str = "cleaned.npz") -> None:
    """--keep's kinds and the --out folder checked before anything is read (series, clips and text: KINDS)."""
    from duelo.io.outputs import output_folder

    unknown = sorted(keep - set(KINDS))
    if unknown:
        raise ConfigError(f"--keep: unknown kind {unknown[0]!r} for {what}; give some of {', '.join(KINDS)}")
    output_folder(out_dir, force=force, names=[*REPORT_FILES[:2], copy_name], create=False)   # made after the checks


def write_findings(data: str, out_dir: Path, force: bool, keep: set[str], faults, names: list[str], class_names,
                   labels, unit: str, write_copy, **pictures) -> None:
    """The series', clips' and pieces' report.json, report.html (write_html's thumbnail=, sound= and heard= in
    `pictures`) and cleaned.npz (write_copy(path, kept mask)), then the summary on stdout."""
    from duelo.cleaning.report import summary_lines, write_html, write_json
    from duelo.io.outputs import output_folder

    folder = output_folder(out_dir, force=force, names=list(REPORT_FILES))
    removed = set(KINDS) - keep
    mask = faults.kept(len(names), removed)
    lines = summary_lines(faults, len(names), [], removed, KINDS, unit)
    write_json(folder / "report.json", data, faults, names, class_names, labels, [], removed, int(mask.sum()))
    write_html(folder / "report.html", data, faults, None, names, lines, **pictures)
    write_copy(folder / "cleaned.npz", mask)
    for line in lines:
        click.echo(line)
    click.echo(f"wrote {folder / 'report.html'}, report.json and cleaned.npz ({int(mask.sum()):,} {unit}); "
               f"{data} itself was not changed")


def _images_only(data: str, kind: str, **given) -> None:
    for name, value in given.items():
        if value is not None:
            raise ConfigError(f"--{name} {value}: that option is for images; {data} is {kind}")


def is_table(data: str | Path) -> bool:
    """A .csv/.tsv/.parquet file, also compressed (adult.csv.gz, adult.csv.zip); a bare .zip is a set of images."""
    path = Path(data)
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSED:
        suffixes = suffixes[:-1]
    return bool(suffixes) and suffixes[-1] in TABLE_SUFFIXES and not path.is_dir()


def is_series(data: str) -> bool:
    """A named time-series set, a .ts file, or an .npz holding 'windows' (the series task's formats)."""
    from duelo.tasks.timeseries.data import SERIES_SOURCES, register_all

    register_all()
    path = Path(data)
    if data in SERIES_SOURCES or (path.suffix.lower() == ".ts" and path.is_file()):
        return True
    return npz_holds(path, "windows")


def npz_holds(path: Path, key: str) -> bool:
    """Whether `path` is a readable .npz holding an array `key` (the form that tells a task's data apart); an
    unreadable one is False, and the image reader then says what is wrong with it."""
    if path.suffix.lower() != ".npz" or not path.is_file():
        return False
    import zipfile

    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as archive:
            return key in archive.files
    except (ValueError, OSError, EOFError, zipfile.BadZipFile):
        return False


def check_alpha(value: str) -> None:
    """--alpha refused by name before anything is read or written."""
    from duelo.config.alpha_names import is_alpha_choice

    if not is_alpha_choice(value):
        raise ConfigError(f"--alpha {value}: give white, black, gray, a colour #rrggbb, or keep (RGBA)")


def _clean_table(data: str, out_dir: Path, keep: set[str], force: bool, seed: int, label: str | None) -> None:
    path = Path(data)
    from duelo.cleaning.report import summary_lines, write_json, write_table_html
    from duelo.cleaning.table_faults import find_table_faults
    from duelo.io.outputs import output_folder
    from duelo.tasks.tabular.tables import read_table, write_table

    unknown = sorted(keep - set(TABLE_KINDS))
    if unknown:
        raise ConfigError(f"--keep: unknown kind {unknown[0]!r} for a table; give some of {', '.join(TABLE_KINDS)}")
    cleaned_name = "cleaned" + ("".join(path.suffixes) if path.suffix.lower() not in (".gz", ".bz2", ".zip", ".xz")
                                else "".join(path.suffixes[-2:]))
    names_out = ["report.json", "report.html", cleaned_name]
    output_folder(out_dir, force=force, names=names_out, create=False)   # checked now, made once the checks ran
    frame = read_table(path)
    click.echo(f"checking {len(frame):,} rows of {path} ...", err=True)
    faults = find_table_faults(frame, log=lambda text: click.echo(text, err=True), label=label, seed=seed)
    folder = output_folder(out_dir, force=force, names=names_out)
    removed = set(TABLE_KINDS) - keep
    mask = faults.kept(len(frame), removed)
    kinds = TABLE_KINDS if label else TABLE_KINDS[:-1]
    lines = summary_lines(faults, len(frame), [], removed, kinds, "rows")
    names = [f"row {i}" for i in range(len(frame))]
    write_json(folder / "report.json", str(path), faults, names, None, None, [], removed, int(mask.sum()))
    write_table_html(folder / "report.html", str(path), faults, frame, lines)
    write_table(frame[mask], folder / cleaned_name)
    for line in lines:
        click.echo(line)
    click.echo(f"wrote {folder / 'report.html'}, report.json and {cleaned_name} ({int(mask.sum()):,} rows); "
               f"{path} itself was not changed")


@dataclass(frozen=True)
class DataKind:
    """A kind of data `duelo clean` checks besides images (which take whatever none of these holds)."""
    what: str                                  # for messages: "a table"
    holds: Callable[[str], bool]               # is DATA of this kind?
    takes_label: bool = False                  # --label COLUMN (tables)


# each entry: clean(data, out_dir, keep, force, seed[, label=]); the kinds do not overlap (a .tsv is a table, a
# .txt text), and what none holds is read as images
DATA_KINDS: Registry[Callable[..., None]] = Registry("kind of data", info=DataKind)
DATA_KINDS.add("table", _clean_table, what="a table", holds=is_table, takes_label=True)
DATA_KINDS.add("series", lazy("duelo.cli.clean_series", "clean_series"), what="a set of time series",
               holds=is_series)
DATA_KINDS.add("clips", lazy("duelo.cli.clean_clips", "clean_clips"), what="a set of sound clips",
               holds=lazy("duelo.cli.clean_clips", "is_clips"))
DATA_KINDS.add("text", lazy("duelo.cli.clean_text", "clean_text"), what="a set of text lines",
               holds=lazy("duelo.cli.clean_text", "is_text"))
DATA_KINDS.add("music", lazy("duelo.cli.clean_music", "clean_music"), what="a set of pieces of music",
               holds=lazy("duelo.cli.clean_music", "is_music"))
