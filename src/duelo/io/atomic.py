"""Crash-safe file writes: temp file in the same folder, fsync, os.replace, fsync the folder.

A reader sees either the old file or the new one, never a half-written one, even after SIGKILL or a
power cut; a failing write (full disk, exception mid-way) leaves the old file untouched.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

from duelo.faults import write_point
from duelo.permissions import current_umask  # noqa: F401  (re-exported: callers import it from here)


def fsync_directory(path: Path) -> None:
    """Make a rename inside `path` durable (POSIX; Windows cannot open a folder for fsync)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path | str, write: Callable[[Path], None]) -> Path:
    """Call write(temp_path) to fill a temp file beside `path`, then move it into place atomically."""
    path = Path(path)
    write_point(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    temp = Path(temp_name)
    try:
        os.chmod(temp, 0o666 & ~current_umask())   # mkstemp makes 0600; honour the umask like open() does
        write(temp)
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)
    return path


def atomic_write_bytes(path: Path | str, data: bytes) -> Path:
    return atomic_write(path, lambda temp: temp.write_bytes(data))


def atomic_write_text(path: Path | str, text: str) -> Path:
    return atomic_write(path, lambda temp: temp.write_text(text))


def atomic_write_json(path: Path | str, value: Any) -> Path:
    text = json.dumps(value, indent=2, sort_keys=True) + "\n"
    return atomic_write(path, lambda temp: temp.write_text(text))
