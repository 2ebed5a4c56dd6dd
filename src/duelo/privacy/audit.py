"""Membership-inference audits: can an attacker tell the records a model was trained on (members) from records of
the same distribution it never saw (non-members)? Each attack gives every record a score, higher meaning "more
likely a member"; the audit turns the scores of both groups into

  auc               the area under the ROC curve (0.5: the attacker guesses; 1: it always knows);
  tpr_at_fpr        the share of members caught when 1 % (and 10 %) of non-members are wrongly accused;
  epsilon_lower     an empirical lower bound on the epsilon of any (epsilon, delta)-DP guarantee the training
                    could have (Jagielski et al. 2020; Nasr et al. 2021): a DP mechanism bounds every test's
                    TPR <= e^eps * FPR + delta and TNR <= e^eps * FNR + delta, so
                    eps >= log((TPR - delta) / FPR) for the attack's threshold. The threshold is chosen on one
                    half of the records and the bound computed on the other half with 95 % Clopper-Pearson
                    limits (the lower limit of TPR, the upper of FPR), so the bound holds with 95 % confidence
                    and is not inflated by trying many thresholds on the same records.

Attacks (the functions below make the scores):
  distance_scores   distance to the closest synthetic record (DCR): a model that copies or nearly copies its
                    training records puts synthetic records closer to members than to non-members;
  the discriminator score: D's logit on each record, for runs whose discriminator is kept (the caller's).
A shadow-model attack (training models on known data to calibrate per-record thresholds) is not here yet.
"""

from __future__ import annotations

import math

import numpy as np
import torch

FPR_POINTS = (0.01, 0.1)
DEFAULT_DELTA = 1e-5         # the delta of the bound for a model trained without DP (a private run states its own)


def distance_scores(records: torch.Tensor, synthetic: torch.Tensor, chunk: int = 2048) -> torch.Tensor:
    """-(L2 distance of each record to its closest synthetic record), records and synthetic as (N, ...) float
    features on one scale; higher = closer = more member-like."""
    flat, pool = records.reshape(len(records), -1).float(), synthetic.reshape(len(synthetic), -1).float()
    closest = torch.cat([torch.cdist(part, pool).min(dim=1).values for part in flat.split(chunk)])
    return -closest


def auc(members: np.ndarray, nonmembers: np.ndarray) -> float:
    """P(score of a random member > score of a random non-member), ties counting one half (Mann-Whitney)."""
    from scipy.stats import rankdata

    ranks = rankdata(np.concatenate([members, nonmembers]))          # ties get their average rank
    n1, n0 = len(members), len(nonmembers)
    return float((ranks[:n1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _clopper_pearson(successes: int, trials: int, upper: bool, confidence: float = 0.95) -> float:
    from scipy.stats import beta

    alpha = 1 - confidence
    if upper:
        return 1.0 if successes == trials else float(beta.ppf(1 - alpha / 2, successes + 1, trials - successes))
    return 0.0 if successes == 0 else float(beta.ppf(alpha / 2, successes, trials - successes + 1))


def _bound(tp: int, n1: int, fp: int, n0: int, delta: float) -> float:
    tpr_low, fpr_high = _clopper_pearson(tp, n1, upper=False), _clopper_pearson(fp, n0, upper=True)
    return math.log((tpr_low - delta) / fpr_high) if tpr_low > delta and fpr_high > 0 else 0.0


def epsilon_lower_bound(members: np.ndarray, nonmembers: np.ndarray, delta: float, seed: int = 0) -> dict:
    """The threshold that maximises the point estimate on a random half, the 95 % bound on the other half."""
    rng = np.random.default_rng(seed)
    m, n = rng.permutation(members), rng.permutation(nonmembers)
    (m_pick, m_test), (n_pick, n_test) = np.array_split(m, 2), np.array_split(n, 2)
    best, threshold = -math.inf, math.inf
    for t in np.unique(np.concatenate([m_pick, n_pick])):
        tpr, fpr = (m_pick >= t).mean(), (n_pick >= t).mean()
        value = math.log(max(tpr - delta, 1e-12) / max(fpr, 1 / (2 * len(n_pick))))
        if value > best:
            best, threshold = value, float(t)
    tp, fp = int((m_test >= threshold).sum()), int((n_test >= threshold).sum())
    return {"epsilon_lower": round(max(0.0, _bound(tp, len(m_test), fp, len(n_test), delta)), 4),
            "threshold": threshold, "tpr": round(tp / max(1, len(m_test)), 4),
            "fpr": round(fp / max(1, len(n_test)), 4)}


def audit_scores(members: torch.Tensor | np.ndarray, nonmembers: torch.Tensor | np.ndarray,
                 delta: float = DEFAULT_DELTA, seed: int = 0) -> dict:
    """The audit of one attack from its scores of members and of non-members."""
    m = np.asarray(members, dtype=np.float64).reshape(-1)
    n = np.asarray(nonmembers, dtype=np.float64).reshape(-1)
    if len(m) < 2 or len(n) < 2:
        from duelo.errors import ConfigError
        raise ConfigError(f"a membership audit needs at least 2 members and 2 non-members (got {len(m)} and "
                          f"{len(n)}); use hundreds for a bound that means anything")
    result = {"auc": round(auc(m, n), 4), "members": len(m), "nonmembers": len(n)}
    for point in FPR_POINTS:
        threshold = np.quantile(n, 1 - point)
        result[f"tpr_at_fpr_{point:g}"] = round(float((m > threshold).mean()), 4)
    result.update(epsilon_lower_bound(m, n, delta, seed))
    return result
