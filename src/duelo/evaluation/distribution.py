"""Distribution metrics of a generator against the real data: FID and KID on Inception features,
Fréchet distance and precision/recall/density/coverage on the domain classifier's features.

Generated samples come from fixed seeds (EVAL_SEED_BASE + i) and, for conditional generators, labels
drawn with a fixed generator in the real data's class proportions, so two evaluations of one model give
the same number. Features are shared between metrics of one evaluation through `EvalContext.cache`.
"""

from __future__ import annotations

from typing import Any

import torch

from duelo.errors import ConfigError
from duelo.evaluation.context import EVAL_SEED_BASE, METRICS, EvalContext, domain_classifier


def evaluation_labels(ctx: EvalContext, n: int) -> torch.Tensor | None:
    """Labels for n conditional samples in the real class proportions (deterministic)."""
    if ctx.G.c_dim == 0:
        return None
    if ctx.labels is None:
        return torch.arange(n) % ctx.G.c_dim
    counts = torch.bincount(ctx.labels, minlength=ctx.G.c_dim).double()
    return torch.multinomial(counts / counts.sum(), n, replacement=True,
                             generator=torch.Generator().manual_seed(EVAL_SEED_BASE))


def generated_images(ctx: EvalContext) -> torch.Tensor:
    from duelo.sampling.generate import generate

    if "generated" not in ctx.cache:
        n = ctx.num_samples
        if ctx.log:
            ctx.log(f"generating {n:,} samples for evaluation")
        ctx.cache["generated"] = generate(ctx.G, [EVAL_SEED_BASE + i for i in range(n)], evaluation_labels(ctx, n))
    return ctx.cache["generated"]


def extractor(ctx: EvalContext, name: str):
    from duelo.evaluation.features import DomainFeatures, InceptionFeatures

    key = f"extractor:{name}"
    if key not in ctx.cache:
        if name == "inception":
            ctx.cache[key] = InceptionFeatures(device=ctx.device)
        else:
            if ctx.labels is None:
                raise ConfigError("domain-space metrics need a labelled dataset (the domain classifier learns "
                                  "from the labels); use fid/kid for unlabelled data")
            ctx.cache[key] = DomainFeatures(domain_classifier(ctx), ctx.fingerprint)
    return ctx.cache[key]


def feature_pair(ctx: EvalContext, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(real features, generated features) for the extractor `name`, computed once per evaluation."""
    from duelo.evaluation.reference import reference_features

    key = f"features:{name}"
    if key not in ctx.cache:
        images = generated_images(ctx)
        if images.shape[1:] != ctx.images.shape[1:]:
            raise ConfigError(f"the generator makes {tuple(images.shape[1:])} images but the dataset holds "
                              f"{tuple(ctx.images.shape[1:])}; evaluate on the data (resolution, channels) "
                              f"the model was trained on")
        feats = extractor(ctx, name)
        real = reference_features(ctx.images, ctx.fingerprint, feats, ctx.max_real, log=ctx.log)
        ctx.cache[key] = (real, feats(images))
    return ctx.cache[key]


def _frechet(ctx: EvalContext, name: str) -> float:
    from duelo.evaluation.frechet import FeatureStats, frechet_distance

    real, fake = feature_pair(ctx, name)
    return frechet_distance(FeatureStats.from_features(real), FeatureStats.from_features(fake))


@METRICS.register("fid", direction="lower", needs=("inception",))
def fid(ctx: EvalContext) -> dict[str, Any]:
    """Fréchet Inception Distance (Heusel et al. 2017) with the standard 2015-12-05 Inception-v3."""
    real, fake = feature_pair(ctx, "inception")
    return {"fid": round(_frechet(ctx, "inception"), 4), "fid_samples": len(fake), "fid_real": len(real)}


@METRICS.register("kid", direction="lower", needs=("inception",))
def kid(ctx: EvalContext) -> dict[str, Any]:
    """Kernel Inception Distance (Bińkowski et al. 2018): unbiased MMD² with a cubic kernel (raw, not ×1000)."""
    from duelo.evaluation.kid import kernel_inception_distance

    real, fake = feature_pair(ctx, "inception")
    mean, std = kernel_inception_distance(real, fake)
    return {"kid": round(mean, 6), "kid_std": round(std, 6)}


@METRICS.register("fd_domain", direction="lower", needs=("labels",))
def fd_domain(ctx: EvalContext) -> dict[str, Any]:
    """Fréchet distance in the domain classifier's 128-d feature space: a fast CPU stand-in for FID."""
    return {"fd_domain": round(_frechet(ctx, "domain"), 4)}


def _prdc(ctx: EvalContext, extractor_name: str, prefix: str) -> dict[str, Any]:
    from duelo.evaluation.prdc import precision_recall_density_coverage

    real, fake = feature_pair(ctx, extractor_name)
    n = min(len(real), len(fake))                    # equal sizes, as the papers evaluate
    # a fixed random subset of each: datasets are often stored sorted by class, so a prefix would not do
    pick = lambda count: torch.randperm(count, generator=torch.Generator().manual_seed(1))[:n]  # noqa: E731
    scores = precision_recall_density_coverage(real[pick(len(real))], fake[pick(len(fake))], k=3)
    return {f"{prefix}{k}": round(float(v), 4) for k, v in scores.items() if k in
            ("precision", "recall", "density", "coverage")}


@METRICS.register("prdc_domain", direction="higher", figure="domain_coverage", needs=("labels",))
def prdc_domain(ctx: EvalContext) -> dict[str, Any]:
    """Improved precision/recall and density/coverage (k = 3) in the domain feature space."""
    return _prdc(ctx, "domain", "domain_")


@METRICS.register("prdc", direction="higher", figure="coverage", needs=("inception",))
def prdc(ctx: EvalContext) -> dict[str, Any]:
    """Improved precision/recall (Kynkäänniemi et al. 2019) and density/coverage (Naeem et al. 2020), k = 3,
    on Inception features as the papers report them (GPU advised)."""
    return _prdc(ctx, "inception", "")
