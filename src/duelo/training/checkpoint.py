"""Training checkpoints: one folder per checkpoint holding `state.safetensors` (every tensor) and
`state.json` (counters, optimiser hyper-parameters, RNG states, the config, a sha256 of the tensors).

Commit protocol (docs/run-folder.md): both files are written into a hidden temp folder
beside the final one and fsynced, the folder is renamed into place (atomic), and the parent folder is
fsynced. Only then are checkpoints beyond `keep` deleted, oldest first, so the last good checkpoint
always survives a crash, a full disk or an exception mid-save. state.json carries a hash of itself (which
includes the tensors' hash), so an edited counter is caught like a flipped tensor byte. Readers skip temp
folders and verify both, falling back to the previous checkpoint when the newest is damaged.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from duelo import __version__
from duelo.errors import CheckpointError, DamagedCheckpoint, write_problem
from duelo.io.atomic import current_umask, fsync_directory
from duelo.io.hashing import file_digest
from duelo.io.json_files import Invalid, check, integer, read_json, text
from duelo.faults import fault_point, write_point

FORMAT = "duelo-checkpoint"
FORMAT_VERSION = 2              # 2: state.json carries `sha256` over itself (1 had the tensors' hash only)
MAX_STATE_BYTES = 64 * 2**20    # counters, optimiser settings, RNG states, the config: far below this
PREFIX = "ckpt-"
TENSORS_FILE = "state.safetensors"
META_FILE = "state.json"


@dataclass
class Checkpoint:
    path: Path
    nimg: int
    tensors: dict[str, torch.Tensor]
    meta: dict[str, Any]


def checkpoint_name(nimg: int) -> str:
    return f"{PREFIX}{nimg:012d}"


def list_checkpoints(directory: Path) -> list[tuple[int, Path]]:
    """Committed checkpoint folders, oldest first (temp folders start with '.' and are ignored)."""
    if not directory.is_dir():
        return []
    found = []
    for entry in directory.iterdir():
        if entry.is_dir() and entry.name.startswith(PREFIX) and entry.name[len(PREFIX):].isdigit():
            found.append((int(entry.name[len(PREFIX):]), entry))
    return sorted(found)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def save_checkpoint(directory: Path, nimg: int, tensors: dict[str, torch.Tensor], meta: dict[str, Any],
                    keep: int = 2) -> Path:
    """Write and commit checkpoint `nimg`; then prune to the newest `keep`. Returns the folder."""
    for name, tensor in tensors.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise CheckpointError(f"refusing to write a checkpoint with non-finite values (first: {name!r})")
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / checkpoint_name(nimg)
    damaged: Path | None = None
    if final.exists():  # the same position was committed before (e.g. a resume that saved at once)
        try:
            existing = read_checkpoint(final)
            if not (meta.get("snapshot") and not existing.meta.get("snapshot")):
                return final
            # a Ctrl-C checkpoint that this snapshot replaces: the snapshot's state (prepared for its model and
            # samples: batch-norm statistics) is what they are derived from
            damaged = final.with_name(f".{final.name}.replaced")
        except DamagedCheckpoint:   # a damaged copy: set it aside, commit the new one, then delete it
            damaged = final.with_name(f".{final.name}.damaged")
        shutil.rmtree(damaged, ignore_errors=True)
        os.rename(final, damaged)
    temp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=directory))
    os.chmod(temp, 0o777 & ~current_umask())   # mkdtemp makes 0700; a run folder is as shareable as the umask says
    try:
        write_point(final)
        tensor_path = temp / TENSORS_FILE
        save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tensor_path))
        _fsync_file(tensor_path)
        fault_point("checkpoint-mid-save")
        record = {**meta, "format": FORMAT, "format_version": FORMAT_VERSION, "duelo_version": __version__,
                  "nimg": nimg, "tensors_sha256": file_digest(tensor_path)}
        record["sha256"] = record_digest(record)
        meta_path = temp / META_FILE
        meta_path.write_text(json.dumps(record, indent=2, sort_keys=True, allow_nan=False))
        _fsync_file(meta_path)
        fsync_directory(temp)
        os.rename(temp, final)
    except (OSError, SafetensorError) as error:
        shutil.rmtree(temp, ignore_errors=True)
        _put_back(damaged, final)
        previous = list_checkpoints(directory)
        kept = f"the previous checkpoint {previous[-1][1].name} is intact" if previous else "no checkpoint existed yet"
        problem = write_problem(error)
        cause = f"{problem} ({error})" if problem else f"{error}; is the disk full?"
        raise CheckpointError(f"could not write checkpoint {final}: {cause}; {kept}") from None
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        _put_back(damaged, final)
        raise
    fsync_directory(directory)
    fault_point("checkpoint-committed")
    if damaged is not None:
        shutil.rmtree(damaged, ignore_errors=True)
    for _, old in list_checkpoints(directory)[:-keep]:
        if old != final:   # never the one just written, even when a newer-numbered folder exists
            shutil.rmtree(old, ignore_errors=True)
    return final


# the envelope; what the trainer keeps inside is checked when it is restored (duelo.training.state)
STATE_SCHEMA = {"format": text(FORMAT), "format_version": integer(1, FORMAT_VERSION), "nimg": integer(0),
                "tensors_sha256": text()}


def record_digest(record: dict[str, Any]) -> str:
    """SHA-256 of a state record's canonical JSON without its own `sha256` field: with `tensors_sha256` inside,
    it covers the tensors and every counter, position and setting the record holds."""
    body = {key: value for key, value in record.items() if key != "sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, allow_nan=False).encode("utf-8")).hexdigest()


def read_checkpoint(path: Path) -> Checkpoint:
    """Read and verify one checkpoint folder; DamagedCheckpoint says what is wrong with it."""
    meta_path, tensor_path = path / META_FILE, path / TENSORS_FILE
    meta = read_json(meta_path, "checkpoint state", error=DamagedCheckpoint, remedy="the checkpoint is damaged",
                     max_bytes=MAX_STATE_BYTES)
    if isinstance(meta, dict) and meta.get("format") != FORMAT:
        raise DamagedCheckpoint(f"{meta_path} is not a duelo checkpoint (format {meta.get('format')!r})")
    version = meta.get("format_version") if isinstance(meta, dict) else None
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise CheckpointError(f"{path} was written by a newer duelo (format {meta['format_version']}); upgrade duelo")
    try:
        check(meta, STATE_SCHEMA)
    except Invalid as problem:
        field, expected, got = problem.args
        raise DamagedCheckpoint(f"{meta_path}: {field} must be {expected}, got {got} (damaged or edited)") from None
    if meta["format_version"] >= 2 and meta.get("sha256") != record_digest(meta):
        raise DamagedCheckpoint(f"{meta_path} does not match its own hash (damaged or edited)")
    named = path.name[len(PREFIX):]
    if path.name.startswith(PREFIX) and named.isdigit() and int(named) != meta["nimg"]:
        raise DamagedCheckpoint(f"{meta_path} holds the state at image {meta['nimg']}, not the folder's "
                                f"{int(named)} (copied from elsewhere?)")
    if not tensor_path.is_file():
        raise DamagedCheckpoint(f"{tensor_path} is missing")
    if file_digest(tensor_path) != meta["tensors_sha256"]:
        raise DamagedCheckpoint(f"{tensor_path} does not match the hash recorded in {META_FILE} (damaged file)")
    try:
        tensors = load_file(str(tensor_path))
    except (SafetensorError, OSError, ValueError) as error:
        raise DamagedCheckpoint(f"{tensor_path} cannot be read ({error})") from None
    return Checkpoint(path=path, nimg=meta["nimg"], tensors=tensors, meta=meta)


def load_latest(directory: Path, apply: Callable[[Checkpoint], object] = lambda checkpoint: None,
                warn: Callable[[str], object] = print) -> Checkpoint | None:
    """The newest checkpoint that reads, verifies and `apply` accepts (apply raises DamagedCheckpoint for a
    malformed state); damaged newer ones are reported and skipped. An intact checkpoint that does not fit
    (another CheckpointError from apply) stops here: an older one would not fit either. None when there is
    none; CheckpointError when every one is damaged (starting over would overwrite the run's files)."""
    found = list_checkpoints(directory)
    for _, path in reversed(found):
        try:
            checkpoint = read_checkpoint(path)
            apply(checkpoint)
            return checkpoint
        except DamagedCheckpoint as error:
            warn(f"warning: skipping damaged checkpoint: {error}")
    if found:
        raise CheckpointError(f"every checkpoint in {directory} is damaged (see the warnings above); the run cannot "
                              f"resume. Move the folder away and start a new run (--name NEW_NAME or another --out)")
    return None


def latest_checkpoint(directory: Path, warn=print) -> Checkpoint | None:
    """The newest checkpoint that reads and verifies (see load_latest)."""
    return load_latest(directory, warn=warn)


def _put_back(aside: Path | None, final: Path) -> None:
    """After a failed save: an intact checkpoint set aside to be replaced goes back where it was."""
    if aside is not None and aside.name.endswith(".replaced") and aside.is_dir() and not final.exists():
        os.rename(aside, final)


def remove_stale_temp(directory: Path) -> None:
    """Delete temp folders left by a save that was killed before its commit; an intact checkpoint that was set
    aside to be replaced goes back where it was when its replacement was never committed."""
    if directory.is_dir():
        for entry in directory.iterdir():
            if entry.name.startswith(f".{PREFIX}") and entry.name.endswith((".tmp", ".damaged")):
                shutil.rmtree(entry, ignore_errors=True)
            elif entry.name.startswith(f".{PREFIX}") and entry.name.endswith(".replaced"):
                final = directory / entry.name[1:-len(".replaced")]
                _put_back(entry, final)
                shutil.rmtree(entry, ignore_errors=True)
