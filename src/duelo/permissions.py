"""File permissions as open() would give them: the one helper every layer that writes files needs."""

from __future__ import annotations

import os


def current_umask() -> int:
    """The process umask (reading it means setting it; it is put straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
