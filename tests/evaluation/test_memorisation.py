"""Memorisation: copies of training samples are flagged, fresh samples are not."""

import pytest
import torch

from duelo.errors import DataError
from duelo.evaluation.frechet import TooFewSamplesError
from duelo.evaluation.memorisation import memorisation_report


@pytest.fixture
def splits():
    g = torch.Generator().manual_seed(0)
    return (torch.randn(1000, 16, generator=g),       # train
            torch.randn(1000, 16, generator=g),       # held-out real
            torch.randn(1000, 16, generator=g))       # fresh "generated" samples, same distribution


def test_exact_copies_are_near_copies(splits):
    train, heldout, _ = splits
    copies = train[torch.arange(0, 1000, 5)]                                  # 200 training samples
    report = memorisation_report(copies, train, heldout, chunk=128)
    assert report["near_copy_fraction"] == 1.0
    assert report["nn_ratio"] < 1e-3
    assert report["num_generated"] == 200
    for generated_index, train_index in zip(report["closest_generated"], report["closest_train"]):
        assert train_index == 5 * generated_index


def test_fresh_samples_are_not_near_copies(splits):
    train, heldout, fresh = splits
    report = memorisation_report(fresh, train, heldout, percentile=1.0)
    assert report["near_copy_fraction"] < 0.05
    assert report["near_copy_expected"] == 0.01
    assert 0.85 < report["nn_ratio"] < 1.15
    assert report["nn_heldout_median"] > report["near_copy_threshold"] > 0


def test_partial_copying_is_measured(splits):
    train, heldout, fresh = splits
    mixed = torch.cat([train[:300], fresh[:700]])                            # 30 % memorised
    report = memorisation_report(mixed.numpy(), train.numpy(), heldout.numpy())
    assert 0.3 <= report["near_copy_fraction"] < 0.35


def test_heldout_overlapping_train_is_refused(splits):
    train, _, fresh = splits
    with pytest.raises(DataError, match="disjoint"):
        memorisation_report(fresh, train, train[:500])


def test_input_errors(splits):
    train, heldout, fresh = splits
    with pytest.raises(TooFewSamplesError, match="at least 1, 1 and 2"):
        memorisation_report(fresh, train, heldout[:1])
    with pytest.raises(DataError, match="dimensions differ"):
        memorisation_report(fresh[:, :8], train, heldout)
