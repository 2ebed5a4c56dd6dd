"""Probe one trained colour run (issue 17): how much its generator leans on its per-pixel noise inputs, and what
ADA's p did during training.

    python benchmarks/colour_probe.py RUN --out DIR [--inception PATH --heldout emoji64-heldout.npz]

For the run's last checkpoint (or --checkpoint N, its number of images), G_ema:
  * every noise input's learned strength (StyleGAN2's and FastGAN's layers add strength x N(0, 1) per pixel);
  * a grid of seeds 0-63 in each noise mode: "shared" (every sample adds the layers' fixed maps: duelo's
    evaluation and `duelo sample` up to 0.2.0), "seeded" (each sample its own maps, drawn from its seed: what
    duelo.sampling.generate does now, distributed as training's fresh noise) and "none";
  * with --inception and --heldout: KID and FID of --samples images in each mode against the held-out images;
  * how far the modes move the same seeds' pixels (mean |shared - seeded| and |shared - none|, in [-1, 1] units);
  * ADA's p and r_t from metrics.jsonl: the largest p and a few points along the run;
  * the health monitor's checks (health.jsonl): D on training and held-out real images, and its events.
A generator whose samples change much between the modes uses its noise for more than fine texture; with "shared"
noise every sample shares that texture, which puts the same speckles in the same places on every image.
Writes DIR/colour-probe-<run name>.json and DIR/probe-<run name>-<mode>.png.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from colour import _checkpoints, _g_ema_at, metrics_points  # noqa: E402

from duelo.io.provenance import write_result  # noqa: E402

MODES = ("shared", "seeded", "none")


def draw(G, seeds: list[int], mode: str):
    """uint8 images of `seeds` in noise mode `mode` (MODES)."""
    import torch

    from duelo.io.images import to_uint8
    from duelo.sampling.generate import generate, latents_for_seeds

    G.noise_mode = "none" if mode == "none" else "auto"
    if mode != "shared":
        return generate(G, seeds)                       # "auto" in generate(): each seed's own maps
    device = next(G.parameters()).device
    with torch.no_grad():                               # a plain eval call: the fixed maps, shared by every sample
        return torch.cat([to_uint8(G.eval()(latents_for_seeds(G.z_dim, seeds[i:i + 256], device)))
                          for i in range(0, len(seeds), 256)])


def noise_strengths(G) -> dict[str, float]:
    """{module name: strength} for every noise input of G (modules with a scalar `strength` parameter)."""
    return {name: round(float(module.strength.detach()), 5) for name, module in G.named_modules()
            if isinstance(getattr(module, "strength", None), __import__("torch").nn.Parameter)}


def augment_history(run: Path) -> dict:
    """ADA's p and r_t along the run (metrics.jsonl, thinned), and the largest p. Only ADA logs r_t: DiffAugment's
    logged p is always 1 (every operation on every image), not a probability that adapted."""
    every = [r for r in metrics_points(run, ("augment_p", "ada_rt"), points=10**9) if "ada_rt" in r]
    if not every:
        return {"logged": False}
    step = -(-len(every) // 12)
    shown = every[::step] + ([every[-1]] if (len(every) - 1) % step else [])
    return {"logged": True, "max_p": round(max(r["augment_p"] for r in every), 4),
            "points": [{"kimg": r["kimg"], "p": r["augment_p"], "rt": r["ada_rt"]} for r in shown]}


HEALTH_SIGNALS = ("overfit_rv", "rt_train", "rt_heldout", "d_accuracy", "d_real_train", "d_real_heldout", "d_fake",
                  "diversity_ratio")


def health_history(run: Path) -> dict:
    """The health monitor's signals at each check (health.jsonl): does D rate held-out real images like fakes
    (overfit_rv near 1) while it rates the training ones as real? And the events it raised."""
    path = run / "health.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    checks = [{"kimg": r.get("kimg"), **{k: r["signals"].get(k) for k in HEALTH_SIGNALS}}
              for r in records if r.get("kind") == "signals"]
    events = [{"kimg": r.get("kimg"), "event": r.get("event"), "message": r.get("message")}
              for r in records if r.get("kind") == "event"]
    return {"checks": checks, "events": events}


def probe(run: Path, out: Path, checkpoint: int | None, device: str, samples: int, inception_path: Path | None,
          heldout: Path | None) -> dict:
    import torch

    from duelo.io.images import save_grid

    found = _checkpoints(run)
    if not found:
        raise SystemExit(f"{run}: no checkpoints/ to probe")
    nimg, path = found[-1] if checkpoint is None else next((c for c in found if c[0] == checkpoint), (None, None))
    if path is None:
        raise SystemExit(f"{run}: no checkpoint at {checkpoint} images (it has {[c[0] for c in found]})")
    G = _g_ema_at(run, path, device)
    if not hasattr(G, "noise_mode"):
        raise SystemExit(f"{run}: its generator ({type(G).__name__}) has no noise inputs to probe")
    grids, scores = {}, {}
    judge = real = None
    if inception_path is not None and heldout is not None:
        from duelo.evaluation.features import InceptionFeatures
        judge = InceptionFeatures(device=device, path=inception_path, verify=False)
        real = judge(torch.from_numpy(np.load(heldout)["images"]))
    chosen = G.noise_mode
    for mode in MODES:
        grids[mode] = draw(G, list(range(64)), mode)
        save_grid(grids[mode], out / f"probe-{run.name}-{mode}.png", 8)
        if judge is not None:
            from duelo.evaluation.frechet import FeatureStats, frechet_distance
            from duelo.evaluation.kid import kernel_inception_distance
            with torch.no_grad():
                feats = judge(draw(G, list(range(1_000_000, 1_000_000 + samples)), mode))
            kid, kid_std = kernel_inception_distance(real, feats)
            fid = frechet_distance(FeatureStats.from_features(real), FeatureStats.from_features(feats))
            scores[mode] = {"kid": round(kid, 5), "kid_std": round(kid_std, 5), "fid": round(fid, 2)}
            print(f"{run.name} noise {mode:6s} KID {kid:.4f}  FID {fid:.1f}", flush=True)

    G.noise_mode = chosen

    def moved(a: str, b: str) -> float:                      # grids are uint8; in [-1, 1] units
        return round(float((grids[a].float() - grids[b].float()).abs().mean()) / 127.5, 4)

    return {"run": run.name, "kimg": round(nimg / 1000, 1), "noise_strengths": noise_strengths(G),
            "pixels_moved": {"shared_vs_seeded": moved("shared", "seeded"), "shared_vs_none": moved("shared", "none")},
            "scores": scores, "samples": samples if scores else 0, "augment": augment_history(run),
            "health": health_history(run)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="a run folder (checkpoints/, model/, metrics.jsonl)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--checkpoint", type=int, default=None, help="its number of images (default: the last)")
    parser.add_argument("--device", default=None)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--inception", type=Path, default=None)
    parser.add_argument("--heldout", type=Path, default=None, help="the reference images (.npz with 'images')")
    args = parser.parse_args()
    import torch

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    args.out.mkdir(parents=True, exist_ok=True)
    result = probe(args.run, args.out, args.checkpoint, device, args.samples, args.inception, args.heldout)
    print(json.dumps({k: result[k] for k in ("kimg", "pixels_moved", "noise_strengths")}, indent=1))
    print(f"wrote {write_result(args.out / f'colour-probe-{args.run.name}.json', result)}")


if __name__ == "__main__":
    main()
