"""Likely mislabelled rows of a table whose label column is named (`duelo clean TABLE --label COLUMN`): gradient-
boosted trees learn the label from the other columns, cross-fitted (findings.cross_fitted: every row is judged by
a model trained without it, and without the rows other checks found), and a row is flagged when the model's top
class is another one and it gives the row's own label at most OWN_LIMIT. Numbers go in as they are (missing ones as the
trees' own missing value), other columns as category codes.

A table's label is noisier than an image's: on UCI Adult the income of a row follows only loosely from the other
columns, so many confident disagreements are real people, not mistakes;
benchmarks/clean.py --tables --label measures what the check finds on planted flips.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from duelo.cleaning.findings import Finding
from duelo.errors import ConfigError

OWN_LIMIT = 0.05                     # chosen on UCI Adult with 5 % of its incomes flipped (benchmarks/clean.py)
MAX_CLASSES = 50


def features(df: pd.DataFrame, label: str) -> np.ndarray:
    """Every column but `label` as float features: numbers as they are, other columns as category codes (NaN for
    a missing value)."""
    columns = []
    for name in df.columns:
        if name == label:
            continue
        column = df[name]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            columns.append(pd.to_numeric(column, errors="coerce").to_numpy(dtype=float))
        else:
            codes = column.astype("category").cat.codes.to_numpy().astype(float)
            columns.append(np.where(codes < 0, np.nan, codes))
    return np.column_stack(columns) if columns else np.zeros((len(df), 0))


def table_mislabels(df: pd.DataFrame, label: str, taken: np.ndarray, seed: int, say) -> tuple[list[Finding], str]:
    from sklearn.ensemble import HistGradientBoostingClassifier

    from duelo.cleaning.findings import cross_fitted

    if label not in df.columns:
        raise ConfigError(f"--label {label}: not a column of the table; its columns are {list(df.columns)}")
    present = df[label].notna().to_numpy()
    values = df[label].astype(str)
    classes = sorted(values[present].unique())
    if not 2 <= len(classes) <= MAX_CLASSES:
        raise ConfigError(f"--label {label}: the column has {len(classes)} distinct value(s); a label column needs "
                          f"2 to {MAX_CLASSES}")
    y = values.map({name: k for k, name in enumerate(classes)}).fillna(-1).to_numpy().astype(int)
    fitted = cross_fitted(features(df, label), np.maximum(y, 0), np.nonzero(~taken & present)[0],
                          lambda: HistGradientBoostingClassifier(random_state=seed), seed, say, "label check")
    if fitted is None:
        return [], "skipped: fewer than two labels with two rows left to learn from"
    probabilities, judged, folds = fitted
    found = []
    for i in judged:
        own, best = int(y[i]), int(probabilities[i].argmax())
        if best != own and probabilities[i, own] <= OWN_LIMIT:
            found.append(Finding(int(i), "mislabelled", float(probabilities[i, best]),
                                 f"{label} = {classes[own]!r}, but the other columns say {classes[best]!r} "
                                 f"({probabilities[i, best]:.0%} against {probabilities[i, own]:.0%})"))
            taken[i] = True
    return found, (f"{len(found)} row(s) whose {label} a {folds}-fold cross-fitted model of the other columns "
                   f"disputes (own label at most {OWN_LIMIT:g})")
