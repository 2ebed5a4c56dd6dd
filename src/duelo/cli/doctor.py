"""`duelo doctor`: read a run folder and say whether its training was healthy, with a plot of the signals."""

from __future__ import annotations

import json
from pathlib import Path

import click

from duelo.errors import ConfigError


@click.command("doctor", context_settings={"show_default": True})
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--plot", "plot_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Where to write the PNG of the health signals. [default: RUN/doctor.png]")
@click.option("--no-plot", is_flag=True, help="Write no picture.")
@click.option("--json", "as_json", is_flag=True, help="Print the diagnosis as JSON instead of text.")
@click.pass_context
def doctor(ctx: click.Context, run: Path, plot_path: Path | None, no_plot: bool, as_json: bool) -> None:
    """Diagnose the training health of a run folder written by `duelo train`.

    For each failure mode (divergence, mode collapse, discriminator overfitting, vanishing gradients, D
    winning too fast, G/D oscillation) it says whether the training-health monitor saw it, when, the
    evidence, and the remedy (applied by duelo or suggested). Runs without health.jsonl (older runs, or the
    monitor off) get a summary of metrics.jsonl instead. Its notes give G's and D's sizes and warn when D/G
    is outside 0.25-4.

    Exit status: 0 when the run is healthy (warnings included) or has no health data; 1 when problems
    were found or training gave up, so scripts can gate on it; 2 for a bad argument.

    \b
    Examples:
      duelo doctor runs/demo
      duelo doctor runs/demo --json > health.json
      duelo doctor runs/demo --no-plot || echo "training needs attention"
    """
    from duelo.health.doctor import PROBLEM_VERDICTS, diagnose, format_diagnosis

    diagnosis = diagnose(run)
    if not no_plot:
        from duelo.health.plot import plot_health

        target = plot_path or run / "doctor.png"
        try:
            diagnosis.plot = plot_health(run, target)
        except OSError as error:
            raise ConfigError(f"cannot write the plot to {target} ({error.strerror or error}); "
                              f"pass --plot elsewhere, or --no-plot") from None
    click.echo(json.dumps(diagnosis.to_dict(), indent=2) if as_json else format_diagnosis(diagnosis))
    if diagnosis.verdict in PROBLEM_VERDICTS:
        ctx.exit(1)
