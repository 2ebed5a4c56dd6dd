"""Benchmark: the gain from synthetic data (issue 21, part 4), on this CPU, one data set per call.

    python benchmarks/augment_gain.py --set mnist-5k --minutes 6 --out benchmarks/results/augment-gain-mnist-DATE.json
    python benchmarks/augment_gain.py --set fashion-mnist --minutes 6 --out ...
    python benchmarks/augment_gain.py --set mnist-5k --minutes 6 --train-set model.aux_weight=1 --filter 0.9 \
        --balance --out ...                    (AC-GAN; synthetic images the real-only classifier agrees with)
    python benchmarks/augment_gain.py ... --pretrain     (also: pre-trained on the synthetic images, then the real)
    python benchmarks/augment_gain.py --set mnist-5k --minutes 12 --train-set train.total_kimg=100 \
        --train-set model.aux_weight=1 --train-set stabilise.mode_seeking=0.1 --work W --soft --balance \
        --repeats 5 --out ...                  (synthetic images labelled by the real-only classifier, beside blends)
    python benchmarks/augment_gain.py --set italypowerdemand --minutes 2 --repeats 5 --out ...
    python benchmarks/augment_gain.py --set arrowhead --minutes 10 --repeats 5 --work W --out ...
    python benchmarks/augment_gain.py --set arrowhead --minutes 10 --repeats 5 --work W --reuse-gan --filter 0.8 \
        --balance --out ...                    (the same GAN, another way of using its windows)
    python benchmarks/augment_gain.py --set adult-scarce --minutes 4 --out ...     (needs .bench/adult: tabular.py)

1. A seeded split: the small real training set and a real test set that neither the GAN nor the classifiers
   train on. Images: PER_CLASS real images per class (default 20), the test set a seeded 5,000 of the others.
   Series: PER_CLASS windows per class (default 10), the test set every other window. Tables: UCI Adult's
   training table (adult: as it is; adult-scarce: only a seeded 10 % of its >50K rows, the minority class made
   scarce), tested on Adult's own test table.
2. The GAN on the small set only: images `duelo train --preset demo` (class-conditional), series `duelo train
   --task timeseries --conditional` (batch 16), tables `duelo tabular fit` (100 epochs or --minutes).
3. `duelo augment-gain` (images and windows: --synthetic per class; tables: the >50K class filled up to the size
   of the <=50K class, beside plain oversampling of the real >50K rows).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from duelo.io.provenance import write_result

ADULT = Path(".bench/adult")


def _stratified(labels: np.ndarray, per_class: int, rng) -> np.ndarray:
    return np.concatenate([rng.choice(np.nonzero(labels == c)[0], per_class, replace=False)
                           for c in np.unique(labels)])


def images(name: str, args, work: Path) -> tuple[list[str], list[str]]:
    from duelo.data.loading import load_dataset

    data = load_dataset(name)
    rng = np.random.default_rng(args.seed)
    labels = data.labels.numpy()
    args.per_class = args.per_class or 20
    small = _stratified(labels, args.per_class, rng)
    rest = rng.permutation(np.setdiff1d(np.arange(len(labels)), small))[:5000]      # MNIST-5k is ordered by class
    for part, index in (("small", small), ("test", rest)):
        np.savez(work / f"{part}.npz", images=data.images.numpy()[index], labels=labels[index],
                 class_names=np.array(data.class_names))
    train = ["train", "--preset", "demo", "--dataset", str(work / "small.npz"), "--minutes", str(args.minutes),
             "--out", str(work), "--name", "gan", "--seed", str(args.seed)]
    gain = ["--real", str(work / "small.npz"), "--test", str(work / "test.npz"), "--per-class", str(args.synthetic)]
    return train, gain


def series(name: str, args, work: Path) -> tuple[list[str], list[str]]:
    from duelo.tasks.timeseries.data import load_series

    data = load_series(name, window=None)
    values, labels = data.to_original(data.windows).numpy(), data.labels.numpy()
    rng = np.random.default_rng(args.seed)
    args.per_class = args.per_class or 10
    small = _stratified(labels, args.per_class, rng)
    rest = np.setdiff1d(np.arange(len(labels)), small)
    for part, index in (("small", small), ("test", rest)):
        np.savez(work / f"{part}.npz", windows=values[index], labels=labels[index],
                 class_names=np.array(data.class_names), columns=np.array(data.columns))
    train = ["train", "--task", "timeseries", "--dataset", str(work / "small.npz"), "--window", str(values.shape[1]),
             "--conditional", "--batch", "16",
             "--minutes", str(args.minutes), "--out", str(work), "--name", "gan", "--seed", str(args.seed)]
    gain = ["--real", str(work / "small.npz"), "--test", str(work / "test.npz"), "--per-class", str(args.synthetic)]
    return train, gain


def tables(name: str, args, work: Path) -> tuple[list[str], list[str]]:
    import pandas as pd

    if not (ADULT / "train.csv").is_file():
        raise SystemExit(f"{ADULT}/train.csv is missing: run `python benchmarks/tabular.py prepare --out {ADULT}`")
    train_table = pd.read_csv(ADULT / "train.csv")
    if name == "adult-scarce":
        rng = np.random.default_rng(args.seed)
        rich = np.flatnonzero(train_table["income"].to_numpy() == ">50K")
        dropped = rng.choice(rich, len(rich) - len(rich) // 10, replace=False)
        train_table = train_table.drop(index=dropped).reset_index(drop=True)
    train_table.to_csv(work / "small.csv", index=False)
    train = ["tabular", "fit", str(work / "small.csv"), "--out", str(work / "gan"), "--epochs", "100",
             "--seed", str(args.seed)] + (["--minutes", str(args.minutes)] if args.minutes else [])
    gain = ["--real", str(work / "small.csv"), "--test", str(ADULT / "test.csv"), "--target", "income",
            "--class", ">50K"]
    return train, gain


SETS = {"mnist-5k": images, "fashion-mnist": images, "italypowerdemand": series, "gunpoint": series,
        "arrowhead": series, "basicmotions": series,
        "adult": tables, "adult-scarce": tables}


def _run(command: list[str], what: str) -> None:
    done = subprocess.run([sys.executable, "-m", "duelo", *command], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{what} failed: {done.stderr[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--set", dest="name", choices=sorted(SETS), default="mnist-5k")
    parser.add_argument("--per-class", type=int, default=None, help="real items per class (images 20, series 10)")
    parser.add_argument("--synthetic", type=int, default=100, help="synthetic images or windows per class")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--minutes", type=float, default=6.0, help="the GAN's training time (tables: a cap)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-set", action="append", default=[], metavar="KEY=VALUE",
                        help="a --set for the GAN's training (repeatable), e.g. model.aux_weight=1")
    parser.add_argument("--filter", type=float, default=0.0, help="duelo augment-gain --filter (images)")
    parser.add_argument("--balance", action="store_true", help="duelo augment-gain --balance (images)")
    parser.add_argument("--pretrain", action="store_true", help="duelo augment-gain --pretrain (images, series)")
    parser.add_argument("--soft", action="store_true", help="duelo augment-gain --soft (images, series)")
    parser.add_argument("--work", default=None, help="folder for the sets and the run (default: a temporary one)")
    parser.add_argument("--reuse-gan", action="store_true",
                        help="keep the GAN already trained in --work (same set and seed): measure another gain recipe")
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="duelo-gain-"))
    work.mkdir(parents=True, exist_ok=True)
    train, gain = SETS[args.name](args.name, args, work)
    train += [part for item in args.train_set for part in ("--set", item)]
    gain += (["--filter", str(args.filter)] if args.filter else []) + (["--balance"] if args.balance else []) + \
        (["--pretrain"] if args.pretrain else []) + (["--soft"] if args.soft else [])
    if args.reuse_gan and (work / "gan" / "summary.json").is_file():
        print(f"reusing the GAN in {work / 'gan'}", file=sys.stderr)
    else:
        _run(train, "training")
    result_file = work / "gain.json"
    gain = ["augment-gain", str(work / "gan"), *gain, "--repeats", str(args.repeats), "--seed", str(args.seed),
            "--out", str(result_file)]
    _run(gain, "augment-gain")
    summary_file = work / "gan" / "summary.json"
    summary = json.loads(summary_file.read_text()) if summary_file.is_file() else {}
    gained = json.loads(result_file.read_text())
    result = {"benchmark": "augment-gain", "dataset": args.name,
              "gan": {"command": " ".join(["duelo", *train]), "kimg": summary.get("kimg"),
                      "train_time_s": summary.get("train_time_s"), "class_accuracy": summary.get("class_accuracy")},
              "gain_command": " ".join(["duelo", *gain]), **gained, "real_per_class": args.per_class}
    write_result(args.out, result)
    print(json.dumps({k: result[k] for k in ("real_only", "real_plus_synthetic", "gain", "gain_ci95")}))


if __name__ == "__main__":
    main()
