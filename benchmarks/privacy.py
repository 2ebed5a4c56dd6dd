"""Benchmark: the utility-privacy curve of a class-conditional image GAN on MNIST-5k (issue 22), on this CPU.

    python benchmarks/privacy.py --kimg 100 --epsilons 1,3,10,inf --out benchmarks/results/privacy-mnist-DATE.json
    python benchmarks/privacy.py --records 500 --kimg 200 --epsilons 3,inf --out ...      (a memorisation check)

For each epsilon, `duelo train --preset demo --dp-epsilon E --kimg K` (DP-SGD on D: group norm, no augmentation,
clip 1, delta 1e-5, 10 % of MNIST-5k kept out as the evaluation split); "inf" is the same recipe without DP
(group norm, no augmentation; its health monitor holds out records, which its audit uses as non-members). Every
run is then scored the same way against the same images: `duelo eval --metrics class_accuracy,fd_domain --dataset`
the evaluation split (a judge and features trained on those 500 images only), and audited with `duelo audit`
(distance-to-closest and discriminator attacks, AUC and empirical epsilon).

With --records N the runs train on a stratified, seeded N of MNIST-5k's images only (a set small enough for a
GAN to memorise), and 500 other MNIST-5k images are both the scoring set and the audit's non-members
(`duelo audit --nonmembers`) for every run. --shadows K adds the shadow-model attack (`duelo audit --reference`)
for the epsilons in --shadow-for: K shadows trained the run's way, for --shadow-kimg each, on halves of N further
MNIST-5k images that no run trains on or is audited with.
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


def small_set(work: Path, records: int) -> tuple[Path, Path, Path]:
    """N stratified training images, 500 others (the scoring set and the non-members), and N more others (the shadow
    attack's reference: neither members nor non-members)."""
    from duelo.data.loading import load_dataset

    data = load_dataset("mnist-5k", resolution=32)
    labels = data.labels.numpy()
    rng = np.random.default_rng(0)
    small = np.concatenate([rng.choice(np.nonzero(labels == c)[0], records // 10, replace=False) for c in range(10)])
    others = rng.choice(np.setdiff1d(np.arange(len(labels)), small), 500, replace=False)
    reference = rng.choice(np.setdiff1d(np.arange(len(labels)), np.concatenate([small, others])), records,
                           replace=False)
    paths = []
    for name, index in (("small", small), ("others", others), ("reference", reference)):
        path = work / f"{name}.npz"
        np.savez(path, images=data.images.numpy()[index], labels=labels[index], class_names=np.array(data.class_names))
        paths.append(path)
    return paths[0], paths[1], paths[2]


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
    parser.add_argument("--records", type=int, default=0, help="train on this many images only (0: all)")
    parser.add_argument("--work", default=None)
    parser.add_argument("--shadows", type=int, default=0, help="with --records: shadow models of the shadow attack")
    parser.add_argument("--shadow-kimg", type=float, default=None, help="each shadow's length (default: --kimg)")
    parser.add_argument("--shadow-for", default="inf", help="epsilons whose runs get the shadow attack")
    args = parser.parse_args()
    if args.shadows and not args.records:
        raise SystemExit("--shadows needs --records (the reference images are MNIST-5k images no run trains on)")
    work = Path(args.work or tempfile.mkdtemp(prefix="duelo-privacy-"))
    work.mkdir(parents=True, exist_ok=True)
    dataset, audit_extra = "mnist-5k", []
    if args.records:
        small, evaluation, reference = small_set(work, args.records)
        dataset, audit_extra = str(small), ["--nonmembers", str(evaluation)]
    else:
        evaluation = evaluation_split(work)
    rows = []
    for text in args.epsilons.split(","):
        name = f"eps-{text}"
        train = ["train", "--preset", "demo", "--dataset", dataset, "--kimg", str(args.kimg), "--out", str(work),
                 "--name", name,
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
        shadow = []
        if args.shadows and text in args.shadow_for.split(","):
            shadow = ["--reference", str(reference), "--shadows", str(args.shadows),
                      "--shadow-kimg", str(args.shadow_kimg or args.kimg)]
        _duelo("audit", str(work / name), "--samples", "5000", *audit_extra, *shadow, "--out", str(audited))
        summary = json.loads((work / name / "summary.json").read_text())
        row = {"epsilon": text, "train_command": "duelo " + " ".join(train), "train_wall_s": round(seconds, 1),
               "kimg": summary.get("kimg"), "privacy": summary.get("privacy"),
               "scores": {k: json.loads(scores.read_text()).get(k)
                          for k in ("class_accuracy", "fd_domain", "classifier_real_accuracy")},
               "audit": json.loads(audited.read_text())["attacks"]}
        rows.append(row)
        print(json.dumps({k: row[k] for k in ("epsilon", "scores")}), flush=True)
    write_result(args.out, {"benchmark": "privacy", "dataset": "mnist-5k", "records": args.records or None,
                            "kimg": args.kimg, "shadows": args.shadows or None,
                            "shadow_kimg": (args.shadow_kimg or args.kimg) if args.shadows else None, "rows": rows})


if __name__ == "__main__":
    main()
