"""Benchmark: the text task (issue 19) — the GANs and the maximum-likelihood baseline on the same generator,
trained for the same wall time side by side, then each sampled at several temperatures: the quality-diversity
curve (BLEU-4 against held-out lines, self-BLEU-4 of the samples) with novelty, plausibility, the longest copy,
the held-out NLL and the MiniLM embedding FD (where its weights are installed), every figure beside its
real-vs-real value. A maximum-likelihood run is also read at its lowest held-out NLL (RUN/best: row "mle-best").

    python benchmarks/text.py --models relgan,seqgan,mle --dataset names --minutes 4 --device cpu \\
        --runs /tmp/runs-text --out benchmarks/results/text-names-DATE.json

Two stages, when training runs where the evaluation cannot (the MiniLM weights are 87 MB, more than the GPU
machine takes in one call): `--stage train` trains and writes the rows without curves (and its provenance);
`--stage eval --runs SAME` reads that file, scores the same runs here and writes the whole result, keeping the
training stage's provenance under "train_provenance".

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
        "plausible", "plausible_real", "novel_plausible", "novel_plausible_real", "longest_copy",
        "longest_copy_real", "nll_per_token", "length", "length_real", "class_accuracy", "class_accuracy_real",
        "embedding_fd", "embedding_fd_real")


def train_model(model: str, args) -> dict:
    command = [sys.executable, "-m", "duelo", "train", "--task", "text", "--model", model, "--dataset",
               args.dataset, "--minutes", str(args.minutes), "--kimg", str(args.kimg), "--device", args.device,
               "--out", str(args.runs), "--name", model, "--set", f"run.snapshot_kimg={args.snapshot_kimg:g}",
               *args.extra]
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
    row.update({k: summary.get(k) for k in ("kimg", "train_time_s", "img_per_s", "iterations", "step")})
    return row


def evaluate_model(row: dict, args) -> list[dict]:
    """The row with its curve and samples, and for maximum likelihood a second row for RUN/best."""
    from duelo.tasks.text.commands import evaluate_text_run, sample_text

    if "error" in row:
        return [row]
    rows = []
    folders = [(row["model"], args.runs / row["model"])]
    if (args.runs / row["model"] / "best").is_dir():
        folders.append((f"{row['model']}-best", args.runs / row["model"] / "best"))
    for name, folder in folders:
        out = {**row, "model": name, "curve": []}
        if folder.name == "best":
            out["best_at"] = {k: json.loads((folder / "config.json").read_text()).get(k)
                              for k in ("kimg", "heldout_nll")}
        for temperature in args.temperatures:
            result, _ = evaluate_text_run(folder, args.samples, temperature, args.eval_device,
                                          args.runs / f"{name}-eval-{temperature:g}.json", True)
            scores = result["scores"]
            out["curve"].append({"temperature": temperature, **{k: scores[k] for k in KEPT if k in scores}})
            if "embedding_fd_note" in scores:
                out["embedding_fd_note"] = scores["embedding_fd_note"]
            print(f"   {name} T={temperature:g}: bleu4 {scores['bleu4']} self_bleu4 {scores['self_bleu4']} "
                  f"novelty {scores['novelty']} embedding_fd {scores.get('embedding_fd')}", flush=True)
        out["samples"] = sample_text(folder, 24, 0, None, 1.0, None, args.eval_device, False).splitlines()
        rows.append(out)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="relgan,seqgan,mle")
    parser.add_argument("--stage", choices=("all", "train", "eval"), default="all")
    parser.add_argument("--snapshot-kimg", type=float, default=100000.0,
                        help="snapshot period: maximum likelihood keeps its lowest held-out NLL model at snapshots")
    parser.add_argument("--eval-device", default=None, help="where scoring runs (default: --device)")
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
    args.eval_device = args.eval_device or args.device
    args.runs.mkdir(parents=True, exist_ok=True)
    header = {"benchmark": "text", "dataset": args.dataset, "minutes": args.minutes, "parallel": args.parallel,
              "threads": args.threads}
    if args.stage == "eval":
        trained = json.loads(args.out.read_text())
        rows = [out for row in trained["rows"] for out in evaluate_model(row, args)]
        header = {k: trained[k] for k in header}
        write_result(args.out, {**header, "stage": "train on the recorded device, evaluated here",
                                "train_provenance": trained["provenance"], "rows": rows})
    else:
        stage = "train" if args.stage == "train" else "all"
        run_jobs(train_model, [(model, args) for model in args.models.split(",")], args.parallel,
                 lambda rows: write_result(args.out, {**header, "stage": stage, "rows": rows}))
        if stage == "all":
            trained = json.loads(args.out.read_text())
            rows = [out for row in trained["rows"] for out in evaluate_model(row, args)]
            write_result(args.out, {**header, "stage": stage, "rows": rows})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
