"""The shadow-model attack on a table model (`duelo audit RUN --members ... --nonmembers ... --reference REF.csv`;
duelo.privacy.shadow): shadow models trained with the run's own configuration (config.json: the recipe, its
epochs or --shadow-kimg, and its privacy settings) on seeded random halves of the reference rows, their samples
placed in the same distance space as the audit's (the tabular report's), a meta-classifier learned from them, and
the target's members and non-members scored by it. The reference rows must be neither members nor non-members."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from duelo.errors import ConfigError


def shadow_attack(run: Path, members: pd.DataFrame, others: pd.DataFrame, reference: pd.DataFrame,
                  synthetic: pd.DataFrame, discrete: list, shadows: int, kimg: float | None, seed: int,
                  delta: float, log) -> dict:
    from duelo.privacy.audit import audit_scores
    from duelo.privacy.shadow import features, fit_meta, member_scores, neighbour_distances
    from duelo.tabular import TabularGAN
    from duelo.tasks import config_from_dict
    from duelo.tasks.shadow_runs import train_shadow
    from duelo.tasks.tabular.report.frames import check_same_columns, prepare
    from duelo.tasks.tabular.report.privacy import encode

    if not (run / "config.json").is_file():
        raise ConfigError(f"{run}: the shadow-model attack trains shadows the way the run was trained, from its "
                          f"config.json; give the run folder, not a bare model folder")
    check_same_columns(members, reference, "--reference")
    config = config_from_dict(json.loads((run / "config.json").read_text()), str(run / "config.json"))
    samples = len(synthetic)
    rng = np.random.default_rng(seed)
    masks, shadow_rows = [], {}
    with tempfile.TemporaryDirectory(prefix="duelo-shadows-") as work:
        for i in range(shadows):
            mask = rng.random(len(reference)) < 0.5
            path = Path(work) / f"shadow-{i}.csv"
            reference[mask].to_csv(path, index=False)
            trained = trained_part(mask, config)
            log(f"shadow model {i + 1} of {shadows}: {int(trained.sum()):,} of the {len(reference):,} reference "
                f"rows")
            model = TabularGAN.load(train_shadow(config, path, Path(work), i, seed, kimg))
            shadow_rows[f"shadow{i}"] = model.sample(samples, random_state=seed + 1 + i)[members.columns]
            masks.append(trained)
    prepared = prepare({"real": members, "holdout": others, "reference": reference, "synthetic": synthetic,
                        **shadow_rows}, discrete)

    def space(role: str) -> np.ndarray:
        return encode(prepared, role, np.arange(prepared.n_rows[role]))

    ref = space("reference")
    meta = fit_meta([features(neighbour_distances(ref, space(role))) for role in shadow_rows], masks, seed)
    target = space("synthetic")
    scores = [member_scores(meta, features(neighbour_distances(space(role), target))) for role in ("real", "holdout")]
    return {**audit_scores(*scores, delta=delta, seed=seed), "shadows": shadows, "reference_rows": len(reference),
            "shadow_kimg": kimg if kimg is not None else config.train.total_kimg}


def trained_part(mask: np.ndarray, config) -> np.ndarray:
    """Which reference rows a shadow trains on: its half, less, for a private recipe, the evaluation split that the
    fit keeps out of training (duelo.tasks.tabular.private.PrivateTable: the same draw over the same rows), which
    the shadow never sees and so are not its members."""
    if config.privacy.epsilon <= 0:
        return mask
    from duelo.tasks.tabular.private import EVAL_SEED

    chosen = np.nonzero(mask)[0]
    held = np.random.default_rng(EVAL_SEED).random(len(chosen)) < config.privacy.eval_fraction
    trained = mask.copy()
    trained[chosen[held]] = False
    return trained
