"""benchmarks/colour_probe.py on a tiny StyleGAN2 run: every noise input's strength is reported, strong noise moves the
pixels between the three noise modes and none moves nothing, ADA's p and the health checks come from the run's logs;
colour.py's thinning of metrics.jsonl."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file, save_file

from duelo.cli.main import main
from tests.training.helpers import TINY_ARGS

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import colour  # noqa: E402
import colour_probe  # noqa: E402

STYLEGAN2 = [a if a != "dcgan" else "stylegan2" for a in TINY_ARGS]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("probe")
    assert main(["train", *STYLEGAN2, "--kimg", "0.096", "--snapshot-kimg", "0.096", "--device", "cpu",
                 "--set", "augment.name=ada", "--set", "augment.p=0.3", "--out", str(out), "--name", "sg"]) == 0
    return out / "sg"


def _with_strengths(run: Path, folder: Path, value: float) -> Path:
    """A copy of `run` whose G_ema has every noise strength set to `value` (its model/ folder shared)."""
    checkpoint = sorted((run / "checkpoints").iterdir())[-1]
    tensors = load_file(str(checkpoint / "state.safetensors" if checkpoint.is_dir() else checkpoint))
    changed = {k: (v * 0 + value if k.startswith("net.G_ema.") and k.endswith(".noise.strength") else v)
               for k, v in tensors.items()}
    (folder / "checkpoints").mkdir(parents=True)
    (folder / "model").symlink_to(run / "model")
    save_file(changed, str(folder / "checkpoints" / "ckpt-000000000096.safetensors"))
    return folder


def test_the_probe_reports_every_noise_input_and_the_runs_logs(run, tmp_path):
    result = colour_probe.probe(run, tmp_path, None, "cpu", 0, None, None)
    # 8 px: the 4x4 layer, then one upsampling and one plain layer at 8x8
    assert sorted(result["noise_strengths"]) == ["layers.0.noise", "layers.1.noise", "layers.2.noise"]
    assert all((tmp_path / f"probe-sg-{mode}.png").exists() for mode in colour_probe.MODES)
    assert result["augment"]["logged"] and result["augment"]["max_p"] >= 0.3 - 0.05
    checks = result["health"]["checks"]
    assert checks and all(set(colour_probe.HEALTH_SIGNALS) <= set(check) for check in checks)
    assert "capacity" in [e["event"] for e in result["health"]["events"]]          # G and D sizes, at the start
    assert result["scores"] == {} and result["kimg"] == 0.1


def test_strong_noise_moves_the_pixels_and_no_noise_moves_nothing(run, tmp_path):
    loud = colour_probe.probe(_with_strengths(run, tmp_path / "loud", 1.0), tmp_path, None, "cpu", 0, None, None)
    assert set(loud["noise_strengths"].values()) == {1.0}
    assert loud["pixels_moved"]["shared_vs_seeded"] > 0.01 and loud["pixels_moved"]["shared_vs_none"] > 0.01
    quiet = colour_probe.probe(_with_strengths(run, tmp_path / "quiet", 0.0), tmp_path, None, "cpu", 0, None, None)
    assert set(quiet["noise_strengths"].values()) == {0.0}
    assert quiet["pixels_moved"] == {"shared_vs_seeded": 0.0, "shared_vs_none": 0.0}
    assert quiet["augment"] == {"logged": False} and quiet["health"] == {"checks": [], "events": []}


def test_the_logged_metrics_are_thinned_keeping_the_last_row_and_diffaugment_has_no_adaptive_p(tmp_path):
    rows = [{"kimg": i, "loss_D": 1.0, "augment_p": 1.0} for i in range(23)]       # what DiffAugment logs
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    points = colour.metrics_points(tmp_path, points=20)
    assert len(points) <= 20 and points[0]["kimg"] == 0 and points[-1]["kimg"] == 22
    assert points[1] == {"kimg": 2, "loss_D": 1.0, "augment_p": 1.0}
    assert colour_probe.augment_history(tmp_path) == {"logged": False}
