"""`duelo tabular fit | sample | report`: synthetic tables with a CTGAN-class GAN, and how good they are."""

from __future__ import annotations

from pathlib import Path

import click

from duelo.cli.options import RegistryChoice

from duelo.errors import ConfigError


def _names(values: tuple[str, ...]) -> list[str]:
    """Column names from repeated options that may also hold comma-separated lists."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def is_tabular_output(folder: Path) -> bool:
    """Whether `folder` holds a tabular run (config.json of task tabular) or a saved TabularGAN (model.json)."""
    from duelo.io.json_files import read_json
    from duelo.tasks.tabular.persistence import FORMAT

    for name, key, expected in (("config.json", "task", "tabular"), ("model.json", "format", FORMAT)):
        try:
            data = read_json(folder / name, name, error=ConfigError, remedy="")
        except ConfigError:
            continue
        if isinstance(data, dict) and data.get(key) == expected:
            return True
    return False


@click.group()
def tabular() -> None:
    """Synthetic tables: fit a model on a CSV/Parquet table, sample from it, report on the result.

    \b
    Examples:
      duelo tabular fit adult.csv --out runs/adult --epochs 300
      duelo tabular schema adult.csv -o schema.json      (then edit it into public knowledge)
      duelo tabular fit adult.csv --out runs/adult-dp --dp-epsilon 3 --dp-schema schema.json
      duelo tabular sample runs/adult -n 10000 -o synthetic.csv --condition sex=Female
      duelo tabular report adult.csv synthetic.csv --holdout adult-test.csv --target income --out report/
    """


@tabular.command(context_settings={"show_default": True})
@click.argument("data", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True,
              help="Run folder to write (checkpoints, metrics.jsonl, model/); re-running the command resumes it.")
@click.option("--discrete", multiple=True, metavar="COLS",
              help="Categorical columns (repeat, or comma-separated); default: inferred from the data.")
@click.option("--dates", multiple=True, metavar="COLS", help="CSV columns to parse as datetimes.")
@click.option("--epochs", type=click.IntRange(min=1), default=300, help="Passes over the table.")
@click.option("--batch-size", type=click.IntRange(min=2), default=500, help="Rows per step (a multiple of --pac).")
@click.option("--pac", type=click.IntRange(min=1), default=10, help="Rows the critic judges together.")
@click.option("--seed", type=int, default=0, help="Random seed (fit is reproducible on one machine).")
@click.option("--device", default="cpu", help="cpu, cuda, cuda:N or auto.")
@click.option("--precision", type=RegistryChoice("duelo.training.precision:PRECISIONS", "precision", ("auto",)),
              default="auto", help="auto: bf16 autocast where the CPU has it natively, else fp32.")
@click.option("--minutes", type=float, default=None, help="Also stop after this many minutes of training.")
@click.option("--dp-epsilon", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Train with differential privacy at this epsilon (needs --dp-schema; docs/privacy.md).")
@click.option("--dp-delta", type=click.FloatRange(min=0, max=1, min_open=True, max_open=True), default=None,
              help="delta of the guarantee; default min(1e-5, 1 / (10 x rows)).")
@click.option("--dp-schema", type=click.Path(path_type=Path), default=None,
              help="The columns' kinds, ranges and levels as public knowledge (JSON; `duelo tabular schema`).")
@click.option("--set", "assignments", multiple=True, metavar="SECTION.FIELD=VALUE",
              help="Set any field of the tabular task's configuration (docs/config.md).")
@click.option("--force", is_flag=True, help="Start over: replace the run or model already in --out.")
def fit(data: Path, out_dir: Path, discrete: tuple[str, ...], dates: tuple[str, ...], epochs: int,
        batch_size: int, pac: int, seed: int, device: str, precision: str, minutes: float | None,
        dp_epsilon: float | None, dp_delta: float | None, dp_schema: Path | None, assignments: tuple[str, ...],
        force: bool) -> None:
    """Fit a TabularGAN on DATA (.csv or .parquet) in the run folder --out; its model is --out/model/.

    The fit checkpoints as it goes: after Ctrl-C, a crash or a time budget, re-running the same command
    resumes from the newest checkpoint and ends where an uninterrupted fit would."""
    import os
    import shutil

    from duelo.cli.options import parse_assignments
    from duelo.tasks import task_config
    from duelo.tasks.registry import TASKS
    from duelo.tasks.runner import train
    from duelo.tasks.tabular.tables import read_table
    from duelo.tasks.tabular.params import epochs_to_kimg

    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"--out {out_dir} is a file; give a folder")
    for leftover in out_dir.parent.glob(f".{out_dir.name}.replaced-*"):     # a --force cut short by a crash
        shutil.rmtree(leftover, ignore_errors=True)
    holds_model = (out_dir / "model.json").exists()
    if holds_model and not force:
        raise ConfigError(f"{out_dir} holds a saved model (model.json); pass --force to replace it, or choose "
                          f"another --out")
    replace = force and out_dir.is_dir() and (holds_model or (out_dir / "config.json").exists())
    if replace and not is_tabular_output(out_dir):
        raise ConfigError(f"{out_dir} is not a duelo tabular run or model folder; --force only replaces those. "
                          f"Choose another --out, or remove the folder yourself")
    if not replace:
        from duelo.training.run_dir import RunDir

        RunDir(out_dir).check_target()                   # never into a folder that is no run's (a saved model)
    date_columns = _names(dates)
    df = read_table(data, date_columns)                  # a bad table is refused before anything is replaced
    overrides = {"data.dataset": str(data), "data.discrete": _names(discrete), "data.dates": date_columns,
                 "train.batch": batch_size, "model.pac": pac, "train.seed": seed, "train.device": device,
                 "train.precision": precision, "run.out": str(out_dir.parent), "run.name": out_dir.name,
                 "train.max_minutes": minutes}
    if dp_epsilon is not None:
        overrides.update({"privacy.epsilon": dp_epsilon, "privacy.delta": dp_delta,
                          "data.schema": str(dp_schema or "")})
    elif dp_delta is not None or dp_schema is not None:
        raise ConfigError("--dp-delta and --dp-schema belong to a private fit: add --dp-epsilon")
    overrides.update(parse_assignments(assignments))
    config = task_config("tabular", overrides)
    if "train.total_kimg" not in overrides:          # epochs of the batch and critic steps finally chosen
        kimg = epochs_to_kimg(epochs, len(df), config.train.batch, config.train.d_steps)
        config = config.with_overrides({"train.total_kimg": kimg}, source="--epochs")
    def remove_previous() -> None:   # one rename sets the old folder aside (a crash leaves either whole), then it goes
        aside = out_dir.with_name(f".{out_dir.name}.replaced-{os.getpid()}")
        os.rename(out_dir, aside)
        shutil.rmtree(aside, ignore_errors=True)
        click.echo(f"--force: removed the previous run in {out_dir}", err=True)

    private = config.privacy.epsilon > 0
    if replace and private and config.data.schema:   # first: the old run's private encoding would be reused
        from duelo.tasks.tabular.schema import conform, read_schema

        conform(df, read_schema(config.data.schema), str(data))     # a bad schema is refused first
        remove_previous()
    prepared = TASKS.get("tabular").encode(df, config, str(data), lambda text: click.echo(text, err=True))
    if replace and not private:
        remove_previous()
    click.echo(f"fitting on {data}: {len(df):,} rows x {df.shape[1]} columns, {epochs} epochs", err=True)
    summary = train(config, data=prepared)
    click.echo(f"saved the model to {out_dir / 'model'} ({summary['train_time_s']} s of training); next: "
               f"duelo tabular sample {out_dir} -n {len(df)} -o synthetic.csv")


@tabular.command(context_settings={"show_default": True})
@click.argument("model_dir", type=click.Path(path_type=Path))
@click.option("-n", "--rows", type=click.IntRange(min=1, max=100_000_000), required=True,
              help="Rows to generate (at most 100 million per call).")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help=".csv or .parquet file.")
@click.option("--condition", multiple=True, metavar="COL=VALUE",
              help="Only rows with this value in a categorical column (repeatable).")
@click.option("--seed", type=int, default=None, help="Random seed; default: fresh rows every call.")
@click.option("--device", default="cpu", help="cpu, cuda, cuda:N or auto.")
@click.option("--force", is_flag=True, help="Replace an existing output file.")
def sample(model_dir: Path, rows: int, output: Path, condition: tuple[str, ...], seed: int | None,
           device: str, force: bool) -> None:
    """Generate ROWS rows from a model written by `duelo tabular fit` (its run folder or model folder)."""
    from duelo.tabular import TabularGAN
    from duelo.tasks.tabular.tables import table_format, write_table

    from duelo.io.outputs import output_file

    table_format(output)                                   # refuse a bad suffix before any work
    output = output_file(output, force=force)
    conditions = {}
    for item in condition:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ConfigError(f"--condition {item!r}: write COLUMN=VALUE, e.g. --condition sex=Female")
        if name.strip() in conditions:
            raise ConfigError(f"--condition gives column {name.strip()!r} twice ({conditions[name.strip()]!r} and "
                              f"{value.strip()!r}); a row has one value per column: give one")
        conditions[name.strip()] = value.strip()
    model = TabularGAN.load(model_dir, device=device)           # a run folder or its model folder
    df = model.sample(rows, conditions=conditions, random_state=seed)
    write_table(df, output)
    asked = f" with {', '.join(condition)}" if condition else ""
    click.echo(f"wrote {len(df):,} rows{asked} to {output}")


@tabular.command(context_settings={"show_default": True})
@click.argument("real", type=click.Path(path_type=Path))
@click.argument("synthetic", type=click.Path(path_type=Path))
@click.option("--holdout", type=click.Path(path_type=Path), default=None,
              help="Real rows the model never saw: the test set of ML efficacy and the privacy baseline.")
@click.option("--target", default=None, help="Column ML efficacy predicts; default: the last column.")
@click.option("--discrete", multiple=True, metavar="COLS", help="Categorical columns; default: inferred.")
@click.option("--dates", multiple=True, metavar="COLS", help="CSV columns to parse as datetimes.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True,
              help="Folder for report.json and report.html.")
@click.option("--seed", type=int, default=0, help="Seed of subsampling and the ML models.")
@click.option("--force", is_flag=True, help="Replace an existing report.")
def report(real: Path, synthetic: Path, holdout: Path | None, target: str | None, discrete: tuple[str, ...],
           dates: tuple[str, ...], out_dir: Path, seed: int, force: bool) -> None:
    """Compare SYNTHETIC with REAL: column shapes, pair trends, ML efficacy, privacy (JSON + HTML)."""
    from duelo.tasks.tabular.report import quality_report, write_report
    from duelo.tasks.tabular.tables import read_table

    from duelo.io.outputs import output_folder

    output_folder(out_dir, force=force, names=("report.json", "report.html"))
    date_columns = _names(dates)
    real_df = read_table(real, date_columns)
    synthetic_df = read_table(synthetic, date_columns)
    holdout_df = None if holdout is None else read_table(holdout, date_columns)
    result = quality_report(real_df, synthetic_df, holdout=holdout_df, target=target,
                            discrete_columns=_names(discrete) or None, random_state=seed)
    json_path, html_path = write_report(result, out_dir, real=real_df, synthetic=synthetic_df)
    scores = result["scores"]
    for name in ("column_shapes", "column_pair_trends", "ml_efficacy"):
        value = scores.get(name)
        click.echo(f"{name:25s} {'n/a' if value is None else f'{value:.3f}'}")
    privacy = result.get("privacy", {})
    for key in ("exact_copy_fraction", "closer_to_training_share"):
        if privacy.get(key) is not None:
            click.echo(f"{key:25s} {privacy[key]:.3f}")
    click.echo(f"wrote {json_path} and {html_path}")


@tabular.command(context_settings={"show_default": True})
@click.argument("data", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="The schema (.json) to write.")
@click.option("--dates", multiple=True, metavar="COLS", help="CSV columns to parse as datetimes.")
@click.option("--force", is_flag=True, help="Replace an existing file.")
def schema(data: Path, output: Path, dates: tuple[str, ...], force: bool) -> None:
    """Draft the schema a private fit (--dp-schema) needs from DATA itself: kinds, observed ranges, levels and
    frequent exact values. It reveals the data, so edit it into public knowledge (published ranges, code
    lists) before relying on a private fit's guarantee. For a named table (flchain, aids: `duelo datasets`)
    it writes that table's public schema instead: declared levels and published bounds, not read from rows."""
    import json

    from duelo.io.atomic import atomic_write_text
    from duelo.tasks.tabular.schema import draft
    from duelo.tasks.tabular.sources import TABLE_SOURCES, public_schema, resolve
    from duelo.tasks.tabular.tables import read_table

    if output.exists() and not force:
        raise ConfigError(f"{output} exists; pass --force to replace it")
    if not data.exists() and str(data) in TABLE_SOURCES.names():
        resolve(str(data))                                   # fetched first when needed
        public = public_schema(TABLE_SOURCES.get(str(data)))
        atomic_write_text(output, json.dumps(public, indent=1) + "\n")
        click.echo(f"wrote {output}: the public schema of the named table {data} ({len(public['columns'])} columns: "
                   f"declared levels and published bounds, nothing read from its rows)")
        return
    drafted = draft(read_table(data, _names(dates)))
    atomic_write_text(output, json.dumps(drafted, indent=1) + "\n")
    click.echo(f"wrote {output}: {len(drafted['columns'])} columns drafted FROM THE DATA; replace their ranges "
               f"and levels with public knowledge before a private fit relies on it")
