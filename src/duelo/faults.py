"""Named fault points for crash tests: a signal at an exact place in training or the save sequence.

Tests set DUELO_FAULT=<point>[:<n>[:<SIGNAL>]] to send SIGNAL (default SIGKILL) to the process the n-th
time (default the 1st) the point is reached, e.g. `checkpoint-committed:2` or `iteration:7:SIGINT`.
Unset (the normal case), `fault_point` costs one dictionary lookup. Under torchrun, DUELO_FAULT_RANK=<rank>
limits the fault to one process, and only torchrun's first attempt is hit (elastic-restart tests).

DUELO_INJECT_NAN=<iteration>[:always] poisons one weight of D with NaN right after that iteration (once per
process, or each time the iteration is reached with `always`): a divergence on demand for the tests of the
rollback logic.
"""

from __future__ import annotations

import os
import signal

_hits: dict[str, int] = {}


def fault_point(name: str) -> None:
    spec = os.environ.get("DUELO_FAULT")
    if not spec:
        return
    # under torchrun: DUELO_FAULT_RANK=r hits that process alone, and only torchrun's first attempt is hit,
    # so that an elastic restart can be seen completing
    if os.environ.get("DUELO_FAULT_RANK", os.environ.get("RANK")) != os.environ.get("RANK") or \
            os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") != "0":
        return
    point, _, rest = spec.partition(":")
    if point != name:
        return
    count, _, signal_name = rest.partition(":")
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] == int(count or 1):
        os.kill(os.getpid(), getattr(signal, signal_name or "SIGKILL"))


_writes = 0


def write_point(path) -> None:
    """Called before every file or folder duelo writes. DUELO_FAIL_WRITE=<n> makes the n-th write of the process
    fail as a full disk would (OSError ENOSPC naming `path`); DUELO_COUNT_WRITES=<file> records how many writes
    the process made (rewritten at each write), so a test can fail every one in turn."""
    global _writes
    fail, count = os.environ.get("DUELO_FAIL_WRITE"), os.environ.get("DUELO_COUNT_WRITES")
    if not fail and not count:
        return
    _writes += 1
    if count:
        with open(count, "w") as handle:
            handle.write(str(_writes))
    if fail and _writes == int(fail):
        import errno

        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


def reset() -> None:
    """Forget the counts (a test that runs several commands in one process)."""
    global _writes
    _writes = 0
    _hits.clear()
    _poisoned.clear()


_poisoned: set[int] = set()


def inject_nan(iteration: int, module) -> None:
    spec = os.environ.get("DUELO_INJECT_NAN")
    if not spec:
        return
    at, _, mode = spec.partition(":")
    if iteration != int(at) or (mode != "always" and iteration in _poisoned):
        return
    _poisoned.add(iteration)
    import torch

    with torch.no_grad():
        next(module.parameters()).view(-1)[0] = float("nan")
