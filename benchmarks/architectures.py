"""Benchmark: every image architecture on Fashion-MNIST 32x32, class-conditional, at the same wall-clock budget.

    # on this machine: the data files the GPU machine cannot fetch
    .venv/bin/python benchmarks/architectures.py prepare --out .bench
    # GPU machine with one GPU per architecture (device tool, nvidia-h200-x4; duelo installed there): all
    # trained at once, then 10,000 samples each (the evaluation seeds and labels of `duelo eval`) and the
    # domain-space metrics -> $OUT/architectures-train.json
    python benchmarks/architectures.py train --data .bench --runs /tmp/arch/runs --minutes 7 --out $OUT
    # GPU machine: FID-10k, KID and precision/recall (Inception) against the 10,000 test images
    # -> $OUT/architectures-eval.json
    python benchmarks/architectures.py evaluate --data .bench --samples DIR --out $OUT
    # on this machine: the table for docs/benchmarks.md
    .venv/bin/python benchmarks/architectures.py table --train T.json --eval E.json

Each architecture trains with its preset (dcgan: the defaults; resnet: sngan; stylegan2: stylegan2; progan:
progan), batch 64, the health monitor on, the same time budget (`--minutes`, train.max_minutes: training time
including snapshots, health checks and the periodic fd_domain evaluations every 250 kimg). Trained on the
60,000 training images; evaluated against the 10,000 test images, which no run saw. Both JSON files carry the
provenance block of duelo.io.provenance (git commit, command, device, versions).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from duelo.io.provenance import write_result

ARCHS = {                                   # name -> arguments of `duelo train` beyond COMMON
    "dcgan":     ["--model", "dcgan"],
    "resnet":    ["--preset", "sngan"],
    "stylegan2": ["--preset", "stylegan2"],
    "progan":    ["--preset", "progan"],
}
COMMON = ["--dataset", "fashion-mnist", "--conditional", "--resolution", "32", "--batch", "64", "--kimg", "100000",
          "--snapshot-kimg", "500", "--eval-every", "250", "--set", "health.every_kimg=250"]
TRAIN_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def prepare(out: Path) -> None:
    from duelo.data import load_dataset
    from duelo.data.sources.fashion_mnist import fashion_mnist_dir
    from duelo.evaluation.domain_classifier import load_or_train_classifier

    for folder, files in (("fmnist-train", TRAIN_FILES), ("fmnist-test", TEST_FILES)):
        (out / folder).mkdir(parents=True, exist_ok=True)
        for name in files:
            shutil.copyfile(fashion_mnist_dir() / name, out / folder / name)
    # the domain judge, trained here (deterministic on the CPU) and carried, so no run spends its budget on it
    real = load_dataset("fashion-mnist", resolution=32)
    judge = load_or_train_classifier(real.images, real.labels, 10, real.fingerprint(), log=print)
    cache = out / "judge-cache" / "classifiers"
    cache.mkdir(parents=True, exist_ok=True)
    for path in judge.cache_path.parent.glob(judge.cache_path.stem + ".*"):
        if path.suffix != ".lock":
            shutil.copyfile(path, cache / path.name)
    print(f"copied Fashion-MNIST to {out}/fmnist-train and {out}/fmnist-test, the judge to {cache}")


def _duelo(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "duelo", *args], env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT)


def train(data: Path, runs: Path, minutes: float, out: Path, archs: list[str], deadline_s: float) -> None:
    import torch

    from duelo.data import load_dataset
    from duelo.evaluation.domain_classifier import load_or_train_classifier

    started = time.perf_counter()
    os.environ["DUELO_FASHION_MNIST_DIR"] = str(data / "fmnist-train")
    if (data / "judge-cache").is_dir():
        os.environ["DUELO_CACHE_DIR"] = str(data / "judge-cache")
    runs.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    real = load_dataset("fashion-mnist", resolution=32)
    # the judge (domain features, class accuracy) once, before the clocks start: every run reads the cache
    load_or_train_classifier(real.images, real.labels, 10, real.fingerprint(), log=print)
    gpus = torch.cuda.device_count()
    print(f"judge ready after {time.perf_counter() - started:.0f} s; {gpus} GPU(s) for {len(archs)} runs", flush=True)
    waves = [archs] if gpus >= len(archs) else [[a] for a in archs]
    for wave in waves:
        wave_started = time.perf_counter()
        procs = {}
        for index, arch in enumerate(wave):
            env = {**os.environ, "CUDA_VISIBLE_DEVICES": str(index), "OMP_NUM_THREADS": "4", "PYTHONUNBUFFERED": "1"}
            args = ["train", *COMMON, *ARCHS[arch], "--minutes", str(minutes), "--out", str(runs), "--name", arch]
            procs[arch] = _duelo(args, env, runs / f"{arch}.log")
        for arch, proc in procs.items():
            try:
                proc.wait(timeout=max(1.0, deadline_s - (time.perf_counter() - wave_started)))
            except subprocess.TimeoutExpired:
                proc.kill()
                print(f"{arch}: killed at the deadline", flush=True)
            print(f"{arch}: exit {proc.returncode} at {time.perf_counter() - started:.0f} s", flush=True)
    results = {}
    for arch in archs:
        try:
            results[arch] = collect(runs / arch, real, out / f"{arch}-samples.npz")
        except Exception as error:                      # one broken run must not lose the others' numbers
            results[arch] = {"error": f"{type(error).__name__}: {error}"}
        print(f"{arch}: collected at {time.perf_counter() - started:.0f} s", flush=True)
    results["_meta"] = {"device": torch.cuda.get_device_name(0) if gpus else "cpu", "gpus": gpus, "minutes": minutes,
                        "torch": torch.__version__, "date": time.strftime("%Y-%m-%d"), "common": COMMON,
                        "archs": {a: ARCHS[a] for a in archs}}
    write_result(out / "architectures-train.json", results)
    print(json.dumps({a: {k: v for k, v in r.items() if not isinstance(v, (list, dict))}
                      for a, r in results.items() if a != "_meta"}, indent=1))


def collect(run: Path, real, samples_path: Path) -> dict:
    """What one run reached: its summary, throughput, evaluations over time, health events, and 10,000
    samples with the evaluation seeds and labels of `duelo eval` (saved for the Inception metrics)."""
    import torch

    from duelo.evaluation.distribution import evaluation_labels, generated_images
    from duelo.evaluation.metrics import EvalContext, evaluate
    from duelo.io.pretrained import load_pretrained

    if not (run / "summary.json").exists():
        log = (run.parent / f"{run.name}.log")
        return {"error": log.read_text()[-3000:] if log.exists() else "no log"}
    summary = json.loads((run / "summary.json").read_text())
    from duelo.health.doctor import read_jsonl

    metrics, history, health = (read_jsonl(run / name) for name in ("metrics.jsonl", "eval.jsonl", "health.jsonl"))
    device = "cuda" if torch.cuda.is_available() else "cpu"
    G = load_pretrained(run / "model", map_location=device)
    context = EvalContext(G=G, images=real.images, labels=real.labels, fingerprint=real.fingerprint(),
                          num_samples=10_000, device=device, per_class=1000)
    figures = evaluate(context, ["fd_domain", "prdc_domain", "class_accuracy"])
    images, labels = generated_images(context), evaluation_labels(context, 10_000)   # what fd_domain judged
    np.savez_compressed(samples_path, images=images.cpu().numpy(), labels=labels.numpy())
    level = getattr(getattr(G, "lod", None), "level", None)
    return {
        "kimg": summary["kimg"], "train_time_s": summary["train_time_s"], "img_per_s_overall": summary["img_per_s"],
        "img_per_s_median": statistics.median(m["img_per_s"] for m in metrics[1:]) if len(metrics) > 1 else None,
        "stopped_by": summary.get("stopped_by"), "device": summary.get("device"),
        "g_params": sum(p.numel() for p in G.parameters()),
        "level": None if level is None else float(level),
        **{k: v for k, v in figures.items() if not isinstance(v, list)},
        "fd_domain_history": [(h["kimg"], h.get("fd_domain")) for h in history],
        "events": [(h["kimg"], h["event"], h.get("state")) for h in health if h["kind"] == "event"],
        "final_losses": {k: v for k, v in metrics[-1].items() if k.startswith(("loss", "D_"))} if metrics else {},
    }


def evaluate_inception(data: Path, samples: Path, out: Path, limit: int) -> None:
    import torch

    from duelo.data import load_dataset
    from duelo.evaluation.metrics import EvalContext, evaluate

    os.environ["DUELO_FASHION_MNIST_DIR"] = str(data / "fmnist-test")
    test = load_dataset("fashion-mnist", split="test", resolution=32)
    results = {}
    for path in sorted(samples.glob("*-samples.npz")):
        arch = path.name.split("-samples")[0]
        started = time.perf_counter()
        loaded = np.load(path)
        context = EvalContext(G=None, images=test.images[:limit], labels=test.labels[:limit],
                              fingerprint=test.fingerprint(), num_samples=limit, max_real=limit,
                              device="cuda" if torch.cuda.is_available() else "cpu")
        context.cache["generated"] = torch.from_numpy(loaded["images"][:limit])
        results[arch] = {**evaluate(context, ["fid", "kid", "prdc"]),
                         "seconds": round(time.perf_counter() - started, 1)}
        print(arch, results[arch], flush=True)
    results["_meta"] = {"device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
                        "date": time.strftime("%Y-%m-%d"), "samples": limit,
                        "reference": "Fashion-MNIST test, 10,000 images padded to 32x32"}
    out.mkdir(parents=True, exist_ok=True)
    write_result(out / "architectures-eval.json", results)


def table(train_path: Path, eval_path: Path) -> None:
    trained, judged = json.loads(train_path.read_text()), json.loads(eval_path.read_text())
    print("| architecture | G params | kimg in budget | img/s (median) | FID-10k | KID | precision | recall | "
          "class acc. | fd_domain | fd_domain over the last third |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for arch in ARCHS:
        t, e = trained.get(arch, {}), judged.get(arch, {})
        if "kimg" not in t:
            print(f"| {arch} | failed: {t.get('error', 'missing')[-200:]!r} |")
            continue
        history = [v for _, v in t["fd_domain_history"] if v is not None]
        third = history[-max(2, len(history) // 3):]
        trend = f"{third[0]:.1f} → {third[-1]:.1f}" if len(third) >= 2 else "n/a"
        print(f"| {arch} | {t['g_params'] / 1e6:.1f} M | {t['kimg']:.0f} | {t['img_per_s_median']:,.0f} | "
              f"{e.get('fid', float('nan')):.1f} | {e.get('kid', float('nan')):.4f} | {e.get('precision', 0):.3f} | "
              f"{e.get('recall', 0):.3f} | {t.get('class_accuracy', 0):.3f} | {t.get('fd_domain', 0):.1f} | {trend} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=("prepare", "train", "evaluate", "table"))
    parser.add_argument("--out", type=Path, default=Path(".bench"))
    parser.add_argument("--data", type=Path, default=Path(".bench"))
    parser.add_argument("--runs", type=Path, default=Path("/tmp/arch-runs"))
    parser.add_argument("--samples", type=Path, default=None)
    parser.add_argument("--minutes", type=float, default=7.5)
    parser.add_argument("--deadline-s", type=float, default=540.0,
                        help="train: kill runs of a wave still going this long after the wave started")
    parser.add_argument("--archs", default=",".join(ARCHS))
    parser.add_argument("--limit", type=int, default=10_000, help="evaluate: samples and test images used")
    parser.add_argument("--train", type=Path, default=None)
    parser.add_argument("--eval", type=Path, default=None)
    args = parser.parse_args()
    if args.step == "prepare":
        prepare(args.out)
    elif args.step == "train":
        train(args.data, args.runs, args.minutes, args.out, [a for a in args.archs.split(",") if a], args.deadline_s)
    elif args.step == "evaluate":
        evaluate_inception(args.data, args.samples or args.out, args.out, args.limit)
    else:
        table(args.train, args.eval)


if __name__ == "__main__":
    main()
