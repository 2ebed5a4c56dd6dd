"""`duelo audit RUN`: membership-inference attacks on an image run (duelo.tasks.image_gan.audit), with the empirical
epsilon lower bound beside the accounted epsilon of a private run."""

from __future__ import annotations

from pathlib import Path

import click

from duelo.errors import ConfigError


@click.command(context_settings={"show_default": True, "help_option_names": ["-h", "--help"]})
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--samples", type=int, default=5000, help="Generated images the distance attack compares with.")
@click.option("--max-records", type=int, default=2000, help="Members and non-members audited (each).")
@click.option("--seed", type=int, default=0)
@click.option("--device", default="cpu", help="cpu, cuda, cuda:N or auto.")
@click.option("--out", "out_file", type=click.Path(path_type=Path), default=None, help="Write the result as JSON.")
def audit(run: Path, samples: int, max_records: int, seed: int, device: str, out_file: Path | None) -> None:
    """Can an attacker tell the images RUN trained on from images it never saw? Prints each attack's AUC (0.5:
    no better than guessing), its true-positive rate at 1 % false positives, and the empirical epsilon lower bound
    it proves, beside the epsilon a private run accounted for.

    \b
      duelo audit runs/mnist-dp3 --out audit.json
    """
    from duelo.io.atomic import atomic_write_json
    from duelo.tasks.image_gan.audit import audit_image_run

    if samples < 2 or max_records < 2:
        raise ConfigError("--samples and --max-records must be at least 2")
    if not (run / "config.json").is_file():
        raise ConfigError(f"{run}: not a run folder (no config.json); give the folder `duelo train` wrote")
    result = audit_image_run(run, samples, max_records, seed, device, lambda text: click.echo(text, err=True))
    accounted = (result.get("privacy") or {}).get("epsilon_spent")
    click.echo(f"membership audit of {run} ({result['members']:,} members, {result['nonmembers']:,} non-members); "
               f"accounted epsilon: {'none (not a private run)' if accounted is None else f'{accounted:.3f}'}")
    for name, a in result["attacks"].items():
        click.echo(f"  {name:20s} AUC {a['auc']:.3f}  TPR at 1 % FPR {a['tpr_at_fpr_0.01']:.3f}  "
                   f"empirical epsilon >= {a['epsilon_lower']:.3f}")
    if out_file is not None:
        atomic_write_json(out_file, result)
