"""Shared test set-up: a private cache folder (classifiers, datasets) per test session."""

import fcntl
import os
import shutil

# setuptools before anything imports the standard library's distutils: setuptools swaps in its own copy and asserts
# that it did, so a test that imports distutils first (a dependency of some package) would break every later
# inductor compile in the same worker (torch.utils.cpp_extension imports setuptools), depending on test order
import setuptools  # noqa: F401, I001

import pytest
import torch

from duelo import faults

# Two pytest-xdist workers share two cores: one thread each avoids oversubscription (10-100x slowdowns
# of float64 kernels were seen with 2 threads per worker).
torch.set_num_threads(1)
# The same for the training runs that tests start as subprocesses (kill-and-resume tests, the CLI in a process of
# its own): without it each takes a thread per core, and two workers' subprocesses compete for two cores.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# A small domain judge (the classifier behind class_accuracy, fd_domain and the health monitor's classes): the
# suite checks what the numbers do, not how good the judge is; tests of the judge itself set their own steps.
# Training runs started as subprocesses inherit it.
os.environ.setdefault("DUELO_JUDGE_STEPS", "200")


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Keep tests away from the user's cache. Under pytest-xdist the workers share one folder (the parent of
    their temp folders), so a domain classifier is trained once per test run (the cache locks itself)."""
    if "DUELO_CACHE_DIR" not in os.environ or os.environ.get("DUELO_TEST_OWN_CACHE"):
        base = tmp_path_factory.getbasetemp()
        shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
        folder = shared / "duelo-cache"
        folder.mkdir(exist_ok=True)
        os.environ["DUELO_CACHE_DIR"] = str(folder)
        os.environ["DUELO_TEST_OWN_CACHE"] = "1"
    yield


@pytest.fixture(scope="session")
def built_once(tmp_path_factory):
    """build(name, make) -> a folder of this worker's own holding what make(folder) wrote, made once per test run.

    pytest-xdist's worksteal hands the tail of one worker's queue to the other, so a module near the end of the
    suite (tests/video) often runs on both workers, and a module-scoped fixture is then built twice. make() runs
    once under a lock in the folder the workers share (as the cache above); each worker gets a copy, so that
    tests that write into it (a resumed run, an eval) do not see the other worker's writes."""
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "built-once"
    shared.mkdir(exist_ok=True)

    def build(name: str, make):
        made = shared / name
        with open(shared / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)                     # released when the file is closed
            if not (shared / f"{name}.done").exists():
                shutil.rmtree(made, ignore_errors=True)          # what a make() that failed left
                made.mkdir()
                make(made)
                (shared / f"{name}.done").touch()
        own = tmp_path_factory.mktemp(name)
        shutil.copytree(made, own, dirs_exist_ok=True)
        return own

    return build


@pytest.fixture(autouse=True)
def _fresh_fault_counts():
    """DUELO_INJECT_NAN poisons each iteration once per process: a test that injects one must not find it spent by
    an earlier test in the same worker (which test ran before depends on pytest-xdist's scheduling)."""
    faults.reset()
    yield
