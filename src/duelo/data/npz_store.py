"""duelo's own array caches on disk: .npz files written atomically and read back without pickle.

Used by the registered package sources (their decoded images) and by the decode cache of user folders.
A reader sees the old file or the new one, never half of one: the arrays go to a temp file in the same folder,
which is fsynced and then renamed over the target. These files are caches, so a failure to write one is
not an error of the command that wanted it (callers decide), and a file that cannot be read is rebuilt.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from duelo.permissions import current_umask

META_KEY = "meta_json"          # a uint8 array holding UTF-8 JSON: what the arrays are and how they were made


def write_npz_atomically(path: Path, arrays: dict[str, np.ndarray], meta: dict[str, Any],
                         compressed: bool = False) -> Path:
    """Write `arrays` plus `meta` (JSON) to `path` atomically; raises OSError when the disk refuses."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {**arrays, META_KEY: np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)}
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False)
    try:
        os.chmod(handle.name, 0o666 & ~current_umask())       # mkstemp makes 0600; honour the umask as open() does
        with handle:
            (np.savez_compressed if compressed else np.savez)(handle, **payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    finally:
        if os.path.exists(handle.name):
            os.unlink(handle.name)
    return path


def read_npz_store(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """(arrays, meta) of a file written by write_npz_atomically; ValueError (or OSError) when it is not one.

    np.load with allow_pickle=False: a file holding Python objects is refused, never unpickled.
    """
    with np.load(path, allow_pickle=False) as archive:
        if not isinstance(archive, np.lib.npyio.NpzFile) or META_KEY not in archive.files:
            raise ValueError(f"{path}: not a duelo cache file")
        arrays = {key: archive[key] for key in archive.files}
    raw = arrays.pop(META_KEY)
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ValueError(f"{path}: damaged metadata")
    meta = json.loads(raw.tobytes().decode())
    if not isinstance(meta, dict):
        raise ValueError(f"{path}: damaged metadata")
    return arrays, meta


def string_array(values: list[str]) -> np.ndarray:
    """A list of str as a fixed-width unicode array (loads without pickle, unlike an object array)."""
    return np.array(values, dtype=np.str_) if values else np.zeros(0, dtype="<U1")


def string_list(array: np.ndarray, length: int, what: str) -> list[str]:
    """The list back from string_array, checked to hold `length` strings."""
    if array.dtype.kind != "U" or array.shape != (length,):
        raise ValueError(f"{what}: expected {length} strings, found {array.dtype} {array.shape}")
    return [str(value) for value in array]
