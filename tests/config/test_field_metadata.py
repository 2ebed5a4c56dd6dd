"""Configuration from field metadata: every field describes itself, docs/config.md is generated from it and
current, every choice list comes from its registry, and each task's configuration holds its own sections only."""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path

import pytest

from duelo.config.fields import RegistryChoices, meta
from duelo.errors import ConfigError
from duelo.registry import Registry
from duelo.tasks import TASKS, config_from_dict, task_config

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "duelo"


def all_fields():
    for task in TASKS.names():
        for section_name, section in TASKS.get(task).sections.items():
            for spec in dataclasses.fields(section):
                yield task, section_name, spec


def all_registries() -> dict[str, Registry]:
    """Every Registry object reachable from duelo's modules (each imported)."""
    import importlib
    import pkgutil

    import duelo

    found: dict[str, Registry] = {}
    for module_info in pkgutil.walk_packages(duelo.__path__, "duelo."):
        if module_info.name in ("duelo.__main__",):
            continue
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if isinstance(value, Registry):
                found[f"{module_info.name}:{name}"] = value
    return found


def test_docs_config_md_is_generated_from_the_metadata_and_current():
    from duelo.tasks.config_docs import render

    assert (ROOT / "docs" / "config.md").read_text() == render(), \
        "docs/config.md is stale: run `python -m duelo.tasks.config_docs > docs/config.md`"


def test_every_field_has_help_and_a_default_that_passes_its_own_checks():
    for task, section, spec in all_fields():
        assert meta(spec)["help"], f"{task}: {section}.{spec.name} has no help text"
    for task in TASKS.names():
        TASKS.get(task).default_config().validated()          # raises on a default that breaks its check


def test_no_choice_list_copies_a_registry():
    """Choices that name registry entries point at the registry: a literal list sharing two or more names with
    a registry (a copy that would drift) fails, in config fields and in every click.Choice of the CLI."""
    registries = {key: set(registry.names()) for key, registry in all_registries().items()}

    def copies(values) -> list[str]:
        names = {str(v) for v in values}
        return [key for key, known in registries.items() if len(names & known) >= 2]

    for task, section, spec in all_fields():
        choices = meta(spec)["choices"]
        if choices is not None and not isinstance(choices, RegistryChoices):
            assert not copies(choices), f"{section}.{spec.name} copies {copies(choices)}: use from_registry"
    for path in (SRC / "cli").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Choice" and node.args:
                values = [e.value for e in getattr(node.args[0], "elts", []) if isinstance(e, ast.Constant)]
                assert not copies(values), f"{path.name}: click.Choice({values}) copies {copies(values)}"


def test_registry_choices_point_at_real_registries():
    for task, section, spec in all_fields():
        choices = meta(spec)["choices"]
        if isinstance(choices, RegistryChoices):
            assert isinstance(choices.registry(), Registry) and choices.names(), f"{section}.{spec.name}"


@pytest.mark.parametrize("task", TASKS.names())
def test_a_task_config_holds_the_common_sections_and_its_own_only(task):
    config = task_config(task)
    assert {"train", "run", "optim", "health"} <= set(config.sections)
    as_json = json.loads(config.to_json())
    assert as_json["task"] == task and config_from_dict(as_json) == config
    if task != "image-gan":
        assert "augment" not in as_json and "growth" not in as_json
    if task == "image-gan":
        assert "image2image" not in as_json


def test_another_tasks_section_or_field_is_refused_naming_it():
    with pytest.raises(ConfigError, match="task 'image-gan' has no section 'image2image'"):
        task_config("image-gan", {"image2image.source": "x"})
    with pytest.raises(ConfigError, match="unknown field image2image.hole_fill"):
        task_config("denoise", {"image2image.hole_fill": "blur"})


def test_a_legacy_config_with_the_task_in_the_train_section_is_read():
    config = config_from_dict({"train": {"task": "inpaint", "batch": 8}})
    assert config.task == "inpaint" and config.train.batch == 8


def test_rerun_fields_come_from_metadata():
    config = task_config("image-gan")
    rerun = config.rerun_fields()
    assert ("train", "total_kimg") in rerun and ("run", "eval_kimg") in rerun and ("health", "samples") in rerun
    assert ("train", "batch") not in rerun and ("model", "name") not in rerun
    previous = config.to_dict()
    changed = config.with_overrides({"train.total_kimg": 5, "run.snapshot_kimg": 1})
    assert changed.differences(previous) == []
    assert changed.with_overrides({"train.batch": 32}).differences(previous) == ["train.batch: 64 -> 32"]


def test_a_field_added_later_counts_as_its_default_in_an_old_run_folder():
    config = task_config("image-gan")
    previous = config.to_dict()
    del previous["train"]["cuda_graph"]                      # written before the field existed
    assert config.differences(previous) == []
    assert config.with_overrides({"train.cuda_graph": False}).differences(previous) == \
        ["train.cuda_graph: (not set) -> False"]


def test_cli_flags_are_one_option_each_and_refused_for_other_tasks(capsys):
    from duelo.cli.config_options import collect_flags
    from duelo.cli.main import main

    flags = collect_flags()
    assert {"kimg", "dataset", "model", "source", "mixture", "pac", "discrete"} <= set(flags)
    assert sorted(flags["source"].fields) == ["cyclegan", "translate"]
    assert main(["train", "--task", "toy", "--source", "x", "--dry-run"]) == 2
    assert "--source is a setting of task(s) cyclegan, translate" in capsys.readouterr().err
    assert main(["train", "--task", "toy", "--mixture", "grid", "--kimg", "3", "--dry-run"]) == 0
    resolved = json.loads(capsys.readouterr().out)
    assert resolved["toy"]["mixture"] == "grid" and resolved["train"]["total_kimg"] == 3.0


def test_list_fields_take_comma_separated_text():
    config = task_config("tabular", {"data.discrete": "city, member", "model.generator_dim": "128,64"})
    assert config.data.discrete == ("city", "member") and config.model.generator_dim == (128, 64)
    with pytest.raises(ConfigError, match="model.generator_dim must be"):
        task_config("tabular", {"model.generator_dim": "wide"})
