"""Shared test set-up: a private cache folder (classifiers, datasets) per test session."""

import os

import pytest
import torch

# Two pytest-xdist workers share two cores: one thread each avoids oversubscription (10-100x slowdowns
# of float64 kernels were seen with 2 threads per worker).
torch.set_num_threads(1)


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Keep tests away from the user's cache; the domain classifier is trained once per worker."""
    if "DUELO_CACHE_DIR" not in os.environ or os.environ.get("DUELO_TEST_OWN_CACHE"):
        os.environ["DUELO_CACHE_DIR"] = str(tmp_path_factory.mktemp("duelo-cache"))
        os.environ["DUELO_TEST_OWN_CACHE"] = "1"
    yield
