"""benchmarks/colour_probe.py on a tiny StyleGAN2 run: every noise input's strength is reported, the three noise modes
give the same images exactly when every strength is 0, and ADA's p and the health checks come from the run's logs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file, save_file

from duelo.cli.main import main
from tests.training.helpers import TINY_ARGS

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import colour_probe  # noqa: E402

STYLEGAN2 = [a if a != "dcgan" else "stylegan2" for a in TINY_ARGS]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("probe")
    assert main(["train", *STYLEGAN2, "--kimg", "0.096", "--snapshot-kimg", "0.096", "--device", "cpu",
                 "--set", "augment.name=ada", "--set", "augment.p=0.3", "--out", str(out), "--name", "sg"]) == 0
    return out / "sg"


def test_the_probe_reports_every_noise_input_and_the_runs_logs(run, tmp_path):
    result = colour_probe.probe(run, tmp_path, None, "cpu", 0, None, None)
    # 8 px: the 4x4 layer, then one upsampling and one plain layer at 8x8
    assert sorted(result["noise_strengths"]) == ["layers.0.noise", "layers.1.noise", "layers.2.noise"]
    assert all(value != 0 for value in result["noise_strengths"].values())      # they moved from 0 in training
    assert result["pixels_moved"]["const_vs_none"] > 0
    assert all((tmp_path / f"probe-sg-{mode}.png").exists() for mode in colour_probe.MODES)
    assert result["augment"]["logged"] and result["augment"]["max_p"] >= 0.3 - 0.05
    assert result["scores"] == {} and result["kimg"] == 0.1


def test_with_every_strength_at_zero_the_noise_modes_draw_the_same_images(run, tmp_path):
    checkpoint = sorted((run / "checkpoints").iterdir())[-1]
    state_file = checkpoint / "state.safetensors" if checkpoint.is_dir() else checkpoint
    tensors = load_file(str(state_file))
    quiet = {k: (v * 0 if k.startswith("net.G_ema.") and k.endswith(".noise.strength") else v)
             for k, v in tensors.items()}
    copy = tmp_path / "copy"
    (copy / "checkpoints").mkdir(parents=True)
    (copy / "model").symlink_to(run / "model")
    save_file(quiet, str(copy / "checkpoints" / "ckpt-000000000096.safetensors"))
    result = colour_probe.probe(copy, tmp_path, None, "cpu", 0, None, None)
    assert set(result["noise_strengths"].values()) == {0.0}
    assert result["pixels_moved"] == {"const_vs_random": 0.0, "const_vs_none": 0.0}
    assert result["augment"] == {"logged": False} and result["health"] == {"checks": [], "events": []}
