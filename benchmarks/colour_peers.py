"""The peers of benchmarks/colour.py: lucidrains' stylegan2-pytorch and lightweight-gan trained on the same emoji
for the same wall-clock time as duelo's runs, then sampled, so colour.py judges them with the same Inception
features against the same held-out images.

    python benchmarks/colour_peers.py PEER --data TRAIN.npz --minutes 2 --batch 32 --samples 2000 --out RUN_DIR

Each peer runs its own Trainer.train() (one call = one iteration) with its package defaults at 64 px (fp32: their
mixed precision needs apex or is off by default), except what a benchmark must change:
  * data: `trainer.loader` is an endless iterator of shuffled real batches already on the GPU, in [0, 1] (what
    their torchvision loaders give), instead of set_data_src(folder): no files are decoded. lightweight-gan's
    set_data_src would also set its augmentation probability for a small data set (min(0.5, (1e5 - n) * 3e-6));
    that rule is applied here by hand;
  * their iteration counter starts at 20,001: below it both write sample grids every 100 iterations (through
    torchvision, which the GPU machine lacks) and neither updates its EMA generator, so a short run would be
    sampled from an EMA copy that never moved; from there on their EMA runs (every 10 iterations, re-synchronised
    with G every 1,000 up to 25,000) as in their own long runs;
  * checkpoints and FID are off (intervals no run reaches); no aim logging.
Samples come from the EMA generator without truncation (psi = 1), as duelo's samples, written as uint8 (N, 3, H, W)
to RUN_DIR/samples.npz, and from the raw generator to RUN_DIR/samples-raw.npz: their EMA copies move slowly (beta
0.99 every 10 iterations, so after 400 iterations about two thirds of the EMA weights are still the initial ones),
which in a short run favours the raw G; colour.py judges both and reports each. A summary.json has iterations,
img/s and seconds.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))          # the repo root: `benchmarks.peers`

from benchmarks.peers.lucidrains import NEVER, STEADY_STATE_ITERATION, _without_aim  # noqa: E402


def shuffled_batches(images: torch.Tensor, batch: int, seed: int = 0):
    """Endless epochs of shuffled batches of `images` (uint8 on the GPU) as floats in [0, 1]."""
    generator = torch.Generator(device=images.device).manual_seed(seed)
    while True:
        order = torch.randperm(images.shape[0], generator=generator, device=images.device)
        for start in range(0, images.shape[0] - batch + 1, batch):
            yield images[order[start:start + batch]].float() / 255.0


def build(peer: str, resolution: int, batch: int, count: int):
    """(trainer, sample(n) -> float images in [0, 1], version)."""
    base_dir = tempfile.mkdtemp(prefix=f"{peer}-")
    common = dict(name="bench", base_dir=base_dir, image_size=resolution, batch_size=batch, save_every=NEVER,
                  evaluate_every=NEVER, rank=0)
    if peer == "stylegan2-pytorch":
        _without_aim()
        module = importlib.import_module("stylegan2_pytorch.stylegan2_pytorch")
        version = importlib.import_module("stylegan2_pytorch.version").__version__
        trainer = module.Trainer(**common, fp16=False, log=False)
        trainer.init_GAN()

        def sample(n: int, ema: bool) -> torch.Tensor:
            S, G = (trainer.GAN.SE, trainer.GAN.GE) if ema else (trainer.GAN.S, trainer.GAN.G)
            latents = module.noise_list(n, G.num_layers, G.latent_dim, device=0)
            noise = module.image_noise(n, G.image_size, device=0)
            trainer.av = None                   # the truncation centre is per mapping network (unused at psi 1)
            return trainer.generate_truncated(S, G, latents, noise, trunc_psi=1.0)
    elif peer == "lightweight-gan":
        module = importlib.import_module("lightweight_gan.lightweight_gan")
        version = importlib.import_module("lightweight_gan.version").__version__
        trainer = module.Trainer(**common, amp=False, log=False, use_aim=False)
        trainer.init_GAN()
        trainer.aug_prob = min(0.5, (1e5 - count) * 3e-6)      # what its set_data_src does for n < 100k images

        def sample(n: int, ema: bool) -> torch.Tensor:
            G = trainer.GAN.GE if ema else trainer.GAN.G
            return trainer.generate_(G, torch.randn(n, trainer.GAN.latent_dim, device="cuda"))
    else:
        raise SystemExit(f"unknown peer {peer!r}: stylegan2-pytorch or lightweight-gan")
    return trainer, sample, version


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("peer", choices=("stylegan2-pytorch", "lightweight-gan"))
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--minutes", type=float, required=True)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    started = time.perf_counter()
    torch.manual_seed(0)
    images = torch.from_numpy(np.load(args.data)["images"]).cuda()          # (N, 3, R, R) uint8
    trainer, sample, version = build(args.peer, images.shape[-1], args.batch, images.shape[0])
    trainer.loader = shuffled_batches(images, args.batch)
    trainer.steps = STEADY_STATE_ITERATION
    first = time.perf_counter()
    deadline = first + 60 * args.minutes                 # training time, as duelo's --minutes counts it
    iterations = 0
    while time.perf_counter() < deadline:
        trainer.train()
        iterations += 1
        if iterations % 100 == 0:
            print(f"{args.peer}: {iterations} iterations, {time.perf_counter() - first:.0f} s", flush=True)
    torch.cuda.synchronize()
    train_s = time.perf_counter() - first
    trainer.GAN.eval()
    args.out.mkdir(parents=True, exist_ok=True)
    for ema, name in ((True, "samples.npz"), (False, "samples-raw.npz")):
        with torch.no_grad():
            fake = torch.cat([sample(min(500, args.samples - done), ema) for done in range(0, args.samples, 500)])
        fake = (fake.clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()
        np.savez_compressed(args.out / name, images=fake)
    summary = {"peer": f"{args.peer} {version}", "iterations": iterations, "batch": args.batch,
               "kimg": round(iterations * args.batch / 1000, 1), "train_time_s": round(train_s, 1),
               "startup_s": round(first - started, 1), "img_per_s": round(iterations * args.batch / train_s, 1)}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
