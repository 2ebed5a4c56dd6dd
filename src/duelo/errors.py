"""User-facing errors. The CLI prints their message (no traceback) and exits with `exit_code` (2).

Messages teach: they name the file or field at fault and say what to do about it.
`assert` is kept for internal invariants only.
"""

import errno


class DueloError(Exception):
    """Base class for errors caused by input the user can fix."""

    exit_code = 2
    label = "error"          # the word the CLI prints before the message


class ConfigError(DueloError):
    """An invalid option, preset or configuration field."""


class DataError(DueloError):
    """A dataset that is missing, empty, unreadable or the wrong shape."""


class CheckpointError(DueloError):
    """A checkpoint or saved model that cannot be read or written."""


class DamagedCheckpoint(CheckpointError):
    """A checkpoint whose files are damaged or malformed (a resume falls back to the previous one), as opposed to
    an intact one that does not fit the run (which stops the resume)."""


class NonFiniteError(DueloError):
    """Training produced NaN or Inf; no checkpoint was written from the non-finite state."""


class Interrupted(DueloError):
    """Training stopped on request (Ctrl-C / SIGTERM) after writing a checkpoint; re-run to resume."""

    exit_code = 130
    label = "stopped"


# errno -> what it means for the user, for the write errors a full or locked-down disk gives
WRITE_ERRORS = {
    errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "the file would exceed the size limit (ulimit -f or the file system's)",
    errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied", errno.EPERM: "not permitted",
}
KEPT = ("Nothing already written was changed (duelo writes every file and folder whole or not at all; a training "
        "run keeps its last checkpoint)")


def write_problem(error: BaseException) -> str | None:
    """What a write error means ("the disk is full"), or None when `error` is no such error."""
    return WRITE_ERRORS.get(getattr(error, "errno", None))


def write_error_message(error: OSError) -> str | None:
    """One sentence for an OSError on a file (a write error says what it means and what was kept), or None for
    one that names no file (a bug, not the user's input)."""
    meaning = write_problem(error)
    if meaning is None and not error.filename:
        return None
    where = f" {_target(str(error.filename))}" if error.filename else ""
    if meaning is None:
        return f"cannot use{where}: {error.strerror or error}. {KEPT}; check the path and re-run the same command"
    return f"cannot write{where}: {meaning}. {KEPT}; fix it and re-run the same command"


def _target(filename: str) -> str:
    """The file a temp file of duelo.io.atomic or duelo.io.folders stands for (`.NAME.XXXX.tmp` -> NAME)."""
    import os
    import re

    folder, name = os.path.split(filename)
    match = re.fullmatch(r"\.(.+)\.[^.]+\.tmp", name)
    return os.path.join(folder, match.group(1)) if match else filename
