"""The logger protocol and its registry: where a run's records are mirrored besides the run folder.

The run folder stays the source of truth (metrics.jsonl, health.jsonl, eval.jsonl, samples/): a logger only
receives copies of what was just written there (duelo.training.loggers.mirror), so any logger can be filled
again from the folder alone: after a crash, after a resume, or long after the run (`duelo logs export`).

Steps are image counts (`nimg`, integers: the real samples shown to D), the unit every file of the run folder
is keyed by, so a resumed run continues on the same axis.

An entry is a class taking `(run_path, config)` (config: the run's config.json as a dict), registered with
the optional package it needs:

    @LOGGERS.register("tensorboard", extra="tensorboard", modules=("tensorboard",), opens="...")
    class TensorBoardLogger(Logger): ...
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duelo.errors import ConfigError
from duelo.registry import Registry

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class LoggerInfo:
    extra:   str                    # the optional dependency group that installs it: pip install 'duelo[extra]'
    modules: tuple[str, ...]        # what must import for it to work (checked before a run starts)
    opens:   str                    # how to look at what it wrote, for docs and messages


@dataclass(frozen=True)
class Sample:
    """One file a snapshot wrote under samples/, as a logger sees it."""

    path: Path
    kind: str                       # "image", "audio", "text" or "file" (duelo.training.loggers.samples)
    tag:  str                       # the file's series: "samples/grid" for samples/grid-000004000.png


class Logger:
    """Base of every logger: each method receives copies of the run folder's records at step `nimg`; the defaults
    ignore what a logger cannot show (MLflow has no histograms)."""

    @classmethod
    def prepare(cls) -> None:
        """Set what the logger's package must see before it is first imported (e.g. switches that keep it off
        the network); called before the availability check and before the logger is built."""

    def restart(self, nimg: int) -> int:
        """The run continues from `nimg` (a new process, a resume, a rollback): forget what was logged after it
        where the logger can, and return the first step whose records it needs again (they are then replayed
        from the run folder). A logger that holds everything up to `nimg` returns `nimg`."""
        return 0

    def scalars(self, nimg: int, values: dict[str, float]) -> None:
        """Named numbers of one record (a metrics line, health signals, an evaluation)."""

    def sample(self, nimg: int, sample: Sample) -> None:
        """A file a snapshot wrote: a grid, a plot, a sound, generated text."""

    def histograms(self, nimg: int, tensors: dict[str, "torch.Tensor"]) -> None:
        """Weights of the players at a snapshot (only with run.log_histograms)."""

    def event(self, nimg: int, record: dict[str, Any]) -> None:
        """A health event (health.jsonl: event, severity, message, remedy)."""

    def document(self, nimg: int, name: str, content: dict[str, Any]) -> None:
        """A JSON document of the run: its configuration at the start, its summary at the end."""

    def flush(self) -> None:
        """Push what was handed over to its files (after each live record: a crash then loses at most the step
        it happened in, and a live view is current)."""

    def synced(self, nimg: int) -> None:
        """Everything up to `nimg` has been handed over (after a snapshot): make it durable."""

    def close(self) -> None:
        """Flush and release; called once, also when training stops with an error."""


LOGGERS: Registry[type[Logger]] = Registry("logger", info=LoggerInfo)


def check_available(names: tuple[str, ...] | list[str]) -> None:
    """Refuse a run before any work when a requested logger's package is missing, naming the install command."""
    for name in names:
        info: LoggerInfo = LOGGERS.info(name)
        LOGGERS.get(name).prepare()
        for module in info.modules:
            try:
                importlib.import_module(module)
            except ImportError as error:
                raise ConfigError(f"run.loggers: {name} needs the {module} package, which does not import "
                                  f"({error}); install it with pip install 'duelo[{info.extra}]', or drop "
                                  f"{name} from --log-to") from None
