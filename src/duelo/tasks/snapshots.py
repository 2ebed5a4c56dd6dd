"""What every task's snapshots share: the snapshot sequence (checkpoint, then the files derived from it), the
re-making of those files after a crash, and the common part of summary.json.

A snapshot commits the checkpoint first, then writes the model folder(s) and sample files derived from it, then
`snapshot.json` naming the checkpoint and the hash of every file written. A crash anywhere after the commit
leaves a checkpoint whose files are missing or stale: on re-run, `restore` sees that snapshot.json does not
match the checkpoint resumed from and writes them again, exactly as the snapshot would have (same state, same
seeds).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from duelo import __version__

MARKER = "snapshot.json"


def write_checkpoint(session, trainer, snapshot: bool = False):
    """Commit the full training state of any task's session; returns the checkpoint's path. `snapshot`: the
    snapshot's own checkpoint (its model and samples are derived from it; a Ctrl-C checkpoint has none)."""
    from duelo.training.checkpoint import save_checkpoint

    tensors, meta = trainer.state({"config": session.config.to_dict(), "snapshot": snapshot})   # every process
    path = session.run_dir.checkpoints
    if trainer.runtime.is_main:
        path = save_checkpoint(session.run_dir.checkpoints, trainer.counters.nimg, tensors, meta,
                               keep=session.config.run.keep_checkpoints)
    trainer.runtime.barrier()             # nobody reads or resumes from a checkpoint still being written
    return path


def run_summary(session, last_metrics: dict[str, Any], figures: dict[str, Any], eval_started: float,
                **extra: Any) -> dict[str, Any]:
    """summary.json of any task: counters, speed, the last metrics line, the task's `figures`, provenance."""
    from duelo.io.pretrained import model_sha256

    trainer = session.trainer
    counters = trainer.counters
    return {
        "run": session.run_dir.path.name,
        "task": session.config.task,
        **extra,
        "kimg": round(counters.nimg / 1000, 3),
        "iterations": counters.iteration,
        "train_time_s": round(counters.elapsed_s, 1),
        "img_per_s": round(counters.nimg / counters.elapsed_s, 1) if counters.elapsed_s else None,
        "eval_time_s": round(time.perf_counter() - eval_started, 1),
        "final_metrics": {k: v for k, v in last_metrics.items() if k not in ("nimg", "kimg", "iteration")},
        **figures,
        "model": str(session.run_dir.model),
        "model_sha256": model_sha256(session.run_dir.model),
        **data_sha256(session),
        "device": trainer.runtime.describe(),
        "step": trainer.step_mode(),
        "duelo_version": __version__,
        "torch_version": torch.__version__,
    }


def privacy_figures(session, scored_on: str = "") -> dict:
    """{"privacy": the feed's plan and spending} of a private run, logged ("epsilon X spent of Y"), with where its
    scores come from when `scored_on` says; {} for a run without differential privacy."""
    if "privacy" not in session.parts.extras:
        return {}
    p = session.trainer.feed.summary()
    session.log(f"privacy: epsilon {p['epsilon_spent']:.3f} spent of {p['epsilon_target']:g} (delta {p['delta']:.2g})"
                + (f"; scored on {scored_on}" if scored_on else ""))
    return {"privacy": p}


def data_sha256(session) -> dict[str, str]:
    """{"data_sha256": ..., "data_sha256_of": ...}: the fingerprint of the loaded training data, for the model card:
    the data's own (images and labels; tables' encoded rows) where it has one, else `arrays_digest` of the arrays
    the task loaded; {} for a private run, which publishes nothing computed from its records outside the
    accountant, and for data that holds no arrays."""
    if "privacy" in session.parts.extras:
        return {}
    fingerprint = getattr(session.data, "fingerprint", None)
    value = fingerprint() if callable(fingerprint) else fingerprint
    if isinstance(value, str):
        return {"data_sha256": value, "data_sha256_of": "the loaded data (its own fingerprint)"}
    value = arrays_digest(session.data)
    return {} if value is None else {"data_sha256": value, "data_sha256_of": "the arrays the task loaded"}


def arrays_digest(data: Any, depth: int = 3) -> str | None:
    """sha256 over every tensor and numeric array in `data` (a dict, or an object's attributes, searched `depth`
    levels down, in name order), with each one's name, dtype and shape; None when there is none."""
    import hashlib

    import numpy as np

    digest, found = hashlib.sha256(), False

    def visit(name: str, value: Any, level: int) -> None:
        nonlocal found
        if isinstance(value, torch.Tensor):
            array = value.detach().cpu().contiguous().reshape(-1)
            raw = array.view(torch.uint8).numpy().tobytes() if array.numel() else b""
            digest.update(f"{name}:{array.dtype}:{tuple(value.shape)}".encode() + raw)
            found = True
        elif isinstance(value, np.ndarray) and value.dtype != object:
            digest.update(f"{name}:{value.dtype}:{value.shape}".encode() + np.ascontiguousarray(value).tobytes())
            found = True
        elif level < depth and isinstance(value, dict):
            for key in sorted(value, key=str):
                visit(f"{name}.{key}", value[key], level + 1)
        elif level < depth and hasattr(value, "__dict__") and not isinstance(value, (type, torch.nn.Module)):
            for key in sorted(vars(value)):
                visit(f"{name}.{key}", vars(value)[key], level + 1)

    visit("data", data, 0)
    return digest.hexdigest() if found else None


class Snapshots:
    """Base of every task's snapshots (duelo.training.protocols.Snapshots). A task says what its snapshot writes
    besides the checkpoint (`write_files`: model folders and samples, from the trainer's current state), what
    must happen before the checkpoint (`prepare`, e.g. batch-norm statistics the checkpoint keeps) and what
    summary.json holds (`summary`)."""

    def __init__(self, session):
        self.session = session
        self.written_nimg: int | None = None      # image count of the last full snapshot

    # -- the task's part -------------------------------------------------------------------------
    def prepare(self, trainer) -> None:
        """Work before the checkpoint whose result the checkpoint keeps; nothing by default."""

    def write_files(self, trainer) -> list[Path]:
        """Write the model folder(s) and sample files of the current state; return what was written (folders
        and files)."""
        raise NotImplementedError

    def summary(self, last_metrics: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------------------------
    def checkpoint(self, trainer, snapshot: bool = False):
        return write_checkpoint(self.session, trainer, snapshot)

    def __call__(self, trainer) -> None:
        self.prepare(trainer)
        path = self.checkpoint(trainer, snapshot=True)   # first: it refuses a non-finite state before any file
        written = self.derive(trainer, path)
        self.session.run_dir.announce_files(trainer.counters.nimg, written)
        samples = [p.relative_to(self.session.run_dir.path).as_posix() for p in written if p.is_file()]
        self.session.log(f"snapshot at {trainer.counters.nimg / 1000:.1f} kimg: {path.name}"
                         f"{', ' + ', '.join(samples) if samples else ''}")
        self.written_nimg = trainer.counters.nimg

    def derive(self, trainer, checkpoint_path: Path) -> list[Path]:
        """Write the snapshot's files, then the marker naming their checkpoint and hashes."""
        from duelo.io.atomic import atomic_write_json

        written = self.write_files(trainer)
        if not trainer.runtime.is_main:
            return written                       # another process's files go to its scratch folder
        record = {"checkpoint": checkpoint_path.name, "state_sha256": _state_hash(checkpoint_path),
                  "files": _hashes(self.session.run_dir.path, written)}
        atomic_write_json(self.session.run_dir.path / MARKER, record)
        return written

    def restore(self, trainer, checkpoint) -> bool:
        """After resuming from `checkpoint`: re-make its model and samples when a crash left them missing,
        stale or damaged (snapshot.json does not match). True when something was written."""
        if not checkpoint.meta.get("snapshot"):
            return False                         # a Ctrl-C checkpoint, or one an older duelo wrote
        if self.derived_from(checkpoint):
            return False
        self.session.log(f"the model and samples of {checkpoint.path.name} are missing or stale (a crash after "
                         f"its commit); writing them again")
        self.derive(trainer, checkpoint.path)
        self.written_nimg = trainer.counters.nimg
        return True

    def derived_from(self, checkpoint) -> bool:
        """Whether the model and samples on disk are intact and were written from `checkpoint` (snapshot.json). Every
        process reads the main one's run folder (the others' folders are scratch), so all give the same answer."""
        root = self.session.run_dir.checkpoints.parent
        record = _read_marker(root / MARKER)
        return record is not None and record.get("checkpoint") == checkpoint.path.name \
            and record.get("state_sha256") == _state_hash(checkpoint.path) \
            and _files_match(root, record.get("files"))


def _state_hash(checkpoint_path: Path) -> str:
    from duelo.io.hashing import file_digest
    from duelo.training.checkpoint import META_FILE

    return file_digest(checkpoint_path / META_FILE)


def _hashes(root: Path, written: list[Path]) -> dict[str, str]:
    from duelo.io.hashing import file_digest

    hashes = {}
    for path in written:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            hashes[file.relative_to(root).as_posix()] = file_digest(file)
    return hashes


def _files_match(root: Path, files: Any) -> bool:
    from duelo.io.hashing import file_digest

    if not isinstance(files, dict) or not files:
        return False
    for name, digest in files.items():
        path = root / name
        if not isinstance(name, str) or ".." in Path(name).parts or not path.is_file() or file_digest(path) != digest:
            return False
    return True


def _read_marker(path: Path) -> dict[str, Any] | None:
    from duelo.errors import ConfigError
    from duelo.io.json_files import read_json

    try:
        record = read_json(path, "the last snapshot's record", {}, error=ConfigError, remedy="it is written again")
    except ConfigError:
        return None
    return record


class TranslatorSnapshots(Snapshots):
    """Snapshots of an image-to-image task: checkpoint, its translator model folder(s) with task.json (what
    `duelo translate|inpaint|restore` need, duelo.sampling.image2image), a grid of held-out examples, and the
    summary with the task's figures. A task says which folders hold which translator (`models`), what a grid
    row shows (`examples`, `columns`) and how the model is scored (`evaluate`)."""

    columns = "input | output | target"

    # -- the task's part -------------------------------------------------------------------------
    def models(self) -> dict[str, tuple[torch.nn.Module, dict[str, Any]]]:
        """{folder under the run folder: (EMA translator, task.json contents)}."""
        raise NotImplementedError

    def examples(self) -> list[torch.Tensor]:
        """uint8 columns of the grid, one row per held-out example."""
        raise NotImplementedError

    def evaluate(self) -> dict[str, Any]:
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------------------------
    def write_files(self, trainer) -> list[Path]:
        from duelo.io.images import interleave_columns, save_grid
        from duelo.io.pretrained import save_pretrained
        from duelo.sampling.image2image import task_file

        written = []
        for folder, (module, description) in self.models().items():
            written.append(save_pretrained(module, self.session.run_dir.path / folder, extra=task_file(description)))
        columns = self.examples()
        grid = self.session.run_dir.samples / f"grid-{trainer.counters.nimg:09d}.png"
        save_grid(interleave_columns(columns), grid, len(columns),
                  text={"duelo:kimg": f"{trainer.counters.nimg / 1000:.3f}", "duelo:version": __version__,
                        "duelo:columns": self.columns})
        return [*written, grid]

    def summary(self, last_metrics: dict[str, Any]) -> dict[str, Any]:
        session = self.session
        started = time.perf_counter()
        devices = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
        with torch.random.fork_rng(devices=devices):      # evaluating never changes the training streams
            figures = self.evaluate()
        session.log(describe_figures(figures))
        return run_summary(session, last_metrics, figures, started)


def describe_figures(figures: dict[str, Any]) -> str:
    """One log line: the model's figures, then each baseline's."""
    def flat(scores: dict[str, Any]) -> str:
        return ", ".join(f"{k}: {flat(v)}" if isinstance(v, dict) else f"{k} {v}" for k, v in scores.items())

    parts = [f"model: {flat(figures['metrics'])}"]
    parts += [f"{name}: {flat(scores)}" for name, scores in figures.get("baselines", {}).items()]
    return " | ".join(parts)
