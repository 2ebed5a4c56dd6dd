"""Benchmark: colour images at 64 px (issue 17) — several configurations trained on the same emoji, then the
Inception FID/KID trajectory of each against a held-out split.

    # on this machine: the Fluent 3D emoji (npm @lobehub/fluent-emoji-3d) at 64x64, flattened on white, split
    # into 3,000 training and 391 held-out images (seed 0) -> .device-carry/colour/emoji64-{train,heldout}.npz
    # and emoji64-train.npy.xz (the training images as colour_gpu.sh carries them)
    .venv/bin/python benchmarks/colour.py prepare --tarball lobehub-fluent-emoji-3d-1.1.0.tgz --out .device-carry/colour
    # GPU machine (duelo installed, Inception weights at --inception): every configuration trained for --minutes
    # (all at once on one GPU with --together: compare them at equal kimg, not equal time), every kept checkpoint's
    # G_ema judged by KID and FID against the held-out images -> $OUT/colour-<label>.json and sample grids
    python benchmarks/colour.py train --data .device-carry/colour --configs stylegan2,dcgan --minutes 5 \
        --inception /tmp/inception.pt --out $OUT --label diagnosis
    # a machine of several GPUs: every configuration at once, each alone on its own GPU (equal time, in one call);
    # judging every checkpoint of long runs may not fit the same device call: train with --train-only, then judge
    # the runs left on the warm machine in the next call with --judge-only (the same arguments otherwise)
    python benchmarks/colour.py train ... --gpus 4 --train-only
    python benchmarks/colour.py train ... --judge-only
    # longer than one device call (600 s): at --deadline-s a run is stopped with SIGINT, which makes duelo save a
    # checkpoint; the same command in the next call on the warm machine continues it to --minutes of training
    # (summed over resumes; start-up is not counted), then judges (--judge-points caps the checkpoints judged)
    python benchmarks/colour.py train --configs dcgan --minutes 10 --deadline-s 540 --train-only ...
    python benchmarks/colour.py train --configs dcgan --minutes 10 --judge-points 12 ...

The held-out split has 391 images: FID against so few reference images is biased upwards (by roughly
d / n for d = 2048 features), so FIDs here compare runs with each other, not with published figures; KID is
unbiased (Binkowski et al. 2018) and is the fairer figure below 10k images. The real-vs-real floor (KID and
FID of 2,000 training images against the held-out ones) is recorded alongside.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

from duelo.io.provenance import write_result

CONFIGS = {   # name -> arguments of `duelo train` beyond COMMON
    "stylegan2": ["--preset", "stylegan2"],
    # the StyleGAN2 of duelo <= 0.1 that issue 17 reports: tanh output, 2x2 box downsampling in D, 2-layer mapping,
    # the CIFAR-10 R1 weight
    "stylegan2-old": ["--preset", "stylegan2", "--set", 'model.g_kwargs={"output": "tanh", "mapping_layers": 2}',
                      "--set", 'model.d_kwargs={"resample": "box"}', "--set", "stabilise.r1_per_pixel=0",
                      "--set", "stabilise.r1_gamma=0.01"],
    # the paper's linear output (the default was "linear" at commit 50286b5, whose diagnosis run calls this
    # configuration "stylegan2" and the default one "stylegan2-tanh")
    "stylegan2-linear": ["--preset", "stylegan2", "--set", 'model.g_kwargs={"output": "linear", "noise_mode": "none"}'],
    "stylegan2-box": ["--preset", "stylegan2", "--set", 'model.d_kwargs={"resample": "box"}'],
    "dcgan": ["--model", "dcgan"],
    "r3gan": ["--preset", "r3gan"],
    "fastgan": ["--preset", "fastgan"],
    # R3GAN with its R1 + R2 every 16 steps (the preset keeps the paper's every step, 8x slower: a short budget
    # trains it ~4x further this way)
    "r3gan-lazy": ["--preset", "r3gan", "--set", "stabilise.reg_interval=16"],
    # diagnosis of StyleGAN2's speckles (docs/benchmarks.md, 2026-12-06): no noise inputs at all, as the preset has
    # had since; "stylegan2-noise" is the preset with the paper's noise inputs (the preset before)
    "stylegan2-nonoise": ["--preset", "stylegan2", "--set", 'model.g_kwargs={"noise_mode": "none"}'],
    "stylegan2-noise": ["--preset", "stylegan2", "--set", 'model.g_kwargs={"noise_mode": "auto"}'],
    # FastGAN's D learns the 2,850 images after ~400 kimg: stronger augmentation (cutout as well; or ADA's)
    "fastgan-cutout": ["--preset", "fastgan", "--set", "augment.policy=color,translation,cutout"],
    "fastgan-ada": ["--preset", "fastgan", "--set", "augment.name=ada"],
    # ... or a D kept descriptive by a stronger self-supervised reconstruction term (a review of the paper: the
    # reference's perceptual terms, summed over the batch, outweigh its hinge loss several times)
    "fastgan-recon10": ["--preset", "fastgan", "--set", 'model.d_kwargs={"recon_weight": 10}'],
    # FastGAN's generator has noise inputs too (every other stage): the StyleGAN2 finding of 2026-12-06, tried on it
    "fastgan-nonoise": ["--preset", "fastgan", "--set", 'model.g_kwargs={"noise_mode": "none"}'],
    # the preset does 23x DCGAN's arithmetic per image (colour_speed.py flops): a StyleGAN2 of 64 channels a stage
    "stylegan2-w64": ["--preset", "stylegan2", "--width", "64"],
}
PEERS = {"lucidrains-stylegan2": "stylegan2-pytorch", "lightweight-gan": "lightweight-gan"}   # colour_peers.py
COMMON = ["--resolution", "64", "--batch", "64", "--kimg", "100000", "--set", "run.keep_checkpoints=1000"]
HELDOUT = 391
STOP_GRACE_S = 45   # a stopped run's checkpoint: StyleGAN2's full state takes a few seconds
SEED = 0


def prepare(tarball: Path, out: Path) -> None:
    from duelo.data import load_dataset

    with tempfile.TemporaryDirectory() as folder, tarfile.open(tarball) as archive:
        members = [m for m in archive.getmembers() if m.isfile() and m.name.endswith(".webp")]
        archive.extractall(folder, members=members, filter="data")
        data = load_dataset(str(Path(folder) / "package" / "assets"), resolution=64, channels=3)
    order = np.random.default_rng(SEED).permutation(len(data))
    images = data.images.numpy()
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / "emoji64-train.npz", images=images[order[HELDOUT:]])
    np.savez_compressed(out / "emoji64-heldout.npz", images=images[order[:HELDOUT]])
    # the training images again as an xz-compressed .npy (about 12 MB against the .npz's 16.5), the form
    # colour_gpu.sh's setup unpacks: carry it and the held-out .npz, not the whole folder, to fit a call's 64 MiB
    import io
    import lzma

    buffer = io.BytesIO()
    np.save(buffer, images[order[HELDOUT:]])
    (out / "emoji64-train.npy.xz").write_bytes(lzma.compress(buffer.getvalue()))
    print(f"{len(data)} images -> {len(data) - HELDOUT} train, {HELDOUT} held out, in {out}")


def _waves(configs: list[str], together: bool, gpus: int) -> list[list[tuple[str, int | None]]]:
    """The configurations in the order they train: one at a time; all at once on one GPU (--together); or, on a
    machine of several GPUs, in waves of one configuration per GPU (its index beside it)."""
    if gpus > 1:
        return [[(name, k % gpus) for k, name in enumerate(configs[start:start + gpus])]
                for start in range(0, len(configs), gpus)]
    return [[(name, None) for name in configs]] if together else [[(name, None)] for name in configs]


def _train_all(train_npz: Path, runs: Path, configs: list[str], minutes: float, snapshot_kimg: float,
               together: bool, deadline_s: float, samples: int, gpus: int = 1) -> None:
    runs.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for wave in _waves(configs, together, gpus):
        procs = {}
        for name, gpu in wave:
            if name in PEERS:
                command = [sys.executable, str(Path(__file__).with_name("colour_peers.py")), PEERS[name], "--data",
                           str(train_npz), "--minutes", str(minutes), "--samples", str(samples), "--out",
                           str(runs / name)]
            else:
                command = [sys.executable, "-m", "duelo", "train", "--dataset", str(train_npz), *COMMON,
                           "--snapshot-kimg", str(snapshot_kimg), *CONFIGS[name], "--minutes", str(minutes),
                           "--out", str(runs), "--name", name]
            log = (runs / f"{name}.log").open("a")            # "a": a run continued in a later call keeps both parts
            env = {**os.environ, "PYTHONUNBUFFERED": "1"}
            if gpu is not None:
                env["CUDA_VISIBLE_DEVICES"] = str(gpu)
            procs[name] = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        _stop_at_deadline(procs, runs, started + deadline_s, started)


def _stop_at_deadline(procs: dict, runs: Path, deadline: float, started: float) -> None:
    """Wait for a wave's processes until `deadline` (perf_counter), then stop every one still running at once:
    SIGINT, on which duelo saves a checkpoint at the next iteration and stops (the same command in the next device
    call continues the run to its --minutes, summed over resumes), then one shared grace, then kill what is left
    (a peer, which does not resume, or a run that ignored the signal)."""
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.01, deadline - time.perf_counter()))
        except subprocess.TimeoutExpired:
            break
    late = [name for name, proc in procs.items() if proc.poll() is None]
    for name in late:
        procs[name].send_signal(signal.SIGINT)
    grace_ends = time.perf_counter() + STOP_GRACE_S
    for name in late:
        proc = procs[name]
        try:
            proc.wait(timeout=max(0.01, grace_ends - time.perf_counter()))
            log = runs / f"{name}.log"
            saved = log.is_file() and "Re-run the same command to resume" in log.read_text(errors="replace")
            print(f"{name}: stopped at the deadline"
                  f"{' with a checkpoint (resumable)' if saved else ' without a checkpoint'}", flush=True)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            print(f"{name}: killed at the deadline", flush=True)
    for name, proc in procs.items():
        print(f"{name}: exit {proc.returncode} at {time.perf_counter() - started:.0f} s", flush=True)


def _g_ema_at(run: Path, checkpoint: Path, device: str):
    """The run's G_ema as its checkpoint `checkpoint` holds it."""
    from safetensors.torch import load_file

    from duelo.io.pretrained import load_pretrained

    G = load_pretrained(run / "model", map_location=device)
    tensors = load_file(str(checkpoint / "state.safetensors") if checkpoint.is_dir() else str(checkpoint))
    prefix = "net.G_ema."
    G.load_state_dict({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}, strict=True)
    return G.eval()


LOGGED = ("loss_D", "loss_G", "D_real", "D_fake", "augment_p", "ada_rt")


def metrics_points(run: Path, keys: tuple[str, ...] = LOGGED, points: int = 20) -> list[dict]:
    """The run's metrics.jsonl thinned to at most `points` rows (the last always kept), each with its kimg and those
    of `keys` it logged: how D and G and the augmentation's p moved along the run."""
    import math

    path = run / "metrics.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    rows = [r for r in rows if "kimg" in r and any(k in r for k in keys)]
    if not rows:
        return []
    step = math.ceil(len(rows) / points)
    kept = rows[::step] + ([rows[-1]] if (len(rows) - 1) % step else [])
    return [{"kimg": r["kimg"], **{k: r[k] for k in keys if k in r}} for r in kept]


def _checkpoints(run: Path, most: int = 0) -> list[tuple[int, Path]]:
    """The run's checkpoints by nimg; with `most`, at most that many, evenly spaced, the last always kept."""
    found = []
    for path in sorted((run / "checkpoints").glob("*")):
        digits = "".join(ch for ch in path.name if ch.isdigit())
        if digits and (path.is_dir() or path.suffix == ".safetensors"):
            found.append((int(digits), path))
    found.sort()
    if most == 1:
        return found[-1:]
    if most and len(found) > most:
        picks = np.linspace(0, len(found) - 1, most).round().astype(int)
        found = [found[k] for k in sorted(set(picks.tolist()))]
    return found


def _judge(run: Path, inception, real_feats, samples: int, device: str, out: Path, prefix: str,
           most: int = 0) -> dict:
    import torch

    from duelo.evaluation.frechet import FeatureStats, frechet_distance
    from duelo.evaluation.kid import kernel_inception_distance
    from duelo.io.images import save_grid
    from duelo.sampling.generate import generate

    summary = json.loads((run / "summary.json").read_text()) if (run / "summary.json").exists() else {}
    trajectory = []
    if (run / "samples.npz").exists():                 # a peer (colour_peers.py): its final samples only
        judged = {}
        for generator, name in (("ema", "samples.npz"), ("raw", "samples-raw.npz")):
            if not (run / name).exists():
                continue
            fake = torch.from_numpy(np.load(run / name)["images"][:samples])
            feats = inception(fake)
            kid, kid_std = kernel_inception_distance(real_feats, feats)
            fid = frechet_distance(FeatureStats.from_features(real_feats), FeatureStats.from_features(feats))
            judged[generator] = [{"kimg": summary.get("kimg"), "kid": round(kid, 5), "kid_std": round(kid_std, 5),
                                  "fid": round(fid, 2)}]
            print(f"{run.name} ({generator}) {summary.get('kimg')} kimg  KID {kid:.4f}  FID {fid:.1f}", flush=True)
            suffix = "" if generator == "ema" else "-raw"
            save_grid(fake[:64], out / f"{prefix}-{run.name}{suffix}-grid.png", 8)
        best = min(judged, key=lambda g: judged[g][0]["kid"])      # the peer's better generator is its figure
        return {**summary, "trajectory": judged[best], "judged_generator": best,
                "trajectories": judged}
    for nimg, path in _checkpoints(run, most):
        G = _g_ema_at(run, path, device)
        with torch.no_grad():
            fake = generate(G, list(range(1_000_000, 1_000_000 + samples)))
        feats = inception(fake)
        kid, kid_std = kernel_inception_distance(real_feats, feats)
        fid = frechet_distance(FeatureStats.from_features(real_feats), FeatureStats.from_features(feats))
        trajectory.append({"kimg": round(nimg / 1000, 1), "kid": round(kid, 5), "kid_std": round(kid_std, 5),
                           "fid": round(fid, 2)})
        print(f"{run.name} {nimg / 1000:8.1f} kimg  KID {kid:.4f}  FID {fid:.1f}", flush=True)
        last = (G, nimg)
    if trajectory:
        G, nimg = last
        save_grid(generate(G, list(range(64))), out / f"{prefix}-{run.name}-grid.png", 8)
        walk = subprocess.run([sys.executable, "-m", "duelo", "interpolate", str(run), "--seeds", "0,1,2,3,4,5",
                               "--frames", "16", "--fps", "16", "--scale", "2", "--device", device, "--out",
                               str(out / f"{prefix}-{run.name}-walk.gif"), "--force"], capture_output=True, text=True)
        if walk.returncode:
            print(f"{run.name}: interpolation failed: {walk.stderr[-500:]}", flush=True)
    return {"kimg": summary.get("kimg"), "img_per_s": summary.get("img_per_s"),
            "startup_s": summary.get("startup_s"), "train_time_s": summary.get("train_time_s"),
            "stopped_by": summary.get("stopped_by"), "trajectory": trajectory, "logged": metrics_points(run),
            "g_params": sum(p.numel() for p in G.parameters()) if trajectory else None,
            "log_tail": (run.parent / f"{run.name}.log").read_text()[-1500:] if not trajectory else None}


def train(args) -> None:
    import torch

    from duelo.evaluation.features import InceptionFeatures
    from duelo.evaluation.frechet import FeatureStats, frechet_distance
    from duelo.evaluation.kid import kernel_inception_distance

    configs = args.configs.split(",")
    heldout = torch.from_numpy(np.load(args.data / "emoji64-heldout.npz")["images"])
    train_images = torch.from_numpy(np.load(args.data / "emoji64-train.npz")["images"])
    train_npz = args.data / "emoji64-train.npz"
    if args.train_count:      # few-shot: the first N training images; every other image is a reference
        args.runs.mkdir(parents=True, exist_ok=True)
        train_npz = args.runs / f"emoji64-train-{args.train_count}.npz"
        np.savez_compressed(train_npz, images=train_images[:args.train_count].numpy())
        heldout = torch.cat([heldout, train_images[args.train_count:]])
        floor_images = train_images[:args.train_count]
    else:
        floor_images = train_images[:2000]
    if not args.judge_only:
        _train_all(train_npz, args.runs, configs, args.minutes, args.snapshot_kimg, args.together, args.deadline_s,
                   args.samples, args.gpus)
    if args.train_only:
        print(f"trained {', '.join(configs)} in {args.runs}; judge them with --judge-only", flush=True)
        return
    device = "cuda" if torch.cuda.is_available() else "cpu"
    # the upcast float16 copy is not the hashed original (benchmarks/inception_fp16.py measures the difference)
    inception = InceptionFeatures(device=device, path=args.inception, verify=False)
    real_feats = inception(heldout)
    floor_feats = inception(floor_images)
    floor_kid, _ = kernel_inception_distance(real_feats, floor_feats)
    floor_fid = frechet_distance(FeatureStats.from_features(real_feats), FeatureStats.from_features(floor_feats))
    args.out.mkdir(parents=True, exist_ok=True)
    results = {"_meta": {"configs": {name: CONFIGS.get(name, ["colour_peers.py", PEERS.get(name)])
                                     for name in configs}, "common": COMMON,
                         "minutes": args.minutes, "together": args.together, "gpus": args.gpus,
                         "samples": args.samples,
                         "heldout": len(heldout), "train": args.train_count or len(train_images),
                         **({"note": args.note} if args.note else {}),
                         "floor": {"kid": round(floor_kid, 5), "fid": round(floor_fid, 2),
                                   "note": f"the {len(floor_images):,} training images (first) against the "
                                           f"{len(heldout):,} reference images"}}}
    for name in configs:
        try:
            results[name] = _judge(args.runs / name, inception, real_feats, args.samples, device, args.out,
                                   prefix=args.label, most=args.judge_points)
        except Exception as error:                     # one broken run must not lose the others' numbers
            log = args.runs / f"{name}.log"
            results[name] = {"error": f"{type(error).__name__}: {error}",
                             "log_tail": log.read_text()[-1500:] if log.exists() else None}
    path = write_result(args.out / f"colour-{args.label}.json", results)
    print(f"wrote {path}")
    for name in configs:
        shutil.copy(args.runs / f"{name}.log", args.out / f"{args.label}-{name}.log")


def _non_negative(value: int) -> int:
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=("prepare", "train"))
    parser.add_argument("--tarball", type=Path)
    parser.add_argument("--data", type=Path, default=Path(".device-carry/colour"))
    parser.add_argument("--out", type=Path, default=Path(".device-carry/colour"))
    parser.add_argument("--runs", type=Path, default=Path("/tmp/colour-runs"))
    parser.add_argument("--configs", default="stylegan2,dcgan")
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--snapshot-kimg", type=float, default=50.0)
    parser.add_argument("--together", action="store_true", help="train every configuration at once on one GPU")
    parser.add_argument("--gpus", type=int, default=1, help="a machine of several GPUs: each configuration "
                        "alone on its own GPU, as many at once as there are GPUs")
    parser.add_argument("--train-only", action="store_true", help="train, judge nothing (--judge-only later)")
    parser.add_argument("--judge-only", action="store_true", help="judge the runs already in --runs")
    parser.add_argument("--judge-points", type=lambda text: _non_negative(int(text)), default=0,
                        help="judge at most this many of a run's checkpoints, evenly spaced, the last always "
                             "(0: every one)")
    parser.add_argument("--deadline-s", type=float, default=480.0)
    parser.add_argument("--samples", type=int, default=2000, help="generated images per judged checkpoint")
    parser.add_argument("--inception", type=Path, default=None)
    parser.add_argument("--label", default="run")
    parser.add_argument("--note", help="said in the result's _meta: where runs judged here were trained (e.g. on a GPU "
                        "machine, judged with --judge-only on another)")
    parser.add_argument("--train-count", type=int, default=0,
                        help="few-shot: train on the first N training images; the others join the references")
    args = parser.parse_args()
    if args.step == "prepare":
        prepare(args.tarball, args.out)
    else:
        train(args)


if __name__ == "__main__":
    main()
