"""Run folders written before the one-shape redesign (commit 412ecb6) resume: their config.json, brought up to
date by the task's upgrade_previous, matches the same command today. tests/config/pre-redesign-configs.json holds
the configurations that code resolved for each task's preset (made by running it, not written by hand)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from duelo.tasks.presets import load_preset
from duelo.tasks.registry import TASKS
from duelo.training.run_dir import RunDir

CASES = json.loads((Path(__file__).parent / "pre-redesign-configs.json").read_text())


def today(case: dict):
    task = case["config"]["train"]["task"]
    config = load_preset(case["preset"]) if case["preset"] else TASKS.get(task).default_config()
    return config.with_overrides(case["overrides"])


# presets whose experiment changed on purpose since: their old folders are refused as a different configuration
CHANGED = {"stylegan2": "the StyleGAN2 fixes of issue 17 (8-layer mapping, R1 per pixel) changed the preset"}


@pytest.mark.parametrize("name", sorted(set(CASES) - set(CHANGED)))
def test_the_same_command_finds_no_difference(name, tmp_path):
    config = today(CASES[name])
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(CASES[name]["config"]))
    task = TASKS.get(config.task)
    RunDir(folder).prepare(config, upgrade=task.upgrade_previous, baseline=task.default_config())
    assert json.loads((folder / "config.json").read_text())["task"] == config.task     # rewritten in today's form


@pytest.mark.parametrize("name", sorted(CHANGED))
def test_a_preset_that_changed_refuses_its_old_folders_by_name(name, tmp_path):
    config = today(CASES[name])
    task = TASKS.get(config.task)
    differences = config.differences(task.upgrade_previous(CASES[name]["config"]), task.default_config())
    assert any("mapping_layers" in line for line in differences)     # the user is told what differs


@pytest.mark.parametrize("name, field, value", [("denoise", "degrade", "boxes"), ("cyclegan", "history_pool", 0),
                                                ("translate", "discriminator", "pixelgan")])
def test_a_real_change_in_an_old_folder_is_still_refused(name, field, value, tmp_path):
    old = copy.deepcopy(CASES[name]["config"])
    section = "stabilise" if field == "history_pool" else "image2image"
    old[section][field] = value
    config = today(CASES[name])
    task = TASKS.get(config.task)
    differences = config.differences(task.upgrade_previous(old), task.default_config())
    assert differences and field in differences[0]


def test_missing_fields_compare_to_the_task_defaults():
    config = TASKS.get("cyclegan").default_config()
    previous = config.to_dict()
    del previous["image2image"]["history_pool"]          # a field this file predates: the task's default (50) holds
    assert config.differences(previous, TASKS.get("cyclegan").default_config()) == []
    changed = config.with_overrides({"image2image.history_pool": 0})
    assert changed.differences(previous, TASKS.get("cyclegan").default_config())
