"""benchmarks/music_tables.py: a trained run's scores beside the held-out windows' own, rows only for the scores
every run has, and a rescored run without a summary still gets a column."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import music_tables  # noqa: E402


def _row(kimg, seconds, **scores):
    return {"kimg": kimg, "train_time_s": seconds,
            "scores": {k: v for key, (v, real) in scores.items() for k, v in ((key, v), (f"{key}_real", real))}}


def test_the_conditional_rows_appear_only_where_every_run_has_them():
    plain = _row(2130.0, 390.0, in_key=(0.979, 0.963))
    conditional = _row(1080.3, 90.0, in_key=(0.979, 0.963), mode_accuracy=(0.684, 0.927))
    alone = music_tables.music_train({"rows": [conditional]}).splitlines()
    assert alone[0] == "| score | 1,080 kimg, 90 s | held-out windows |"
    assert "| read as the asked mode by a classifier of real windows (conditional; real: their own mode) | 0.684 " \
           "| 0.927 |" in alone
    both = music_tables.music_train({"rows": [plain]}, {"rows": [conditional]})
    assert "in key | 0.979 | 0.979 | 0.963" in both and "asked mode" not in both


def test_a_run_without_its_summary_figures_still_gets_a_column():
    row = _row(None, None, in_key=(0.95, 0.963))
    assert music_tables.music_train({"rows": [row]}).splitlines()[0] == "| score | generated | held-out windows |"
