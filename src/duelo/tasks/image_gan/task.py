"""Image synthesis, unconditional or class-conditional: a dataset of images, a registered architecture, the
GAN objective with its stabilisers and augmentation, the health monitor and optional periodic evaluation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from duelo.config import COMMON_SECTIONS, Config
from duelo.config.sections import LossConfig, PrivacyConfig, StabiliseConfig
from duelo.errors import ConfigError
from duelo.tasks.base import Parts, Session, Task, dataset_stem, run_folder
from duelo.tasks.image_gan.config import (AugmentConfig, FinetuneConfig, GrowthConfig, ImageGANDataConfig,
                                          ImageRunConfig, ModelConfig)


class ImageGAN(Task):
    name = "image-gan"
    description = "image synthesis, unconditional or class-conditional (MLP, DCGAN, ResNet, StyleGAN2, ProGAN)"
    headline_figures = ("class_accuracy",)
    sections = {**COMMON_SECTIONS, "run": ImageRunConfig, "data": ImageGANDataConfig, "model": ModelConfig,
                "loss": LossConfig, "stabilise": StabiliseConfig, "augment": AugmentConfig, "growth": GrowthConfig,
                "finetune": FinetuneConfig, "privacy": PrivacyConfig}

    def run_name(self, config: Config) -> str:
        if config.run.name:
            return config.run.name
        return f"{dataset_stem(config.data.dataset)}-{config.model.name}{'-cond' if config.model.conditional else ''}"

    def check(self, config: Config) -> Config:
        from duelo.privacy.settings import private_config

        check_aspect_support(config)
        return private_config(with_legacy_sections(config, run_folder(config, self) / "config.json"))

    # -- building ----------------------------------------------------------------------------------
    def load_data(self, config: Config, runtime, log) -> Any:
        from duelo.aspect import image_size
        from duelo.data import load_dataset

        d = config.data
        dataset = load_dataset(d.dataset, resolution=image_size(d.resolution, d.aspect), channels=d.channels,
                               resize=d.resize, bad_files=d.bad_files, alpha=d.alpha)
        if config.model.conditional and dataset.labels is None:
            raise ConfigError(f"--conditional needs labels, but {d.dataset} has none; put images in one "
                              f"sub-folder per class (or add 'labels' to the .npz), or train unconditionally")
        if config.privacy.epsilon > 0:
            from duelo.tasks.image_gan.private import PrivateImages

            return PrivateImages(dataset, config.privacy.eval_fraction)
        return dataset

    def build(self, config: Config, dataset, runtime) -> Parts:
        from duelo.health.heldout import split_heldout
        from duelo.tasks.image_gan.parts import assemble
        from duelo.tasks.runner import process_batch
        from duelo.training.feed import BatchFeed

        if config.privacy.epsilon > 0:
            from duelo.tasks.image_gan.private import build_private

            return build_private(config, dataset, runtime, assemble, long_side(dataset, config))
        health = config.health
        per_round = process_batch(config, runtime.world_size) // config.train.accum_rounds
        split = split_heldout(dataset.images, dataset.labels, health.heldout_fraction if health.enabled else 0.0,
                              health.heldout_max, batch=per_round * runtime.world_size)
        feed = BatchFeed(split.train_images, split.train_labels, per_round, config.train.seed, runtime.device,
                         rank=runtime.rank, world_size=runtime.world_size)
        parts = assemble(config, feed, len(split.train_images), long_side(dataset, config), dataset.channels,
                         dataset.num_classes, runtime.device)
        parts.extras["split"] = split
        # the source is read (and checked, before anything is written) only for a run that has no checkpoint of
        # its own yet: an interrupted fine-tuning run resumes from its checkpoints, even if the source has gone
        if config.finetune.resume_from and not self._has_checkpoints(config):
            from duelo.tasks.image_gan.finetune import load_into, read_source

            states, source = read_source(config.finetune.resume_from)
            load_into({"G": parts.players["G"].module, "D": parts.players["D"].module},
                      {k: v for k, v in states.items() if k != "G_ema"}, config.finetune.resume_from)
            parts.extras["source"] = (states["G_ema"], source)
        return parts

    def _has_checkpoints(self, config: Config) -> bool:
        from duelo.training.checkpoint import list_checkpoints
        from duelo.training.run_dir import RunDir

        return bool(list_checkpoints(RunDir(run_folder(config, self)).checkpoints))

    # -- the run -----------------------------------------------------------------------------------
    def start(self, session: Session) -> None:
        from duelo.health.detectors import Event
        from duelo.io.atomic import atomic_write_json

        run_dir, dataset, log = session.run_dir, session.data, session.log
        atomic_write_json(run_dir.data_report_path, dataset.report.to_dict())
        skipped = len(dataset.report.skipped)
        if skipped:
            log(f"note: {skipped} unreadable file(s) skipped; see {run_dir.data_report_path}")
        held = session.parts.extras["split"].heldout_images
        log(f"run folder {run_dir.path} | {len(dataset)} images "
            f"{dataset.channels}x{dataset.size[0]}x{dataset.size[1]}"
            f"{f' ({len(held)} held out for the health monitor)' if held is not None else ''} | "
            f"{session.trainer.runtime.describe()}")
        if "privacy" in session.parts.extras:
            plan = session.parts.extras["privacy"]
            log(f"{plan.describe()}; {len(dataset.evaluation):,} images kept out for the run's scores")
        self._start_from_source(session)
        choice = session.parts.extras["augment"]                 # the data-size check's verdict
        log(f"data: {choice.message}")
        if choice.small and not session.health_log.has_event("small_dataset"):
            session.health_log.event(Event(
                "small_dataset", "info", choice.message, f"augmentation {choice.name}",
                applied=choice.name != "none", evidence={"images": len(session.parts.extras["split"].train_images),
                                                         "resolution": max(dataset.size)}), 0)

    def _start_from_source(self, session: Session) -> None:
        """--resume-from: G_ema from the source too (build loaded G and D, and kept the source only for a run
        without checkpoints of its own); --freeze-d: say what is fixed."""
        from duelo.tasks.image_gan.finetune import frozen_stage_names, load_into

        f = session.config.finetune
        if f.freeze_d:
            names = frozen_stage_names(session.trainer.nets["D"], f.freeze_d)
            session.log(f"FreezeD: D's first {f.freeze_d} stage(s) are not trained ({', '.join(names)})")
        if "source" in session.parts.extras:
            g_ema, source = session.parts.extras["source"]
            load_into({"G_ema": session.trainer.ema["G"]}, {"G_ema": g_ema}, f.resume_from)
            session.log(f"starting from {source}")

    def snapshots(self, session: Session):
        from duelo.tasks.image_gan.snapshots import SnapshotWriter

        return SnapshotWriter(session)

    def hooks(self, session: Session) -> list:
        hooks = []
        config = session.config
        if config.run.eval_kimg is not None:
            from duelo.tasks.image_gan.periodic_eval import PeriodicEval

            hooks.append(PeriodicEval(session))
        if config.health.enabled:
            from duelo.health.monitor import HealthMonitor, probe_data

            hooks.append(HealthMonitor(config, session.health_log, probe_data(
                session.data, session.parts.extras["split"], session.log), session.log, self.advise))
        return hooks

    def advise(self, event: str, config: Config, signals: dict | None = None):
        from duelo.tasks.image_gan.remedies import advise

        return advise(event, config, signals)


def check_aspect_support(config: Config) -> None:
    """Refuse a non-square data.aspect for a family that makes square images only, before any data is read."""
    from duelo.aspect import is_square

    if is_square(config.data.aspect):
        return
    from duelo.models import GENERATORS

    if not GENERATORS.info(config.model.name).aspects:
        raise ConfigError(f"data.aspect {config.data.aspect}: model {config.model.name} makes square images only; "
                          f"the models that take an aspect: {', '.join(GENERATORS.names(aspects=True))} (--model), "
                          f"or leave --aspect at 1:1 (docs/datasets.md, non-square images)")


def long_side(dataset, config: Config) -> int:
    """The resolution (long side) of the loaded images, which must have the shape data.aspect asks for."""
    from duelo.aspect import image_size

    resolution = max(dataset.size)
    if dataset.size != image_size(resolution, config.data.aspect):
        raise ConfigError(f"{dataset.name}: images are {dataset.size[1]}x{dataset.size[0]} (width x height), not of "
                          f"data.aspect {config.data.aspect}; load them with that aspect")
    return resolution


def with_legacy_sections(config: Config, previous_path: Path) -> Config:
    """A run folder written before the augmentation and health sections existed trained without augmentation
    and without a held-out split: resume it that way instead of refusing it as a changed experiment."""
    from duelo.errors import ConfigError
    from duelo.io.json_files import read_json

    if not previous_path.exists():
        return config                      # no folder yet
    try:
        previous = read_json(previous_path, "the run's configuration", error=ConfigError, remedy="")
    except ConfigError:
        return config                      # RunDir.prepare reports the damaged file
    if not isinstance(previous, dict):
        return config
    overrides: dict[str, Any] = {}
    if "augment" not in previous and config.augment.name == "auto":
        overrides["augment.name"] = "none"
    if "health" not in previous and config.health.enabled:
        overrides["health.enabled"] = False
    return config.with_overrides(overrides) if overrides else config
