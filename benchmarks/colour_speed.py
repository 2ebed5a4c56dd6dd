"""Benchmark: the time a colour run takes to start, and what R3GAN's every-step R1 + R2 costs (issue 17).

    # time to the first iteration on a folder of 3,391 emoji (extracted from the npm tarball): a first run that
    # decodes every file, then a second run (a new run folder, same cache) that finds the decoded store
    python benchmarks/colour_speed.py startup --tarball lobehub-fluent-emoji-3d-1.1.0.tgz --out $OUT/startup.json
    # R3GAN at 64 px: R1 + R2 every iteration (the paper) against every 16 iterations (lazy), and no penalty,
    # each trained for --minutes on the same data; img/s from each run's summary.json
    python benchmarks/colour_speed.py regularisation --dataset .device-carry/colour/emoji64-train.npz \
        --minutes 0.5 --out $OUT/r3gan-regularisation.json
    # the arithmetic of each colour.py configuration at 64 px (CPU, no training): forward FLOPs per image of G and
    # D, counted by torch.utils.flop_counter on the models `duelo train` builds from the same arguments
    python benchmarks/colour_speed.py flops --configs dcgan,stylegan2,fastgan,r3gan,stylegan2-w64 --out RESULT.json

Every run is a real `duelo train` in a subprocess; `startup_s` is the run's own figure (summary.json: from the
start of the call to the end of its first iteration), `process_s` the wall time of the whole process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from duelo.io.provenance import write_result


def _train(args: list[str], env: dict) -> dict:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "duelo", "train", *args], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    out = Path(args[args.index("--out") + 1]) / args[args.index("--name") + 1]
    if done.returncode != 0 or not (out / "summary.json").exists():
        return {"error": (done.stderr or done.stdout)[-2000:], "process_s": round(seconds, 1)}
    summary = json.loads((out / "summary.json").read_text())
    return {"startup_s": summary.get("startup_s"), "img_per_s": summary.get("img_per_s"), "kimg": summary.get("kimg"),
            "process_s": round(seconds, 1), "step": [line for line in done.stderr.splitlines()
                                                     if line.startswith("step:")][-1:]}


def startup(tarball: Path, out: Path, kimg: float) -> None:
    with tempfile.TemporaryDirectory() as work:
        folder, runs, cache = Path(work) / "emoji", Path(work) / "runs", Path(work) / "cache"
        with tarfile.open(tarball) as archive:
            members = [m for m in archive.getmembers() if m.isfile() and m.name.endswith(".webp")]
            archive.extractall(folder, members=members, filter="data")
        env = {**os.environ, "DUELO_CACHE_DIR": str(cache), "PYTHONUNBUFFERED": "1"}
        common = ["--dataset", str(folder / "package" / "assets"), "--resolution", "64", "--kimg", str(kimg),
                  "--snapshot-kimg", str(kimg), "--out", str(runs)]
        results = {"files": len(members)}
        for name in ("first", "second"):
            results[name] = _train([*common, "--name", name], env)
            print(name, results[name], flush=True)
    write_result(out, {"startup": results, "note": "dcgan defaults at 64 px; 'first' decodes the folder, 'second' "
                                                   "reads the decoded store (a new run folder, the same cache)"})


REGULARISATION = {     # name -> extra `duelo train` arguments on top of --preset r3gan
    "every step (paper)": [],
    "lazy, every 16": ["--set", "stabilise.reg_interval=16"],
    "none": ["--set", "stabilise.r1_gamma=0", "--set", "stabilise.r2_gamma=0"],
}


def regularisation(dataset: Path, out: Path, minutes: float) -> None:
    results = {}
    with tempfile.TemporaryDirectory() as work:
        for index, (name, extra) in enumerate(REGULARISATION.items()):
            args = ["--dataset", str(dataset), "--resolution", "64", "--batch", "64", "--preset", "r3gan", *extra,
                    "--minutes", str(minutes), "--kimg", "100000", "--snapshot-kimg", "100000", "--no-health",
                    "--out", work, "--name", f"r{index}"]
            results[name] = _train(args, {**os.environ, "PYTHONUNBUFFERED": "1"})
            print(name, results[name], flush=True)
    write_result(out, {"r3gan_regularisation": results, "minutes": minutes,
                       "note": "R3GAN preset at 64 px, batch 64, the same training images; img/s over the run"})


# the training step's arithmetic per image from the two forward passes: D's step runs G forward (no backward) and D
# forward and backward on a real and a fake image (2 x 3 D); G's step runs G forward and backward (3 G) and D forward
# and backward to its input (3 D): 4 G + 9 D. Regularisers (R1, R2, path length) and augmentation come on top.
STEP_G, STEP_D = 4, 9


def flops(configs: list[str], dataset: str, out: Path, resolution: int = 64, batch: int = 8) -> None:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from colour import CONFIGS
    from duelo.models import build_discriminator, build_generator
    from duelo.tasks import config_from_dict
    from duelo.tasks.image_gan.parts import model_kwargs

    rows = {}
    for name in configs:
        done = subprocess.run([sys.executable, "-m", "duelo", "train", "--dataset", dataset, *CONFIGS[name],
                               "--resolution", str(resolution), "--dry-run"], capture_output=True, text=True)
        if done.returncode:
            rows[name] = {"error": done.stderr[-500:]}
            continue
        config = config_from_dict(json.loads(done.stdout))
        g_kwargs, d_kwargs = model_kwargs(config, resolution, 3, 0)
        torch.manual_seed(0)
        G = build_generator(config.model.name, **g_kwargs).eval()
        D = build_discriminator(config.model.name, **d_kwargs).eval()
        with FlopCounterMode(display=False) as counted:           # (under no_grad the counter's hooks fail)
            fake = G(G.sample_latents(batch), None).detach()
        g_flops = counted.get_total_flops() / batch
        with FlopCounterMode(display=False) as counted:
            D(fake, None)
        d_flops = counted.get_total_flops() / batch
        rows[name] = {"model": config.model.name, "g_params": sum(p.numel() for p in G.parameters()),
                      "d_params": sum(p.numel() for p in D.parameters()), "g_gflop": round(g_flops / 1e9, 3),
                      "d_gflop": round(d_flops / 1e9, 3),
                      "step_gflop": round((STEP_G * g_flops + STEP_D * d_flops) / 1e9, 2)}
        print(name, rows[name], flush=True)
    write_result(out, {"flops": rows, "resolution": resolution, "step_formula": f"{STEP_G} G + {STEP_D} D",
                       "note": "forward FLOPs per image (a multiply-add counts 2) at batch 8 on the CPU; the step "
                               "estimate leaves out regularisers and augmentation"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=("startup", "regularisation", "flops"))
    parser.add_argument("--configs", default="dcgan,stylegan2,fastgan,r3gan,stylegan2-w64",
                        help="flops: colour.py's names")
    parser.add_argument("--tarball", type=Path)
    parser.add_argument("--dataset", type=Path)
    parser.add_argument("--kimg", type=float, default=0.5)
    parser.add_argument("--minutes", type=float, default=0.5)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.step == "startup":
        startup(args.tarball, args.out, args.kimg)
    elif args.step == "flops":
        flops(args.configs.split(","), str(args.dataset or ".device-carry/colour/emoji64-train.npz"), args.out)
    else:
        regularisation(args.dataset, args.out, args.minutes)


if __name__ == "__main__":
    main()
