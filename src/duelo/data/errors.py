"""Errors of the data layer. All are DataError (a DueloError), so the CLI prints them as one line, exit 2.

Each names the path or field at fault and says what to do about it.
"""

from __future__ import annotations

from duelo.errors import DataError


class BadImageError(DataError):
    """One image file that cannot be used; `reason` is short enough for a report line."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class MissingPathError(DataError):
    """A path that does not exist."""


class EmptyDatasetError(DataError):
    """A folder, archive or array with no usable image."""


class UnknownDatasetError(DataError):
    """A name that is neither a registered source nor an existing path."""


class DatasetUnavailableError(DataError):
    """A registered source whose files are not on this machine; the message says how to get them."""


class IdxFormatError(DataError):
    """An IDX file (the MNIST format) with a bad header or the wrong amount of data."""


class ArrayFormatError(DataError):
    """A .npz whose arrays are missing, of an unsupported dtype or of the wrong shape."""


class BadFilesError(DataError):
    """Raised under the 'refuse' policy when any file of a dataset is unreadable."""
