"""benchmarks/audio.py: each row records D's scores on real and generated clips through the run, thinned evenly
with the last entry kept, so a D that runs away past the hinge's margin shows in the result file."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

_SPEC = importlib.util.spec_from_file_location("audio_bench", Path(__file__).resolve().parents[2] / "benchmarks"
                                               / "audio.py")
audio_bench = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(audio_bench)


def test_d_scores_are_thinned_evenly_and_keep_the_last_entry(tmp_path):
    metrics = tmp_path / "metrics.jsonl"
    entries = [{"kimg": 2.0 * (i + 1), "D_real": 0.1 * i, "D_fake": -0.1 * i, "loss_D": 1.0} for i in range(100)]
    entries.insert(50, {"kimg": 101.0, "fid": 3.0})                          # a line without D's scores
    metrics.write_text("\n".join(json.dumps(entry) for entry in entries) + "\n")
    kept = audio_bench.d_scores(metrics, points=10)
    assert len(kept) == 10 and kept[-1] == {"kimg": 200.0, "D_real": 9.9, "D_fake": -9.9}
    assert [row["kimg"] for row in kept] == sorted(row["kimg"] for row in kept)
    assert {row["kimg"] for row in kept} <= {entry["kimg"] for entry in entries if "D_real" in entry}
    assert len(audio_bench.d_scores(metrics, points=500)) == 100
    assert audio_bench.d_scores(tmp_path / "missing.jsonl") == []
