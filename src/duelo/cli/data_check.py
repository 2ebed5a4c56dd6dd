"""`duelo data check PATH`: read every file of a dataset and report what cannot be used, and why."""

from __future__ import annotations

from pathlib import Path

import click

STATUS_COLOURS = {"skipped": "red", "note": "yellow"}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def data() -> None:
    """Inspect your own datasets (folders of images, .zip archives, .npz arrays)."""


@data.command("check", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("path", type=click.Path(path_type=str))
@click.option("--resolution", type=click.IntRange(min=1), default=None, metavar="N",
              help="The side in pixels you will train at; mixed image sizes are then reported as resized.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=str), default=None,
              metavar="FILE",
              help="Also write the full report as JSON to FILE ('-' for standard output).")
@click.option("--quiet", "-q", is_flag=True, help="Print only bad files and the summary, not notes.")
def check(path: str, resolution: int | None, json_path: str | None, quiet: bool) -> None:
    """List each unreadable or odd image file under PATH, with the reason.

    PATH is a folder (searched recursively), a .zip, an .npz or a single image file. Every image is
    fully decoded, as training would, so truncated files, empty files, files that are not images and
    decompression bombs are all found. Notes mark files that are usable but converted (transparency,
    16-bit, CMYK, EXIF rotation, animation) and folders whose images differ in size.

    Exit status: 0 when every image is readable, 1 when any is bad (or none was found), so a script
    can run `duelo data check PATH && duelo train ...`.
    """
    from duelo.data import check_path
    from duelo.data.check import training_outlook, whole_input_failed

    report = check_path(path, resolution=resolution)
    for entry in report.entries:
        if quiet and entry.status != "skipped":
            continue
        colour = STATUS_COLOURS.get(entry.status)
        click.echo(click.style(f"{entry.status:>7}", fg=colour) + f"  {entry.path}: {entry.reason}")
    failed = report.has_bad_files or report.files_used == 0
    verdict = (click.style("FAILED", fg="red", bold=True) if failed
               else click.style("OK", fg="green", bold=True))
    click.echo(f"{verdict}  {path}: {report.summary_line()}")
    if report.files_seen == 0:
        click.echo("no image files found; duelo reads .png .jpg .jpeg .bmp .gif .webp .tif .tiff files, "
                   ".zip and .npz")
    elif report.has_bad_files:
        click.echo(training_outlook(path, report))
    if json_path == "-":
        click.echo(report.to_json())
    elif json_path is not None:
        _write_json(json_path, report.to_json() + "\n")
    if failed:
        if whole_input_failed(report):
            problem = "cannot be used (reason above)"
        elif report.has_bad_files:
            problem = f"{len(report.skipped)} of {report.files_seen} image files are unreadable"
        else:
            problem = "no readable image"
        raise CheckFailed(f"{path}: {problem}")


def _write_json(json_path: str, text: str) -> None:
    """Write the report; a missing folder or a read-only place is a DataError naming the file."""
    from duelo.errors import DataError

    try:
        Path(json_path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise DataError(f"cannot write the JSON report to {json_path}: {error.strerror or error}; check that "
                        f"its folder exists and is writable, or pass --json - for standard output") from None


class CheckFailed(click.ClickException):
    """Exit status 1 for "the data has problems" (2 stays for usage and user errors).

    A ClickException rather than ctx.exit(1), so the status survives both click's standalone mode and
    duelo.cli.main.main, which runs click with standalone_mode=False.
    """

    exit_code = 1

    def show(self, file=None) -> None:  # noqa: ANN001  (click's signature)
        click.echo(f"duelo data check: {self.format_message()}", err=True)
