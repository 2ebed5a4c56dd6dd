"""Machine-learning efficacy: does a model trained on synthetic rows predict real rows as well as one
trained on real rows?

TSTR (train synthetic, test real) and TRTR (train real, test real) fit the same scikit-learn
HistGradientBoosting model (classifier for a categorical target, regressor for a numeric one, fixed
random_state) and are scored on the same real test rows: the holdout table if given, otherwise a seeded 20%
of the real table (the real model then trains on the other 80%; the synthetic table may have been generated
by a model that saw those test rows, which flatters TSTR). Rows with a missing target are dropped.

Features: numeric columns as float with NaN; categorical columns as the shared ordinal codes (levels of all
tables, real levels first by frequency) passed as `categorical_features`, missing as NaN; levels beyond the
`MAX_CATEGORIES` most frequent real ones share one "other" code (the model's limit is 255 categories).
Metric: classification -> macro F1 over the test classes (primary), accuracy, ROC AUC when the test target
is binary; regression -> R^2 (primary). A training set with one class gets a constant prediction.
Score: primary(TSTR) / primary(TRTR), floored at 0 (may exceed 1); None, with a reason, when undefined.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np

from duelo.tasks.tabular.report.frames import ColumnData, Prepared, level_name

MAX_CATEGORIES = 250         # feature levels with their own code; the rest share code MAX_CATEGORIES
MAX_CLASSES = 50             # targets with more classes are not scored (cost grows with the class count)
TEST_FRACTION = 0.2
MIN_TRAIN_ROWS = 10
# OpenMP threads per model fit. One thread: on a 2-core machine, two OpenMP threads competing with numpy's
# BLAS threads made a fit on 20,000 Adult-like rows take 0.5 to 9 s from run to run; one took 0.6 s steadily.
MODEL_THREADS = 1


def feature_matrix(prepared: Prepared, target: Hashable, role: str, rows: np.ndarray) -> np.ndarray:
    """(len(rows), C-1) float64 feature matrix of one table."""
    blocks = []
    for column in prepared.columns:
        if column.name == target:
            continue
        values = column.values[role][rows]
        if column.kind == "categorical":
            values = np.where(values < 0, np.nan, np.minimum(values, MAX_CATEGORIES).astype(np.float64))
        blocks.append(values.astype(np.float64))
    return np.stack(blocks, axis=1)


def _target(column: ColumnData, role: str) -> np.ndarray:
    """Target values of a table; missing as -1 (categorical codes) or NaN (numeric)."""
    return column.values[role]


def _present(column: ColumnData, role: str) -> np.ndarray:
    values = column.values[role]
    return np.flatnonzero(values >= 0) if column.kind == "categorical" else np.flatnonzero(~np.isnan(values))


def _cap(rows: np.ndarray, limit: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.choice(rows, limit, replace=False)) if len(rows) > limit else rows


def _split(prepared: Prepared, column: ColumnData, rng: np.random.Generator, max_rows: int) -> dict[str, Any]:
    """Row positions of the synthetic train, real train and real test sets (each capped at max_rows)."""
    real_rows = _present(column, "real")
    if "holdout" in prepared.n_rows:
        test_role, test_rows, train_real = "holdout", _present(column, "holdout"), real_rows
        note = "tested on the holdout table"
    else:
        shuffled = rng.permutation(real_rows)
        n_test = int(round(TEST_FRACTION * len(shuffled)))
        test_role, test_rows, train_real = "real", np.sort(shuffled[:n_test]), np.sort(shuffled[n_test:])
        note = (f"no holdout given: tested on a seeded {TEST_FRACTION:.0%} of the real table, the real model "
                f"trained on the other {1 - TEST_FRACTION:.0%}; the synthetic data may have been generated "
                f"by a model that saw those test rows, which flatters TSTR")
    sets = {"synthetic": _present(column, "synthetic"), "real": train_real, "test": test_rows}
    capped = [f"ML efficacy: {what} rows capped at a seeded sample of {max_rows} of {len(sets[key])}"
              for key, what in (("synthetic", "synthetic training"), ("real", "real training"),
                                ("test", "test"))
              if len(sets[key]) > max_rows]
    return {**{key: _cap(rows, max_rows, rng) for key, rows in sets.items()},
            "test_role": test_role, "note": note, "capped": capped}


def fit_predict(task: str, x: np.ndarray, y: np.ndarray, x_test: np.ndarray, categorical: np.ndarray,
                 random_state: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Predictions, class probabilities (classification) and the model's classes for the test rows."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits      # a scikit-learn dependency

    classes = np.unique(y)
    if task == "classification" and len(classes) == 1:
        return np.full(len(x_test), classes[0]), np.ones((len(x_test), 1)), classes
    classifier = task == "classification"
    model_class = HistGradientBoostingClassifier if classifier else HistGradientBoostingRegressor
    model = model_class(categorical_features=categorical if categorical.any() else None,
                        random_state=random_state)
    with threadpool_limits(limits=MODEL_THREADS, user_api="openmp"):
        model.fit(x, y)
        if classifier:
            return model.predict(x_test), model.predict_proba(x_test), model.classes_
        return model.predict(x_test), None, classes


def _metrics(task: str, y_test: np.ndarray, predicted: np.ndarray, proba: np.ndarray | None,
             classes: np.ndarray) -> dict[str, float | None]:
    from sklearn.metrics import accuracy_score, f1_score, r2_score, roc_auc_score

    if task == "regression":
        return {"r2": float(r2_score(y_test, predicted))}
    labels = np.unique(y_test)
    result: dict[str, float | None] = {
        "macro_f1": float(f1_score(y_test, predicted, labels=labels, average="macro", zero_division=0)),
        "accuracy": float(accuracy_score(y_test, predicted)), "roc_auc": None}
    if len(labels) == 2 and proba is not None:
        positive = np.flatnonzero(classes == labels[1])
        score = proba[:, positive[0]] if len(positive) else np.zeros(len(y_test))
        result["roc_auc"] = float(roc_auc_score(y_test == labels[1], score))
    return result


def ml_efficacy(prepared: Prepared, target: Hashable, target_chosen: str, random_state: int,
                max_rows: int) -> tuple[float | None, dict[str, Any]]:
    """The TSTR / TRTR ratio (or None) and the section's details."""
    column = prepared.column(target)
    task = "classification" if column.kind == "categorical" else "regression"
    metric = "macro_f1" if task == "classification" else "r2"
    model = "HistGradientBoostingClassifier" if task == "classification" else "HistGradientBoostingRegressor"
    details: dict[str, Any] = {"target": column.label, "target_chosen": target_chosen, "task": task,
                               "metric": metric, "model": model,
                               "tstr": None, "trtr": None, "score": None, "reason": None}
    rng = np.random.default_rng(random_state)
    split = _split(prepared, column, rng, max_rows)
    details.update(test_rows=len(split["test"]), train_rows_synthetic=len(split["synthetic"]),
                   train_rows_real=len(split["real"]), note=split["note"], subsampling=split["capped"])
    reason = _unusable(prepared, column, task, split)
    if reason:
        details["reason"] = reason
        return None, details
    categorical = np.array([c.kind == "categorical" for c in prepared.columns if c.name != target])
    x_test = feature_matrix(prepared, target, split["test_role"], split["test"])
    y_test = _target(column, split["test_role"])[split["test"]]
    for name, role in (("tstr", "synthetic"), ("trtr", "real")):
        x = feature_matrix(prepared, target, role, split[role])
        y = _target(column, role)[split[role]]
        details[name] = _metrics(task, y_test, *fit_predict(task, x, y, x_test, categorical, random_state))
    if task == "classification" and len(np.unique(_target(column, "synthetic")[split["synthetic"]])) == 1:
        details["note"] += "; the synthetic target has a single class, so TSTR predicts that class everywhere"
    if task == "classification" and len(np.unique(y_test)) == 2:
        details["positive_class"] = level_name(column, int(np.unique(y_test)[1]))
    primary_real, primary_synth = details["trtr"][metric], details["tstr"][metric]
    if primary_real <= 0:
        details["reason"] = (f"the model trained on real rows scores {metric} = {primary_real:.3g} <= 0 on "
                             f"the test rows, so the ratio is undefined")
        return None, details
    details["score"] = max(0.0, primary_synth / primary_real)
    return details["score"], details


def _unusable(prepared: Prepared, column: ColumnData, task: str, split: dict[str, Any]) -> str | None:
    """Why ML efficacy cannot be computed, or None."""
    name = column.label
    if len(prepared.columns) < 2:
        return "the table has no columns besides the target, so there are no features"
    if column.detail == "empty":
        return f"the target column {name!r} is entirely null in the real table"
    for key, what in (("synthetic", "synthetic table"), ("real", "real training set"), ("test", "test set")):
        if len(split[key]) < (MIN_TRAIN_ROWS if key != "test" else 2):
            return (f"the {what} has only {len(split[key])} row(s) with a present target {name!r} (at least "
                    f"{MIN_TRAIN_ROWS if key != 'test' else 2} needed)")
    if task == "classification":
        real_classes = np.unique(_target(column, "real")[split["real"]])
        if len(real_classes) < 2:
            return f"the target {name!r} has a single class in the real training rows"
        if len(real_classes) > MAX_CLASSES:
            return (f"the target {name!r} has {len(real_classes)} classes (more than {MAX_CLASSES}); pick "
                    f"another target with --target / target=")
    else:
        test = _target(column, split["test_role"])[split["test"]]
        if np.all(test == test[0]):
            return f"the target {name!r} is constant on the test rows, so R^2 is undefined"
    return None
