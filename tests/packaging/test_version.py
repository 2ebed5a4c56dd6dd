"""duelo.__version__ where duelo is installed and where it runs from its source tree without an install (the GPU
machines run `PYTHONPATH=src`; their benchmark results record this version)."""

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

import duelo

ROOT = Path(__file__).resolve().parents[2]


def test_the_source_tree_gives_the_installed_version():
    assert duelo._source_version(ROOT) == version("duelo") == duelo.__version__


def test_no_or_a_broken_pyproject_gives_unknown(tmp_path):
    assert duelo._source_version(tmp_path) == "0.0.0+unknown"
    (tmp_path / "pyproject.toml").write_text("[project\nversion = ")
    assert duelo._source_version(tmp_path) == "0.0.0+unknown"
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert duelo._source_version(tmp_path) == "0.0.0+unknown"


def test_an_interpreter_without_the_install_reads_the_source_tree():
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    if not base.is_file():
        pytest.skip(f"no base interpreter at {base}")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    probe = "import importlib.metadata as m, duelo\ntry:\n m.version('duelo'); print('installed')\n" \
            "except m.PackageNotFoundError:\n print(duelo.__version__)"
    done = subprocess.run([str(base), "-c", probe], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() in ("installed", version("duelo"))     # "installed": that interpreter has it too
