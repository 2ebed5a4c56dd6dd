"""Image-to-image tasks: translation (pix2pix, CycleGAN) and restoration (inpainting, denoising,
super-resolution). One composition for all five: data, a registered translator and patch discriminator,
an objective, and the same trainer, run folder and loop as image synthesis.

    task       data                                      input of G                      objective
    translate  pairs from files, or --degrade edges      the source image                pix2pix
    inpaint    target images                             image with holes + mask         pix2pix, paste-back
    denoise    target images                             noisy image                     pix2pix
    superres   target images                             bicubic-upsampled low-res       pix2pix
    cyclegan   two unpaired domains (--source, --dataset) an image of the other domain   CycleGAN
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


from duelo.apps import TASKS
from duelo.config import Config
from duelo.errors import ConfigError
from duelo.registry import Registry


@dataclass(frozen=True)
class TaskSpec:
    name:        str
    description: str
    degradation: str | None = None    # default degradation making the input (None: the input is data)
    unpaired:    bool = False         # two domains without pairs: CycleGAN
    paste_back:  bool = False         # the output keeps the input's known pixels (inpainting)
    holes:       bool = False         # its degradation must draw holes (a mask channel), and only its may
    rescale:     bool = False         # its degradation must change the scale (settings["scale"]), and only its may


IMAGE2IMAGE: Registry[TaskSpec] = Registry("image-to-image task")

for _spec in (
    TaskSpec("translate", "paired translation (pix2pix): pairs from files, or an input made by --degrade"),
    TaskSpec("inpaint", "fill holes (boxes or free-form strokes); known pixels kept exactly", "boxes",
             paste_back=True, holes=True),
    TaskSpec("denoise", "remove noise (Gaussian by default; salt-pepper, jpeg)", "gaussian"),
    TaskSpec("superres", "super-resolution of a down-sampled image (x4 by default)", "downsample", rescale=True),
    TaskSpec("cyclegan", "unpaired translation between two domains (CycleGAN)", unpaired=True),
):
    IMAGE2IMAGE.register(_spec.name)(_spec)


@dataclass
class Image2ImageSession:
    """What one call of `train` builds (the loop and the snapshot writer read it)."""

    config: Config
    spec: TaskSpec
    data: Any                 # duelo.apps.image2image_data.TaskData
    degradation: Any          # duelo.degrade op, or None
    run_dir: Any
    trainer: Any
    progress: Any
    log: Any

    @property
    def dataset(self):        # the loop's log lines read the resolution from here
        return _Shape(self.data.resolution)


@dataclass(frozen=True)
class _Shape:
    resolution: int


def degradation_for(config: Config, spec: TaskSpec):
    """The degradation op the task uses (image2image.degrade, else the task's default), or None."""
    from duelo.degrade import build_degradation

    name = config.image2image.degrade or spec.degradation
    if name is None:
        if config.image2image.degrade_kwargs:
            raise ConfigError("image2image.degrade_kwargs is set but no degradation is used; set "
                              "image2image.degrade (--degrade) too")
        return None
    if spec.unpaired:
        raise ConfigError(f"--degrade is for paired and restoration tasks; {spec.name} translates between "
                          f"two real domains (--source and --dataset)")
    op = build_degradation(name, **config.image2image.degrade_kwargs)
    if not fits(spec, op):
        from duelo.degrade import DEGRADATIONS

        suitable = [other for other in DEGRADATIONS.names() if fits(spec, build_degradation(other))]
        raise ConfigError(f"task {spec.name} cannot use --degrade {name}: "
                          f"{'it must draw holes' if spec.holes else 'it must down-sample' if spec.rescale else ''}"
                          f"{' (' if spec.holes or spec.rescale else ''}the model's input would not be what "
                          f"`duelo inpaint|restore` give it{')' if spec.holes or spec.rescale else ''}; use one of "
                          f"{', '.join(suitable)}, or the task made for {name} "
                          f"({'inpaint' if _draws_holes(op) else 'superres' if 'scale' in op.settings else 'denoise'})")
    return op


def _draws_holes(op) -> bool:
    import torch

    return op(torch.zeros(1, 1, 32, 32), torch.Generator().manual_seed(0)).mask is not None


def fits(spec: TaskSpec, op) -> bool:
    """Does degradation `op` make the input this task's model and commands expect?"""
    return _draws_holes(op) == spec.holes and ("scale" in op.settings) == spec.rescale


# image2image fields only some tasks use: a changed value elsewhere would silently do nothing
PAIRED_ONLY = ("l1_weight", "residual")
UNPAIRED_ONLY = ("cycle_weight", "identity_weight")
INPAINT_ONLY = ("hole_fill", "paste_back")
FILES_ONLY = ("layout", "source_channels")      # paired or unpaired data read from files


def changed_fields(config: Config) -> list[str]:
    from duelo.config import Image2ImageConfig

    defaults = Image2ImageConfig()
    return [name for name in vars(defaults) if getattr(config.image2image, name) != getattr(defaults, name)]


def check_config(config: Config, spec: TaskSpec) -> None:
    """Refuse settings this task does not use (image synthesis's, or another image-to-image task's), before
    anything is built or written."""
    from duelo.config import StabiliseConfig

    defaults = StabiliseConfig()
    unused = [f"stabilise.{name}" for name in vars(defaults)
              if name != "history_pool" and getattr(config.stabilise, name) != getattr(defaults, name)]
    changed = set(changed_fields(config))
    foreign = UNPAIRED_ONLY if not spec.unpaired else PAIRED_ONLY + INPAINT_ONLY
    if not spec.unpaired and not spec.holes:
        foreign += INPAINT_ONLY
    if spec.degradation is not None:            # restoration: the input is made from the target
        foreign += FILES_ONLY
    unused += [f"image2image.{name}" for name in foreign if name in changed]
    if config.augment.name not in ("auto", "none"):
        unused.append("augment.name")
    if config.model.conditional:
        unused.append("model.conditional")
    if config.train.d_steps != 1:
        unused.append("train.d_steps")
    if unused:
        raise ConfigError(f"task {spec.name} does not use {', '.join(unused)} (settings of image synthesis or "
                          f"of another task); leave them at their defaults")


def build_session(config: Config, stream=None, live_progress: bool | None = None) -> Image2ImageSession:
    import sys

    from duelo.apps.image2image_data import load_task_data, make_feed
    from duelo.apps.image2image_parts import assemble
    from duelo.apps.image_gan import seed_everything
    from duelo.training.progress import Progress
    from duelo.training.run_dir import RunDir
    from duelo.training.runtime import Runtime
    from duelo.training.trainer import Trainer, TrainerSettings

    spec = IMAGE2IMAGE.get(config.train.task)
    check_config(config, spec)
    degradation = degradation_for(config, spec)
    runtime = Runtime.create(config.train.device, config.train.precision, config.train.cuda_graph)
    if runtime.world_size > 1:
        raise ConfigError("image-to-image tasks train in one process for now; drop --gpus (image-gan runs on many)")
    data = load_task_data(config, spec.unpaired, degradation is not None)
    per_round = config.train.batch // config.train.accum_rounds
    feed = make_feed(data, spec.unpaired, per_round, config.train.seed, runtime.device)
    seed_everything(config.train.seed)
    G, D, optimizers, objective, schedules = assemble(config, spec, data, degradation, runtime.device)
    settings = TrainerSettings(batch=config.train.batch, accum_rounds=config.train.accum_rounds,
                               ema_halflife_kimg=config.train.ema_halflife_kimg, ema_rampup=config.train.ema_rampup)
    trainer = Trainer(objective, G, D, optimizers, feed, runtime, settings, seed=config.train.seed)
    trainer.schedules.extend(schedules)
    progress = Progress(config.train.total_kimg, stream=stream or sys.stderr, live=live_progress)
    run_dir = RunDir(Path(config.run.out) / config.run_name)
    return Image2ImageSession(config, spec, data, degradation, run_dir, trainer, progress, progress.message)


def train(config: Config, stream=None, live_progress: bool | None = None) -> dict[str, Any]:
    """Train (or resume) an image-to-image run; return the summary written to summary.json."""
    from duelo.apps.image2image_snapshots import TranslationSnapshots
    from duelo.apps.loop import run_loop
    from duelo.health.monitor import HealthLog
    from duelo.io.atomic import atomic_write_json

    session = build_session(config, stream, live_progress)
    if config.run.eval_kimg is not None:
        raise ConfigError(f"run.eval_kimg (--eval-every) is for image synthesis; task {config.train.task} "
                          f"evaluates once, at the end (summary.json)")
    with session.run_dir.lock():
        session.run_dir.prepare(config.to_dict())
        run_dir, data, log = session.run_dir, session.data, session.log
        atomic_write_json(run_dir.data_report_path, {"reports": [r.to_dict() for r in data.reports]})
        skipped = sum(len(r.skipped) for r in data.reports)
        if skipped:
            log(f"note: {skipped} file(s) skipped; see {run_dir.data_report_path}")
        what = session.degradation.describe() if session.degradation is not None else "input from the data"
        log(f"run folder {run_dir.path} | task {session.spec.name}: {data.summary}, "
            f"{data.channels}x{data.resolution}x{data.resolution}, {what} | {session.trainer.runtime.describe()}")
        if config.health.enabled:
            log("note: the health monitor's checks are for image synthesis; this task keeps the divergence "
                "rollback only")
        return run_loop(session, TranslationSnapshots(session), HealthLog(run_dir))


for _name in IMAGE2IMAGE.names():
    TASKS.register(_name)(train)
