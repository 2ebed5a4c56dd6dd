"""`duelo train`: train (or resume) a GAN on a dataset."""

from __future__ import annotations

import os

import click

from duelo.cli.options import RegistryChoice, parse_assignments

# option name -> dotted config field it sets (None values are left to the preset/defaults)
OPTION_FIELDS = {
    "dataset": "data.dataset", "resolution": "data.resolution", "channels": "data.channels",
    "resize": "data.resize", "bad_files": "data.bad_files",
    "model": "model.name", "conditional": "model.conditional", "width": "model.width", "z_dim": "model.z_dim",
    "loss": "loss.name", "gp_weight": "loss.gp_weight",
    "g_lr": "optim.g_lr", "d_lr": "optim.d_lr",
    "task": "train.task", "kimg": "train.total_kimg", "batch": "train.batch", "accum": "train.accum_rounds", "d_steps": "train.d_steps",
    "seed": "train.seed", "device": "train.device", "precision": "train.precision",
    "ema_kimg": "train.ema_halflife_kimg", "minutes": "train.max_minutes",
    "eval_every": "run.eval_kimg", "eval_metric": "run.eval_metric",
    "out": "run.out", "name": "run.name", "snapshot_kimg": "run.snapshot_kimg", "log_kimg": "run.log_kimg",
    "augment": "augment.name", "health": "health.enabled",
    "source": "image2image.source", "degrade": "image2image.degrade",
}


@click.command(context_settings={"show_default": True})
@click.option("--preset", default=None, help="Start from a named preset (see --list-presets); options override it.")
@click.option("--list-presets", is_flag=True, help="List presets and exit.")
@click.option("--task", default=None, type=RegistryChoice("duelo.apps:TASKS", "task"),
              help="What to train; without --preset, a task with a preset of its name starts from it "
                   "(docs/image2image.md). [default: image-gan]")
@click.option("--dataset", default=None, help="Dataset name (`duelo datasets`) or a folder / .zip / .npz of images. [default: mnist-5k]")
@click.option("--model", default=None,
              type=RegistryChoice("duelo.models:GENERATORS|duelo.models:TRANSLATORS", "model"),
              help="Architecture. [default: dcgan; image-to-image tasks: unet, cyclegan: resnet]")
@click.option("--source", default=None,
              help="Image-to-image tasks: the input domain (dataset name or folder); --dataset is the target.")
@click.option("--degrade", default=None, type=RegistryChoice("duelo.degrade:DEGRADATIONS", "degradation"),
              help="Image-to-image tasks: make the input from the target on the fly (restoration tasks have "
                   "a default; translate --degrade edges trains edges -> images).")
@click.option("--loss", default=None, type=RegistryChoice("duelo.losses:LOSSES", "loss"),
              help="Adversarial loss. [default: bce]")
@click.option("--conditional/--unconditional", default=None, help="Class-conditional G and D (needs labels).")
@click.option("--resolution", type=int, default=None, help="Square training resolution in pixels. [default: 32]")
@click.option("--channels", type=click.Choice(["1", "3"]), default=None, help="Force gray (1) or colour (3).")
@click.option("--resize", type=click.Choice(["auto", "pad", "center-crop", "stretch"]), default=None,
              help="How images reach the resolution.")
@click.option("--bad-files", type=click.Choice(["skip", "refuse"]), default=None,
              help="Unreadable files: skip them (listed in the run folder) or refuse to train.")
@click.option("--width", type=int, default=None, help="Base channel width of G and D.")
@click.option("--z-dim", type=int, default=None, help="Latent size.")
@click.option("--gp-weight", type=float, default=None, help="Gradient-penalty weight (default: the loss's).")
@click.option("--lr", type=float, default=None, help="Learning rate of both G and D.")
@click.option("--g-lr", type=float, default=None, help="Generator learning rate (overrides --lr).")
@click.option("--d-lr", type=float, default=None, help="Discriminator learning rate (overrides --lr).")
@click.option("--kimg", type=float, default=None, help="Training length in thousands of real images. [default: 100]")
@click.option("--minutes", type=float, default=None,
              help="Time budget: stop after this many minutes of training (summed over resumes) and finish "
                   "normally, whichever of --kimg and --minutes comes first.")
@click.option("--batch", type=int, default=None, help="Images per step. [default: 64]")
@click.option("--accum", type=int, default=None, help="Gradient-accumulation rounds per step.")
@click.option("--d-steps", type=int, default=None, help="Discriminator steps per generator step.")
@click.option("--ema-kimg", type=float, default=None, help="Half-life of the generator EMA in kimg.")
@click.option("--seed", type=int, default=None, help="Random seed. [default: 0]")
@click.option("--device", default=None, help="auto, cpu, cuda or cuda:N.")
@click.option("--precision", type=click.Choice(["auto", "fp32", "tf32", "bf16"]), default=None,
              help="auto = tf32 on CUDA, fp32 on CPU; bf16 = bf16 autocast (CUDA).")
@click.option("--out", default=None, help="Parent folder of run folders. [default: runs]")
@click.option("--name", default=None, help="Run folder name. [default: DATASET-MODEL[-cond]]")
@click.option("--snapshot-kimg", type=float, default=None, help="Checkpoint and sample grid every N kimg.")
@click.option("--log-kimg", type=float, default=None, help="Metrics line every N kimg.")
@click.option("--eval-every", type=float, default=None, metavar="KIMG",
              help="Evaluate the EMA generator every KIMG and keep the best model in RUN/best/.")
@click.option("--eval-metric", default=None, type=RegistryChoice("duelo.evaluation.metrics:METRICS", "metric"),
              help="Metric that ranks periodic evaluations. [default: fd_domain]")
@click.option("--augment", type=click.Choice(["auto", "none", "diffaugment", "ada"]), default=None,
              help="Augmentation of everything D sees; auto = ADA when the data set is small for the resolution "
                   "(docs/stability.md). [default: auto]")
@click.option("--health/--no-health", default=None,
              help="Training-health monitor (health.jsonl; holds a few real images out). [default: on]")
@click.option("--set", "assignments", multiple=True, metavar="SECTION.FIELD=VALUE",
              help="Set any config field, e.g. --set train.ema_rampup=0.1 or --set stabilise.r1_gamma=1 "
                   "(repeatable; stabilisers: docs/stability.md).")
@click.option("--gpus", type=click.IntRange(min=1), default=None,
              help="Train on this many GPUs of this machine: one process each through torchrun, --batch split "
                   "among them (docs/speed.md).")
@click.option("--max-restarts", type=click.IntRange(min=0), default=3,
              help="With --gpus: restart all processes this many times after one fails; they resume from the "
                   "last checkpoint.")
@click.option("--dry-run", is_flag=True, help="Print the resolved configuration as JSON and exit.")
def train(preset, list_presets, assignments, dry_run, lr, gpus, max_restarts, **options) -> None:
    """Train a GAN, or resume it: re-running the same command continues from its latest checkpoint.

    \b
    Examples:
      duelo train --preset demo
      duelo train --dataset fashion-mnist --conditional --kimg 500
      duelo train --dataset ./my_images --resolution 64 --loss hinge --name faces
      duelo train --task inpaint --dataset fashion-mnist
      duelo train --task cyclegan --source mnist --dataset fashion-mnist
    """
    from duelo.config import Config, load_preset, preset_description, preset_names

    if list_presets:
        for name in preset_names():
            click.echo(f"{name:16s} {preset_description(name)}")
        return
    task = options.get("task")
    if preset is None and task is not None and task in preset_names():
        preset = task                          # e.g. --task cyclegan starts from the cyclegan preset
    config = load_preset(preset) if preset else Config()
    overrides = {}
    if lr is not None:
        overrides.update({"optim.g_lr": lr, "optim.d_lr": lr})
    overrides.update({OPTION_FIELDS[k]: v for k, v in options.items() if v is not None})
    overrides.update(parse_assignments(assignments))
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
    from duelo.apps import TASKS

    summary = TASKS.get(config.train.task)(config)
    if int(os.environ.get("RANK", "0")) != 0:
        return                                     # the first process reports for all
    figures = [f"{summary['kimg']} kimg", f"{summary['train_time_s']} s"]
    if "class_accuracy" in summary:
        figures.append(f"class_accuracy {summary['class_accuracy']:.3f}")
    click.echo(f"done: {', '.join(figures)}; summary in {config.run.out}/{config.run_name}/summary.json")
