"""Training checkpoints: one folder per checkpoint holding `state.safetensors` (every tensor) and
`state.json` (counters, optimiser hyper-parameters, RNG states, the config, a sha256 of the tensors).

Commit protocol (docs/run-folder.md): both files are written into a hidden temp folder
beside the final one and fsynced, the folder is renamed into place (atomic), and the parent folder is
fsynced. Only then are checkpoints beyond `keep` deleted, oldest first, so the last good checkpoint
always survives a crash, a full disk or an exception mid-save. Readers skip temp folders and verify
the hash, falling back to the previous checkpoint when the newest is damaged.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from duelo import __version__
from duelo.errors import CheckpointError
from duelo.io.atomic import current_umask, fsync_directory
from duelo.io.hashing import file_digest
from duelo.training.faults import fault_point

FORMAT = "duelo-checkpoint"
FORMAT_VERSION = 1
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
            read_checkpoint(final)
            return final
        except CheckpointError:   # a damaged copy: set it aside, commit the new one, then delete it
            damaged = final.with_name(f".{final.name}.damaged")
            shutil.rmtree(damaged, ignore_errors=True)
            os.rename(final, damaged)
    temp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=directory))
    os.chmod(temp, 0o777 & ~current_umask())   # mkdtemp makes 0700; a run folder is as shareable as the umask says
    try:
        tensor_path = temp / TENSORS_FILE
        save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tensor_path))
        _fsync_file(tensor_path)
        fault_point("checkpoint-mid-save")
        record = {"format": FORMAT, "format_version": FORMAT_VERSION, "duelo_version": __version__,
                  "nimg": nimg, "tensors_sha256": file_digest(tensor_path), **meta}
        meta_path = temp / META_FILE
        meta_path.write_text(json.dumps(record, indent=2, sort_keys=True))
        _fsync_file(meta_path)
        fsync_directory(temp)
        os.rename(temp, final)
    except (OSError, SafetensorError) as error:
        shutil.rmtree(temp, ignore_errors=True)
        previous = list_checkpoints(directory)
        kept = f"the previous checkpoint {previous[-1][1].name} is intact" if previous else "no checkpoint existed yet"
        raise CheckpointError(f"could not write checkpoint {final} ({error}); is the disk full? {kept}") from None
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    fsync_directory(directory)
    fault_point("checkpoint-committed")
    if damaged is not None:
        shutil.rmtree(damaged, ignore_errors=True)
    for _, old in list_checkpoints(directory)[:-keep]:
        if old != final:   # never the one just written, even when a newer-numbered folder exists
            shutil.rmtree(old, ignore_errors=True)
    return final


def read_checkpoint(path: Path) -> Checkpoint:
    """Read and verify one checkpoint folder; CheckpointError says what is wrong with it."""
    meta_path, tensor_path = path / META_FILE, path / TENSORS_FILE
    try:
        meta = json.loads(meta_path.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"{meta_path} is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CheckpointError(f"{meta_path} is not valid JSON ({error})") from None
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{meta_path} is not a duelo checkpoint (format {meta.get('format')!r})")
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(f"{path} was written by a newer duelo (format {meta['format_version']}); upgrade duelo")
    if not tensor_path.is_file():
        raise CheckpointError(f"{tensor_path} is missing")
    if file_digest(tensor_path) != meta.get("tensors_sha256"):
        raise CheckpointError(f"{tensor_path} does not match the hash recorded in {META_FILE} (damaged file)")
    return Checkpoint(path=path, nimg=int(meta["nimg"]), tensors=load_file(str(tensor_path)), meta=meta)


def latest_checkpoint(directory: Path, warn=print) -> Checkpoint | None:
    """The newest checkpoint that reads and verifies; damaged newer ones are reported and skipped."""
    for _, path in reversed(list_checkpoints(directory)):
        try:
            return read_checkpoint(path)
        except CheckpointError as error:
            warn(f"warning: skipping damaged checkpoint: {error}")
    return None


def remove_stale_temp(directory: Path) -> None:
    """Delete temp folders left by a save that was killed before its commit."""
    if directory.is_dir():
        for entry in directory.iterdir():
            if entry.name.startswith(f".{PREFIX}") and entry.name.endswith((".tmp", ".damaged")):
                shutil.rmtree(entry, ignore_errors=True)
