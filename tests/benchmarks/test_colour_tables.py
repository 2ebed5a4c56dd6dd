"""benchmarks/colour_tables.py: the per-kimg table lines runs up at the same kimg across result files, keeps only the
hundreds that two runs reached and leaves out a run too short for any of them; the equal-time table shows the final
and the best KID; the table at a peer's minutes puts its end beside duelo's checkpoints within as many minutes."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import colour_tables  # noqa: E402


def _result(minutes: float, date: str, **runs: list[tuple[float, float]]) -> dict:
    """A colour.py result: each run's trajectory as (kimg, kid) points."""
    result = {"_meta": {"configs": {name: [] for name in runs}, "minutes": minutes, "floor": {"kid": 1e-4, "fid": 42}},
              "provenance": {"date": f"{date}T10:00:00Z"}}
    for name, points in runs.items():
        trajectory = [{"kimg": k, "kid": kid, "kid_std": 0.001, "fid": 100 * kid} for k, kid in points]
        result[name] = {"img_per_s": 1000.0, "kimg": points[-1][0], "trajectory": trajectory}
    return result


def test_the_per_kimg_table_lines_runs_up_at_the_hundreds_two_of_them_reached():
    first = _result(1.5, "2026-12-04", dcgan=[(100.0, 0.16), (150.0, 0.12), (200.0, 0.10), (300.0, 0.07)],
                    stylegan2=[(54.4, 0.11)])                      # reached no mark: no row
    second = _result(7, "2026-12-06", fastgan=[(100.0, 0.07), (200.0, 0.05), (250.0, 0.045), (400.0, 0.04)])
    lines = colour_tables.colour_per_kimg(first, second).splitlines()
    assert lines[0] == ("| configuration | run | img/s | KID / FID at 100 kimg | KID / FID at 200 kimg |")
    assert len(lines) == 4                                         # header, rule, dcgan, fastgan
    assert lines[2] == "| duelo dcgan (defaults) | 1.5 min, 2026-12-04 | 1,000 | 0.160 / 16 | 0.100 / 10 |"
    assert lines[3].startswith("| duelo `--preset fastgan` | 7 min, 2026-12-06 | 1,000 | 0.070 / 7 | 0.050 / 5")


def test_the_equal_time_table_shows_the_final_and_the_best_kid():
    result = _result(7, "2026-12-06", fastgan=[(100.0, 0.07), (400.0, 0.041), (800.0, 0.043)])
    row = colour_tables.colour_equal_time(result).splitlines()[2]
    assert "**0.043** ± 0.001" in row and row.endswith("| 0.041 (400 kimg) |")


def test_the_probe_table_shows_each_sampling_and_the_noise_input_leant_on():
    probe = {"run": "stylegan2", "kimg": 208.0, "augment": {"max_p": 0.1495},
             "noise_strengths": {"layers.0.noise": -0.008, "layers.6.noise": 0.083, "layers.1.noise": 0.012},
             "scores": {mode: {"kid": kid, "kid_std": 0.002, "fid": 100 * kid}
                        for mode, kid in (("shared", 0.0886), ("seeded", 0.0881), ("none", 0.0651))}}
    lines = colour_tables.colour_probe(probe).splitlines()
    assert len(lines) == 5 and "| no noise | 0.065 ± 0.002 | 7 |" in lines[4]
    assert "layers.6.noise +0.083; the others within ±0.012" in lines[2] and lines[2].endswith("| 0.15 |")


def test_the_flops_table_puts_each_configuration_beside_its_measured_speed_and_the_rate_that_makes():
    flops = {"step_formula": "4 G + 9 D", "flops": {
        "dcgan": {"g_params": 3_576_707, "d_params": 2_765_633, "g_gflop": 0.209, "d_gflop": 0.208, "step_gflop": 2.71},
        "stylegan2": {"g_params": 5_142_168, "d_params": 5_854_593, "g_gflop": 6.82, "d_gflop": 3.965,
                      "step_gflop": 62.97},
        "broken": {"error": "no such preset"}}}
    measured = _result(5, "2026-12-07", stylegan2=[(209.4, 0.06)])
    measured["stylegan2"]["img_per_s"] = 697.3
    measured["provenance"]["device"] = {"gpus": ["NVIDIA H100 80GB HBM3"]}
    lines = colour_tables.colour_flops(flops, measured).splitlines()
    assert len(lines) == 4                                         # header, rule, dcgan, stylegan2; no error row
    assert lines[2] == "| duelo dcgan (defaults) | 3.58 M / 2.77 M | 0.21 | 0.21 | 2.7 | — | — |"
    assert lines[3] == "| duelo `--preset stylegan2` | 5.14 M / 5.85 M | 6.82 | 3.96 | 63.0 | 697 on H100 | 44 |"


def test_the_table_at_minutes_takes_a_peers_end_and_duelos_last_checkpoint_within_the_peers_minutes():
    peer = _result(8, "2026-12-07", **{"lucidrains-stylegan2": [(72.5, 0.223)]})
    peer["lucidrains-stylegan2"]["judged_generator"] = "raw"
    peer["_meta"]["note"] = "trained on one H100 (NVIDIA H100 80GB HBM3), judged on a CPU"
    ours = _result(10, "2026-12-07", dcgan=[(250.0, 0.09), (420.0, 0.03), (500.0, 0.025), (600.0, 0.02)])
    ours["provenance"]["device"] = {"gpus": ["NVIDIA H200"]}       # 1,000 img/s: 420 kimg at 7 min, 500 past 8
    lines = colour_tables.colour_at_minutes(peer, ours).splitlines()
    assert lines[0].startswith("| configuration | run | training minutes (at most 8) |")
    assert lines[2] == ("| stylegan2-pytorch 1.9.0 (lucidrains) (raw G) | 8 min, 2026-12-07, H100 | 8.0 | 72.5 | "
                        "1,000 | **0.223** ± 0.001 | 22 |")
    assert lines[3] == ("| duelo dcgan (defaults) | 10 min, 2026-12-07, H200 | 7.0 | 420.0 | 1,000 | "
                        "**0.030** ± 0.001 | 3 |")
    assert lines[4].startswith("| real vs real (floor) |")
