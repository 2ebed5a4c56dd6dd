"""Benchmark: the utility-privacy curve of the tabular GAN on UCI Adult (issue 22), on this CPU.

    python benchmarks/privacy_adult.py --epochs 20 --epsilons 1,3,10,inf --out benchmarks/results/privacy-adult-D.json

Needs .bench/adult (benchmarks/tabular.py prepare). The schema is written here as public knowledge: the levels
are the attribute values that UCI's adult.names documents (they equal the training table's), the ranges round
public bounds rather than the observed extremes (age 0-100, fnlwgt 0-1,500,000, education-num 1-16, capital
gain 0-100,000, loss 0-5,000, hours 0-100), spikes at 0 (capital gain, loss) and 40 hours.

For each epsilon: `duelo tabular fit` (private: --dp-epsilon E --dp-schema; "inf": the same epochs without DP, the
usual CTGAN-class recipe), as many rows sampled as the table has, then scored the same way for every row of the
curve: `duelo.tasks.tabular.report.quality_report` against Adult's test table (ML efficacy: TSTR / TRTR macro F1
of income; column shapes; pair trends), and `duelo audit --members --nonmembers` (distance-to-closest attack) with
the rows a private fit trained on (its 10 % evaluation split left out) as members and Adult's test rows as
non-members.
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

ADULT = Path(".bench/adult")
BOUNDS = {"age": [0, 100], "fnlwgt": [0, 1_500_000], "education-num": [1, 16], "capital-gain": [0, 100_000],
          "capital-loss": [0, 5000], "hours-per-week": [0, 100]}
SPIKES = {"capital-gain": [0], "capital-loss": [0], "hours-per-week": [40]}


def schema(train: pd.DataFrame) -> dict:
    columns = []
    for name in train.columns:
        entry = {"name": name, "kind": "integer", "bounds": BOUNDS[name], "spikes": SPIKES.get(name, [])} \
            if name in BOUNDS else {"name": name, "kind": "categorical",
                                    "levels": sorted(train[name].dropna().unique().tolist())}
        if train[name].isna().any():
            entry["missing"] = True
        columns.append(entry)
    return {"columns": columns}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--epsilons", default="1,3,10,inf")
    parser.add_argument("--work", default=None)
    args = parser.parse_args()
    from duelo.tasks.tabular.private import EVAL_SEED
    from duelo.tasks.tabular.report import quality_report

    if not (ADULT / "train.csv").is_file():
        raise SystemExit(f"{ADULT}/train.csv is missing: run `python benchmarks/tabular.py prepare --out {ADULT}`")
    train, test = pd.read_csv(ADULT / "train.csv"), pd.read_csv(ADULT / "test.csv")
    work = Path(args.work or tempfile.mkdtemp(prefix="privacy-adult-"))
    work.mkdir(parents=True, exist_ok=True)
    (work / "schema.json").write_text(json.dumps(schema(train), indent=1))
    held = np.random.default_rng(EVAL_SEED).random(len(train)) < 0.1              # the private fit's split
    train[~held].to_csv(work / "members.csv", index=False)
    rows = []
    for text in args.epsilons.split(","):
        eps = float(text)
        run = work / f"eps-{text}"
        fit = [sys.executable, "-m", "duelo", "tabular", "fit", str(ADULT / "train.csv"), "--out", str(run),
               "--epochs", str(args.epochs), "--force"]
        if eps != float("inf"):
            fit += ["--dp-epsilon", text, "--dp-schema", str(work / "schema.json")]
        started = time.perf_counter()
        subprocess.run(fit, check=True)
        seconds = time.perf_counter() - started
        synthetic_path = work / f"synthetic-{text}.csv"
        subprocess.run([sys.executable, "-m", "duelo", "tabular", "sample", str(run), "-n", str(len(train)), "-o",
                        str(synthetic_path), "--seed", "0"], check=True)
        synthetic = pd.read_csv(synthetic_path)
        report = quality_report(train, synthetic, holdout=test, target="income", random_state=0)
        audited = work / f"audit-{text}.json"
        subprocess.run([sys.executable, "-m", "duelo", "audit", str(run), "--members", str(work / "members.csv"),
                        "--nonmembers", str(ADULT / "test.csv"), "--out", str(audited)], check=True)
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
    write_result(args.out, {"benchmark": "privacy-adult", "epochs": args.epochs, "schema": schema(train),
                            "rows": rows})


if __name__ == "__main__":
    main()
