"""Benchmark: the video task on Moving MNIST (issue 18) — one `duelo train --task video` per configuration with
its training time capped, the run's own scores (the judge trained on real clips: video and frame Fréchet
distances with their real-vs-real floors, temporal statistics), and frame FID/KID with the standard Inception
network between generated frames and frames of clips from held-out digits.

    # GPU machine, duelo installed; the Inception weights (float32 upcast of the float16 copy, see
    # benchmarks/inception_fp16.py) at --inception
    python benchmarks/video.py --configs default,conditional --minutes 3 --device cuda \\
        --inception /tmp/inception.pt --runs /tmp/runs-video --out $OUT/video.json --gifs $OUT/gifs

Frame FID/KID use `--frames` frames (4 per clip, evenly spaced) of each side; FID against a few thousand frames
is biased upwards (docs/benchmarks.md, colour section): compare runs with each other and with the real floor
(frames of two disjoint sets of real clips), which is computed in the same call.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import torch

from parallel_jobs import run_jobs

from duelo.io.provenance import write_result

CONFIGS = {          # name -> options of `duelo train --task video`
    "default": [],
    "conditional": ["--conditional", "--set", "data.per_clip=1"],
    # variants (benchmarks/video_variants.py found these worth a full run); plain: the task's earlier default
    "plain": ["--set", "stabilise.r1_gamma=0", "--set", "stabilise.instance_noise=0"],
    "bce": ["--set", "loss.name=bce"],
    "d-lr-half": ["--set", "optim.d_lr=0.0001"],
}
PER_CLIP = 4


def _frames(clips, per_clip: int = PER_CLIP):
    """uint8 frames (N * per_clip, 1, H, W) from clips (N, T, 1, H, W) in [-1, 1]."""
    step = max(1, clips.shape[1] // per_clip)
    picked = clips[:, ::step][:, :per_clip]
    return ((picked.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).flatten(0, 1)


def inception_scores(run: Path, frames: int, inception: str, device: str) -> dict:
    """Frame FID/KID (Inception) of the run's generator against held-out clips, and the real-vs-real floor."""
    from duelo.evaluation.features import InceptionFeatures
    from duelo.evaluation.frechet import FeatureStats, frechet_distance
    from duelo.evaluation.kid import kernel_inception_distance
    from duelo.tasks import config_from_dict
    from duelo.tasks.video.data import load_video_data
    from duelo.tasks.video.model_io import generate_clips, load_video_model

    config = config_from_dict(json.loads((run / "config.json").read_text()))
    G, _ = load_video_model(run, device)
    data = load_video_data(config, torch.device(device))
    clips = frames // PER_CLIP
    fake, _ = generate_clips(G, clips, seed=2_000_000, device=device)
    generator = torch.Generator(device=device).manual_seed(2_000_001)
    real_a, _ = data.heldout.render(clips, generator)
    real_b, _ = data.heldout.render(clips, generator)
    extractor = InceptionFeatures(device=device, batch=200, path=Path(inception), verify=False)
    feats = {name: extractor(_frames(x.cpu())) for name, x in (("fake", fake), ("a", real_a), ("b", real_b))}

    def fid(x, y):
        return round(frechet_distance(FeatureStats.from_features(x), FeatureStats.from_features(y)), 3)

    def kid(x, y):
        return round(kernel_inception_distance(x, y, subsets=100, subset_size=1000, seed=0)[0], 5)

    return {"frames": int(len(feats["fake"])), "frame_fid": fid(feats["a"], feats["fake"]),
            "frame_fid_real": fid(feats["a"], feats["b"]), "frame_kid": kid(feats["a"], feats["fake"]),
            "frame_kid_real": kid(feats["a"], feats["b"])}


def run_config(name: str, args) -> dict:
    """One `duelo train --task video` run, its summary's scores and GIFs: one result row (main() adds frame
    FID/KID once every run has written its row, so a call cut by its time limit keeps the runs' own scores)."""
    command = [sys.executable, "-m", "duelo", "train", "--task", "video", *CONFIGS[name], "--minutes",
               str(args.minutes), "--kimg", str(args.kimg), "--device", args.device, "--out", str(args.runs),
               "--name", name, "--set", "video.score_steps=2000", "--set", "video.eval_clips=1000",
               *args.extra]
    print(f"== {name}: {' '.join(command[2:])}", flush=True)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    (args.runs / f"{name}.log").write_text(done.stdout + done.stderr)
    row = {"config": name, "command": " ".join(["duelo", *command[3:]]), "returncode": done.returncode,
           "wall_s": round(time.perf_counter() - started, 1)}
    summary_path = args.runs / name / "summary.json"
    if done.returncode == 0 and summary_path.is_file():
        summary = json.loads(summary_path.read_text())
        row.update({k: summary.get(k) for k in ("kimg", "train_time_s", "img_per_s", "step", "startup_s",
                                                "eval_time_s")})
        row["scores"] = summary["scores"]
        if args.gifs:
            args.gifs.mkdir(parents=True, exist_ok=True)
            gifs = sorted((args.runs / name / "samples").glob("clips-*.gif"))
            if gifs:
                shutil.copy(gifs[-1], args.gifs / f"video-{name}.gif")
            shutil.copy(args.runs / name / "samples" / "real.gif", args.gifs / f"video-{name}-real.gif")
        print(f"   {row['kimg']} kimg: {row['scores']}", flush=True)
    else:
        row["error"] = (done.stderr or done.stdout)[-1500:]
        print(row["error"], flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="default", help="comma-separated: " + ", ".join(CONFIGS))
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--kimg", type=float, default=100000.0, help="a cap the time budget reaches first")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--inception", help="Inception weights for frame FID/KID (omit to skip them)")
    parser.add_argument("--frames", type=int, default=4000, help="frames per side behind frame FID/KID")
    parser.add_argument("--runs", type=Path, required=True)
    parser.add_argument("--gifs", type=Path, help="copy each run's last sample GIF (and real.gif) here")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--parallel", type=int, default=1, help="runs at once on the device (img/s is then a share)")
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="more `duelo train` options")
    args = parser.parse_args()
    names = args.configs.split(",")
    for name in names:
        if name not in CONFIGS:
            parser.error(f"--configs: {name!r} is not one of {', '.join(CONFIGS)}")
    args.runs.mkdir(parents=True, exist_ok=True)
    if args.parallel < 1:
        parser.error("--parallel: at least 1")
    def write(rows: list[dict]) -> None:
        write_result(args.out, {"benchmark": "video", "minutes": args.minutes, "parallel": args.parallel,
                                "rows": rows})

    rows = run_jobs(run_config, [(name, args) for name in names], args.parallel, write)
    if args.inception:    # after every run has trained and its row is on disk, one run at a time (~20 s each)
        for row in rows:
            if "scores" in row:
                row["inception"] = inception_scores(args.runs / row["config"], args.frames, args.inception,
                                                    args.device)
                print(f"   {row['config']}: {row['inception']}", flush=True)
                write(rows)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
