"""Benchmark: what a `duelo tune` trial costs when it trains through its rungs in one run (today) against one run
per rung (before commit "duelo tune: a trial is one run scored at every rung"), side by side in one call: the same
`duelo tune` command run from two source trees (each a git worktree of a commit), trials not pruned so that both
train every rung.

    git worktree add --detach /tmp/tune-old <commit before>; git worktree add --detach /tmp/tune-new HEAD
    python benchmarks/tune_rungs.py --trees old=/tmp/tune-old new=/tmp/tune-new --out RESULT.json

Cases: the toy task (fixed costs small: a CPU-friendly floor) and the class-conditional demo recipe on the digits
set (image-gan: a classifier-scored summary per rung). Each case: --trials trials of rungs 2, 4, 8 kimg.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from duelo.io.provenance import write_result

CASES = {
    "toy": ["--task", "toy", "--knobs", "g_lr,d_lr"],
    "digits-demo": ["--preset", "demo", "--dataset", "digits", "--knobs", "g_lr,d_lr"],
}


def run_case(tree: Path, case: str, args) -> dict:
    with tempfile.TemporaryDirectory(prefix="tune-rungs-") as work:
        command = [sys.executable, "-m", "duelo", "tune", *CASES[case], "--rungs", args.rungs, "--trials",
                   str(args.trials), "--study", str(Path(work) / "study.db"), "--set", f"train.device={args.device}"]
        env = {**os.environ, "PYTHONPATH": str(tree / "src")}
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tree)
        seconds = time.perf_counter() - started
    reports = re.findall(r"tune: trial \d+ at ([\d.]+) kimg", done.stderr)
    row = {"case": case, "returncode": done.returncode, "seconds": round(seconds, 1),
           "trials": args.trials, "rung_reports": len(reports),
           "seconds_per_trial": round(seconds / args.trials, 1)}
    if done.returncode:
        row["error"] = (done.stderr or done.stdout)[-800:]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trees", nargs=2, required=True, metavar="LABEL=PATH")
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--rungs", default="2,4,8")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    trees = dict(item.split("=", 1) for item in args.trees)
    rows = []
    for case in args.cases.split(","):
        for label, path in trees.items():          # the two trees back to back, per case
            tree = Path(path).resolve()
            commit = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True,
                                    text=True).stdout.strip()
            row = {"tree": label, "commit": commit, **run_case(tree, case, args)}
            print(row, flush=True)
            rows.append(row)
    write_result(args.out, {"benchmark": "tune-rungs", "rungs": args.rungs, "device": args.device, "rows": rows})


if __name__ == "__main__":
    main()
