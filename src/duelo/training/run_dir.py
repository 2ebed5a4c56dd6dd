"""The run folder `runs/<name>/`: what a run writes, where, and how a re-run finds it.

    config.json        resolved configuration (compared on re-run: same command = resume)
    metrics.jsonl      one JSON object per log interval (kimg, img/s, losses, D logits)
    samples/           grids of the EMA generator on fixed seeds, one per snapshot
    checkpoints/       ckpt-<nimg>/state.safetensors + state.json (see training/checkpoint.py)
    model/             the latest EMA generator as config.json + model.safetensors (for `duelo sample`)
    data_report.json   files skipped or noted while reading the dataset
    summary.json       final figures (written at the end)
"""

from __future__ import annotations

import contextlib
import fcntl
import json
from pathlib import Path
from typing import Any

from duelo.errors import ConfigError
from duelo.io.atomic import atomic_write_json, atomic_write_text

class RunDir:
    def __init__(self, path: Path, checkpoints_from: Path | None = None):
        self.path = Path(path)
        # data parallelism: the other processes write their (unused) files to a scratch folder but read the
        # main process's checkpoints, so that they resume and roll back to exactly the same state
        self._checkpoints = None if checkpoints_from is None else Path(checkpoints_from)

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
        if self.config_path.exists():
            try:
                previous = json.loads(self.config_path.read_text())
            except json.JSONDecodeError:
                raise ConfigError(f"{self.config_path} is not valid JSON; move the folder away or choose another run "
                                  f"folder (--name or --out)") from None
            if not isinstance(previous, dict):
                raise ConfigError(f"{self.config_path} does not hold a configuration (a JSON object); move the "
                                  f"folder away or choose another run folder (--name or --out)")
            differences = config.differences(upgrade(previous) if upgrade else previous, baseline)
            if differences:
                raise ConfigError(
                    f"{self.path} holds a run with a different configuration ({'; '.join(differences[:4])}"
                    f"{' ...' if len(differences) > 4 else ''}). Re-running the same command resumes it; "
                    f"for a new experiment choose a new run folder with --name NEW_NAME or another --out (or delete "
                    f"the folder).")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            own = (self.samples,) if self._checkpoints else (self.samples, self.checkpoints)
            for folder in own:         # another process's checkpoints folder is its own to create
                folder.mkdir(exist_ok=True)
        except OSError as error:
            raise ConfigError(f"cannot create the run folder {self.path} ({error.strerror}); "
                              f"check --out and --name") from None
        atomic_write_json(self.config_path, config.to_dict())

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
        with open(path, "a") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
            handle.flush()

    def truncate_metrics(self, nimg: int) -> None:
        """On resume, drop lines logged after the checkpoint (they will be logged again, identically)."""
        self.truncate_jsonl(self.metrics_path, nimg)

    def truncate_jsonl(self, path: Path, nimg: int) -> None:
        if not path.exists():
            return
        kept = []
        for line in path.read_text().splitlines():
            try:
                if json.loads(line).get("nimg", 0) <= nimg:
                    kept.append(line)
            except json.JSONDecodeError:
                continue  # a line cut by the crash
        atomic_write_text(path, "".join(f"{line}\n" for line in kept))

    def write_summary(self, summary: dict[str, Any]) -> None:
        atomic_write_json(self.summary_path, summary)

    def read_summary(self) -> dict[str, Any] | None:
        if self.summary_path.exists():
            return json.loads(self.summary_path.read_text())
        return None
