"""benchmarks/colour.py on a machine of several GPUs: every configuration alone on its own GPU, as many at once
as there are GPUs, and the runs started one wave after another when there are more configurations than GPUs."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import colour  # noqa: E402


class _Process:
    def __init__(self, command, stdout, stderr, env, started):
        self.name = command[command.index("--name") + 1] if "--name" in command else Path(command[-1]).name
        self.gpu = env.get("CUDA_VISIBLE_DEVICES")
        self.returncode = None
        started.append(self)

    def wait(self, timeout=None):
        self.returncode = 0
        return 0

    def poll(self):
        return self.returncode

    def kill(self):
        pass


def _launch(monkeypatch, tmp_path, configs, gpus, together=False):
    started: list[_Process] = []
    monkeypatch.setattr(colour.subprocess, "Popen",
                        lambda command, stdout, stderr, env: _Process(command, stdout, stderr, env, started))
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    colour._train_all(tmp_path / "train.npz", tmp_path / "runs", configs, 1.0, 10.0, together, 60.0, 100, gpus)
    return [(p.name, p.gpu) for p in started]


def test_each_configuration_gets_its_own_gpu_in_waves(monkeypatch, tmp_path):
    names = ["stylegan2", "fastgan", "dcgan", "lucidrains-stylegan2", "lightweight-gan"]
    launched = _launch(monkeypatch, tmp_path, names, gpus=4)
    assert launched == [("stylegan2", "0"), ("fastgan", "1"), ("dcgan", "2"), ("lucidrains-stylegan2", "3"),
                        ("lightweight-gan", "0")]
    assert colour._waves(names, False, 4) == [[("stylegan2", 0), ("fastgan", 1), ("dcgan", 2),
                                               ("lucidrains-stylegan2", 3)], [("lightweight-gan", 0)]]


def test_one_gpu_keeps_the_device_choice_to_the_environment(monkeypatch, tmp_path):
    assert _launch(monkeypatch, tmp_path, ["dcgan", "fastgan"], gpus=1) == [("dcgan", None), ("fastgan", None)]
    assert colour._waves(["dcgan", "fastgan"], True, 1) == [[("dcgan", None), ("fastgan", None)]]
    assert colour._waves(["dcgan", "fastgan"], False, 1) == [[("dcgan", None)], [("fastgan", None)]]


def test_every_configuration_is_one_duelo_accepts(tmp_path, capsys):
    """A misspelt field in colour.py's CONFIGS would only show on the GPU machine, after minutes of set-up."""
    import json

    import numpy as np
    import torch

    from duelo.cli.main import main
    from duelo.models.base import build_discriminator, build_generator
    from duelo.tasks import config_from_dict
    from duelo.augment.choice import choose_augment
    from duelo.tasks.image_gan.parts import build_augment, model_kwargs

    data = tmp_path / "images.npz"
    np.savez(data, images=np.zeros((8, 3, 64, 64), dtype=np.uint8))
    for name, arguments in colour.CONFIGS.items():
        capsys.readouterr()
        assert main(["train", "--dataset", str(data), *colour.COMMON, *arguments, "--dry-run"]) == 0, name
        config = config_from_dict(json.loads(capsys.readouterr().out))
        assert config.data.resolution == 64, name
        g_kwargs, d_kwargs = model_kwargs(config, 64, 3, 0)
        with torch.device("meta"):                           # the networks' arguments checked, no weights made
            build_generator(config.model.name, **g_kwargs)
            build_discriminator(config.model.name, **d_kwargs)
        build_augment(config, choose_augment(config.augment.name, 2850, 64), 3)   # --dry-run does not check it


class _Stubborn(_Process):
    """A process that outlives the deadline unless `done`; SIGINT stops it when `obeys` (duelo: it writes "Re-run the
    same command to resume" to its log) and nothing stops it but a kill otherwise (a hung peer)."""

    def __init__(self, command, stdout, stderr, env, started, obeys=True, done=False):
        super().__init__(command, stdout, stderr, env, started)
        self.obeys, self.signals, self.killed, self.log = obeys, [], False, stdout
        self.returncode = 0 if done else None

    def poll(self):
        return self.returncode

    def wait(self, timeout=None):
        if self.returncode is None and (self.killed or (self.obeys and self.signals)):
            self.returncode = -9 if self.killed else 0
        if self.returncode is None:
            raise colour.subprocess.TimeoutExpired("duelo", timeout)
        return self.returncode

    def send_signal(self, sig):
        self.signals.append(sig)
        if self.obeys:
            self.log.write("stopped: wrote ckpt-000000001088. Re-run the same command to resume.\n")
            self.log.flush()

    def kill(self):
        self.killed = True


def test_the_deadline_stops_every_late_run_at_once_and_kills_only_what_ignores_it(monkeypatch, tmp_path, capsys):
    """At the deadline every run still going gets SIGINT at once (duelo checkpoints and stops: the next call
    continues it) and shares one grace; a run already finished is left alone; only what ignores the signal is
    killed. Three configurations on three GPUs: one obeys, one hangs, one had finished."""
    behaviour = {"stylegan2": {"obeys": True}, "lightweight-gan": {"obeys": False}, "dcgan": {"done": True}}
    started: list[_Stubborn] = []
    monkeypatch.setattr(colour.subprocess, "Popen", lambda command, stdout, stderr, env: _Stubborn(
        command, stdout, stderr, env, started, **behaviour[_Process(command, stdout, stderr, env, []).name]))
    monkeypatch.setattr(colour, "STOP_GRACE_S", 0.05)
    colour._train_all(tmp_path / "train.npz", tmp_path / "runs", list(behaviour), 1.0, 10.0, False, 0.01, 100, 3)
    by_name = {p.name: p for p in started}
    assert by_name["stylegan2"].signals == [colour.signal.SIGINT] and not by_name["stylegan2"].killed
    assert by_name["lightweight-gan"].signals == [colour.signal.SIGINT] and by_name["lightweight-gan"].killed
    assert by_name["dcgan"].signals == [] and not by_name["dcgan"].killed
    out = capsys.readouterr().out
    assert "stylegan2: stopped at the deadline with a checkpoint (resumable)" in out
    assert "lightweight-gan: killed at the deadline" in out and "dcgan: exit 0" in out


def test_judging_at_most_n_checkpoints_spaces_them_and_keeps_the_last(tmp_path):
    for nimg in range(0, 2_300_000, 100_000):          # 23 checkpoints, 0 to 2,200 kimg
        (tmp_path / "checkpoints" / f"{nimg:09d}").mkdir(parents=True)
    every = colour._checkpoints(tmp_path)
    assert [n for n, _ in every] == list(range(0, 2_300_000, 100_000))
    five = [n for n, _ in colour._checkpoints(tmp_path, most=5)]
    assert five == [0, 600_000, 1_100_000, 1_600_000, 2_200_000]
    assert len(colour._checkpoints(tmp_path, most=30)) == 23
    assert [n for n, _ in colour._checkpoints(tmp_path, most=1)] == [2_200_000]          # the last, not the first


def test_the_flops_benchmark_counts_the_models_duelo_train_builds(tmp_path):
    """colour_speed.py flops: a configuration's parameters are those of the model `duelo train` builds, its FLOPs
    positive, and the step's estimate the stated multiple of G's and D's."""
    import json

    import numpy as np

    import colour_speed

    data = tmp_path / "images.npz"
    np.savez(data, images=np.random.default_rng(0).integers(0, 255, (8, 3, 64, 64), dtype=np.uint8))
    colour_speed.flops(["dcgan"], str(data),
                       tmp_path / "flops.json")
    row = json.loads((tmp_path / "flops.json").read_text())["flops"]["dcgan"]
    assert row["model"] == "dcgan" and row["g_params"] > 1e6 and row["d_params"] > 1e6
    assert 0 < row["g_gflop"] < 10 and 0 < row["d_gflop"] < 10
    assert abs(row["step_gflop"] - (colour_speed.STEP_G * row["g_gflop"] + colour_speed.STEP_D * row["d_gflop"])) < 0.05
