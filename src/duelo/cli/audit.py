"""`duelo audit RUN`: membership-inference attacks on a run (RUN_AUDITS: each task's audit) or a table model
(duelo.tasks.tabular.audit), with the empirical epsilon lower bound beside the accounted epsilon of a private run."""

from __future__ import annotations

from pathlib import Path

import click

from duelo.errors import ConfigError

RUN_AUDITS = {      # task of the run folder -> "module:function(run, samples, max_records, seed, device, log, ...)"
    "image-gan": "duelo.tasks.image_gan.audit:audit_image_run",
    "timeseries": "duelo.tasks.timeseries.audit:audit_series_run",
}


@click.command(context_settings={"show_default": True, "help_option_names": ["-h", "--help"]})
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--samples", type=int, default=5000,
              help="Generated images (or windows) the distance attack compares with.")
@click.option("--max-records", type=int, default=2000, help="Members and non-members audited (each).")
@click.option("--seed", type=int, default=0)
@click.option("--device", default="cpu", help="cpu, cuda, cuda:N or auto.")
@click.option("--members", type=click.Path(path_type=Path), default=None,
              help="Table models: the table the model was fitted on.")
@click.option("--nonmembers", default=None,
              help="Records of the same kind the model never saw: a holdout table (table models, required), "
                   "images (image runs) or windows (time-series runs; default for runs: their own held-out "
                   "split).")
@click.option("--reference", default=None,
              help="Records of the same kind that are neither members nor non-members (a table for table models, "
                   "images for image runs); adds the shadow-model attack (shadows trained the run's way on random "
                   "halves of them).")
@click.option("--shadows", type=click.IntRange(min=1), default=4, help="Shadow models of that attack.")
@click.option("--shadow-kimg", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Training length of each shadow (default: the run's).")
@click.option("--out", "out_file", type=click.Path(path_type=Path), default=None, help="Write the result as JSON.")
def audit(run: Path, samples: int, max_records: int, seed: int, device: str, members: Path | None,
          nonmembers: str | None, reference: str | None, shadows: int, shadow_kimg: float | None,
          out_file: Path | None) -> None:
    """Can an attacker tell the records RUN trained on from records it never saw? Prints each attack's AUC (0.5:
    no better than guessing), its true-positive rate at 1 % false positives, and the empirical epsilon lower bound
    it proves, beside the epsilon a private run accounted for. Image and time-series runs use their own split (a
    private run's evaluation split, or the held-out one) unless --nonmembers gives records they never saw; table
    models need --members and --nonmembers.

    \b
      duelo audit runs/mnist-dp3 --out audit.json
      duelo audit runs/adult --members adult-train.csv --nonmembers adult-test.csv
      duelo audit runs/adult --members train.csv --nonmembers test.csv --reference other.csv --shadows 4
      duelo audit runs/mnist-small --reference mnist:test --shadows 4 --shadow-kimg 50
      duelo audit runs/sines-dp3
    """
    from duelo.cli.tabular import is_tabular_output
    from duelo.io.atomic import atomic_write_json

    if samples < 2 or max_records < 2:
        raise ConfigError("--samples and --max-records must be at least 2")
    log = lambda text: click.echo(text, err=True)  # noqa: E731
    if run.is_dir() and is_tabular_output(run):
        from duelo.tasks.tabular.audit import audit_table_model

        result = audit_table_model(run, members, None if nonmembers is None else Path(nonmembers), samples,
                                   max_records, seed, log, None if reference is None else Path(reference),
                                   shadows, shadow_kimg)
    else:
        result = _audit_run(run, members, samples, max_records, seed, device, log, nonmembers, reference, shadows,
                            shadow_kimg)
    accounted = (result.get("privacy") or {}).get("epsilon_spent")
    click.echo(f"membership audit of {run} ({result['members']:,} members, {result['nonmembers']:,} non-members); "
               f"accounted epsilon: {'none (not a private run)' if accounted is None else f'{accounted:.3f}'}")
    for name, a in result["attacks"].items():
        click.echo(f"  {name:20s} AUC {a['auc']:.3f}  TPR at 1 % FPR {a['tpr_at_fpr_0.01']:.3f}  "
                   f"empirical epsilon >= {a['epsilon_lower']:.3f}")
    if out_file is not None:
        atomic_write_json(out_file, result)


def _audit_run(run: Path, members, samples, max_records, seed, device, log, nonmembers, reference, shadows,
               shadow_kimg) -> dict:
    """The audit of a `duelo train` run folder, by its task (RUN_AUDITS)."""
    import importlib

    from duelo.io.json_files import read_json, text

    if not (run / "config.json").is_file():
        raise ConfigError(f"{run}: not a run folder (no config.json); give the folder `duelo train` wrote")
    task = read_json(run / "config.json", "the run's configuration", {"task": text()}, error=ConfigError,
                     remedy="give the folder `duelo train` wrote")["task"]
    if task not in RUN_AUDITS:
        raise ConfigError(f"{run}: a {task} run; duelo audit reads {', '.join(RUN_AUDITS)} runs and table models")
    if members:
        raise ConfigError("--members is for table models; a run's members are its own training records")
    module, _, function = RUN_AUDITS[task].partition(":")
    return getattr(importlib.import_module(module), function)(run, samples, max_records, seed, device, log,
                                                              nonmembers, reference, shadows, shadow_kimg)
