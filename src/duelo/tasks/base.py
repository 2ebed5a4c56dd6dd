"""What a task is: everything that differs between training an image GAN, an image translator, a table model
or a toy mixture, behind one interface that the shared runner (duelo.tasks.runner) drives.

A task owns its configuration sections, its data, its parts (players, objective, feed), its snapshots and
summary, and any extra hooks (a health monitor, periodic evaluation). The trainer, loop, run folder,
checkpoints, rollback, time budget, progress and CLI are shared and know no task.

Subclass Task in `duelo/tasks/<name>/`, keep module-level imports light (configuration dataclasses only:
`duelo train --help` imports every task), import torch and the rest inside the methods, and register one
instance in TASKS (duelo.tasks.registry). Adding the subpackage's name to duelo/tasks/__init__.py is the one
line outside the subpackage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from duelo.config import Config, Schema

if TYPE_CHECKING:      # annotations only: importing a task stays cheap
    import torch

    from duelo.health.detectors import Advice
    from duelo.training.protocols import Hook, Objective, Player, Schedule, Snapshots


@dataclass
class Parts:
    """What a task builds for the trainer (weights seeded by the runner beforehand)."""

    players:   dict[str, "Player"]
    objective: "Objective"
    feed:      Any                                         # duelo.training.protocols.Feed
    schedules: list["Schedule"] = field(default_factory=list)
    extras:    dict[str, Any] = field(default_factory=dict)   # task-specific things its snapshots/hooks read


@dataclass
class Session:
    """One `train` call: what the loop, the snapshots and the hooks read."""

    config:     Config
    task:       "Task"
    data:       Any                 # the task's data object (whatever its load_data returned)
    parts:      Parts
    trainer:    Any                 # duelo.training.trainer.Trainer
    run_dir:    Any                 # duelo.training.run_dir.RunDir
    progress:   Any                 # duelo.training.progress.Progress
    health_log: Any                 # duelo.health.monitor.HealthLog
    log:        Callable[[str], None]
    started:    float = 0.0         # time.perf_counter() when the session began to load its data


class Task:
    name = ""
    description = ""
    sections: dict[str, type] = {}      # every section of its configuration: the common four (possibly
                                        # extended) and its own
    defaults: dict[str, Any] = {}       # dotted field -> this task's default, over the sections' own
    sample_unit = "img"                 # what one training sample is called in progress lines
    data_parallel = True                # trains on several processes (--gpus) as well as on one
    headline_figures: tuple[str, ...] = ()    # summary.json keys ("metrics.psnr": nested) shown when a run ends

    # -- configuration -----------------------------------------------------------------------------
    @property
    def schema(self) -> Schema:
        return Schema(self.name, dict(self.sections), dict(self.defaults))

    def default_config(self) -> Config:
        return Config.defaults(self.schema)

    def check(self, config: Config) -> Config:
        """Cross-section checks that need no data, before anything is built or written; may return an
        adjusted configuration (e.g. for an old run folder's settings)."""
        return config

    def headline(self, summary: dict[str, Any]) -> list[str]:
        """"name value" for each of headline_figures the summary holds, e.g. ["class_accuracy 0.890"]."""
        shown = []
        for dotted in self.headline_figures:
            value: Any = summary
            for key in dotted.split("."):
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                shown.append(f"{dotted.rpartition('.')[2]} {value:.3f}" if isinstance(value, float)
                             else f"{dotted.rpartition('.')[2]} {value}")
        return shown

    def upgrade_previous(self, previous: dict[str, Any]) -> dict[str, Any]:
        """A run folder's config.json as this version writes it, for the resume check: fields that moved or gained
        a concrete default since an older duelo wrote it. Identity by default."""
        return previous

    def run_name(self, config: Config) -> str:
        """The run folder's name when run.name is unset: the data's name and the task."""
        stem = dataset_stem(config.data.dataset) if config.has("data") else self.name
        return config.run.name or f"{stem}-{self.name}"

    def auto_precision(self, device: "torch.device") -> str:
        """What train.precision "auto" means here: TF32 on CUDA, fp32 elsewhere."""
        return "tf32" if device.type == "cuda" else "fp32"

    def check_runtime(self, config: Config, runtime) -> None:
        """Refuse a runtime this task cannot train on."""
        if runtime.world_size > 1 and not self.data_parallel:
            from duelo.errors import ConfigError
            from duelo.tasks.registry import TASKS

            several = [name for name in TASKS.names() if TASKS.get(name).data_parallel]
            raise ConfigError(f"task {self.name} trains in one process for now; drop --gpus (tasks that train on "
                              f"several: {', '.join(several) or 'none'})")

    # -- building ----------------------------------------------------------------------------------
    def load_data(self, config: Config, runtime, log: Callable[[str], None]) -> Any:
        raise NotImplementedError

    def build(self, config: Config, data: Any, runtime) -> Parts:
        raise NotImplementedError

    # -- the run -----------------------------------------------------------------------------------
    def start(self, session: Session) -> None:
        """The run folder is locked and prepared: write the data report, say what is being trained."""

    def snapshots(self, session: Session) -> "Snapshots":
        raise NotImplementedError

    def hooks(self, session: Session) -> list["Hook"]:
        """Extra periodic work besides metrics lines and snapshots (health checks, evaluation); built before
        anything is written, so that their checks can refuse a configuration."""
        return []

    def health_monitor(self, session: Session, make_data) -> list["Hook"]:
        """The shared health monitor as this task's hooks when --health is on: `make_data` () -> ProbeData (real
        samples as the networks see them, a feature space for diversity), called at the first check."""
        if not session.config.health.enabled:
            return []
        from duelo.health.monitor import HealthMonitor

        return [HealthMonitor(session.config, session.health_log, make_data, session.log, self.advise)]

    def advise(self, event: str, config: Config, signals: dict[str, Any] | None = None) -> "Advice":
        """What to do about a failure mode the health monitor named (or "gave_up": a run that keeps diverging)."""
        from duelo.health.detectors import Advice, GENERIC_ADVICE

        return Advice("" if event == "gave_up" else GENERIC_ADVICE)

    def __repr__(self) -> str:
        return f"<task {self.name}>"


def refuse_health(config: Config, what: str) -> None:
    """The health monitor's probes read images, series windows, clips, piano rolls, sounds and table rows; a task
    whose samples are `what` (text) refuses --health instead of running a monitor that cannot judge them."""
    if config.health.enabled:
        from duelo.errors import ConfigError

        raise ConfigError(f"the health monitor reads images, windows of series, video clips, piano rolls, sounds "
                          f"and table rows; it does not read {what} yet: drop --health")


def dataset_stem(dataset: str) -> str:
    """A dataset name or path as a run-name stem: 'mnist-5k', './faces/' -> 'faces', 'x.zip' -> 'x'."""
    base = str(dataset).rstrip("/\\").replace("\\", "/").split("/")[-1]
    for suffix in (".zip", ".npz", ".csv", ".parquet", ".tsv"):
        if base.endswith(suffix):
            return base[: -len(suffix)]
    return base


def run_folder(config: Config, task: Task) -> Path:
    return Path(config.run.out) / task.run_name(config)
