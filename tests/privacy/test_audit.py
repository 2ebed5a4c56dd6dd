"""Membership audits on planted canaries: a "model" whose synthetic records include copies of its training
canaries is caught (AUC near 1, a positive epsilon lower bound), one whose records are drawn independently of the
canaries is not (AUC near 0.5, bound 0); the AUC against sklearn's; bad inputs refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from duelo.errors import ConfigError
from duelo.privacy.audit import audit_scores, auc, distance_scores


def canaries(n: int, seed: int) -> torch.Tensor:
    return torch.randn(n, 8, generator=torch.Generator().manual_seed(seed)) * 3


def test_copied_canaries_are_caught_and_independent_ones_are_not():
    members, nonmembers = canaries(300, 1), canaries(300, 2)
    fresh = canaries(2000, 3)
    leaky = torch.cat([fresh, members[:200] + 0.01 * torch.randn(200, 8)])          # 200 near-copies
    caught = audit_scores(distance_scores(members, leaky), distance_scores(nonmembers, leaky), delta=1e-5)
    safe = audit_scores(distance_scores(members, fresh), distance_scores(nonmembers, fresh), delta=1e-5)
    assert caught["auc"] > 0.8 and caught["epsilon_lower"] > 1.0 and caught["tpr_at_fpr_0.01"] > 0.5, caught
    assert abs(safe["auc"] - 0.5) < 0.07 and safe["epsilon_lower"] < 0.5, safe


def test_auc_matches_sklearn_with_ties():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    m, n = rng.integers(0, 5, 50).astype(float), rng.integers(0, 4, 70).astype(float)
    expected = roc_auc_score(np.r_[np.ones(50), np.zeros(70)], np.r_[m, n])
    assert auc(m, n) == pytest.approx(expected)


def test_too_few_records_are_refused():
    with pytest.raises(ConfigError, match="at least 2"):
        audit_scores(np.array([1.0]), np.array([0.0, 1.0]))
