"""Offline sanity check of the Inception extractor: FIDs whose expected size is known.

    python benchmarks/fid_sanity.py --device cuda --out fid-sanity.json

- FID(MNIST train 60k, MNIST test 10k): two samples of one distribution; small but not 0 (FID is biased
  upwards at finite N, more so with the 10k side).
- FID(train first 10k, train second 10k, disjoint): the same question at equal sizes.
- FID(train, train): exactly 0 up to rounding.
- FID(MNIST test, Fashion-MNIST test) if available: different domains, large.
Images are 28x28 gray, replicated to 3 channels and resized to 299 by the reference TF1 bilinear rule.
Prints a markdown table and writes the FIDs as JSON (--out) with the provenance block of duelo.io.provenance.
"""

from __future__ import annotations

import argparse
import time

from duelo.data import load_dataset
from duelo.evaluation.features import InceptionFeatures
from duelo.evaluation.frechet import FeatureStats, frechet_distance
from duelo.io.provenance import write_result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--out", default=f"fid-sanity-{time.strftime('%Y-%m-%d')}.json",
                        help="JSON file for the FIDs, with their provenance (default: %(default)s)")
    args = parser.parse_args()
    extractor = InceptionFeatures(device=args.device, batch=500)
    started = time.perf_counter()
    train = extractor(load_dataset("mnist", split="train").images)
    test = extractor(load_dataset("mnist", split="test").images)
    stats = {"train": FeatureStats.from_features(train), "test": FeatureStats.from_features(test),
             "first10k": FeatureStats.from_features(train[:10_000]),
             "second10k": FeatureStats.from_features(train[10_000:20_000])}
    rows = [("MNIST train 60k vs MNIST test 10k", frechet_distance(stats["train"], stats["test"])),
            ("MNIST train[0:10k] vs train[10k:20k]", frechet_distance(stats["first10k"], stats["second10k"])),
            ("MNIST train vs itself", frechet_distance(stats["train"], stats["train"]))]
    try:
        fashion = extractor(load_dataset("fashion-mnist", split="test").images)
        rows.append(("MNIST test vs Fashion-MNIST test", frechet_distance(stats["test"],
                                                                         FeatureStats.from_features(fashion))))
    except Exception as error:  # noqa: BLE001 — optional row
        print(f"fashion-mnist skipped: {error}")
    seconds = time.perf_counter() - started
    print(f"{seconds:.1f} s on {args.device}")
    print("| pair | FID |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value:.4f} |")
    path = write_result(args.out, {"date": time.strftime("%Y-%m-%d"), "seconds": seconds,
                                   "rows": [{"pair": name, "fid": float(value)} for name, value in rows]})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
