"""`duelo logs export RUN --to tensorboard,mlflow`: fill TensorBoard or MLflow from a run folder after the fact."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("logs", context_settings={"help_option_names": ["-h", "--help"]})
def logs() -> None:
    """A run's logs in TensorBoard and MLflow (docs/logging.md).

    `duelo train --log-to tensorboard,mlflow` logs while training; `duelo logs export` does the same from a run
    folder afterwards: metrics.jsonl holds every logged number, so nothing is lost by deciding later.
    """


@logs.command("export", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("run", type=click.Path(path_type=Path, file_okay=False))
@click.option("--to", "to", required=True, metavar="NAME[,NAME]",
              help="Loggers to fill, comma-separated, e.g. tensorboard,mlflow.")
@click.option("--mlflow-uri", default=None, metavar="PATH",
              help="MLflow tracking store: a local folder or file: URI. [default: the run's run.mlflow_uri, or "
                   "RUN/mlruns]")
def export(run: Path, to: str, mlflow_uri: str | None) -> None:
    """Log a run folder's metrics, health signals and events, evaluations, sample files and summary to
    TensorBoard (RUN/tensorboard/) or MLflow (a local store).

    A logger that already holds part of the run gets only the rest; TensorBoard logs written while training are
    continued, never doubled. Refused while a training writes the folder.

    \b
    Examples:
      duelo logs export runs/demo --to tensorboard && tensorboard --logdir runs
      duelo logs export runs/demo --to mlflow --mlflow-uri ~/mlruns
    """
    from duelo.errors import ConfigError
    from duelo.training.loggers import LOGGERS
    from duelo.training.loggers.mirror import export_run

    names = [name.strip() for name in to.split(",") if name.strip()]
    if not names:
        raise ConfigError(f"--to names no logger; choose from {', '.join(LOGGERS.names())}")
    for name in names:
        LOGGERS.get(name)                      # an unknown name: one message listing the registered loggers
    if not (run / "config.json").is_file():
        raise ConfigError(f"{run} is not a run folder (no config.json); give the folder duelo train wrote")
    last = export_run(run, names, lambda message: click.echo(message, err=True), mlflow_uri)
    for name in dict.fromkeys(names):
        opens = LOGGERS.info(name).opens.replace("RUN", str(run))
        click.echo(f"{name}: up to date with {run} ({last / 1000:g} kimg); open with: {opens}")
