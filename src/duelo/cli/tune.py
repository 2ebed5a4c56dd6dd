"""`duelo tune`: hyper-parameter search with Optuna for any task (duelo.tasks.tuning)."""

from __future__ import annotations

from pathlib import Path

import click

from duelo.cli.options import RegistryChoice, parse_assignments
from duelo.errors import ConfigError


@click.command(context_settings={"show_default": True, "help_option_names": ["-h", "--help"]})
@click.option("--task", default=None, type=RegistryChoice("duelo.tasks:TASKS", "task"),
              help="The task to tune (default image-gan, or the preset's).")
@click.option("--preset", default=None, help="Start every trial from this preset.")
@click.option("--dataset", default=None, help="The data (data.dataset).")
@click.option("--set", "assignments", multiple=True, metavar="SECTION.FIELD=VALUE",
              help="Fix any other setting for every trial.")
@click.option("--study", "study_path", type=click.Path(path_type=Path), required=True,
              help="SQLite file of the study; run again with the same file to continue it.")
@click.option("--trials", type=click.IntRange(min=1), default=20, help="Trials to run (in addition to earlier).")
@click.option("--rungs", default="5,10,20", help="kimg at which each trial is scored; trailing trials stop early.")
@click.option("--knobs", default=None,
              help="Settings to search (KNOBS: g_lr, d_lr, beta1, batch, r1_gamma, augment, width); those the "
                   "task lacks are left out. Default: g_lr,d_lr,beta1,batch,r1_gamma,augment (tabular: "
                   "g_lr,d_lr,beta1).")
@click.option("--score", default=None, help="Summary figure to tune on (default: the task's proxy).")
@click.option("--direction", type=click.Choice(["maximize", "minimize"]), default=None,
              help="Whether --score is better high or low (default: the task's).")
@click.option("--minutes", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Start no trial after this many minutes (the one under way finishes).")
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), default=None,
              help="Seed of the sampler (moved on by the trials the study holds). Default: one of this process's "
                   "own, printed; leave it out when several processes share a study, or give each its own.")
def tune(task, preset, dataset, assignments, study_path, trials, rungs, knobs, score, direction, minutes,
         seed) -> None:
    """Search hyper-parameters with Optuna (TPE, successive-halving pruning) on a cheap proxy score read from
    each trial's summary at every rung; print the best settings as a `duelo train` command.

    \b
      duelo tune --preset demo --study runs/tune.db --trials 30 --rungs 10,25,50
      duelo tune --task toy --study runs/toy.db --trials 10 --knobs g_lr,d_lr,r1_gamma
    """
    from duelo.tasks import task_config
    from duelo.tasks.presets import load_preset, preset_task
    from duelo.tasks.tuning import DEFAULT_KNOBS, PROXIES, TASK_KNOBS, tune as run_tune, usable_knobs

    if preset is not None:
        if task is not None and preset_task(preset) != task:
            raise ConfigError(f"preset {preset!r} is for task {preset_task(preset)}, not {task}")
        base = load_preset(preset)
    else:
        base = task_config(task or "image-gan")
    overrides = parse_assignments(assignments)
    if dataset is not None:
        overrides["data.dataset"] = dataset
    base = base.with_overrides(overrides) if overrides else base
    try:
        ladder = sorted({float(x) for x in rungs.split(",") if x.strip()})
    except ValueError:
        raise ConfigError(f"--rungs {rungs!r}: give kimg values separated by commas, e.g. 5,10,20") from None
    if not ladder or ladder[0] <= 0:
        raise ConfigError(f"--rungs {rungs!r}: give positive kimg values")
    default_score, default_direction = PROXIES.get(base.task, (None, "maximize"))
    score = score or default_score
    if score is None:
        raise ConfigError(f"task {base.task} has no default proxy score; name a summary figure with --score")
    knobs = knobs or TASK_KNOBS.get(base.task, DEFAULT_KNOBS)
    names = usable_knobs(base, [k.strip() for k in knobs.split(",") if k.strip()])
    fixed = [f"--preset {preset}" if preset else f"--task {base.task}",
             *(f"--set {k}={v}" for k, v in overrides.items())]
    result = run_tune(base, study_path, trials, ladder, names, score, direction or default_direction, seed,
                      log=lambda text: click.echo(text, err=True), base_args=" ".join(fixed),
                        minutes=minutes)
    if not result.get("completed"):
        click.echo(f"{result['trials']} trial(s) in {study_path}, none completed yet")
        return
    best = result["best"]
    click.echo(f"{result['trials']} trial(s) in {study_path} ({result['completed']} completed, {result['pruned']} "
               f"stopped early); best: trial {best['trial']}, {best['score']} {best['value']:.4g}")
    click.echo(f"  {result['command']}")
