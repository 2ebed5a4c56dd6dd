"""benchmarks/audio_tables.py: the steps table orders runs by optimiser steps (kimg x 1000 / batch), reads the batch
from each run's command and marks a run that shared the GPU with other work; the head table reads twin heads; the
trajectory table reads runs scored between snapshots."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import audio_tables  # noqa: E402


def _row(name: str, kimg: float, command: str, instrument: float) -> dict:
    return {"name": name, "kimg": kimg, "command": command,
            "scores": {"instrument_accuracy": instrument, "pitch_accuracy": 0.9}}


def test_the_steps_table_orders_by_steps_and_marks_shared_calls():
    alone = {"parallel_runs": 2, "rows": [_row("big", 1536, "duelo train --batch 256", 0.5),
                                          _row("small", 640, "duelo train --kimg 5", 0.7)]}   # batch 64 by default
    shared = {"parallel_runs": 1, "other_gpu_work": "two tune runs", "rows": [_row("adc", 700, "duelo train", 0.6)]}
    lines = audio_tables.audio_steps(alone, shared).splitlines()[2:]
    assert [line.split(" | ")[0].strip("| ") for line in lines] == ["big", "small", "adc"]   # 6.0k, 10.0k, 10.9k
    assert lines[0].split(" | ")[1:5] == ["2", "256", "1,536", "6.0"]
    assert lines[2].split(" | ")[1] == "1 + other work"


def test_the_head_table_shows_what_a_twin_head_names_generated():
    def run(name, generated):
        head = {where: {"instrument": 1.0, "pitch": 1.0} for where in ("train", "heldout")}
        return {"run": name, "instrument_accuracy": 0.7, "pitch_accuracy": 0.9,
                "d_head": {"kimg": 700.0, **head, "generated": generated}}

    table = audio_tables.audio_head({"runs": [
        run("plain", {"instrument": 1.0, "pitch": 1.0}),
        run("adc", {"instrument": 0.4, "pitch": 0.9, "instrument_named_generated": 0.8, "pitch_named_generated": 0.6}),
        {"run": "no-d", "instrument_accuracy": 0.5, "pitch_accuracy": 0.5}]})
    lines = table.splitlines()[2:]
    assert len(lines) == 2                                  # the run without D's weights has no row
    assert lines[0].endswith("| — (one class per label) |") and lines[1].endswith("| 0.800 / 0.600 |")
    assert "| 0.400 / 0.900 |" in lines[1]


def test_the_pictures_table_sets_g_beside_the_real_notes_and_skips_runs_without_pictures():
    levels = {"peak_mean": 1.0, "clips_at_ceiling": 1.0, "cells_at_ceiling": 0.0465, "cells_under_floor": 0.915}
    real = {"peak_mean": 0.65, "clips_at_ceiling": 0.0, "cells_at_ceiling": 0.0, "cells_under_floor": 0.844}
    table = audio_tables.audio_pictures({"runs": [
        {"run": "floor0", "instrument_accuracy": 0.108, "pitch_accuracy": 0.04,
         "pictures": {"floor_db": 50.0, "generated": levels, "heldout": real}},
        {"run": "wave", "instrument_accuracy": 0.5, "pitch_accuracy": 0.5, "pictures": None}]})
    lines = table.splitlines()[2:]
    assert len(lines) == 1
    cells = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert cells == ["floor0", "0.108 / 0.040", "1.00 / 0.65", "1.000 / 0.000", "0.0465 / 0.0000", "50 dB",
                     "0.915 / 0.844"]


def test_the_trajectory_table_shows_every_scoring_the_largest_fall_and_the_lowest_fd_scoring():
    points = [{"kimg": k, "fd": fd, "instrument_accuracy": acc}
              for k, fd, acc in ((100, 30.0, 0.3), (200, 20.0, 0.6), (300, 12.0, 0.85), (400, 15.0, 0.7))]
    command = "duelo train --task audio --seed 2 --set audio.score_kimg=100"
    table = audio_tables.audio_trajectory({"rows": [
        {"name": "w64", "command": command, "kimg": 420.0, "trajectory": points,
         "scores": {"instrument_accuracy": 0.72, "fd": 14.0}},
        {"name": "plain", "command": "duelo train --task audio", "kimg": 400.0},
        {"name": "drums", "command": command, "kimg": 300.0, "trajectory": [{"kimg": 150, "fd": 7.0,
                                                                              "kind_accuracy": 0.7}]}]})
    lines = table.splitlines()[2:]
    assert len(lines) == 1              # a run scored only at its end, or without instruments (drums), has no row
    cells = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert cells == ["w64", "2", "0.30 → 0.60 → 0.85 → 0.70 (100 .. 400)", "0.150", "0.720 / 14.0 at 420",
                     "12.0 (300): 0.850"]


def test_the_train_table_shows_a_run_at_its_levels_drawn_beside_the_real_floor():
    scores = {"fd": 1.6, "fd_real": 0.8, "kind_accuracy": 0.7, "kind_accuracy_real": 0.83, "loudness_db": -22.0,
              "loudness_db_real": -22.9, "fd_as_drawn": 4.6, "loudness_db_as_drawn": -29.5,
              "kind_accuracy_as_drawn": 0.67, "peak": 0.9}
    table = audio_tables.audio_train({"rows": [{"name": "drums", "kimg": 1200, "img_per_s": 3000,
                                                "scores": scores}]})
    lines = {line.split(" | ")[0].strip("| "): line for line in table.splitlines()[2:]}
    assert lines["Fréchet distance (classifier features)"] == "| Fréchet distance (classifier features) | 1.60 | 0.80 |"
    assert lines["Fréchet distance, clips at the levels drawn (not brought to the set's peak)"].endswith(
        "| 4.60 | 0.80 |")
    assert lines["loudness at the levels drawn (dB FS)"].endswith("| -29.5 | -22.9 |")
    assert lines["kind accuracy at the levels drawn"].endswith("| 0.670 | 0.830 |")


def test_the_floor_ratio_table_divides_each_run_by_its_own_judges_floor():
    scores = {"fd": 4.0, "fd_real": 0.8, "fd_unrefined": 4.8, "fd_as_drawn": 6.0, "kind_accuracy": 0.7,
              "kind_accuracy_real": 0.8, "kind_accuracy_as_drawn": 0.6}
    points = [{"kimg": 250, "fd": 10.0}, {"kimg": 500, "fd": 5.0}]
    table = audio_tables.audio_floor_ratio({"rows": [
        {"name": "gl", "command": "duelo train --seed 1", "kimg": 600.0, "scores": scores, "trajectory": points},
        {"name": "plain", "command": "duelo train", "kimg": 900.0,
         "scores": {"fd": 2.7, "fd_real": 0.9, "kind_accuracy": 0.5, "kind_accuracy_real": 0.9}},
        {"name": "failed", "command": "duelo train", "kimg": 0.0}]})
    lines = [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()[2:]]
    assert lines[0] == ["gl", "1", "600", "4.00 / 0.80 = 5.0", "6.0", "7.5", "0.700 / 0.800", "10.0 → 5.0 (250 .. 500)"]
    assert lines[1] == ["plain", "0", "900", "2.70 / 0.90 = 3.0", "—", "—", "0.500 / 0.900", "—"]
    assert len(lines) == 2                                  # the failed run has no scores and no row


def test_the_floor_copies_table_puts_each_sets_groups_side_by_side():
    row = {"set": "notes", "factor": "instrument", "heldout": 250, "compared_size": 50,
           "all": {"clips": 250, "accuracy": 0.992, "fd_to_training": 22.59, "fd_spread": 2.586},
           "with_copies": {"clips": 200, "accuracy": 1.0},
           "without_copies": {"clips": 50, "accuracy": 0.96, "fd_to_training": 35.62, "fd_spread": 3.37}}
    empty = {**row, "set": "tiny", "compared_size": 0, "with_copies": {"clips": 4, "accuracy": 1.0},
             "all": {"clips": 4, "accuracy": 1.0}, "without_copies": {"clips": 0, "accuracy": None}}
    lines = [[cell.strip() for cell in line.strip("|").split("|")]
             for line in audio_tables.audio_floor_copies({"rows": [row, empty]}).splitlines()[2:]]
    assert lines[0] == ["notes (instrument)", "200 of 250", "0.992 / 1.000 / 0.960",
                        "22.59 ± 2.59 / 35.62 ± 3.37 (50 clips)"]
    assert lines[1][2] == "1.000 / 1.000 / —" and lines[1][3] == "— / — (0 clips)"   # no clip without a copy


def test_the_splits_table_shows_each_splits_real_column_and_skips_rows_without_one():
    splits = {"classes": {"heldout": 250, "accuracy": 0.992, "fd_floor": 2.31, "fd_floor_spread": 0.05},
              "copies": {"heldout": 251, "accuracy": 0.9, "train_accuracy": 0.9996, "fd_floor": 9.876,
                         "fd_floor_spread": 0.4}}
    table = audio_tables.audio_splits({"rows": [{"set": "notes", "factor": "instrument", "splits": splits},
                                                {"set": "old", "factor": "kind"}]})
    lines = [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()[2:]]
    assert lines == [["notes (instrument)", "classes", "250", "0.992", "—", "2.31 ± 0.05"],     # a file before it
                     ["notes (instrument)", "copies", "251", "0.900", "1.000", "9.88 ± 0.40"]]


def test_the_representation_table_keeps_a_mel_picture_apart_from_the_linear_one_of_its_transform():
    def row(mel, refine, instrument):
        return {"n_fft": 1024, "hop": 256, "mel": mel, "refine": refine, "picture": [512, 64], "error": "none",
                "size": 0.0, "pitch_accuracy": 1.0, "instrument_accuracy": instrument}

    table = audio_tables.audio_representation({"rows": [row(False, 0, 0.992), row(True, 0, 0.976),
                                                         row(True, 8, 0.990)]})
    head, _, cells = table.splitlines()
    assert head.count("1024 / 256 mel") == 2 and "8 Griffin-Lim rounds" in head
    assert cells.split(" | ")[1:] == ["1.000 / 0.992", "1.000 / 0.976", "1.000 / 0.990 |"]
    older = {"rows": [{**row(False, 0, 1.0)}]}
    del older["rows"][0]["mel"]                                     # files written before the mel pictures
    assert "1.000 / 1.000" in audio_tables.audio_representation(older)
