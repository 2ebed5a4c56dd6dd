"""Run folders as the studio sees them: found under the folders given to `duelo studio`, named by an id that is
their path below one of those folders, and read without ever leaving them.

Confinement: a run id or a file inside a run is resolved (symbolic links followed) and must still lie inside the
folder it was looked up in; `..`, absolute paths and links that point elsewhere are refused. Only files of the
kinds the pages show (pictures, sounds, text and tables) are served.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from duelo.io.json_files import json_lines
from duelo.studio.http import StudioError

MAX_DEPTH = 4                     # how far below a given folder runs are looked for
MAX_JSON_BYTES = 16 << 20         # summary.json, config.json: larger ones are not shown
LIVE_SECONDS = 120                # without a readable lock table: a run whose log moved this recently is "running"
SERVED_TYPES = {                  # suffix -> Content-Type of the files the run page links to
    ".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".mp4": "video/mp4",
    ".txt": "text/plain; charset=utf-8", ".csv": "text/csv; charset=utf-8", ".json": "application/json",
    ".mid": "audio/midi",
}


@dataclass
class RunInfo:
    """One row of the runs page."""

    id:        str
    path:      Path
    task:      str
    dataset:   str
    kimg:      float
    total_kimg: float | None
    status:    str                                   # "running" | "finished" | "stopped"
    scores:    list[tuple[str, Any]] = field(default_factory=list)
    last_event: str = ""


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def read_small_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from a file of a run, or None when it is missing, too large or not an object."""
    import json

    try:
        if not path.is_file() or path.stat().st_size > MAX_JSON_BYTES:
            return None
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def read_records(path: Path) -> list[dict[str, Any]]:
    """The records of a .jsonl log (a torn last line, while training writes, is skipped)."""
    try:
        return list(json_lines(path)) if path.is_file() else []
    except (OSError, ValueError):
        return []


def is_run(folder: Path) -> bool:
    """A training run's folder: a run configuration (config.json without `format`) or a metrics log."""
    if (folder / "metrics.jsonl").is_file():
        return True
    config = read_small_json(folder / "config.json")
    return config is not None and "format" not in config and "train" in config


class RunFolders:
    """The folders the studio was given, and the runs below them."""

    def __init__(self, roots: list[Path]):
        self.roots = [Path(root).resolve() for root in roots]

    def find(self) -> list[str]:
        """Ids of the runs under every folder, in order (a run's subfolders are not searched further)."""
        found = []
        for index, root in enumerate(self.roots):
            for dirpath, dirnames, _ in os.walk(root):          # symbolic links to folders are not followed
                folder = Path(dirpath)
                depth = len(folder.relative_to(root).parts)
                if is_run(folder):
                    found.append(self.id_of(index, folder))
                    dirnames[:] = []
                else:
                    dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")) if depth < MAX_DEPTH else []
        return found

    def id_of(self, index: int, folder: Path) -> str:
        relative = folder.relative_to(self.roots[index]).as_posix()
        return f"{index}" if relative == "." else f"{index}/{relative}"

    def id_for(self, folder: Path) -> str | None:
        """The id of a folder below one of the roots (a run a job trains), or None when it is under none."""
        folder = Path(folder).resolve()
        for index, root in enumerate(self.roots):
            if _inside(folder, root):
                return self.id_of(index, folder)
        return None

    def resolve(self, run_id: str) -> Path:
        """The run folder of `run_id` ("<folder number>/<path below it>"), confined to that folder."""
        head, _, rest = run_id.partition("/")
        if not head.isdigit() or int(head) >= len(self.roots):
            raise StudioError(f"no run {run_id!r}: pick one from the runs page", 404)
        root = self.roots[int(head)]
        folder = confine(root, rest) if rest else root
        if not folder.is_dir() or not is_run(folder):
            raise StudioError(f"no run {run_id!r}: pick one from the runs page", 404)
        return folder

    def file(self, run_id: str, relative: str) -> tuple[Path, str]:
        """(path, Content-Type) of a file inside a run, of a kind the pages show."""
        path = confine(self.resolve(run_id), relative)
        content_type = SERVED_TYPES.get(path.suffix.lower())
        if content_type is None:
            raise StudioError(f"{relative}: the studio serves only pictures, sounds, text and tables", 403)
        if not path.is_file():
            raise StudioError(f"{relative}: no such file in the run", 404)
        return path, content_type


def confine(root: Path, relative: str) -> Path:
    """`root / relative`, refused unless it stays inside `root` once every link is followed."""
    parts = Path(relative).parts
    if not relative or Path(relative).is_absolute() or ".." in parts or "\\" in relative or "\0" in relative:
        raise StudioError(f"{relative!r}: give a path inside the run, without `..`", 403)
    path = (root / relative).resolve()
    if not _inside(path, root.resolve()):
        raise StudioError(f"{relative!r} leads outside the run's folder (a symbolic link?); refused", 403)
    return path


def is_training(run: Path) -> bool:
    """Whether a `duelo train` process holds the run's lock now. The kernel's lock table is read (Linux), so the
    studio never takes the lock itself; elsewhere a log written in the last LIVE_SECONDS counts as live."""
    lock = run / ".lock"
    if not lock.exists():
        return False
    try:
        table = Path("/proc/locks").read_text()
        stat = lock.stat()
    except OSError:
        import time

        metrics = run / "metrics.jsonl"
        return metrics.is_file() and time.time() - metrics.stat().st_mtime < LIVE_SECONDS
    inode = f":{stat.st_ino}"            # lines read "1: FLOCK ADVISORY WRITE <pid> <major>:<minor>:<inode> 0 EOF";
    return any(token.count(":") == 2 and token.endswith(inode)    # overlay file systems report another device
               for line in table.splitlines() for token in line.split()[4:7])


def headline_scores(summary: dict[str, Any] | None, limit: int = 4) -> list[tuple[str, Any]]:
    """The first few scores of summary.json, as the model card picks them (bookkeeping left out)."""
    if not summary:
        return []
    from duelo.io.card_facts import BOOKKEEPING, scores_of

    scores, _ = scores_of({k: v for k, v in summary.items() if k not in BOOKKEEPING}, "summary.json")
    return [(score.name, score.value) for score in scores if not isinstance(score.value, list)][:limit]


def describe_event(event: dict[str, Any]) -> str:
    kimg = event.get("kimg")
    where = f"{kimg:g} kimg: " if isinstance(kimg, (int, float)) else ""
    return f"{where}{event.get('severity', '')} {event.get('event', '')}: {event.get('message', '')}".strip()


def health_events(run: Path) -> list[dict[str, Any]]:
    return [r for r in read_records(run / "health.jsonl") if r.get("kind") == "event"]


def run_info(folders: RunFolders, run_id: str, score_limit: int = 4) -> RunInfo:
    """What the pages show of one run, read from its files (the runs table: the first `score_limit` scores)."""
    run = folders.resolve(run_id)
    config = read_small_json(run / "config.json") or {}
    summary = read_small_json(run / "summary.json")
    metrics = read_records(run / "metrics.jsonl")
    kimg = metrics[-1].get("kimg", 0.0) if metrics else 0.0
    if summary and isinstance(summary.get("kimg"), (int, float)):
        kimg = summary["kimg"]
    dataset = (config.get("data") or {}).get("dataset", "") if isinstance(config.get("data"), dict) else ""
    total = (config.get("train") or {}).get("total_kimg") if isinstance(config.get("train"), dict) else None
    status = "running" if is_training(run) else "finished" if summary else "stopped"
    events = health_events(run)
    return RunInfo(id=run_id, path=run, task=str(config.get("task", "")), dataset=str(dataset),
                   kimg=float(kimg) if isinstance(kimg, (int, float)) else 0.0,
                   total_kimg=total if isinstance(total, (int, float)) else None, status=status,
                   scores=headline_scores(summary, score_limit),
                   last_event=describe_event(events[-1]) if events else "")


def latest_samples(run: Path, limit: int = 6) -> list[str]:
    """Paths (relative to the run) of the newest files of samples/ the pages can show, newest first. Snapshot
    files carry their zero-padded image count, so name order is training order."""
    folder = run / "samples"
    if not folder.is_dir():
        return []
    root = run.resolve()
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SERVED_TYPES
             and _inside(p.resolve(), root)]                    # a link out of the run is neither listed nor read
    newest_first = sorted(files, key=lambda p: (p.stat().st_mtime, p.name), reverse=True)
    return [p.relative_to(run).as_posix() for p in newest_first[:limit]]
