"""Summaries at marks before a run's end (duelo.tasks.interim): on a real toy run and with stand-ins for the
loop's parts."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from duelo.tasks import task_config
from duelo.tasks.interim import InterimSummaries
from duelo.tasks.runner import train


class _Stop(Exception):
    pass


def test_a_run_reports_at_its_marks_and_a_callback_can_stop_it(tmp_path):
    seen = []

    def on_mark(summary, index):
        seen.append((index, summary["kimg"]))
        if index == 1:
            raise _Stop()

    config = task_config("toy").with_overrides({"train.total_kimg": 6, "train.device": "cpu", "run.out": str(tmp_path),
                                                "run.name": "r", "run.snapshot_kimg": 100})
    with pytest.raises(_Stop):
        train(config, live_progress=False, interim=InterimSummaries([2, 4, 6], on_mark))
    assert [index for index, _ in seen] == [0, 1] and 2 <= seen[0][1] < seen[1][1] < 6
    run = tmp_path / "r"
    assert list((run / "checkpoints").glob("ckpt-*/state.safetensors")) and (run / "summary.json").is_file()
    summary = train(config, live_progress=False, interim=InterimSummaries([2, 4, 6], on_mark))  # resumes past 4
    assert summary["kimg"] >= 6 and len(seen) == 2


class _Snapshots:
    """The loop's snapshots, counting what the hook asks of them."""

    def __init__(self):
        self.written_nimg, self.written, self.summaries = None, 0, 0

    def __call__(self, trainer):
        self.written += 1
        self.written_nimg = trainer.counters.nimg

    def summary(self, last):
        self.summaries += 1
        return {}


def test_marks_skip_the_end_reuse_a_fresh_snapshot_and_restart():
    snaps = _Snapshots()
    marks = []
    hook = InterimSummaries([1, 2.5, 4], lambda summary, index: marks.append(index))
    assert hook.period_nimg == 500
    hook.attach(snaps, SimpleNamespace(last={}), SimpleNamespace(write_summary=lambda s: None), total_nimg=4000)
    for nimg in (500, 1000, 1500, 2600, 4000):
        hook(SimpleNamespace(counters=SimpleNamespace(nimg=nimg)))
    assert marks == [0, 1] and snaps.written == 2            # the mark at the run's end is the run's own summary
    snaps.written_nimg = 3000
    hook.restart(1000)
    hook(SimpleNamespace(counters=SimpleNamespace(nimg=3000)))
    assert marks == [0, 1, 1] and snaps.written == 2         # a snapshot of this state exists: not written again
    assert snaps.summaries == 3
    with pytest.raises(ValueError, match="positive"):
        InterimSummaries([0, 2], lambda s, i: None)
