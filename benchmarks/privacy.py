"""Benchmark: the utility-privacy curve of a class-conditional image GAN on MNIST-5k (issue 22), on this CPU.

    python benchmarks/privacy.py --kimg 30 --epsilons 1,3,10,inf --out benchmarks/results/privacy-mnist-DATE.json

For each epsilon, `duelo train --preset demo --dp-epsilon E --kimg K` (DP-SGD on D: group norm, no augmentation,
clip 1, delta 1e-5, 10 % of MNIST-5k kept out as the evaluation split); "inf" is the same recipe without DP
(group norm, no augmentation; its health monitor holds out records, which its audit uses as non-members). Every
run is then scored the same way against the same images: `duelo eval --metrics class_accuracy,fd_domain --dataset`
the evaluation split (a judge and features trained on those 500 images only), and audited with `duelo audit`
(distance-to-closest and discriminator attacks, AUC and empirical epsilon).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from duelo.io.provenance import write_result


def evaluation_split(work: Path) -> Path:
    """The images a private run keeps out (the same split: duelo.tasks.image_gan.private)."""
    from duelo.data.loading import load_dataset
    from duelo.tasks.image_gan.private import EVAL_SEED

    data = load_dataset("mnist-5k", resolution=32)
    _, held = data.split(0.1, EVAL_SEED)
    path = work / "evaluation.npz"
    np.savez(path, images=held.images.numpy(), labels=held.labels.numpy(), class_names=np.array(held.class_names))
    return path


def _duelo(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "duelo", *args], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"duelo {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--kimg", type=float, default=30.0)
    parser.add_argument("--epsilons", default="1,3,10,inf")
    parser.add_argument("--work", default=None)
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="duelo-privacy-"))
    work.mkdir(parents=True, exist_ok=True)
    evaluation = evaluation_split(work)
    rows = []
    for text in args.epsilons.split(","):
        name = f"eps-{text}"
        train = ["train", "--preset", "demo", "--kimg", str(args.kimg), "--out", str(work), "--name", name,
                 "--augment", "none", "--set", "model.d_kwargs={\"norm\": \"group\"}"]
        if text != "inf":
            train += ["--dp-epsilon", text]
        started = time.perf_counter()
        _duelo(*train)
        seconds = time.perf_counter() - started
        scores = work / f"{name}-eval.json"
        _duelo("eval", str(work / name), "--metrics", "class_accuracy,fd_domain", "--dataset", str(evaluation),
               "--num-samples", "2000", "--out", str(scores), "--force")
        audited = work / f"{name}-audit.json"
        _duelo("audit", str(work / name), "--samples", "5000", "--out", str(audited))
        summary = json.loads((work / name / "summary.json").read_text())
        row = {"epsilon": text, "train_command": "duelo " + " ".join(train), "train_wall_s": round(seconds, 1),
               "kimg": summary.get("kimg"), "privacy": summary.get("privacy"),
               "scores": {k: json.loads(scores.read_text()).get(k)
                          for k in ("class_accuracy", "fd_domain", "classifier_real_accuracy")},
               "audit": json.loads(audited.read_text())["attacks"]}
        rows.append(row)
        print(json.dumps({k: row[k] for k in ("epsilon", "scores")}), flush=True)
    write_result(args.out, {"benchmark": "privacy", "dataset": "mnist-5k", "kimg": args.kimg, "rows": rows})


if __name__ == "__main__":
    main()
