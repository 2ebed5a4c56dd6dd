"""Long work between iterations (an evaluation) that a stop signal may cut short.

The loop's signal handler (duelo.tasks.loop.stop_on_signals) normally only sets a flag that the trainer polls
between iterations. Inside `interruptible()` it raises StopRequested instead, so a Ctrl-C or SIGTERM during a
minutes-long CPU evaluation stops the run at once: the trainer is between iterations (its state is whole), the
interrupted work is skipped, the hooks after it (the snapshot) still run, and a checkpoint is written.
"""

from __future__ import annotations

import contextlib
import threading

_LONG_WORK = threading.Event()


class StopRequested(BaseException):
    """A stop signal arrived during interruptible work."""


@contextlib.contextmanager
def interruptible():
    _LONG_WORK.set()
    try:
        yield
    finally:
        _LONG_WORK.clear()


def interrupt_long_work() -> None:
    """Called by a stop-signal handler: raise StopRequested when long work is running, else do nothing."""
    if _LONG_WORK.is_set():
        _LONG_WORK.clear()
        raise StopRequested
