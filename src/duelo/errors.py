"""User-facing errors. The CLI prints their message (no traceback) and exits with `exit_code` (2).

Messages teach: they name the file or field at fault and say what to do about it.
`assert` is kept for internal invariants only.
"""


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


class NonFiniteError(DueloError):
    """Training produced NaN or Inf; no checkpoint was written from the non-finite state."""


class Interrupted(DueloError):
    """Training stopped on request (Ctrl-C / SIGTERM) after writing a checkpoint; re-run to resume."""

    exit_code = 130
    label = "stopped"
