"""The mirror: hands what the run folder records to the run's loggers (run.loggers), live and after the fact.

Live, the run folder tells it what was just written (RunDir.watchers): each line appended to metrics.jsonl,
health.jsonl or eval.jsonl (the very record written, so logging adds no host read of its own) and each
snapshot's files. Nothing else feeds a logger, so the folder alone can always fill one again: at every restart
(a new process, a resume, a divergence rollback) each logger says from which step it needs the records again
and the mirror replays them from the files; `duelo logs export` replays a whole finished run the same way.

Only the main process mirrors (its run folder is the real one). A logger that fails (a full disk, a damaged
store) is dropped with one warning and training goes on: the run folder still holds everything, and
`duelo logs export RUN --to NAME` fills the logger again later.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, Iterable

from duelo.errors import ConfigError
from duelo.io.json_files import json_lines, log_position
from duelo.training.loggers.base import LOGGERS, Logger, check_available
from duelo.training.loggers.samples import as_sample, snapshot_samples

NOT_SCALARS = {"nimg", "kimg", "kind"}        # the step itself, and labels


def numbers(record: dict[str, Any], prefix: str = "", top: bool = True) -> dict[str, float]:
    """The finite numbers of a record under `prefix`, nested objects flattened with '/' (step, labels, flags and
    lists left out): {"nimg": 4096, "fid": 31.2, "per_class": {"0": 0.9}} -> {"eval/fid": 31.2, "eval/per_class/0":
    0.9} with prefix "eval/"."""
    found: dict[str, float] = {}
    for key, value in record.items():
        if top and key in NOT_SCALARS:
            continue
        if isinstance(value, dict):
            found.update(numbers(value, f"{prefix}{key}/", top=False))
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            found[f"{prefix}{key}"] = float(value)
    return found


def _metrics(logger: Logger, nimg: int, record: dict[str, Any]) -> None:
    logger.scalars(nimg, numbers(record))


def _health(logger: Logger, nimg: int, record: dict[str, Any]) -> None:
    if record.get("kind") == "event":
        logger.event(nimg, record)
    elif isinstance(record.get("signals"), dict):
        logger.scalars(nimg, numbers(record["signals"], "health/"))


def _evaluation(logger: Logger, nimg: int, record: dict[str, Any]) -> None:
    logger.scalars(nimg, numbers(record, "eval/"))


# the JSON-lines files of a run folder that loggers receive, and what each line becomes
RECORD_FILES: dict[str, Callable[[Logger, int, dict[str, Any]], None]] = {
    "metrics.jsonl": _metrics, "health.jsonl": _health, "eval.jsonl": _evaluation}


class RunMirror:
    """The loggers of one run and the run folder they mirror."""

    def __init__(self, run_path: Path, loggers: dict[str, Logger], log: Callable[[str], None],
                 players: dict[str, Any] | None = None, histograms: bool = False, strict: bool = False):
        self.run_path = Path(run_path)
        self.loggers = loggers
        self.log = log
        self.players = players or {}                  # name -> Player (duelo.training.protocols), for histograms
        self.histograms = histograms
        self.strict = strict                          # export: a failure is an error, not a warning
        self.config: dict[str, Any] = {}             # the run's config.json, logged once per process
        self.config_logged = False

    @classmethod
    def open(cls, run_path: Path, names: Iterable[str], config: dict[str, Any], log: Callable[[str], None],
             **options: Any) -> "RunMirror":
        check_available(list(names))
        mirror = cls(run_path, {}, log, **options)
        mirror.config = config
        for name in dict.fromkeys(names):             # each once, in the order given
            try:
                mirror.loggers[name] = LOGGERS.get(name)(Path(run_path), config)
            except OSError:
                raise                                 # a write error: one message from the CLI
            except Exception as error:                # noqa: BLE001 - a package's own error types
                mirror.close()
                raise ConfigError(f"run.loggers: cannot open {name} in {run_path} ({type(error).__name__}: "
                                  f"{error}); fix or remove what it names, or drop {name} from --log-to") from None
        return mirror

    def __bool__(self) -> bool:
        return bool(self.loggers)

    # -- live: what the run folder just wrote --------------------------------------------------------------
    def record(self, path: Path, record: dict[str, Any]) -> None:
        forward = RECORD_FILES.get(Path(path).name)
        step = log_position(record)
        if forward is None or step == float("inf"):
            return

        def send(logger: Logger) -> None:
            forward(logger, int(step), record)
            logger.flush()

        self._each("log", send)

    def files(self, nimg: int, written: list[Path]) -> None:
        """A snapshot's files (those under samples/ named by their step), then the weights' histograms."""
        folder = self.run_path / "samples"
        samples = [entry[1] for entry in map(as_sample, (path for path in written if Path(path).parent == folder))
                   if entry is not None and entry[0] == nimg]
        self._each("log", lambda logger: [logger.sample(nimg, sample) for sample in samples])
        self._histograms(nimg)
        self._each("sync", lambda logger: logger.synced(nimg))

    def restart(self, nimg: int) -> None:
        """The run continues from `nimg` with the run folder already cut to it: each logger gets again what it
        lacks (from the step it names up to `nimg`); the configuration once per process."""
        for name, logger in list(self.loggers.items()):
            self._one(name, "replay", lambda: self._replay(logger, logger.restart(nimg), nimg))
        self._histograms(nimg)                        # the restored weights are the weights at nimg
        self.config_logged = True

    def summary(self, nimg: int, summary: dict[str, Any]) -> None:
        self._each("log", lambda logger: logger.document(nimg, "summary", summary))
        self._each("sync", lambda logger: logger.synced(nimg))

    def close(self) -> None:
        for name, logger in list(self.loggers.items()):
            self._one(name, "close", logger.close)
        self.loggers = {}

    # -- replay --------------------------------------------------------------------------------------------
    def _replay(self, logger: Logger, first: int, last: int) -> None:
        """The records and sample files of steps first..last. (Events a rollback keeps past `last` were logged
        when they happened: every reader keeps text, and a logger filled from scratch is filled by export.)"""
        if self.config and not self.config_logged:
            logger.document(first, "config", self.config)
        for name, forward in RECORD_FILES.items():
            for record in json_lines(self.run_path / name):
                step = log_position(record)
                if first <= step <= last:
                    forward(logger, int(step), record)
        for step, sample in snapshot_samples(self.run_path / "samples", first, last):
            logger.sample(step, sample)
        logger.synced(last)

    def _histograms(self, nimg: int) -> None:
        if not self.histograms or not self.players:
            return
        tensors = {f"weights/{player}/{name}": parameter.detach()
                   for player, entry in self.players.items()
                   for name, parameter in entry.module.named_parameters()}
        self._each("log", lambda logger: logger.histograms(nimg, tensors))

    # -- failures ------------------------------------------------------------------------------------------
    def _each(self, what: str, call: Callable[[Logger], Any]) -> None:
        for name, logger in list(self.loggers.items()):
            self._one(name, what, lambda: call(logger))

    def _one(self, name: str, what: str, call: Callable[[], Any]) -> None:
        try:
            call()
        except Exception as error:                    # noqa: BLE001 - an optional logger never stops training
            if self.strict and isinstance(error, OSError):
                raise                                 # a write error: one message from the CLI
            if self.strict:
                raise ConfigError(f"logging to {name} failed ({what}: {type(error).__name__}: {error}); fix what "
                                  f"it names (for MLflow: the store at run.mlflow_uri) and export again") from None
            self.loggers.pop(name, None)
            self.log(f"warning: logging to {name} stopped ({what}: {type(error).__name__}: {error}); the run folder "
                     f"still holds everything, and `duelo logs export {self.run_path} --to {name}` fills it again")


def export_run(run_path: Path, names: Iterable[str], log: Callable[[str], None],
               mlflow_uri: str | None = None) -> int:
    """Bring the loggers `names` up to date with a run folder (`duelo logs export`): each gets what it lacks of
    metrics.jsonl, health.jsonl, eval.jsonl, the sample files and summary.json. Returns the last step."""
    from duelo.io.json_files import of, read_json
    from duelo.training.run_dir import RunDir

    run_dir = RunDir(Path(run_path))
    config = read_json(run_dir.config_path, "the run's configuration", {"train": of(dict)}, error=ConfigError,
                       remedy="give the folder of a run that duelo train wrote")
    if mlflow_uri is not None:
        from duelo.config.common import local_store_path

        local_store_path(mlflow_uri, "--mlflow-uri")  # a server address is refused before anything is written
        config = {**config, "run": {**(config.get("run") or {}), "mlflow_uri": mlflow_uri}}
    steps = [log_position(record) for name in RECORD_FILES for record in json_lines(run_dir.path / name)]
    steps += [entry[0] for entry in map(as_sample, run_dir.samples.iterdir() if run_dir.samples.is_dir() else [])
              if entry is not None]
    last = int(max((step for step in steps if step < float("inf")), default=0))
    with run_dir.lock():                               # not while a training writes the folder
        mirror = RunMirror.open(run_dir.path, names, config, log, strict=True)
        try:
            mirror.restart(last)
            summary = run_dir.read_summary()
            if summary is not None:
                mirror.summary(last, summary)
        finally:
            mirror.close()
    return last
