"""The install must never pull torchvision or CUDA builds of torch onto a CPU machine (DESIGN.md).

Resolves the whole dependency set from scratch with `pip install --dry-run --report`, exactly as
`make install` asks for it (torch from TORCH_SPEC first, then duelo with its test extra).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_PREFIXES = ("torchvision", "torchaudio", "nvidia-", "triton", "torch-fidelity", "clean-fid", "ctgan",
                      "sdv")


@pytest.mark.slow
def test_dry_run_resolution_has_no_cuda_and_no_torchvision(tmp_path):
    spec = os.environ.get("TORCH_SPEC", "torch==2.13.0")
    report = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
         "--report", str(report), spec, f"{ROOT}[test]"],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    installs = {item["metadata"]["name"].lower(): item["metadata"]["version"]
                for item in json.loads(report.read_text())["install"]}
    assert "duelo" in installs and "torch" in installs
    forbidden = sorted(name for name in installs if name.startswith(FORBIDDEN_PREFIXES))
    assert not forbidden, f"the install would pull {forbidden}"
    if sys.platform == "linux" and not Path("/proc/driver/nvidia").exists():
        assert "+cpu" in installs["torch"], f"torch {installs['torch']} is not the CPU build"
