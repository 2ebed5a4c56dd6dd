"""Run a benchmark's jobs (each one subprocess: a `duelo train`) N at a time on one device, and hand back the rows
gathered so far each time one ends, so that a call cut by its time limit keeps the finished jobs' rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed


def run_jobs(job: Callable[..., dict], arguments: Iterable[tuple], parallel: int,
             on_rows: Callable[[list[dict]], None]) -> list[dict]:
    """job(*args) for every args, `parallel` at once (threads: the work is in subprocesses); rows in the order
    they end. on_rows(rows) after each, e.g. to rewrite the result file."""
    rows: list[dict] = []
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        for done in as_completed([pool.submit(job, *args) for args in arguments]):
            rows.append(done.result())
            on_rows(rows)
    return rows
