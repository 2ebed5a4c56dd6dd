"""One output-path policy for every command that writes: nothing that exists is replaced unless the user passes
--force, and nothing inside a folder duelo manages (a run folder, a saved model) is touched except the files the
command itself owns there (export's model.onnx beside the weights, eval's eval.json in a run) — not even with
--force, since a run's config, checkpoints and weights are what every later command reads. A command's own file
in such a folder describes the folder's current model and is replaced by a re-run. Every check happens before
any work, so a refused path costs nothing (no evaluation computed, then lost).

    path = output_file(out, force=force, default_name="model.onnx", owned=("model.onnx",))
    folder = output_folder(out, names=["seed000000.png", ...], force=force)
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from duelo.errors import ConfigError
from duelo.io.json_files import read_json

SEARCH_UP = 6            # how many enclosing folders are checked for being duelo's


def duelo_folder_kind(folder: Path) -> str | None:
    """"run" or "model" when `folder` is one duelo manages, else None (cheap: names and small JSON headers)."""
    config = folder / "config.json"
    if (folder / "model.json").is_file() or (folder / "task.json").is_file():
        return "model"
    if not config.is_file():
        return None
    try:
        head = read_json(config, "a configuration", error=ConfigError, remedy="", max_bytes=1 << 24)
    except ConfigError:                # damaged, a FIFO, huge: still the folder of a run if it looks like one
        head = None
    if isinstance(head, dict) and str(head.get("format", "")).startswith("duelo"):
        return "model"
    if (folder / "checkpoints").is_dir() or (folder / "metrics.jsonl").is_file():
        return "run"
    if isinstance(head, dict) and ("task" in head or "train" in head):
        return "run"
    return None


def managing_folder(path: Path) -> tuple[Path, str] | None:
    """The nearest folder above `path` (or `path` itself) that duelo manages, with its kind."""
    current = Path(os.path.abspath(path))
    for folder in [current, *current.parents][:SEARCH_UP + 1]:
        if folder.is_dir():
            kind = duelo_folder_kind(folder)
            if kind is not None:
                return folder, kind
    return None


def _refuse_managed(path: Path, owned: Iterable[str], what: str) -> None:
    found = managing_folder(path if what == "folder" else path.parent)
    if found is None:
        return
    folder, kind = found
    relative = Path(os.path.abspath(path)).relative_to(folder).as_posix()
    if relative in set(owned):
        return
    noun = "run folder" if kind == "run" else "saved model"
    raise ConfigError(f"{path} is inside the {noun} {folder}, whose files duelo manages (configuration, "
                      f"checkpoints, weights); write the output elsewhere, e.g. --out {folder.name}-out"
                      f"{'' if what == 'folder' else '/' + path.name} (--force does not apply inside it)")


def _mkdir(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ConfigError(f"cannot create the folder {folder}: a file of that name is in the way") from None
    except OSError as error:
        raise ConfigError(f"cannot create the folder {folder} ({error.strerror}); choose another --out") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot write in {folder} (read-only or no permission); choose another --out")


def _owned_here(path: Path, owned: Iterable[str]) -> bool:
    found = managing_folder(path.parent)
    return found is not None and Path(os.path.abspath(path)).relative_to(found[0]).as_posix() in set(owned)


def _check_writable(folder: Path) -> None:
    """The nearest existing folder at or above `folder` must let us create what is missing and write."""
    current = Path(os.path.abspath(folder))
    while not current.exists() and current != current.parent:
        current = current.parent
    if current.exists() and not current.is_dir():
        raise ConfigError(f"cannot create the folder {folder}: {current} is a file")
    if not os.access(current, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot write in {current} (read-only or no permission); choose another --out")


def output_file(path: Path, *, force: bool, default_name: str | None = None, owned: Iterable[str] = (),
                create: bool = True) -> Path:
    """The file a command may write for --out `path`: an existing folder means `default_name` inside it (or is
    refused); an existing file needs `force`; a place inside a duelo folder needs to be in `owned` (paths
    relative to that folder), and such a file of the command's own is replaced without `force`. `create`: make
    the parent folder now (else only check that it can be made and written)."""
    path = Path(path)
    if path.is_dir():
        if default_name is None:
            raise ConfigError(f"--out {path} is a folder; give a file name")
        path = path / default_name
    _refuse_managed(path, owned, "file")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise ConfigError(f"cannot use --out {path} ({error.strerror})") from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise ConfigError(f"--out {path} is a folder; give a file name")
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"--out {path} exists and is not a regular file; choose another --out")
        if not force and not _owned_here(path, owned):
            raise ConfigError(f"{path} exists; pass --force to replace it, or choose another --out")
    if create:
        _mkdir(path.parent)
    else:
        _check_writable(path.parent)
    return path


def output_files(paths: Iterable[Path], *, force: bool, owned: Iterable[str] = ()) -> list[Path]:
    """output_file for several files a command writes together (e.g. eval.json and its plot)."""
    return [output_file(path, force=force, owned=owned) for path in paths]


def output_folder(path: Path, *, force: bool, names: Iterable[str] = (), create: bool = True) -> Path:
    """The folder a command may write `names` (relative paths) into for --out `path`: not a file, not a duelo
    folder nor inside one, and none of `names` there already unless `force`."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"--out {path} is a file; give a folder")
    _refuse_managed(path, (), "folder")
    existing = [name for name in names if (path / name).exists()]
    if existing and not force:
        raise ConfigError(f"{len(existing)} output file(s) exist already in {path} (e.g. {existing[0]}); pass "
                          f"--force to overwrite them or choose another --out")
    for name in existing:
        if (path / name).is_dir():
            raise ConfigError(f"{path / name} is a folder where an output file goes; move it away")
    if create:
        _mkdir(path)
    else:
        _check_writable(path)
    return path
