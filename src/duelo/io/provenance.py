"""Where a published number came from: the code version (git commit and whether the tree had uncommitted
changes), the command, the device and the library versions. Every benchmark writes this block into its result
JSON (`write_result`), and docs tables are generated from those files (benchmarks/tables.py).

On a machine that has the files but not the repository (a GPU machine gets a copy of the working tree), pass the
commit in DUELO_GIT_COMMIT and the dirty flag in DUELO_GIT_DIRTY (0/1); without either, "unknown" is recorded,
never a guess.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

UNKNOWN = "unknown"


def _git(*args: str, cwd: Path) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def code_version(cwd: Path | None = None) -> dict[str, Any]:
    """{"git_commit": sha or "unknown", "git_dirty": bool or None, "duelo_version": ...}."""
    import duelo

    cwd = Path(cwd or Path.cwd())
    commit = os.environ.get("DUELO_GIT_COMMIT") or _git("rev-parse", "HEAD", cwd=cwd) or UNKNOWN
    dirty_env = os.environ.get("DUELO_GIT_DIRTY")
    if dirty_env is not None:
        dirty: bool | None = dirty_env not in ("", "0", "false")
    else:
        status = _git("status", "--porcelain", "--untracked-files=no", cwd=cwd)
        dirty = None if status is None else bool(status)
    return {"git_commit": commit, "git_dirty": dirty, "duelo_version": duelo.__version__}


def device_description() -> dict[str, Any]:
    import torch

    record: dict[str, Any] = {"cpu": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
                              "torch_threads": torch.get_num_threads()}
    if torch.cuda.is_available():
        record["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        record["cuda"] = torch.version.cuda
    return record


def provenance(argv: list[str] | None = None) -> dict[str, Any]:
    """The provenance block of a result file."""
    import torch

    return {**code_version(), "command": " ".join(argv if argv is not None else [sys.executable, *sys.argv]),
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "device": device_description(),
            "torch_version": torch.__version__, "python_version": platform.python_version(),
            "platform": platform.platform()}


def write_result(path: str | os.PathLike, payload: dict[str, Any], argv: list[str] | None = None) -> Path:
    """Write a benchmark's result JSON with its provenance block (atomically)."""
    from duelo.io.atomic import atomic_write_json

    return atomic_write_json(Path(path), {"provenance": provenance(argv), **payload})
