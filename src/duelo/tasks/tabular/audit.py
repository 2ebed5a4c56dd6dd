"""The membership audit of a table model (`duelo audit RUN --members TRAIN.csv --nonmembers HOLDOUT.csv`): each
record's distance to the closest of `samples` generated rows (the tabular report's distance space: numbers
min-max scaled, categories one-hot at distance 1), members against as many non-members (at most `max_records`
each), scored by duelo.privacy.audit. The audit reads the real tables: it is the data owner's check."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from duelo.errors import ConfigError


def audit_table_model(run: Path, members_path: Path | None, nonmembers_path: Path | None, samples: int,
                      max_records: int, seed: int, log, reference_path: Path | None = None, shadows: int = 4,
                      shadow_kimg: float | None = None) -> dict:
    from duelo.privacy.audit import DEFAULT_DELTA, audit_scores
    from duelo.tabular import TabularGAN
    from duelo.tasks.tabular.columns import CategoricalSpec
    from duelo.tasks.tabular.report.frames import check_same_columns, prepare
    from duelo.tasks.tabular.report.privacy import encode, nearest_distances
    from duelo.tasks.tabular.tables import read_table

    if members_path is None or nonmembers_path is None:
        raise ConfigError(f"{run} is a table model: give the table it was fitted on (--members) and rows of the same "
                          f"kind it never saw (--nonmembers)")
    if members_path.resolve() == nonmembers_path.resolve():
        raise ConfigError(f"--members and --nonmembers are the same file ({members_path}): non-members must be rows "
                          f"the model never saw")
    model = TabularGAN.load(run)                           # a run folder or its model folder
    privacy = _privacy(run)
    delta = privacy.get("delta", DEFAULT_DELTA)
    specs = model.transformer_.column_specs_
    members, others = read_table(members_path), read_table(nonmembers_path)
    check_same_columns(members, others, f"--nonmembers {nonmembers_path}")
    n = min(len(members), len(others), max_records)
    rng = np.random.default_rng(seed)
    members = members.iloc[rng.choice(len(members), n, replace=False)].reset_index(drop=True)
    others = others.iloc[rng.choice(len(others), n, replace=False)].reset_index(drop=True)
    synthetic = model.sample(samples, random_state=seed)[members.columns]
    log(f"audit: {n:,} members and {n:,} non-members, {samples:,} generated rows")
    discrete = [spec.name for spec in specs if isinstance(spec, CategoricalSpec) and spec.name in members.columns]
    prepared = prepare({"real": members, "synthetic": synthetic, "holdout": others}, discrete)
    fake = encode(prepared, "synthetic", np.arange(samples))
    scores = [-nearest_distances(encode(prepared, role, np.arange(n)), fake) for role in ("real", "holdout")]
    result = {"run": str(run), "members": n, "nonmembers": n, "generated": samples, "delta": delta,
              "attacks": {"distance_to_closest": audit_scores(*scores, delta=delta, seed=seed)}}
    if reference_path is not None and shadows > 0:
        from duelo.tasks.tabular.shadow import shadow_attack

        result["attacks"]["shadow_model"] = shadow_attack(run, members, others, read_table(reference_path), synthetic,
                                                          discrete, shadows, shadow_kimg, seed, delta, log)
    return {**result, "privacy": privacy} if privacy else result


def _privacy(run: Path) -> dict:
    """The privacy section of a private fit's summary.json ({} for a model fitted without DP, or a bare model)."""
    import json

    try:
        summary = json.loads((run / "summary.json").read_text())
    except (OSError, ValueError):
        return {}
    privacy = summary.get("privacy") if isinstance(summary, dict) else None
    return privacy if isinstance(privacy, dict) else {}
