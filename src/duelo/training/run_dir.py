"""The run folder `runs/<name>/`: what a run writes, where, and how a re-run finds it.

    config.json        resolved configuration (compared on re-run: same command = resume)
    metrics.jsonl      one JSON object per log interval (kimg, img/s, losses, D logits)
    samples/           grids of the EMA generator on fixed seeds, one per snapshot
    checkpoints/       ckpt-<nimg>/state.safetensors + state.json (see training/checkpoint.py)
    model/             the latest EMA generator as config.json + model.safetensors (for `duelo sample`)
    data_report.json   files skipped or noted while reading the dataset
    summary.json       final figures (written at the end)
    tensorboard/, mlruns/, mlflow.json   with run.loggers: copies for TensorBoard and MLflow (docs/logging.md)
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from pathlib import Path
from typing import Any, Callable

from duelo.errors import ConfigError
from duelo.faults import write_point
from duelo.io.atomic import atomic_write_json, atomic_write_text
from duelo.io.json_files import json_lines, log_position, of, read_json

class RunDir:
    def __init__(self, path: Path, checkpoints_from: Path | None = None):
        self.path = Path(path)
        # data parallelism: the other processes write their (unused) files to a scratch folder but read the
        # main process's checkpoints, so that they resume and roll back to exactly the same state
        self._checkpoints = None if checkpoints_from is None else Path(checkpoints_from)
        # who is told of each record and snapshot file written (the loggers' mirror, duelo.training.loggers)
        self.watchers: list[Any] = []

    @property
    def config_path(self) -> Path: return self.path / "config.json"
    @property
    def metrics_path(self) -> Path: return self.path / "metrics.jsonl"
    @property
    def samples(self) -> Path: return self.path / "samples"
    @property
    def checkpoints(self) -> Path: return self._checkpoints or self.path / "checkpoints"
    @property
    def model(self) -> Path: return self.path / "model"
    @property
    def summary_path(self) -> Path: return self.path / "summary.json"
    @property
    def data_report_path(self) -> Path: return self.path / "data_report.json"
    @property
    def eval_log_path(self) -> Path: return self.path / "eval.jsonl"
    @property
    def best(self) -> Path: return self.path / "best"

    def prepare(self, config, upgrade=None, baseline=None) -> None:
        """Create the folder, or check that an existing one holds the same experiment (a duelo.config.Config;
        the fields a re-run may change are marked `rerun` in their metadata). `upgrade` brings an older
        config.json up to date; `baseline` (the task's defaults) stands for fields the old file lacks."""
        if self.config_path.exists() or os.path.lexists(self.config_path):
            previous = read_json(self.config_path, "the run's configuration", {"train": of(dict)}, error=ConfigError,
                                 remedy="this is not a duelo run folder or its config.json is damaged: move the "
                                        "folder away or choose another run folder (--name NEW_NAME or another --out)")
            differences = config.differences(upgrade(previous) if upgrade else previous, baseline)
            if differences:
                raise ConfigError(
                    f"{self.path} holds a run with a different configuration ({'; '.join(differences[:4])}"
                    f"{' ...' if len(differences) > 4 else ''}). Re-running the same command resumes it; "
                    f"for a new experiment choose a new run folder with --name NEW_NAME or another --out (or delete "
                    f"the folder).")
        else:
            self.refuse_foreign()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigError(f"cannot create the run folder {self.path} ({error.strerror}); "
                              f"check --out and --name") from None
        atomic_write_json(self.config_path, config.to_dict())     # first: a folder with files has its config
        try:
            own = (self.samples,) if self._checkpoints else (self.samples, self.checkpoints)
            for folder in own:         # another process's checkpoints folder is its own to create
                folder.mkdir(exist_ok=True)
        except OSError as error:
            raise ConfigError(f"cannot create the run folder {self.path} ({error.strerror}); "
                              f"check --out and --name") from None

    def check_target(self) -> None:
        """Early, before any work: the folder is missing, empty, or has a config.json (checked in full by
        prepare); anything else is refused."""
        if not (self.config_path.exists() or os.path.lexists(self.config_path)):
            self.refuse_foreign()

    def refuse_foreign(self) -> None:
        """A new run goes into a missing or empty folder only: never into a folder that holds anything else (a
        saved model, a dataset, another program's files), which its files would overwrite."""
        if not self.path.is_dir():
            if self.path.exists():
                raise ConfigError(f"{self.path} is a file, not a run folder; choose another --name or --out")
            return
        found = sorted(entry.name for entry in self.path.iterdir() if not entry.name.startswith(".")
                       and not (entry.is_dir() and not any(entry.iterdir())))      # empty folders hold nothing
        if found:
            raise ConfigError(f"{self.path} is not a duelo run folder (no config.json) but holds {len(found)} "
                              f"item(s) (e.g. {found[0]}) that a run would overwrite; choose a new run folder "
                              f"(--name NEW_NAME or another --out)")

    def clean_leftovers(self) -> None:
        """Remove the temp files and folders of writes a crash cut short (in the run folder, its samples and
        model folders), after putting back a model folder whose commit was cut between its two renames."""
        import shutil

        from duelo.io.folders import OLD_MARK, TEMP_SUFFIX, recover_folder

        for folder in (self.path, self.samples):
            if not folder.is_dir():
                continue
            for entry in list(folder.iterdir()):
                if entry.name.startswith(".") and OLD_MARK in entry.name:
                    recover_folder(folder / entry.name[1:entry.name.index(OLD_MARK)])
                elif entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX):
                    shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)

    @contextlib.contextmanager
    def lock(self):
        """Exclusive use of the folder for one process: a second `duelo train` on it stops at once."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            handle = open(self.path / ".lock", "a+")
        except OSError as error:
            raise ConfigError(f"cannot create the run folder {self.path} ({error.strerror}); "
                              f"check --out and --name") from None
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ConfigError(f"another duelo process is training in {self.path}; wait for it, stop it, "
                                  f"or use another run folder (--name or --out)") from None
            yield self
        finally:
            handle.close()   # closing releases the lock

    def append_metrics(self, record: dict[str, Any]) -> None:
        self.append_jsonl(self.metrics_path, record)

    def append_jsonl(self, path: Path, record: dict[str, Any]) -> None:
        write_point(path)
        with open(path, "a") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
            handle.flush()
        for watcher in self.watchers:
            watcher.record(path, record)

    def announce_files(self, nimg: int, written: list[Path]) -> None:
        """A snapshot at `nimg` wrote these files and folders (for the watchers: the loggers)."""
        for watcher in self.watchers:
            watcher.files(nimg, written)

    def truncate_metrics(self, nimg: int) -> None:
        """On resume, drop lines logged after the checkpoint (they will be logged again, identically)."""
        self.truncate_jsonl(self.metrics_path, nimg)

    def truncate_jsonl(self, path: Path, nimg: int, keep: Callable[[dict], bool] = lambda record: False) -> None:
        """Keep the records logged at or before `nimg` (and those `keep` says stay); lines that are not JSON
        objects (cut by a crash, damaged) go too."""
        if not path.exists():
            return
        kept = [record for record in json_lines(path) if log_position(record) <= nimg or keep(record)]
        atomic_write_text(path, "".join(json.dumps(record, sort_keys=True) + "\n" for record in kept))

    BEST_RECORD = "best.json"

    def best_value(self) -> float | None:
        """The figure of the model kept in best/ (its best.json, written beside it by a periodic evaluation), or
        None when no model has been kept yet."""
        record = self.best / self.BEST_RECORD
        if not record.exists():
            return None
        from duelo.io.json_files import number

        return read_json(record, "the best model's record", {"value": number()}, error=ConfigError,
                         remedy="move best/ out of the run folder to start the search for the best model "
                                "again")["value"]

    @staticmethod
    def best_record(metric: str, value: float, nimg: int) -> str:
        """best.json's text for a model kept at `nimg` with `metric` = `value`."""
        return json.dumps({"metric": metric, "value": value, "nimg": nimg}, indent=2) + "\n"

    def write_summary(self, summary: dict[str, Any]) -> None:
        atomic_write_json(self.summary_path, summary)

    def read_summary(self) -> dict[str, Any] | None:
        if self.summary_path.exists():
            return read_json(self.summary_path, "the run's summary", {}, error=ConfigError,
                             remedy="re-run the training command to write it again")
        return None

