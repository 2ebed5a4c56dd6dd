"""`duelo tune` on the toy task: each trial is one run scored at every rung on the way, the study continues from its
SQLite file, the best settings come back as a `duelo train` command, knobs the task lacks are left out, and
mistakes get clear errors."""

from __future__ import annotations

import re

import pytest

from duelo.cli.main import main
from duelo.tasks import task_config
from duelo.tasks.tuning import figure, usable_knobs

optuna = pytest.importorskip("optuna")

TOY = ["tune", "--task", "toy", "--rungs", "4,8", "--knobs", "g_lr,d_lr,augment", "--set", "train.device=cpu"]


def test_a_study_runs_continues_and_names_the_best(tmp_path, capsys):
    study = tmp_path / "toy.db"
    assert main([*TOY, "--study", str(study), "--trials", "2"]) == 0
    out = capsys.readouterr()
    assert "2 trial(s)" in out.out and "duelo train --task toy --set train.device=cpu --set optim.g_lr=" in out.out
    assert "augment" not in out.out                              # the toy task has no augmentation: left out
    assert out.err.count("at 8 kimg") == 2 and (tmp_path / "toy-runs" / "trial-0001" / "summary.json").is_file()
    assert re.search(r"at 8 kimg: \S+ \S+ \(\d+ s into the trial\)", out.err), out.err    # where a trial's time goes
    assert main([*TOY, "--study", str(study), "--trials", "1"]) == 0
    assert "3 trial(s)" in capsys.readouterr().out               # continued, not started again
    assert main([*TOY, "--study", str(study), "--trials", "5", "--minutes", "0.0001"]) == 0
    assert "4 trial(s)" in capsys.readouterr().out               # the time limit stops it after one trial
    loaded = optuna.load_study(study_name="duelo", storage=f"sqlite:///{study}")
    assert len(loaded.trials) == 4 and all(set(t.params) == {"g_lr", "d_lr"} for t in loaded.trials)


def test_each_trial_builds_its_run_once(tmp_path, capsys, monkeypatch):
    import duelo.tasks.runner as runner

    built = []
    original = runner.build_session
    monkeypatch.setattr(runner, "build_session", lambda *a, **k: built.append(1) or original(*a, **k))
    assert main([*TOY, "--rungs", "2,4,6", "--study", str(tmp_path / "t.db"), "--trials", "2"]) == 0
    err = capsys.readouterr().err
    assert len(built) == 2                                       # not one per rung
    assert err.count("at 2 kimg") == 2 and err.count("at 4 kimg") + err.count("at 6 kimg") >= 2


def test_mistakes_are_refused(tmp_path, capsys):
    assert main([*TOY, "--study", str(tmp_path / "a.db"), "--rungs", "x"]) != 0
    assert "--rungs" in capsys.readouterr().err
    assert main([*TOY, "--study", str(tmp_path / "b.db"), "--knobs", "nonsense"]) != 0
    assert "nonsense" in capsys.readouterr().err
    assert main([*TOY, "--study", str(tmp_path / "c.db"), "--score", "no.such", "--trials", "1"]) != 0
    assert "no figure 'no.such'" in capsys.readouterr().err


def test_helpers():
    assert figure({"scores": {"fd": 2.5}}, "scores.fd") == 2.5 and figure({"a": "x"}, "a") is None
    assert usable_knobs(task_config("image-gan"), ["g_lr", "augment", "width"]) == ["g_lr", "augment", "width"]
    assert usable_knobs(task_config("toy"), ["g_lr", "augment"]) == ["g_lr"]


def _open(path: str) -> int:
    from duelo.tasks.tuning import open_study

    return len(open_study(optuna, __import__("pathlib").Path(path), "maximize", None, log=lambda text: None).trials)


def test_processes_that_open_one_new_study_at_once_all_get_it(tmp_path):
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(4) as pool:
        counts = pool.map(_open, [str(tmp_path / "shared.db")] * 4)
    assert counts == [0, 0, 0, 0]
    assert len(optuna.get_all_study_summaries(f"sqlite:///{tmp_path / 'shared.db'}")) == 1


def test_a_lost_race_to_make_the_tables_is_tried_again(tmp_path, monkeypatch):
    from duelo.tasks import tuning

    real, calls = optuna.create_study, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:                      # what another process's table creation makes Optuna raise
            raise optuna.exceptions.StorageInternalError("table study_system_attributes already exists")
        return real(*args, **kwargs)

    monkeypatch.setattr(optuna, "create_study", flaky)
    monkeypatch.setattr(tuning.time, "sleep", lambda seconds: None)
    assert len(tuning.open_study(optuna, tmp_path / "s.db", "maximize", 1, log=lambda text: None).trials) == 0
    assert len(calls) == 2
    monkeypatch.setattr(optuna, "create_study", lambda *a, **k: (_ for _ in ()).throw(ValueError("bad")))
    with pytest.raises(ValueError):                              # anything else is not retried
        tuning.open_study(optuna, tmp_path / "t.db", "maximize", 1, log=lambda text: None)


def test_a_continued_study_or_a_second_process_does_not_propose_the_same_settings_again(tmp_path, capsys):
    study = tmp_path / "toy.db"
    for _ in range(2):
        assert main([*TOY, "--study", str(study), "--trials", "1", "--seed", "3"]) == 0
    first, second = optuna.load_study(study_name="duelo", storage=f"sqlite:///{study}").trials
    assert first.params != second.params                    # the seed moves on by the trials the study holds
    capsys.readouterr()
    assert main([*TOY, "--study", str(tmp_path / "other.db"), "--trials", "1"]) == 0
    assert re.search(r"sampler seed (\d+) \(--seed \1 draws", capsys.readouterr().err)
    assert main([*TOY, "--study", str(tmp_path / "neg.db"), "--trials", "1", "--seed", "-1"]) != 0
    assert "--seed" in capsys.readouterr().err and not (tmp_path / "neg.db").exists()
