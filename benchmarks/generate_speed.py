"""Benchmark: where the time of generating samples for FID goes (issue 17: FID-50k at 128 px spent 67 s generating
10,000 StyleGAN2 images on an H200, against 8 s for their Inception features). Times, for an untrained StyleGAN2
generator at one resolution (the time does not depend on the weights): drawing the per-seed latents, duelo's
generate() end to end, and G's forward alone at several batches in float32, with TF32 matmuls/convolutions, and
under bf16 autocast.

    python benchmarks/generate_speed.py --resolution 128 --count 10000 --device cuda --out RESULT.json
"""

from __future__ import annotations

import argparse

import torch
from fid_speed import timed

from duelo.io.provenance import write_result
from duelo.models.base import build_generator
from duelo.sampling.generate import generate, latents_for_seeds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resolution", type=int, default=128)
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--batches", default="256,2048")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    device = torch.device(args.device)
    G = build_generator("stylegan2", resolution=args.resolution, channels=3).to(device).eval()
    seeds = list(range(args.count))
    rows = []
    _, latent_s = timed(lambda: latents_for_seeds(G.z_dim, seeds, "cpu"), torch.device("cpu"))
    rows.append({"what": f"latents_for_seeds x{args.count} (CPU)", "seconds": round(latent_s, 4)})
    generate(G, seeds[:256], batch=256)                                        # warm-up
    _, gen_s = timed(lambda: generate(G, seeds, batch=2048), device)
    rows.append({"what": f"generate() x{args.count}, batch 2048", "seconds": round(gen_s, 4)})
    print(rows, flush=True)
    for batch in [int(b) for b in args.batches.split(",")]:
        z = torch.randn(batch, G.z_dim, device=device)
        for mode in ("fp32", "tf32", "bf16"):
            torch.backends.cuda.matmul.allow_tf32 = mode == "tf32"
            torch.backends.cudnn.allow_tf32 = mode == "tf32"
            with torch.no_grad(), torch.autocast(device.type, torch.bfloat16, enabled=mode == "bf16"):
                G(z)
                _, seconds = timed(lambda: [G(z) for _ in range(3)], device)
            rows.append({"what": f"G forward, batch {batch}, {mode}", "batch": batch, "mode": mode,
                         "img_per_s": round(3 * batch / seconds, 1)})
            print(rows[-1], flush=True)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = True
    write_result(args.out, {"benchmark": "generate_speed", "resolution": args.resolution, "count": args.count,
                            "rows": rows})


if __name__ == "__main__":
    main()
