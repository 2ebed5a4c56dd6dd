"""Benchmark: the text task (issue 19) — the GAN and the maximum-likelihood baseline on the same generator,
trained for the same wall time side by side, then each sampled at several temperatures: the quality-diversity
curve (BLEU-4 against held-out lines, self-BLEU-4 of the samples) with novelty, plausibility, the longest copy
and the held-out NLL, every figure beside its real-vs-real value.

    python benchmarks/text.py --models relgan,mle --dataset names --minutes 4 --device cpu \\
        --runs /tmp/runs-text --out benchmarks/results/text-names-DATE.json

"Language GANs Falling Short" (Caccia et al., ICLR 2020) is the reason for the curve: a model is better only
if it is better at equal diversity, so each model is read over temperature, not at one point.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from parallel_jobs import run_jobs

from duelo.io.provenance import write_result

TEMPERATURES = (0.6, 0.8, 1.0, 1.2, 1.5)
KEPT = ("bleu4", "bleu4_real", "self_bleu4", "self_bleu4_real", "bleu2", "self_bleu2", "novelty", "novelty_real",
        "plausible", "plausible_real", "longest_copy", "longest_copy_real", "nll_per_token", "length",
        "length_real", "class_accuracy", "class_accuracy_real")


def run_model(model: str, args) -> dict:
    command = [sys.executable, "-m", "duelo", "train", "--task", "text", "--model", model, "--dataset",
               args.dataset, "--minutes", str(args.minutes), "--kimg", str(args.kimg), "--device", args.device,
               "--out", str(args.runs), "--name", model, "--set", "run.snapshot_kimg=100000", *args.extra]
    print(f"== {model}: {' '.join(command[2:])}", flush=True)
    started = time.perf_counter()
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    (args.runs / f"{model}.log").write_text(done.stdout + done.stderr)
    row = {"model": model, "command": " ".join(["duelo", *command[3:]]), "returncode": done.returncode,
           "wall_s": round(time.perf_counter() - started, 1)}
    summary_path = args.runs / model / "summary.json"
    if done.returncode != 0 or not summary_path.is_file():
        row["error"] = (done.stderr or done.stdout)[-1500:]
        print(row["error"], flush=True)
        return row
    summary = json.loads(summary_path.read_text())
    row.update({k: summary.get(k) for k in ("kimg", "train_time_s", "img_per_s", "iterations")})
    from duelo.tasks.text.commands import evaluate_text_run

    row["curve"] = []
    for temperature in args.temperatures:
        result, _ = evaluate_text_run(args.runs / model, args.samples, temperature, args.device,
                                      args.runs / f"{model}-eval-{temperature:g}.json", True)
        scores = result["scores"]
        row["curve"].append({"temperature": temperature, **{k: scores[k] for k in KEPT if k in scores}})
        print(f"   {model} T={temperature:g}: bleu4 {scores['bleu4']} self_bleu4 {scores['self_bleu4']} "
              f"novelty {scores['novelty']}", flush=True)
    from duelo.tasks.text.commands import sample_text

    row["samples"] = sample_text(args.runs / model, 24, 0, None, 1.0, None, args.device, False).splitlines()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="relgan,mle")
    parser.add_argument("--dataset", default="names")
    parser.add_argument("--minutes", type=float, default=4.0, help="training time of each model")
    parser.add_argument("--kimg", type=float, default=100000.0, help="a cap the time budget reaches first")
    parser.add_argument("--samples", type=int, default=2000, help="generated lines per temperature")
    parser.add_argument("--temperatures", type=lambda s: [float(t) for t in s.split(",")],
                        default=list(TEMPERATURES))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads of each training process")
    parser.add_argument("--parallel", type=int, default=2, help="models trained at once (same wall time each)")
    parser.add_argument("--runs", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="more `duelo train` options")
    args = parser.parse_args()
    args.runs.mkdir(parents=True, exist_ok=True)
    models = args.models.split(",")
    run_jobs(run_model, [(model, args) for model in models], args.parallel, lambda rows: write_result(
        args.out, {"benchmark": "text", "dataset": args.dataset, "minutes": args.minutes, "parallel": args.parallel,
                   "threads": args.threads, "rows": rows}))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
