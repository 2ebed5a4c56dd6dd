"""Benchmark: training on 500 MNIST images (50 per class) with and without augmentation, at the same budget.

    # on this machine: write the data files the GPU machine cannot fetch
    .venv/bin/python benchmarks/small_data.py prepare --out .bench
    # on the GPU (device tool; duelo installed there): train every variant, then evaluate them
    python benchmarks/small_data.py train --data .bench --runs /tmp/sd --kimg 200
    python benchmarks/small_data.py evaluate --data .bench --runs /tmp/sd --report $OUT/small_data.json

Variants: augment.name none / diffaugment / ada on the 500 images, plus ADA on all 60,000 MNIST training
images as the control (its p should stay near 0). The class-conditional DCGAN of the demo preset (width 32,
batch 64), health monitor on (it holds 25 of the 500 images out for its overfitting signal, the same in every
variant). Evaluation against the 10,000 MNIST test images, which no variant trained on: FID-10k (Inception,
28x28 padded to 32 as in training), class accuracy by a judge trained on the test images, and the monitor's
events and last signals from each run's health.jsonl. The report is JSON with the provenance block of
duelo.io.provenance (git commit, command, device, versions).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from duelo.io.provenance import write_result

VARIANTS = {                                  # name -> (training data file, augment.name)
    "500-none":        ("mnist500.npz", "none"),
    "500-diffaugment": ("mnist500.npz", "diffaugment"),
    "500-ada":         ("mnist500.npz", "ada"),
    "60k-ada":         ("mnist60k.npz", "ada"),
}


def prepare(out: Path) -> None:
    from duelo.data import load_dataset

    out.mkdir(parents=True, exist_ok=True)
    train = load_dataset("mnist", resolution=28)
    images, labels = train.images[:, 0].numpy(), train.labels.numpy()
    first = np.concatenate([np.flatnonzero(labels == c)[:50] for c in range(10)])   # first 50 of each class
    np.savez_compressed(out / "mnist500.npz", images=images[first], labels=labels[first])
    np.savez_compressed(out / "mnist60k.npz", images=images, labels=labels)
    test = load_dataset("mnist", split="test", resolution=28)
    np.savez_compressed(out / "mnist-test.npz", images=test.images[:, 0].numpy(), labels=test.labels.numpy())
    print(f"wrote {len(first)} + {len(images)} training and {len(test)} test images to {out}")


def duelo(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "duelo", *args], capture_output=True, text=True)


def train(data: Path, runs: Path, kimg: float, variants: list[str]) -> None:
    for name in variants:
        file, augment = VARIANTS[name]
        started = time.perf_counter()
        done = duelo("train", "--preset", "demo", "--dataset", str(data / file), "--kimg", str(kimg),
                     "--out", str(runs), "--name", name, "--snapshot-kimg", str(kimg / 10),
                     "--set", f"augment.name={augment}")
        print(f"{name}: exit {done.returncode} in {time.perf_counter() - started:.0f} s", flush=True)
        print("\n".join(line for line in done.stderr.splitlines() if "health" in line or "data:" in line
                        or "error" in line or "done" in line)[-3000:], flush=True)


def _health(run: Path) -> dict:
    records = [json.loads(line) for line in (run / "health.jsonl").read_text().splitlines() if line.strip()]
    signals = [r for r in records if r["kind"] == "signals"]
    events = [{"kimg": r["kimg"], "event": r["event"], "applied": r["applied"], "message": r["message"]}
              for r in records if r["kind"] == "event"]
    keep = ("augment_p", "ada_rt", "rt_train", "overfit_rv", "d_accuracy", "diversity_ratio", "class_accuracy")
    trace = [{"kimg": r["kimg"], **{k: r["signals"].get(k) for k in keep}} for r in signals]
    return {"events": events, "signals": trace}


def evaluate(data: Path, runs: Path, report: Path, variants: list[str], device: str) -> None:
    results = {}
    for name in variants:
        run = runs / name
        if not (run / "model").exists():
            results[name] = {"error": "no model"}
            continue
        out = run / "eval-test.json"
        done = duelo("eval", str(run), "--dataset", str(data / "mnist-test.npz"), "--metrics",
                     "fid,class_accuracy,fd_domain", "--num-samples", "10000", "--device", device,
                     "--out", str(out))
        if done.returncode != 0:
            results[name] = {"error": done.stderr[-1500:]}
            continue
        figures = json.loads(out.read_text())
        summary = json.loads((run / "summary.json").read_text())
        results[name] = {"fid_10k": figures.get("fid"), "class_accuracy": figures.get("class_accuracy"),
                         "fd_domain": figures.get("fd_domain"), "train_time_s": summary.get("train_time_s"),
                         "img_per_s": summary.get("img_per_s"), "device": summary.get("device"),
                         **_health(run)}
        print(name, {k: results[name][k] for k in ("fid_10k", "class_accuracy", "train_time_s")}, flush=True)
    write_result(report, results)
    print(f"wrote {report}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=("prepare", "train", "evaluate"))
    parser.add_argument("--out", type=Path, default=Path(".bench"), help="prepare: where to write the data")
    parser.add_argument("--data", type=Path, default=Path(".bench"))
    parser.add_argument("--runs", type=Path, default=Path("/tmp/small-data-runs"))
    parser.add_argument("--kimg", type=float, default=200.0)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--report", type=Path, default=Path("small_data.json"))
    parser.add_argument("--device", default="cuda")
    args = parser.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    if args.step == "prepare":
        prepare(args.out)
    elif args.step == "train":
        train(args.data, args.runs, args.kimg, variants)
    else:
        evaluate(args.data, args.runs, args.report, variants, args.device)


if __name__ == "__main__":
    main()
