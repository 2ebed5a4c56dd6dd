"""Named fault points for crash tests: a signal at an exact place in training or the save sequence.

Tests set DUELO_FAULT=<point>[:<n>[:<SIGNAL>]] to send SIGNAL (default SIGKILL) to the process the n-th
time (default the 1st) the point is reached, e.g. `checkpoint-committed:2` or `iteration:7:SIGINT`.
Unset (the normal case), `fault_point` costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

_hits: dict[str, int] = {}


def fault_point(name: str) -> None:
    spec = os.environ.get("DUELO_FAULT")
    if not spec:
        return
    point, _, rest = spec.partition(":")
    if point != name:
        return
    count, _, signal_name = rest.partition(":")
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] == int(count or 1):
        os.kill(os.getpid(), getattr(signal, signal_name or "SIGKILL"))
