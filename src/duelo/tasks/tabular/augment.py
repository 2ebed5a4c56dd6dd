"""The gain from synthetic rows (`duelo augment-gain RUN --real TRAIN.csv --test TEST.csv --target COLUMN`):
does adding a fitted TabularGAN's rows of one class (by default the rarest class of the target in the real
table) to the real table make a classifier of the target better on real test rows?

Three arms, each fitted with the same seed per repeat (duelo.evaluation.augment_gain.compare):
  real_only             the real table;
  real_plus_synthetic   the real table plus ROWS generated rows of the class (`sample(conditions={target: class})`,
                        new rows every repeat);
  real_plus_copies      the real table plus ROWS of its own rows of the class drawn with replacement: plain
                        random oversampling, what the synthetic rows have to beat to be worth making.
The classifier is the tabular report's (scikit-learn HistGradientBoosting, report/efficacy.py); the headline
metric is the F1 score of the augmented class on the test rows (accuracy rewards ignoring a rare class), with
its precision and recall, accuracy, macro F1 and ROC AUC beside it. ROWS defaults to the count that makes the
class as frequent as the most frequent one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from duelo.errors import ConfigError


def _class_rows(real: pd.DataFrame, target: str, label: str | None) -> tuple[str, np.ndarray, int]:
    """(the class as text, the positions of its real rows, the most frequent class's row count)."""
    from duelo.tasks.tabular.columns import canonical_label

    text = real[target].dropna().map(canonical_label)
    counts = text.value_counts()
    if len(counts) < 2:
        raise ConfigError(f"--target {target}: the real table has {len(counts)} class(es); a classifier needs two "
                          f"or more")
    if label is None:
        label = str(counts.index[-1])                      # the rarest class
    label = canonical_label(label.strip())
    if label not in counts.index:
        raise ConfigError(f"--class {label!r}: no real row has {target} = {label!r}; its classes are "
                          f"{', '.join(map(repr, counts.index[:20]))}")
    rows = np.flatnonzero(real[target].map(lambda v: pd.notna(v) and canonical_label(v) == label).to_numpy())
    return label, rows, int(counts.iloc[0])


def augment_tables(model_dir: Path, real_path: Path, test_path: Path, target: str | None, label: str | None,
                   rows: int | None, repeats: int = 3, seed: int = 0, log=None) -> dict[str, Any]:
    """The comparison's result (see compare) plus what was compared."""
    from duelo.evaluation.augment_gain import BASE, SYNTHETIC, compare
    from duelo.tabular import TabularGAN
    from duelo.tasks.tabular.columns import CategoricalSpec
    from duelo.tasks.tabular.report.efficacy import feature_matrix, fit_predict
    from duelo.tasks.tabular.report.frames import check_same_columns, prepare
    from duelo.tasks.tabular.tables import read_table

    model = TabularGAN.load(model_dir)                     # a run folder or its model folder
    specs = model.transformer_.column_specs_
    columns = pd.DataFrame(columns=[spec.name for spec in specs])
    real, test = read_table(real_path), read_table(test_path)
    check_same_columns(columns, real, f"--real {real_path}")
    check_same_columns(columns, test, f"--test {test_path}")
    discrete = [spec.name for spec in specs if isinstance(spec, CategoricalSpec)]
    if not target:
        raise ConfigError(f"{model_dir} is a table model: name the column to predict with --target (one of "
                          f"{', '.join(map(str, discrete))})")
    if target not in discrete:
        raise ConfigError(f"--target {target}: not a categorical column of the model ({', '.join(map(str, discrete))}"
                          f"); the gain is measured for a classifier")
    label, class_rows, most = _class_rows(real, target, label)
    rows = most - len(class_rows) if rows is None else rows
    if rows < 1:
        raise ConfigError(f"{target} = {label!r} is already the most frequent class; give --rows N to add N "
                          f"synthetic rows of it")
    if log:
        log(f"augment-gain: {len(real):,} real rows ({len(class_rows):,} of {target} = {label}), {rows:,} "
            f"synthetic rows of that class added, {len(test):,} test rows")

    def arms(arm_seed: int) -> dict[str, pd.DataFrame]:
        synthetic = model.sample(rows, conditions={target: label}, random_state=arm_seed)
        copies = real.iloc[np.random.default_rng(arm_seed).choice(class_rows, rows, replace=True)]
        return {BASE: real, SYNTHETIC: pd.concat([real, synthetic[real.columns]], ignore_index=True),
                "real_plus_copies": pd.concat([real, copies], ignore_index=True)}

    def score(frame: pd.DataFrame, arm_seed: int) -> dict[str, float]:
        from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

        prepared = prepare({"real": frame, "holdout": test[frame.columns]}, discrete)
        column = prepared.column(target)
        code = column.levels.index(label)
        train_rows = np.flatnonzero(column.values["real"] >= 0)
        test_rows = np.flatnonzero(column.values["holdout"] >= 0)
        categorical = np.array([c.kind == "categorical" for c in prepared.columns if c.name != target])
        x = feature_matrix(prepared, target, "real", train_rows)
        x_test = feature_matrix(prepared, target, "holdout", test_rows)
        y, y_test = column.values["real"][train_rows], column.values["holdout"][test_rows]
        predicted, proba, classes = fit_predict("classification", x, y, x_test, categorical, arm_seed)
        hit, truth = predicted == code, y_test == code
        result = {"f1": float(f1_score(truth, hit, zero_division=0)),
                  "precision": float(precision_score(truth, hit, zero_division=0)),
                  "recall": float(recall_score(truth, hit, zero_division=0)),
                  "accuracy": float(accuracy_score(y_test, predicted)),
                  "macro_f1": float(f1_score(y_test, predicted, average="macro", zero_division=0))}
        if truth.any() and not truth.all() and code in classes:
            result["roc_auc"] = float(roc_auc_score(truth, proba[:, list(classes).index(code)]))
        return result

    result = compare(arms, score, "f1", repeats, seed, log)
    return {"target": target, "class": label, "real_rows": len(real), "real_class_rows": len(class_rows),
            "synthetic_rows": rows, "test_rows": len(test), "classifier": "HistGradientBoostingClassifier",
            **result}
