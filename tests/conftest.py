"""Shared test set-up: a private cache folder (classifiers, datasets) per test session."""

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Keep tests away from the user's cache; the domain classifier is trained once per worker."""
    if "DUELO_CACHE_DIR" not in os.environ or os.environ.get("DUELO_TEST_OWN_CACHE"):
        os.environ["DUELO_CACHE_DIR"] = str(tmp_path_factory.mktemp("duelo-cache"))
        os.environ["DUELO_TEST_OWN_CACHE"] = "1"
    yield
