"""The shadow-model membership attack (Shokri et al. 2017; for generative models as in Hayes et al. 2019 and
Stadler et al. 2022): the attacker holds reference records of the same kind, trains shadow models the way the
target was trained on random halves of them (so it knows which records each shadow saw), and learns from the
shadows how a training record's neighbourhood among the generated samples differs from an unseen record's. The
learned rule then scores the target's members and non-members.

Features of a record against a model's samples: the log distances to its 1st, 2nd and 5th nearest generated
sample. The meta-classifier is a logistic regression over all shadows' records. This module is the model-agnostic
part; a task supplies the distance space and trains the shadows (duelo.tasks.tabular.shadow).
"""

from __future__ import annotations

import numpy as np

NEIGHBOURS = (1, 2, 5)
CHUNK = 1024


def neighbour_distances(queries: np.ndarray, samples: np.ndarray, ks: tuple[int, ...] = NEIGHBOURS) -> np.ndarray:
    """(Q, len(ks)) Euclidean distance from each query to its k-th nearest sample, for each k."""
    samples = samples.astype(np.float32)
    norms = (samples.astype(np.float64) ** 2).sum(axis=1)
    out = np.empty((len(queries), len(ks)))
    top = max(ks)
    for start in range(0, len(queries), CHUNK):
        block = queries[start:start + CHUNK].astype(np.float32)
        squared = (block.astype(np.float64) ** 2).sum(axis=1)[:, None] + norms[None, :] - 2 * (block @ samples.T)
        nearest = np.sort(np.partition(np.maximum(squared, 0.0), min(top, squared.shape[1]) - 1, axis=1)[:, :top],
                          axis=1)
        out[start:start + len(block)] = np.sqrt(nearest[:, [min(k, nearest.shape[1]) - 1 for k in ks]])
    return out


def features(distances: np.ndarray) -> np.ndarray:
    return np.log(distances + 1e-6)


def fit_meta(shadow_features: list[np.ndarray], shadow_labels: list[np.ndarray], seed: int = 0):
    """The meta-classifier (member = 1) from every shadow's records."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = np.concatenate(shadow_features), np.concatenate(shadow_labels).astype(int)
    if len(np.unique(y)) < 2:
        raise ValueError("the shadows' records must include members and non-members")
    return make_pipeline(StandardScaler(), LogisticRegression(random_state=seed)).fit(x, y)


def member_scores(meta, target_features: np.ndarray) -> np.ndarray:
    """The meta-classifier's membership probability of each record (higher: more likely a member)."""
    return meta.predict_proba(target_features)[:, 1]
