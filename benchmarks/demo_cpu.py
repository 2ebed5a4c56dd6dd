"""Benchmark: the quick-start demo end to end (what `make demo` runs), timed, with its quality figure, then
`duelo eval` of the demo model on the CPU (the fast domain-space metrics on 10,000 samples).

    .venv/bin/python benchmarks/demo_cpu.py --fresh-cache --results benchmarks/results/demo-cpu-DATE.json

Runs `duelo train --preset demo` as a subprocess into a fresh run folder and prints one markdown row:
wall time (process start to exit, domain-classifier training included with --fresh-cache),
training time, images/s and class_accuracy. Then times `duelo eval RUN --metrics EVAL_METRICS --num-samples
10000 --device cpu` (process start to exit; the judge is cached by then, as after any training run). Writes
the figures and the run's summary.json as JSON (--results) with the provenance block of duelo.io.provenance
(git commit, command, device, versions).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from duelo.io.provenance import write_result

EVAL_METRICS = "fd_domain,prdc_domain,class_accuracy"
EVAL_SAMPLES = 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh-cache", action="store_true", help="train the domain classifier from scratch")
    parser.add_argument("--out", default=None, help="parent folder for the run (default: a temp folder)")
    parser.add_argument("--results", default=f"demo-cpu-{time.strftime('%Y-%m-%d')}.json",
                        help="JSON file for the figures, with their provenance (default: %(default)s)")
    parser.add_argument("extra", nargs="*", help="extra `duelo train` arguments")
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="duelo-demo-bench-"))
    env = dict(os.environ)
    if args.fresh_cache:
        env["DUELO_CACHE_DIR"] = tempfile.mkdtemp(prefix="duelo-cache-")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "duelo", "train", "--preset", "demo", "--out", str(out), *args.extra],
                   check=True, env=env)
    wall_s = time.perf_counter() - started
    summary = json.loads((out / "demo" / "summary.json").read_text())
    date = time.strftime("%Y-%m-%d")
    cpu = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    print("\n| date | device | wall s | train s | img/s | class_accuracy | judge on real |")
    print(f"| {date} | {cpu} | {wall_s:.0f} | {summary['train_time_s']:.0f} | {summary['img_per_s']:.0f} "
          f"| {summary.get('class_accuracy')} | {summary.get('classifier_real_accuracy')} |")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "duelo", "eval", str(out / "demo"), "--metrics", EVAL_METRICS,
                    "--num-samples", str(EVAL_SAMPLES), "--device", "cpu", "--out", str(out / "eval.json")],
                   check=True, env=env)
    eval_wall_s = time.perf_counter() - started
    evaluation = json.loads((out / "eval.json").read_text())
    print(f"duelo eval ({EVAL_METRICS}, {EVAL_SAMPLES:,} samples, CPU): {eval_wall_s:.1f} s wall, "
          f"{evaluation['seconds']} s in the metrics")
    path = write_result(args.results, {"date": date, "cpu": cpu, "fresh_cache": args.fresh_cache,
                                       "eval": {"metrics": EVAL_METRICS, "num_samples": EVAL_SAMPLES,
                                                "wall_s": eval_wall_s, "metrics_s": evaluation["seconds"],
                                                "figures": {k: v for k, v in evaluation.items()
                                                            if isinstance(v, (int, float)) and k != "seconds"}},
                                       "extra_args": args.extra, "wall_s": wall_s,
                                       "train_time_s": summary["train_time_s"], "img_per_s": summary["img_per_s"],
                                       "class_accuracy": summary.get("class_accuracy"),
                                       "classifier_real_accuracy": summary.get("classifier_real_accuracy"),
                                       "summary": summary})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
