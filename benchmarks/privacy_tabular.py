"""Benchmark: the utility-privacy curve of the tabular GAN on UCI Adult and on the medical named tables (issue 22),
on this CPU.

    python benchmarks/privacy_tabular.py --set adult --epochs 20 --epsilons 1,3,10,inf --out RESULT.json
    python benchmarks/privacy_tabular.py --set flchain --epochs 200 ... --out RESULT.json
    python benchmarks/privacy_tabular.py --set aids --epochs 300 --batch-size 100 ... --out RESULT.json

adult: .bench/adult (benchmarks/tabular.py prepare), target income, tested on Adult's test table. flchain and aids:
duelo's named tables (duelo.tasks.tabular.sources: fetched from scikit-survival's wheel on first use, split seeded
into 80 % training and 20 % test rows, the same split the 2026-12-05 flchain result used through this script's
former --prepare step), with their public schemas (`duelo tabular schema NAME`).

Adult's schema is written here as public knowledge: levels are UCI's adult.names code lists (equal to the training
table's), ranges round public bounds rather than the observed extremes, spikes where many rows hold one value
(capital gain and loss 0, 40 hours a week).

For each epsilon: `duelo tabular fit` (private: --dp-epsilon E --dp-schema; "inf": the same epochs without DP, the
usual CTGAN-class recipe), as many rows sampled as the table has, then scored the same way for every row of the
curve: `duelo.tasks.tabular.report.quality_report` against the test table (ML efficacy: TSTR / TRTR macro F1 of
the target; column shapes; pair trends), and `duelo audit --members --nonmembers` (distance-to-closest attack) with
the rows a private fit trained on (its 10 % evaluation split left out) as members and the test rows as
non-members. (The Adult result of 2026-12-05 ran this script under its first name, benchmarks/privacy_adult.py.)

Small data, where a GAN without DP can memorise: `--rows N` fits every model on a seeded N-row sample of the
training table, and `--shadows K` adds the shadow-model attack (`duelo audit --reference`, K shadows trained the
run's way) for the epsilons in `--shadow-for` (default inf): its reference rows are N other training rows (neither
members nor non-members), so each shadow trains on N/2 rows, near the target's size.

    python benchmarks/privacy_tabular.py --set adult --rows 1000 --epochs 300 --batch-size 100 \
        --epsilons 3,inf --shadows 4 --out RESULT.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from duelo.io.provenance import write_result

SETS = {
    "adult": {"folder": Path(".bench/adult"), "target": "income",
              "bounds": {"age": [0, 100], "fnlwgt": [0, 1_500_000], "education-num": [1, 16],
                         "capital-gain": [0, 100_000], "capital-loss": [0, 5000], "hours-per-week": [0, 100]},
              "continuous": (), "spikes": {"capital-gain": [0], "capital-loss": [0], "hours-per-week": [40]}},
    "flchain": {"named": "flchain"},
    "aids": {"named": "aids"},
}


def schema(name: str, train: pd.DataFrame) -> dict:
    spec, columns = SETS[name], []
    if "named" in spec:
        from duelo.tasks.tabular.sources import TABLE_SOURCES, public_schema
        return public_schema(TABLE_SOURCES.get(spec["named"]))
    for column in train.columns:
        if column in spec["bounds"]:
            entry = {"name": column, "kind": "continuous" if column in spec["continuous"] else "integer",
                     "bounds": spec["bounds"][column], "spikes": spec["spikes"].get(column, [])}
        else:
            entry = {"name": column, "kind": "categorical", "levels": sorted(train[column].dropna().unique().tolist())}
        if train[column].isna().any():
            entry["missing"] = True
        columns.append(entry)
    return {"columns": columns}


def tables(name: str) -> tuple[Path, Path, str]:
    """(training CSV, test CSV, target) of a set."""
    spec = SETS[name]
    if "named" in spec:
        from duelo.tasks.tabular.sources import TABLE_SOURCES, resolve
        return resolve(spec["named"]), resolve(spec["named"] + ":test"), TABLE_SOURCES.get(spec["named"]).target
    if not (spec["folder"] / "train.csv").is_file():
        raise SystemExit(f"{spec['folder']}/train.csv is missing: run `python benchmarks/tabular.py prepare --out "
                         f"{spec['folder']}`")
    return spec["folder"] / "train.csv", spec["folder"] / "test.csv", spec["target"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", default="adult", choices=sorted(SETS))
    parser.add_argument("--out", required=True)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--epsilons", default="1,3,10,inf")
    parser.add_argument("--batch-size", type=int, default=500, help="a private fit needs far fewer than the rows")
    parser.add_argument("--work", default=None)
    parser.add_argument("--rows", type=int, default=None, help="fit on a seeded sample of this many training rows")
    parser.add_argument("--shadows", type=int, default=0, help="shadow models of the shadow attack (0: none)")
    parser.add_argument("--shadow-for", default="inf", help="epsilons whose runs get the shadow attack")
    args = parser.parse_args()
    from duelo.tasks.tabular.private import EVAL_SEED
    from duelo.tasks.tabular.report import quality_report

    train_path, test_path, target = tables(args.set)
    train, test = pd.read_csv(train_path), pd.read_csv(test_path)
    full_train = train
    work = Path(args.work or tempfile.mkdtemp(prefix=f"privacy-{args.set}-"))
    work.mkdir(parents=True, exist_ok=True)
    reference_path = None
    if args.rows is not None:
        if not 0 < 2 * args.rows <= len(train):
            raise SystemExit(f"--rows {args.rows}: give at most half of the {len(train):,} training rows (the rest "
                             f"hold the shadow attack's reference rows)")
        order = np.random.default_rng(7).permutation(len(train))
        train.iloc[order[args.rows:2 * args.rows]].to_csv(work / "reference.csv", index=False)
        train = train.iloc[order[:args.rows]].reset_index(drop=True)
        train_path, reference_path = work / "train.csv", work / "reference.csv"
        train.to_csv(train_path, index=False)
    if args.shadows and reference_path is None:
        raise SystemExit("--shadows needs --rows (the reference rows are training rows the fits do not use)")
    public = schema(args.set, full_train)                  # levels of the whole table: a sample may lack some
    (work / "schema.json").write_text(json.dumps(public, indent=1))
    held = np.random.default_rng(EVAL_SEED).random(len(train)) < 0.1              # the private fit's split
    train[~held].to_csv(work / "members.csv", index=False)
    rows = []
    for text in args.epsilons.split(","):
        eps = float(text)
        run = work / f"eps-{text}"
        fit = [sys.executable, "-m", "duelo", "tabular", "fit", str(train_path), "--out", str(run),
               "--epochs", str(args.epochs), "--batch-size", str(args.batch_size), "--force"]
        if eps != float("inf"):
            fit += ["--dp-epsilon", text, "--dp-schema", str(work / "schema.json")]
        started = time.perf_counter()
        subprocess.run(fit, check=True)
        seconds = time.perf_counter() - started
        synthetic_path = work / f"synthetic-{text}.csv"
        subprocess.run([sys.executable, "-m", "duelo", "tabular", "sample", str(run), "-n", str(len(train)), "-o",
                        str(synthetic_path), "--seed", "0"], check=True)
        synthetic = pd.read_csv(synthetic_path)
        report = quality_report(train, synthetic, holdout=test, target=target, random_state=0)
        audited = work / f"audit-{text}.json"
        audit_command = [sys.executable, "-m", "duelo", "audit", str(run), "--members", str(work / "members.csv"),
                         "--nonmembers", str(test_path), "--out", str(audited)]
        if args.shadows and text in args.shadow_for.split(","):
            audit_command += ["--reference", str(reference_path), "--shadows", str(args.shadows)]
        subprocess.run(audit_command, check=True)
        audit = json.loads(audited.read_text())
        summary = json.loads((run / "summary.json").read_text())
        row = {"epsilon": text, "fit_s": round(seconds, 1), "privacy": summary.get("privacy"),
               "ml_efficacy": report["scores"]["ml_efficacy"], "column_shapes": report["scores"]["column_shapes"],
               "column_pair_trends": report["scores"]["column_pair_trends"],
               "tstr_macro_f1": (report["ml_efficacy"].get("tstr") or {}).get("macro_f1"),
               "trtr_macro_f1": (report["ml_efficacy"].get("trtr") or {}).get("macro_f1"),
               "attacks": {name: {k: a.get(k) for k in ("auc", "tpr_at_fpr_0.01", "epsilon_lower")}
                           for name, a in audit["attacks"].items()}}
        print(json.dumps(row), flush=True)
        rows.append(row)
    write_result(args.out, {"benchmark": f"privacy-{args.set}", "set": args.set, "target": target,
                            "epochs": args.epochs, "batch_size": args.batch_size, "train_rows": args.rows,
                            "shadows": args.shadows, "shadow_for": args.shadow_for if args.shadows else None,
                            "schema": public,
                            "rows": rows})


if __name__ == "__main__":
    main()
