"""Benchmark: wall time of FID with generation included, duelo vs torchmetrics given the same extractor.

    python benchmarks/fid_speed.py --model runs/demo/model --dataset mnist-5k --device cuda --out fid-speed.json

For each sample count (default 10k and 50k): generate the samples from fixed seeds, extract Inception
features and compute FID against the dataset's real images (all of them), timing every stage. In the same
run, torchmetrics' FrechetInceptionDistance is fed the same uint8 images through the same Inception
extractor (torchmetrics does its own covariance and matrix square root), so the two FIDs must agree and
their times compare the statistics code, not the network. Reference features are computed once (cached
in a real run; timed separately here). Prints a markdown table and writes every row as JSON (--out) with the
provenance block of duelo.io.provenance.
"""

from __future__ import annotations

import argparse
import time

import torch

from duelo.data import load_dataset
from duelo.evaluation.features import InceptionFeatures
from duelo.evaluation.frechet import FeatureStats, frechet_distance
from duelo.evaluation.metrics import EVAL_SEED_BASE
from duelo.io.pretrained import load_pretrained
from duelo.io.provenance import write_result
from duelo.sampling.generate import generate


def timed(fn, device):
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    out = fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return out, time.perf_counter() - start


class _ExtractorModule(torch.nn.Module):
    """torchmetrics calls `feature(imgs)` with uint8 images and reads `num_features`."""

    def __init__(self, extractor):
        super().__init__()
        self.extractor = extractor
        self.num_features = extractor.dim

    def forward(self, images):
        return self.extractor(images).double()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--dataset", default="mnist-5k")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--counts", default="10000,50000")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--max-real", type=int, default=None, help="use only the first N real images (smoke tests)")
    parser.add_argument("--inception", default=None,
                        help="a copy of the Inception weights to use unverified, e.g. the float32 upcast of the "
                             "float16 copy (benchmarks/inception_fp16.py) on a machine that cannot hold the "
                             "87 MB original; recorded in the result")
    parser.add_argument("--out", default=f"fid-speed-{time.strftime('%Y-%m-%d')}.json",
                        help="JSON file for every row, with its provenance (default: %(default)s)")
    args = parser.parse_args()
    device = torch.device(args.device)
    G = load_pretrained(args.model, map_location=device)
    real = load_dataset(args.dataset, resolution=G.resolution, channels=G.channels)
    if args.max_real:
        real.images = real.images[:args.max_real]
    extractor = InceptionFeatures(device=device, batch=args.batch,
                                  **({"path": args.inception, "verify": False} if args.inception else {}))
    _, warm = timed(lambda: extractor(real.images[:args.batch]), device)
    real_features, real_s = timed(lambda: extractor(real.images), device)
    real_stats = FeatureStats.from_features(real_features)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"device {name}; torch {torch.__version__}; "
          f"real features of {len(real.images):,} images: {real_s:.1f} s (warm-up {warm:.1f} s)", flush=True)
    rows = []
    for count in map(int, args.counts.split(",")):
        labels = (torch.arange(count) % G.c_dim) if G.c_dim else None
        seeds = [EVAL_SEED_BASE + i for i in range(count)]
        # batch 256, as duelo eval generates (2048 runs 10x slower: generate-speed-128-2026-12-04.json)
        images, gen_s = timed(lambda: generate(G, seeds, labels, batch=256), device)
        feats, feat_s = timed(lambda: extractor(images), device)
        fid, stat_s = timed(lambda: frechet_distance(real_stats, FeatureStats.from_features(feats)), device)
        total = gen_s + feat_s + stat_s
        row = {"count": count, "generate_s": gen_s, "features_s": feat_s, "stats_s": stat_s, "total_s": total,
               "fid": fid}
        try:
            from torchmetrics.image.fid import FrechetInceptionDistance

            def torchmetrics_fid():
                metric = FrechetInceptionDistance(feature=_ExtractorModule(extractor), normalize=False)
                metric.update(real.images.expand(-1, 3, -1, -1) if real.images.shape[1] == 1 else real.images,
                              real=True)
                metric.update(images.expand(-1, 3, -1, -1) if images.shape[1] == 1 else images, real=False)
                return float(metric.compute())

            tm_fid, tm_s = timed(torchmetrics_fid, device)
            row.update({"torchmetrics_fid": tm_fid, "torchmetrics_s": tm_s + gen_s,
                        "relative_difference": abs(tm_fid - fid) / max(abs(fid), 1e-12)})
        except ImportError:
            pass
        rows.append(row)
        print({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}, flush=True)
    print("\n| samples | generate s | features s | statistics s | duelo total s | FID | torchmetrics s (same "
          "extractor, generation included) | torchmetrics FID | relative difference |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['count']:,} | {r['generate_s']:.2f} | {r['features_s']:.2f} | {r['stats_s']:.2f} | "
              f"{r['total_s']:.2f} | {r['fid']:.4f} | {r.get('torchmetrics_s', float('nan')):.2f} | "
              f"{r.get('torchmetrics_fid', float('nan')):.4f} | {r.get('relative_difference', float('nan')):.1e} |")
    path = write_result(args.out, {"date": time.strftime("%Y-%m-%d"), "model": str(args.model),
                                   "dataset": args.dataset, "batch": args.batch, "device_name": name,
                                   "inception_weights": args.inception or "the verified original",
                                   "real_images": len(real.images), "real_features_s": real_s, "warmup_s": warm,
                                   "rows": rows})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
