"""Benchmark: audio (issue 20). Several `duelo train --task audio` runs at once, each for the same minutes, then
each run's summary scores (generated clips read by the dataset's classifier, beside held-out real clips: the
accuracy of that classifier on real notes, the Fréchet-distance floor of training vs held-out clips) and speed.

A run is NAME=DATASET:MODEL[:conditional][|its own `duelo train` options]; the default set is the issue's
goals: conditional notes (pitch
accuracy >= 0.9, instrument accuracy within 10 points of the real clips') and drums (Fréchet distance within 2x
the real-vs-real floor), each by WaveGAN and SpecGAN.

    python benchmarks/audio.py --minutes 6 --device cuda --runs /tmp/audio --out RESULT.json [--extra ...]

A run trained with `--set audio.score_kimg=K` also gets its scores every K kimg (the run's eval.jsonl) as the
row's "trajectory": how far its figures move between snapshots, beside where it stopped.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from duelo.io.provenance import write_result

RUNS = ("notes-wavegan=notes:wavegan:conditional", "notes-specgan=notes:specgan:conditional",
        "drums-wavegan=drums:wavegan", "drums-specgan=drums:specgan")


def command(name: str, spec: str, args) -> list[str]:
    spec, _, own = spec.partition("|")
    dataset, model, *conditional = spec.split(":")
    return [sys.executable, "-m", "duelo", "train", "--task", "audio", "--dataset", dataset, "--model", model,
            "--conditional" if conditional else "--unconditional", "--kimg", str(args.kimg), "--minutes",
            str(args.minutes), "--device", args.device, "--out", str(args.runs), "--name", name, "--set",
            f"run.snapshot_kimg={args.snapshot_kimg:g}", *args.extra, *own.split()]


def goals(row: dict) -> dict:
    s = row.get("scores") or {}
    out = {}
    if "pitch_accuracy" in s:
        out["pitch_accuracy_at_least_0.9"] = s["pitch_accuracy"] >= 0.9
    if "instrument_accuracy" in s:
        out["instrument_within_10_points"] = s["instrument_accuracy"] >= s["instrument_accuracy_real"] - 0.10
    if "fd" in s and row["name"].startswith("drums"):
        out["fd_ratio_to_floor"] = round(s["fd"] / max(s["fd_real"], 1e-9), 2)
        out["fd_within_2x_floor"] = out["fd_ratio_to_floor"] <= 2.0
    return out


def d_scores(metrics: Path, points: int = 40) -> list[dict]:
    """D's mean score on real and on generated clips through the run (metrics.jsonl), at most `points` entries
    spread evenly (the last kept): a D that runs away (both far past the hinge's margin of 1) shows here first."""
    if not metrics.is_file():
        return []
    logged = [json.loads(line) for line in metrics.read_text().splitlines() if line.strip()]
    logged = [entry for entry in logged if "D_real" in entry and "D_fake" in entry]
    step = max(1, -(-len(logged) // points))
    kept = logged[::-1][::step][::-1]
    return [{"kimg": entry["kimg"], "D_real": entry["D_real"], "D_fake": entry["D_fake"]} for entry in kept]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--runs-set", nargs="+", default=list(RUNS),
                        metavar="NAME=DATASET:MODEL[:conditional][|OPTIONS]")
    parser.add_argument("--kimg", type=float, default=100000.0, help="a cap; --minutes usually ends the runs")
    parser.add_argument("--minutes", type=float, default=6.0)
    parser.add_argument("--snapshot-kimg", type=float, default=100.0)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--runs", default="/tmp/audio-runs")
    parser.add_argument("--other-gpu-work", help="what else shared the GPU in the same call (recorded as "
                        "other_gpu_work; the steps table marks such runs)")
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="more `duelo train` options (all runs)")
    args = parser.parse_args()
    jobs = []
    for item in args.runs_set:
        name, spec = item.split("=", 1)
        cmd = command(name, spec, args)
        log = open(Path(args.runs).with_name(Path(args.runs).name + f"-{name}.log"), "w")
        jobs.append((name, cmd, subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), log))
    rows = []
    for name, cmd, process, log in jobs:
        returncode = process.wait()
        log.close()
        row = {"name": name, "command": " ".join(["duelo", *cmd[3:]]), "returncode": returncode}
        summary = Path(args.runs) / name / "summary.json"
        if returncode or not summary.is_file():
            row["error"] = Path(log.name).read_text()[-1500:]
        else:
            data = json.loads(summary.read_text())
            row.update({k: data.get(k) for k in ("kimg", "train_time_s", "img_per_s", "step", "scores")})
            row["goals"] = goals(row)
            row["d_scores"] = d_scores(Path(args.runs) / name / "metrics.jsonl")
            scored = Path(args.runs) / name / "eval.jsonl"          # --set audio.score_kimg=K: the trajectory
            if scored.is_file():
                row["trajectory"] = [json.loads(line) for line in scored.read_text().splitlines() if line.strip()]
        rows.append(row)
    result = {"benchmark": "audio", "parallel_runs": len(jobs), "minutes_each": args.minutes, "rows": rows}
    if args.other_gpu_work:
        result["other_gpu_work"] = args.other_gpu_work
    write_result(args.out, result)
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
