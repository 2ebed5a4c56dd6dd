"""What every kind of data's checks share: the findings themselves, and the detectors that work in any feature
space (image_faults.py and series_faults.py build the spaces; table_faults.py has checks of its own).

* exact duplicates: the same bytes as an earlier item;
* near duplicates: feature-space nearest neighbours that a kind-specific test calls copies (pixels, perceptual
  hashes, resampled steps); the first item of a group is kept, the others are findings;
* outliers: the robust Mahalanobis distance (minimum covariance determinant) of per-item statistics, as a robust
  z-score of its logarithm (median and MAD);
* mislabels: an RBF support-vector classifier on the features, cross-fitted (FOLDS folds: every item is judged by
  a model trained without it, and without the items already found); an item is likely mislabelled when the
  model's top class is another one and it gives the item's own label at most a limit (MISLABEL_OWN for images);
* edit_distance: the Levenshtein distance of two sequences (a table's likely typos, near copies of music).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

FOLDS = 5
MISLABEL_OWN = 0.03


@dataclass
class Finding:
    index: int
    kind: str                        # "degenerate", "duplicate", "outlier", "mislabelled", or a table's kinds
    score: float                     # how sure (kind-specific; larger = surer)
    reason: str                      # plain words
    related: int | None = None       # the kept original of a duplicate
    suggested: int | None = None     # the classifier's class for a mislabelled item


@dataclass
class Faults:
    findings: list[Finding]
    checked: dict[str, str] = field(default_factory=dict)       # detector -> what it did or why it was skipped

    def kept(self, count: int, removed: set[str]) -> np.ndarray:
        """(count,) bool: the items the cleaned copy keeps, those without a finding of a removed kind."""
        mask = np.ones(count, bool)
        mask[[f.index for f in self.findings if f.kind in removed]] = False
        return mask

    def copy_groups(self, count: int) -> np.ndarray:
        """(count,) a group number per item: items joined by a duplicate finding (exact or near, through any chain
        of them) share one, every other item is a group of its own."""
        group = np.arange(count)

        def root(i: int) -> int:
            while group[i] != i:
                group[i] = group[group[i]]
                i = group[i]
            return i

        for f in self.findings:
            if f.kind == "duplicate" and f.related is not None:
                group[root(f.index)] = root(f.related)
        return np.array([root(i) for i in range(count)])

    def by_kind(self) -> dict[str, list[Finding]]:
        out: dict[str, list[Finding]] = {}
        for f in self.findings:
            out.setdefault(f.kind, []).append(f)
        return out


def edit_distance(a: Sequence, b: Sequence, limit: int | None = None) -> int:
    """Levenshtein distance of two sequences (strings, lists of notes), one row of the table at a time, insertions
    by a running minimum; with `limit`, limit + 1 as soon as it must exceed `limit`."""
    if limit is not None and abs(len(a) - len(b)) > limit:
        return limit + 1
    if not a or not b:
        return max(len(a), len(b))
    codes: dict = {}
    x = [codes.setdefault(item, len(codes)) for item in a]
    y = np.array([codes.setdefault(item, len(codes)) for item in b])
    steps = np.arange(len(y) + 1)
    row = steps.copy()
    for k, item in enumerate(x, start=1):
        best = np.empty_like(row)
        best[0] = k
        best[1:] = np.minimum(row[1:] + 1, row[:-1] + (y != item))          # deletion, substitution
        row = np.minimum.accumulate(best - steps) + steps                    # insertion
        if limit is not None and row.min() > limit:
            return limit + 1
    return int(row[-1])


def robust_z(values: np.ndarray) -> np.ndarray:
    median = np.median(values)
    mad = np.median(np.abs(values - median)) * 1.4826
    return (values - median) / max(mad, 1e-12)


def robust_distance(stats: np.ndarray, seed: int) -> np.ndarray:
    """Each row's Mahalanobis distance from the bulk under a minimum-covariance-determinant fit."""
    import warnings

    from sklearn.covariance import MinCovDet

    stats = stats[:, stats.std(axis=0) > 1e-9]                       # constant columns make the fit singular
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                              # "covariance not full rank" on tiny sets
        return np.sqrt(MinCovDet(random_state=seed).fit(stats).mahalanobis(stats))


def exact_duplicates(items: Iterable[bytes], faults: Faults, taken: np.ndarray) -> int:
    """Findings for every item whose bytes equal an earlier item's; returns how many."""
    first: dict[bytes, int] = {}
    found = 0
    for i, data in enumerate(items):
        key = hashlib.sha256(data).digest()
        if key in first and not taken[i]:
            faults.findings.append(Finding(i, "duplicate", 1.0, f"an exact copy of item {first[key]}", first[key]))
            taken[i] = True
            found += 1
        first.setdefault(key, i)
    return found


def near_duplicates(features: np.ndarray, gap: Callable[[int, int], float | None], faults: Faults,
                    taken: np.ndarray, describe: Callable[[int, float], str], count: int = 3) -> int:
    """Findings for items that one of their `count` nearest feature-space neighbours, earlier in the data, copies:
    gap(i, j) is how far apart the two are (0 = the same) when j copies i, None when it does not; describe(j,
    gap) words the reason. Returns how many."""
    from sklearn.neighbors import NearestNeighbors

    n = len(features)
    neighbours = NearestNeighbors(n_neighbors=min(count + 1, n)).fit(features).kneighbors(features,
                                                                                        return_distance=False)
    found = 0
    for i in range(n):
        if taken[i]:
            continue
        for j in neighbours[i, 1:count + 1]:
            if j >= i or taken[j]:
                continue
            apart = gap(i, int(j))
            if apart is not None:
                faults.findings.append(Finding(i, "duplicate", 1.0 - apart, describe(int(j), apart), int(j)))
                taken[i] = True
                found += 1
                break
    return found


def mean_gap(values: np.ndarray, limit: float) -> Callable[[int, int], float | None]:
    """gap(i, j) for near_duplicates: the mean absolute difference of two rows of `values` when at most `limit`."""
    def gap(i: int, j: int) -> float | None:
        apart = float(np.abs(values[i] - values[j]).mean())
        return apart if apart <= limit else None
    return gap


def outliers(stats: np.ndarray, seed: int, limit: float, faults: Faults, taken: np.ndarray, what: str) -> str:
    """Findings for items whose robust z of the log robust distance of `stats` exceeds `limit`; `what` names the
    statistics in the reason. Returns what the check did, in words."""
    if len(stats) < 20:
        return "skipped: fewer than 20 items"
    if not (stats.std(axis=0) > 1e-9).any():
        return "skipped: the statistics do not vary"
    z = robust_z(np.log(robust_distance(stats, seed) + 1e-12))
    found = 0
    for i in np.argsort(-z):
        if z[i] <= limit:
            break
        if not taken[i]:
            faults.findings.append(Finding(int(i), "outlier", float(z[i]),
                                           f"unlike the bulk of the data (robust z {z[i]:.1f} of its {what})"))
            taken[i] = True
            found += 1
    return f"{found} item(s) above robust z {limit:g}"


def cross_fitted(x: np.ndarray, labels: np.ndarray, usable: np.ndarray, make_model, seed: int,
                 say: Callable[[str], None], what: str) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Class probabilities of every usable item from a model that never saw it (stratified folds), for the classes
    with at least two usable items; (probabilities (N, classes), the items judged, folds), or None when fewer than
    two classes have two items."""
    import warnings

    from sklearn.model_selection import StratifiedKFold

    counts = np.bincount(labels[usable], minlength=int(labels.max()) + 1)
    judged = usable[counts[labels[usable]] >= 2]                    # a one-item class cannot be learnt apart
    if len(np.unique(labels[judged])) < 2:
        return None
    folds = max(2, min(FOLDS, int(counts[counts >= 2].min())))
    probabilities = np.zeros((len(labels), len(counts)))
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for fold, (train, test) in enumerate(splitter.split(x[judged], labels[judged])):
        model = make_model()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)          # scikit-learn 1.9 deprecates SVC(probability=)
            model.fit(x[judged[train]], labels[judged[train]])
        probabilities[np.ix_(judged[test], model.classes_)] = model.predict_proba(x[judged[test]])
        say(f"clean: {what}, fold {fold + 1}/{folds}")
    return probabilities, judged, folds


def mislabels(features: np.ndarray, labels: np.ndarray, taken: np.ndarray, class_names, seed: int,
              say: Callable[[str], None], own_limit: float = MISLABEL_OWN) -> tuple[list[Finding], int]:
    """Likely mislabelled items and the folds used (0: the check could not run)."""
    from sklearn.svm import SVC

    fitted = cross_fitted(features, labels, np.nonzero(~taken)[0],
                          lambda: SVC(C=10.0, gamma="scale", probability=True, random_state=seed), seed, say,
                          "mislabel check")
    if fitted is None:
        return [], 0
    probabilities, judged, folds = fitted
    names = class_names or [str(c) for c in range(probabilities.shape[1])]
    out = []
    for i in judged:
        best = int(probabilities[i].argmax())
        own = float(probabilities[i, labels[i]])
        if best != labels[i] and own <= own_limit:
            out.append(Finding(int(i), "mislabelled", float(probabilities[i, best]),
                               f"labelled {names[labels[i]]!r} but looks like {names[best]!r} "
                               f"({probabilities[i, best]:.0%} against {own:.0%})", suggested=best))
    return out, folds


def mislabel_check(features: np.ndarray, labels, class_names, taken: np.ndarray, seed: int, max_items: int,
                   say: Callable[[str], None], faults: Faults, own_limit: float = MISLABEL_OWN) -> None:
    """The mislabel check when it applies (labels, at least two classes, at most max_items), else why not."""
    if labels is None:
        faults.checked["mislabels"] = "skipped: the data is unlabelled"
    elif len(labels) > max_items:
        faults.checked["mislabels"] = f"skipped: more than {max_items:,} items"
    elif len(np.unique(np.asarray(labels))) < 2:
        faults.checked["mislabels"] = "skipped: fewer than two classes"
    else:
        found, folds = mislabels(features, np.asarray(labels), taken, class_names, seed, say, own_limit)
        faults.findings += found
        faults.checked["mislabels"] = (f"{folds}-fold cross-fitted RBF SVM; own label at most {own_limit:g}" if folds
                                       else "skipped: fewer than two classes with two items left to learn from")
