"""Shared test set-up: a private cache folder (classifiers, datasets) per test session."""

import os

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


@pytest.fixture(autouse=True)
def _fresh_fault_counts():
    """DUELO_INJECT_NAN poisons each iteration once per process: a test that injects one must not find it spent by
    an earlier test in the same worker (which test ran before depends on pytest-xdist's scheduling)."""
    faults.reset()
    yield
