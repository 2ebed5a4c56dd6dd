"""`duelo train`: train (or resume) any task. Its options come from the configuration fields' metadata
(duelo.cli.config_options); the task's own sections decide which of them apply."""

from __future__ import annotations

import os
from pathlib import Path

import click

from duelo.cli.config_options import config_options, overrides_for
from duelo.cli.options import RegistryChoice, parse_assignments


@click.command(context_settings={"show_default": True})
@click.option("--task", default=None, type=RegistryChoice("duelo.tasks:TASKS", "task"),
              help="What to train (docs/config.md lists each task's settings). [default: image-gan, or the "
                   "preset's task]")
@click.option("--preset", default=None, help="Start from a named preset (see --list-presets); options override it.")
@click.option("--resume", "resume", default=None, metavar="RUN",
              type=click.Path(file_okay=False, path_type=Path),
              help="Continue the run in folder RUN with the configuration it was started with (RUN/config.json), "
                   "wherever the folder is now; options may change what a re-run may change (--kimg, --minutes...).")
@click.option("--list-presets", is_flag=True, help="List presets and exit.")
@click.option("--lr", type=float, default=None, help="Learning rate of both G and D (sets --g-lr and --d-lr).")
@click.option("--set", "assignments", multiple=True, metavar="SECTION.FIELD=VALUE",
              help="Set any config field, e.g. --set train.ema_rampup=0.1 or --set stabilise.r1_gamma=1 "
                   "(repeatable; docs/config.md).")
@click.option("--gpus", type=click.IntRange(min=1), default=None,
              help="Train on this many GPUs of this machine: one process each through torchrun, --batch split "
                   "among them (docs/speed.md).")
@click.option("--max-restarts", type=click.IntRange(min=0), default=3,
              help="With --gpus: restart all processes this many times after one fails; they resume from the "
                   "last checkpoint.")
@click.option("--dry-run", is_flag=True, help="Print the resolved configuration as JSON and exit.")
@config_options
def train(task, preset, resume, list_presets, assignments, dry_run, lr, gpus, max_restarts, **options) -> None:
    """Train a GAN, or resume it: re-running the same command continues from its latest checkpoint.

    \b
    Examples:
      duelo train --preset demo
      duelo train --dataset fashion-mnist --conditional --kimg 500
      duelo train --dataset ./my_images --resolution 64 --loss hinge --name faces
      duelo train --task inpaint --dataset fashion-mnist
      duelo train --task cyclegan --source mnist --dataset fashion-mnist
      duelo train --task tabular --dataset adult.csv --kimg 500
      duelo train --task toy --set toy.mixture=grid
      duelo train --resume runs/mnist-5k-dcgan --kimg 200
    """
    from duelo.tasks import task_config
    from duelo.tasks.presets import load_preset, preset_description, preset_names, preset_task

    if list_presets:
        for name in preset_names():
            click.echo(f"{name:16s} {preset_description(name)}")
        return
    if resume is not None:
        if task is not None or preset is not None:
            raise click.UsageError("--resume RUN continues RUN with its own task and settings; drop --task/--preset")
        config = resumed_config(resume)
    elif preset is not None:
        if task is not None and preset_task(preset) != task:
            raise click.UsageError(f"preset {preset!r} is for task {preset_task(preset)}, not {task}; drop --task "
                                   f"or choose a preset of that task (--list-presets)")
        config = load_preset(preset)
    else:
        config = task_config(task or "image-gan")
    overrides = {}
    if lr is not None:
        overrides.update({"optim.g_lr": lr, "optim.d_lr": lr})
    overrides.update(overrides_for(config.task, options))
    overrides.update(parse_assignments(assignments))
    if resume is not None and {"run.out", "run.name"} & set(overrides):
        raise click.UsageError(f"--resume {resume} continues the run where that folder is; drop --out/--name (and "
                               f"--set run.out/run.name), or move the folder first")
    config = config.with_overrides(overrides, source="option")
    if dry_run:
        click.echo(config.to_json())
        return
    from duelo.cli.launch import argv_after_train, launch, launched_by_torchrun

    if gpus is not None and gpus > 1 and not launched_by_torchrun():
        code = launch(argv_after_train(), gpus, max_restarts)
        if code:
            raise SystemExit(code)
        return
    from duelo.tasks.base import run_folder
    from duelo.tasks.registry import TASKS
    from duelo.tasks.runner import train as run

    summary = run(config)
    if int(os.environ.get("RANK", "0")) != 0:
        return                                     # the first process reports for all
    figures = [f"{summary['kimg']} kimg", f"{summary['train_time_s']} s"]
    task = TASKS.get(config.task)
    figures += task.headline(summary)
    folder = run_folder(config, task)
    click.echo(f"done: {', '.join(figures)}; summary in {folder}/summary.json")


def resumed_config(run: Path):
    """RUN/config.json with the run's folder where it is now (run.out, run.name: a run moved elsewhere resumes
    there). A folder that holds no run is a ConfigError saying what to give instead."""
    from duelo.errors import ConfigError
    from duelo.tasks import run_config

    if not (run / "config.json").is_file() or (run / "model.safetensors").is_file():
        raise ConfigError(f"--resume {run}: no run there (a run folder has the config.json `duelo train` wrote, "
                          f"beside checkpoints/ and model/); give the folder `duelo train` printed, e.g. runs/NAME")
    config = run_config(run, "settings")
    return config.with_overrides({"run.out": str(run.resolve().parent), "run.name": run.resolve().name},
                                 source="--resume")
