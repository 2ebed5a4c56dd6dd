"""Hyper-parameter search for any task (`duelo tune`), with Optuna: a TPE sampler proposes settings from KNOBS,
each trial trains one run to the last rung and reports the task's proxy score (the summary the run would write
if it ended there) at each rung on the way (duelo.tasks.interim), and successive halving stops the trials that
trail at a rung. The study lives in a SQLite file, so a second `duelo tune` with the same --study continues it,
and several at once share it (one per GPU): each process seeds its sampler on its own unless --seed is given, and
a seed given is moved on by the trials the study already holds, so a continued study does not propose its first
settings again.

    KNOBS       the settings a search may change: rates, Adam's beta1, batch, R1, augmentation, width — each
                only where the task's configuration has it
    PROXIES     the summary figure a task is tuned on and its direction (image-gan: class_accuracy, up; toy:
                high_quality_fraction, up; ...); --score names another
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duelo.config import Config
from duelo.errors import ConfigError
from duelo.registry import Registry

INSTALL = "pip install 'duelo[tune]' (optuna)"


@dataclass(frozen=True)
class Knob:
    field: str                                       # the config field ("optim.g_lr")
    suggest: Callable[[Any, str], Any]               # (optuna trial, name) -> value


KNOBS: Registry[Knob] = Registry("tuning knob")
for _name, _knob in (
        ("g_lr", Knob("optim.g_lr", lambda t, n: t.suggest_float(n, 1e-5, 1e-3, log=True))),
        ("d_lr", Knob("optim.d_lr", lambda t, n: t.suggest_float(n, 1e-5, 1e-3, log=True))),
        ("beta1", Knob("optim.beta1", lambda t, n: t.suggest_categorical(n, [0.0, 0.5]))),
        ("batch", Knob("train.batch", lambda t, n: t.suggest_categorical(n, [32, 64, 128]))),
        ("r1_gamma", Knob("stabilise.r1_gamma", lambda t, n: t.suggest_categorical(n, [0.0, 0.1, 1.0, 10.0]))),
        ("augment", Knob("augment.name", lambda t, n: t.suggest_categorical(n, ["none", "diffaugment", "ada"]))),
        ("width", Knob("model.width", lambda t, n: t.suggest_categorical(n, [32, 64, 128])))):
    KNOBS.add(_name, _knob)

PROXIES = {"image-gan": ("class_accuracy", "maximize"), "toy": ("high_quality_fraction", "maximize"),
           "timeseries": ("scores.discriminative", "minimize"), "music": ("scores.histogram_distance", "minimize"),
           "audio": ("scores.fd", "minimize"), "tabular": ("column_shapes", "maximize")}


DEFAULT_KNOBS = "g_lr,d_lr,beta1,batch,r1_gamma,augment"
TASK_KNOBS = {"tabular": "g_lr,d_lr,beta1"}     # a table's batch must be a multiple of its pac: not searched


def require_optuna():
    try:
        import optuna
    except ImportError as error:
        raise ConfigError(f"duelo tune needs Optuna ({error}): {INSTALL}") from None
    return optuna


def usable_knobs(config: Config, names: list[str]) -> list[str]:
    """The named knobs whose field the task's configuration has; ConfigError for an unknown one."""
    usable = []
    for name in names:
        knob = KNOBS.get(name)                       # a clear error listing the knobs for an unknown name
        section, field = knob.field.split(".")
        if hasattr(getattr(config, section, None), field):
            usable.append(name)
    if not usable:
        raise ConfigError(f"none of the knobs {', '.join(names)} applies to task {config.task}")
    return usable


def figure(summary: dict, dotted: str) -> float | None:
    value: Any = summary
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


STUDY_ATTEMPTS = 8                   # processes that create one study file at once race on its tables


def open_study(optuna, study_path: Path, direction: str, seed: int | None, log=print):
    """Create or continue the study in `study_path`; the sampler seeded from `seed` plus the trials it holds, or,
    without a seed, from this process alone (logged, so a search can be repeated)."""
    import os
    import random

    study_path.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(STUDY_ATTEMPTS):
        try:                                                    # the storage makes the tables: it races too
            storage = optuna.storages.RDBStorage(f"sqlite:///{study_path}",
                                                 engine_kwargs={"connect_args": {"timeout": 60}})
            study = optuna.create_study(study_name="duelo", storage=storage, load_if_exists=True, direction=direction)
            break
        except Exception as error:                              # another process made the tables first
            if attempt == STUDY_ATTEMPTS - 1 or not _lost_race(optuna, error):
                raise
            time.sleep(random.uniform(0.1, 0.5) * (attempt + 1))
    if seed is None:
        seed = (os.getpid() * 7919 + time.time_ns()) % 2**31
        log(f"tune: sampler seed {seed} (--seed {seed} draws the same settings again)")
    study.sampler = optuna.samplers.TPESampler(seed=(seed + len(study.trials)) % 2**32, constant_liar=True)
    study.pruner = optuna.pruners.SuccessiveHalvingPruner()
    return study


def _lost_race(optuna, error: Exception) -> bool:
    """SQLAlchemy's errors, raised as they are or wrapped by Optuna's storage."""
    return "sqlalchemy" in type(error).__module__ or isinstance(error, optuna.exceptions.StorageInternalError)


def tune(base: Config, study_path: Path, trials: int, rungs: list[float], knobs: list[str], score: str,
         direction: str, seed: int | None = 0, log=print, base_args: str | None = None,
         minutes: float | None = None) -> dict:
    """Run `trials` more trials of the study in `study_path` (created or continued); the best trial's figures.
    `base_args`: the `duelo train` options that make `base` (default `--task TASK`), for the best's command.
    `minutes`: start no trial after this many minutes (the trial under way finishes)."""
    from duelo.tasks.interim import InterimSummaries
    from duelo.tasks.runner import train

    optuna = require_optuna()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = open_study(optuna, study_path, direction, seed, log)
    runs = study_path.parent / f"{study_path.stem}-runs"

    def objective(trial) -> float:
        overrides = {KNOBS.get(name).field: KNOBS.get(name).suggest(trial, name) for name in knobs}
        described = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in overrides.items())
        started = time.perf_counter()

        def report(summary: dict, step: int) -> float:
            value = figure(summary, score)
            if value is None:
                raise ConfigError(f"the run's summary.json has no figure {score!r}; choose another --score")
            trial.report(value, step)
            log(f"tune: trial {trial.number} at {rungs[step]:g} kimg: {score} {value:.4g} "
                f"({time.perf_counter() - started:.0f} s into the trial) | {described}")
            return value

        def at_rung(summary: dict, step: int) -> None:
            report(summary, step)
            if trial.should_prune():
                raise optuna.TrialPruned()

        config = base.with_overrides({**overrides, "train.total_kimg": rungs[-1], "run.out": str(runs),
                                      "run.name": f"trial-{trial.number:04d}"})
        summary = train(config, stream=io.StringIO(), live_progress=False, interim=InterimSummaries(rungs, at_rung))
        return report(summary, len(rungs) - 1)

    study.optimize(objective, n_trials=trials, timeout=None if minutes is None else minutes * 60, catch=())
    finished = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not finished:
        return {"trials": len(study.trials), "completed": 0}
    best = study.best_trial
    fields = {KNOBS.get(name).field: value for name, value in best.params.items()}
    return {"trials": len(study.trials), "completed": len(finished),
            "pruned": sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials),
            "best": {"trial": best.number, "score": score, "value": best.value, "settings": fields,
                     "run": str(runs / f"trial-{best.number:04d}")},
            "command": " ".join(["duelo train", base_args or f"--task {base.task}",
                                 *(f"--set {k}={v:.3g}" if isinstance(v, float) else f"--set {k}={v}"
                                   for k, v in fields.items())])}
