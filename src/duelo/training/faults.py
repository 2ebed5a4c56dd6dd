"""Named fault points for crash tests (SIGKILL at an exact place in the save/commit sequence).

Tests set DUELO_FAULT=<point>[:<n>] to kill the process the n-th time (default 1st) the point is
reached. Unset (the normal case), `fault_point` is a dictionary lookup and nothing else.
"""

from __future__ import annotations

import os
import signal

_hits: dict[str, int] = {}


def fault_point(name: str) -> None:
    spec = os.environ.get("DUELO_FAULT")
    if not spec:
        return
    point, _, count = spec.partition(":")
    if point != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] == int(count or 1):
        os.kill(os.getpid(), signal.SIGKILL)
