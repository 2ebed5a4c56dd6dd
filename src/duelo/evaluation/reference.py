"""Features of the real data, cached on disk: keyed by dataset fingerprint (which fixes the dataset, its
split and its resolution/channels), extractor pre-processing and sample count.

Stored as features (not only mean/covariance) so that KID, precision/recall and coverage can reuse them;
the Gaussian statistics FID needs are derived on load. safetensors + JSON, never pickle.
"""

from __future__ import annotations

import hashlib
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from duelo.evaluation.domain_classifier import cache_dir
from duelo.io.atomic import atomic_write, atomic_write_json

CACHE_VERSION = 1


def reference_key(fingerprint: str, preprocess_id: str, count: int) -> str:
    text = f"v{CACHE_VERSION}|{fingerprint}|{preprocess_id}|{count}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def select_reference(images: torch.Tensor, count: int, seed: int = 0) -> torch.Tensor:
    """At most `count` real images, a fixed random subset when there are more (same every time)."""
    if len(images) <= count:
        return images
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:count]
    return images[order.sort().values]


def reference_features(images: torch.Tensor, fingerprint: str, extractor, count: int, log=None) -> torch.Tensor:
    """(min(N, count), D) features of the real images, computed once and cached."""
    key = reference_key(fingerprint, extractor.preprocess_id, count)
    folder = cache_dir().parent / "reference"
    weights, meta = folder / f"{key}.safetensors", folder / f"{key}.json"
    if weights.exists() and meta.exists():
        try:
            features = load_file(str(weights))["features"]
            if features.shape == (min(len(images), count), extractor.dim):
                return features
        except (OSError, KeyError, ValueError, SafetensorError):
            pass  # damaged cache entry: recompute below
    chosen = select_reference(images, count)
    if log:
        log(f"computing {extractor.name} features of {len(chosen):,} real images (cached for later)")
    features = extractor(chosen).float().contiguous()
    atomic_write(weights, lambda temp: save_file({"features": features}, str(temp)))
    atomic_write_json(meta, {"version": CACHE_VERSION, "fingerprint": fingerprint, "extractor": extractor.name,
                             "preprocess_id": extractor.preprocess_id, "count": len(chosen)})
    return features
