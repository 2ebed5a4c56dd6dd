"""Benchmark: the utility-privacy curve of the time-series task (issue 22) on TimeGAN's sines, on this CPU.

    python benchmarks/privacy_series.py --kimg 20 --epsilons 1,3,10,inf --out benchmarks/results/privacy-sines-DATE.json
    python benchmarks/privacy_series.py --windows 600 --kimg 20 --epsilons 3,inf --out ...     (a memorisation check)

For each epsilon, `duelo train --task timeseries --dataset sines --dp-epsilon E --kimg K` (DP-SGD on D: clip 1,
delta 1e-5, no spectral norm, the sines' public range [0, 1], 10 % of the windows kept out as the evaluation
split, whose halves the run's scores compare with); "inf" is the same recipe without DP (spectral norm off too, the
same declared range; its scores use its 20 % held-out split). Every run is then audited with `duelo audit`
(distance-to-closest and discriminator attacks on up to 1,000 members and as many non-members: AUC and empirical
epsilon). --windows N trains on a seeded N of the 10,000 windows (data.max_windows), a set small enough to
memorise. The runs go two at a time, each on one thread.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from duelo.io.provenance import write_result

SCORES = ("discriminative", "discriminative_conv", "predictive_mae", "predictive_mae_real", "context_fid",
          "context_fid_real", "autocorrelation", "marginal")


def one(work: Path, eps: str, args) -> dict:
    run = work / f"eps-{eps}"
    command = [sys.executable, "-m", "duelo", "train", "--task", "timeseries", "--dataset", "sines", "--window", "24",
               "--kimg", str(args.kimg), "--batch", str(args.batch), "--device", "cpu", "--out", str(work),
               "--name", run.name, "--set", "data.value_range=0,1", "--set", "stabilise.spectral_norm=false",
               "--set", f"run.snapshot_kimg={args.kimg}"]
    if args.windows:
        command += ["--set", f"data.max_windows={args.windows}"]
    if eps != "inf":
        command += ["--dp-epsilon", eps]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    audited = work / f"audit-{eps}.json"
    subprocess.run([sys.executable, "-m", "duelo", "audit", str(run), "--samples", "5000", "--max-records", "1000",
                    "--out", str(audited)], check=True, env=env, stdout=subprocess.DEVNULL)
    summary = json.loads((run / "summary.json").read_text())
    audit = json.loads(audited.read_text())
    row = {"epsilon": eps, "kimg": summary.get("kimg", args.kimg), "train_wall_s": round(wall, 1),
           "privacy": summary.get("privacy"), "scores": {k: summary["scores"].get(k) for k in SCORES},
           "real_windows": summary["scores"].get("real_windows"),
           "audit": {name: {k: a.get(k) for k in ("auc", "tpr_at_fpr_0.01", "epsilon_lower")}
                     for name, a in audit["attacks"].items()}, "audited": audit["members"]}
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--kimg", type=float, default=20.0)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--epsilons", default="1,3,10,inf")
    parser.add_argument("--windows", type=int, default=0, help="train on a seeded N of the windows (0: all 10,000)")
    parser.add_argument("--work", default=None)
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="privacy-series-"))
    work.mkdir(parents=True, exist_ok=True)
    epsilons = args.epsilons.split(",")
    with ThreadPoolExecutor(2) as pool:
        rows = list(pool.map(lambda eps: one(work, eps, args), epsilons))
    write_result(args.out, {"benchmark": "privacy-sines", "kimg": args.kimg, "batch": args.batch,
                            "windows": args.windows or 10_000, "rows": rows})


if __name__ == "__main__":
    main()
