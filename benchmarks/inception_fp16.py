"""The FID Inception weights as a float16 copy (44 MB, small enough to carry to a GPU machine whose calls take
64 MiB), and how far FID computed with its float32 upcast is from FID with the original float32 weights.

    python benchmarks/inception_fp16.py make --out .device-carry/inception-fp16.pt
    python benchmarks/inception_fp16.py compare --copy .device-carry/inception-fp16.pt --images 1000 \
        --out benchmarks/results/inception-fp16-DATE.json
    # on the GPU machine: python benchmarks/inception_fp16.py upcast --copy inception-fp16.pt --out /tmp/i.pt

`compare` runs both extractors on the same images on this machine (real MNIST-5k digits against noisy copies
of them, a distribution gap of the size FID measures in practice) and records both FIDs and the largest
relative feature difference. The upcast copy is not the hashed original, so duelo refuses it unless the
caller passes verify=False (the GPU timing benchmark does, and says so in its result).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import torch


def _load(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.jit.load(str(path), map_location="cpu").eval()


def make(out: Path) -> None:
    from duelo.evaluation.features import find_inception_weights

    model = _load(find_inception_weights()).half()
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.jit.save(model, str(out))
    print(f"wrote {out} ({out.stat().st_size / 2**20:.1f} MiB)")


def upcast(copy: Path, out: Path) -> None:
    model = _load(copy).float()
    torch.jit.save(model, str(out))
    print(f"wrote {out}")


def compare(copy: Path, images: int, out: Path) -> None:
    from duelo.data import load_dataset
    from duelo.evaluation.features import InceptionFeatures
    from duelo.evaluation.frechet import FeatureStats, frechet_distance
    from duelo.io.provenance import write_result

    upcast_path = out.with_suffix(".upcast.pt")
    upcast(copy, upcast_path)
    real = load_dataset("mnist-5k", resolution=32).images
    generator = torch.Generator().manual_seed(0)
    a = real[:images]
    noisy = (real[images:2 * images].float() + 40 * torch.randn(real[images:2 * images].shape, generator=generator))
    b = noisy.clamp(0, 255).round().to(torch.uint8)
    results = {}
    features = {}
    for name, extractor in (("fp32", InceptionFeatures()), ("fp16_upcast", InceptionFeatures(path=upcast_path,
                                                                                              verify=False))):
        fa, fb = extractor(a), extractor(b)
        features[name] = (fa, fb)
        results[f"fid_{name}"] = frechet_distance(FeatureStats.from_features(fa), FeatureStats.from_features(fb))
    upcast_path.unlink()
    worst = max(float(((features["fp16_upcast"][i] - features["fp32"][i]).abs()
                       / features["fp32"][i].abs().clamp_min(1e-3)).max()) for i in range(2))
    results["max_relative_feature_difference"] = worst
    results["fid_relative_difference"] = abs(results["fid_fp16_upcast"] - results["fid_fp32"]) / results["fid_fp32"]
    write_result(out, {"benchmark": "inception_fp16", "images_each": images,
                       "pair": "MNIST-5k digits [0:n] vs noisy digits [n:2n] (noise std 40 of 255)", **results})
    print(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("make").add_argument("--out", type=Path, required=True)
    up = sub.add_parser("upcast")
    up.add_argument("--copy", type=Path, required=True)
    up.add_argument("--out", type=Path, required=True)
    cmp = sub.add_parser("compare")
    cmp.add_argument("--copy", type=Path, required=True)
    cmp.add_argument("--images", type=int, default=1000)
    cmp.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "make":
        make(args.out)
    elif args.command == "upcast":
        upcast(args.copy, args.out)
    else:
        compare(args.copy, args.images, args.out)


if __name__ == "__main__":
    sys.exit(main())
