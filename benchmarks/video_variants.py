"""Diagnostic benchmark: which change lets the Moving MNIST video GAN train (issue 18)? Each variant trains the
video task's own networks (duelo.tasks.video.networks) in a bare loop, several variants at once on one device for
the same wall time, and records the losses, how much the clips differ from each other (std across clips: 0 is
total collapse), the fraction of bright pixels against the real one, and a grid of first frames per variant.

    python benchmarks/video_variants.py --variants base,dcinit,r1 --seconds 300 --device cuda \\
        --out $OUT/video-variants.json --grids $OUT/grids

A variant is a '+'-joined list of the changes in CHANGES (base = none). Its figures are read, not tuned: the
winner becomes a setting of the video task and is measured with benchmarks/video.py.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

CHANGES = {
    "dcinit": "DCGAN initialisation N(0, 0.02) of G and D (Radford et al. 2015)",
    "bce": "non-saturating logistic loss instead of hinge",
    "nosn": "no spectral norm on D",
    "noise": "Gaussian noise (std 0.1) on D's inputs, real and fake (MoCoGAN's D)",
    "r1": "R1 penalty on real clips, gamma 1, every 4th step",
    "imgonly": "only the image discriminator's logits train (no video logit)",
    "dslow": "D's learning rate halved (1e-4)",
    "wide": "width 64 instead of 32",
}


def _spectral(module: nn.Module) -> None:
    for parent in list(module.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, (nn.Conv2d, nn.Conv3d, nn.Linear)):
                setattr(parent, name, nn.utils.parametrizations.spectral_norm(child))


def train_variant(variant: str, seconds: float, device: str, grid_dir: Path | None, frames: int, size: int,
                  per_clip: int, batch: int) -> dict:
    from duelo.data import load_dataset
    from duelo.nn.weight_init import dcgan_init_
    from duelo.tasks.video.moving_digits import MovingDigits
    from duelo.tasks.video.networks import VideoDiscriminator, VideoGenerator

    changes = set() if variant == "base" else set(variant.split("+"))
    unknown = changes - set(CHANGES)
    if unknown:
        raise SystemExit(f"unknown change(s) {sorted(unknown)}; choose from {sorted(CHANGES)}")
    torch.manual_seed(0)
    digits = load_dataset("mnist-5k", resolution=28, channels=1)
    clips = MovingDigits(digits.images, digits.labels, frames, size, per_clip, 10, False, device)
    width = 64 if "wide" in changes else 32
    G = VideoGenerator(frames, size, 1, width=width).to(device)
    D = VideoDiscriminator(frames, size, 1, width=width).to(device)
    if "dcinit" in changes:
        dcgan_init_(G)
        dcgan_init_(D)
    if "nosn" not in changes:
        _spectral(D)
    opt_g = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), 1e-4 if "dslow" in changes else 2e-4, betas=(0.5, 0.999))

    def judge(x):
        if "noise" in changes:
            x = x + 0.1 * torch.randn_like(x)
        logits = D(x)
        return logits[:, frames:] if "imgonly" in changes else logits

    trace, step, started = [], 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        real, _ = clips.render(batch)
        fake = G(G.sample_latents(batch, device=device))
        if "r1" in changes and step % 4 == 0:
            real.requires_grad_(True)
        d_real, d_fake = judge(real), judge(fake.detach())
        if "bce" in changes:
            loss_d = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
        else:
            loss_d = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
        if real.requires_grad:
            grad, = torch.autograd.grad(d_real.sum(), real, create_graph=True)
            loss_d = loss_d + 4 * 0.5 * grad.square().flatten(1).sum(1).mean()
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        d_gen = judge(fake)
        loss_g = F.softplus(-d_gen).mean() if "bce" in changes else -d_gen.mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        if step % 100 == 0:
            trace.append({"step": step, "s": round(time.perf_counter() - started, 1),
                          "loss_d": round(loss_d.item(), 4), "loss_g": round(loss_g.item(), 4),
                          "d_real": round(d_real.mean().item(), 3), "d_fake": round(d_fake.mean().item(), 3)})
        step += 1
    with torch.no_grad():
        train_mode_std = G(G.sample_latents(256, device=device)).std(0).mean().item()
    G.eval()
    with torch.no_grad():
        fake = G(G.sample_latents(256, generator=torch.Generator(device=device).manual_seed(1), device=device))
        real, _ = clips.render(256, torch.Generator(device=device).manual_seed(2))
    row = {"variant": variant, "steps": step, "seconds": round(time.perf_counter() - started, 1),
           "clips_per_s": round(step * batch / seconds, 1),
           "std_across_clips": round(fake.std(0).mean().item(), 4),
           "std_across_clips_train_mode": round(train_mode_std, 4),
           "std_across_clips_real": round(real.std(0).mean().item(), 4),
           "bright_fraction": round((fake > 0).float().mean().item(), 4),
           "bright_fraction_real": round((real > 0).float().mean().item(), 4),
           "frame_change": round((fake[:, 1:] - fake[:, :-1]).abs().mean().item(), 4),
           "frame_change_real": round((real[:, 1:] - real[:, :-1]).abs().mean().item(), 4),
           "trace": trace}
    if grid_dir is not None:
        from PIL import Image

        grid_dir.mkdir(parents=True, exist_ok=True)
        pick = torch.cat([fake[:8], real[:8]])[:, :: max(1, frames // 4)][:, :4, 0]    # 16 clips x 4 frames
        pixels = ((pick.clamp(-1, 1) + 1) * 127.5).round().byte().cpu()
        rows = [torch.cat(list(clip), dim=1) for clip in pixels]                        # (S, 4S) each
        sheet = torch.cat([torch.cat(rows[:8], 0), torch.cat(rows[8:], 0)], 1)          # fakes left, reals right
        Image.fromarray(sheet.numpy()).save(grid_dir / f"{variant}.png")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", default="base")
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--per-clip", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--grids", type=Path)
    parser.add_argument("--one", help=argparse.SUPPRESS)          # a worker process: one variant, row on stdout
    args = parser.parse_args()
    if args.one:
        row = train_variant(args.one, args.seconds, args.device, args.grids, args.frames, args.size,
                            args.per_clip, args.batch)
        print("ROW " + json.dumps(row), flush=True)
        return
    from parallel_jobs import run_jobs

    from duelo.io.provenance import write_result

    def job(variant: str) -> dict:
        command = [sys.executable, __file__, "--one", variant, *sys.argv[1:]]
        done = subprocess.run(command, capture_output=True, text=True)
        for line in done.stdout.splitlines():
            if line.startswith("ROW "):
                row = json.loads(line[4:])
                print(f"{variant}: {({k: v for k, v in row.items() if k != 'trace'})}", flush=True)
                return row
        return {"variant": variant, "error": (done.stderr or done.stdout)[-1500:]}

    variants = args.variants.split(",")
    settings = {"frames": args.frames, "size": args.size, "per_clip": args.per_clip, "batch": args.batch,
                "seconds": args.seconds, "parallel": len(variants), "changes": CHANGES}
    run_jobs(job, [(v,) for v in variants], len(variants),
             lambda rows: write_result(args.out, {"benchmark": "video-variants", **settings, "rows": rows}))


if __name__ == "__main__":
    main()
