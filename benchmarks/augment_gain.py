"""Benchmark: the gain from synthetic data (issue 21, part 4) on MNIST-5k with 20 images per class, on this CPU.

1. A stratified, seeded pick of PER_CLASS real images per class is the small training set; the other images of
   MNIST-5k are the real test set (never seen by the GAN or the classifiers' training).
2. `duelo train --preset demo --dataset small.npz` (the demo's class-conditional set-up; the data-size check
   turns on adaptive augmentation for so few images) for --minutes.
3. `duelo augment-gain` with --synthetic per class and --repeats paired repeats.

    python benchmarks/augment_gain.py --minutes 6 --out benchmarks/results/augment-gain-mnist-DATE.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from duelo.data.loading import load_dataset
from duelo.io.provenance import write_result


def split(per_class: int, seed: int, folder: Path) -> tuple[Path, Path]:
    data = load_dataset("mnist-5k")
    rng = np.random.default_rng(seed)
    labels = data.labels.numpy()
    small = np.concatenate([rng.choice(np.nonzero(labels == c)[0], per_class, replace=False)
                            for c in range(data.num_classes)])
    rest = np.setdiff1d(np.arange(len(labels)), small)
    paths = []
    for name, index in (("small", small), ("test", rest)):
        path = folder / f"{name}.npz"
        np.savez(path, images=data.images.numpy()[index], labels=labels[index], class_names=np.array(data.class_names))
        paths.append(path)
    return paths[0], paths[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--per-class", type=int, default=20)
    parser.add_argument("--synthetic", type=int, default=100, help="synthetic images per class")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--minutes", type=float, default=6.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", default=None, help="folder for the sets and the run (default: a temporary one)")
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="duelo-gain-"))
    work.mkdir(parents=True, exist_ok=True)
    small, test = split(args.per_class, args.seed, work)
    train = [sys.executable, "-m", "duelo", "train", "--preset", "demo", "--dataset", str(small), "--minutes",
             str(args.minutes), "--out", str(work), "--name", "gan", "--seed", str(args.seed)]
    done = subprocess.run(train, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"training failed: {done.stderr[-2000:]}")
    result_file = work / "gain.json"
    gain = [sys.executable, "-m", "duelo", "augment-gain", str(work / "gan"), "--real", str(small), "--test",
            str(test), "--per-class", str(args.synthetic), "--repeats", str(args.repeats), "--seed",
            str(args.seed), "--out", str(result_file)]
    done = subprocess.run(gain, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"augment-gain failed: {done.stderr[-2000:]}")
    summary = json.loads((work / "gan" / "summary.json").read_text())
    result = {"benchmark": "augment-gain", "dataset": "mnist-5k",
              "gan": {"command": " ".join(["duelo", *train[3:]]), "kimg": summary.get("kimg"),
                      "train_time_s": summary.get("train_time_s"), "class_accuracy": summary.get("class_accuracy")},
              "gain_command": " ".join(["duelo", *gain[3:]]), **json.loads(result_file.read_text()),
              "real_per_class": args.per_class}                        # the gain's own per_class is synthetic
    write_result(args.out, result)
    print(json.dumps({k: result[k] for k in ("real_only", "real_plus_synthetic", "gain", "gain_ci95")}))


if __name__ == "__main__":
    main()
