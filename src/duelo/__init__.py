"""duelo: a toolkit for Generative Adversarial Networks."""

from importlib.metadata import PackageNotFoundError, version as _version
from pathlib import Path


def _source_version(root: Path = Path(__file__).resolve().parents[2]) -> str:
    """The version pyproject.toml gives, for a source tree run without an install (`PYTHONPATH=src`, as on the GPU
    machines, whose benchmark results record it); "0.0.0+unknown" where there is none."""
    try:
        import tomllib

        with open(root / "pyproject.toml", "rb") as file:
            return str(tomllib.load(file)["project"]["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return "0.0.0+unknown"


try:
    __version__ = _version("duelo")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = _source_version()

__all__ = ["__version__"]
