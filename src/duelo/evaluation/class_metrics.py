"""Class-aware metrics of generated samples, judged by the domain classifier:

- `class_histogram`: which classes the generator produces, and in what proportions, against the real data
  (mode coverage at the level of classes; works for unconditional generators too).
- `tstr`: train-on-synthetic, test-on-real (Esteban et al. 2017; Ravuri & Vinyals 2019 "classification
  accuracy score"): a classifier trained on labelled generated samples, tested on real images that neither
  it nor the judge trained on, next to the same recipe trained on real images — "is this synthetic data
  useful?" as one ratio.
"""

from __future__ import annotations

from typing import Any

import torch

from duelo.evaluation.context import EVAL_SEED_BASE, METRICS, EvalContext, domain_classifier

COVERED_SHARE = 0.1    # a class counts as produced when it gets >= 10% of its real share


@METRICS.register("class_accuracy", direction="higher", needs=("labels", "conditional"))
def class_accuracy(ctx: EvalContext) -> dict[str, Any]:
    """Share of conditional samples that the domain classifier assigns to the requested class.

    `per_class` samples of every class from fixed seeds; also reports each class's accuracy and the
    classifier's own held-out accuracy on real images (the ceiling this number can reach).
    """
    from duelo.sampling.generate import generate

    if ctx.G.c_dim == 0 or ctx.labels is None:
        return {}
    classifier = domain_classifier(ctx)
    classes = ctx.G.c_dim
    labels = torch.arange(classes).repeat_interleave(ctx.per_class)                     # (classes * per_class,)
    seeds = [EVAL_SEED_BASE + i for i in range(len(labels))]
    predicted = classifier.predict(generate(ctx.G, seeds, labels))
    correct = (predicted == labels).float()
    per_class = correct.view(classes, ctx.per_class).mean(1)
    return {"class_accuracy": round(float(correct.mean()), 4),
            "class_accuracy_per_class": [round(float(a), 4) for a in per_class],
            "class_accuracy_samples": int(len(labels)),
            "classifier_real_accuracy": round(classifier.val_accuracy, 4)}


@METRICS.register("class_histogram", direction="lower", figure="class_histogram_tv", needs=("labels",))
def class_histogram(ctx: EvalContext) -> dict[str, Any]:
    """Predicted-class histogram of generated samples vs the real class histogram."""
    from duelo.evaluation.distribution import generated_images

    if ctx.labels is None:
        return {}
    classes = int(ctx.labels.max()) + 1
    predicted = domain_classifier(ctx).predict(generated_images(ctx))
    fake = torch.bincount(predicted, minlength=classes).double() / len(predicted)
    real = torch.bincount(ctx.labels, minlength=classes).double() / len(ctx.labels)
    present = real > 0
    covered = int(((fake >= COVERED_SHARE * real) & present).sum())
    return {"classes_covered": covered, "classes_total": int(present.sum()),
            "class_histogram_tv": round(float(0.5 * (fake - real).abs().sum()), 4),
            "class_histogram": [round(float(v), 4) for v in fake]}


@METRICS.register("tstr", direction="higher", figure="tstr_accuracy", needs=("labels", "conditional"))
def tstr(ctx: EvalContext) -> dict[str, Any]:
    """Accuracy on held-out real images of a classifier trained on generated ones (TSTR), vs trained on real."""
    from duelo.evaluation.distribution import evaluation_labels
    from duelo.evaluation.domain_classifier import judge_steps, split_indices, train_classifier
    from duelo.sampling.generate import generate

    if ctx.G.c_dim == 0 or ctx.labels is None:
        return {}
    judge = domain_classifier(ctx)                       # trained on the real data minus its held-out split
    held_out, _ = split_indices(len(ctx.images), 0.1, torch.Generator().manual_seed(0))
    n = min(ctx.num_samples, max(len(ctx.images), 1000))
    labels = evaluation_labels(ctx, n)
    synthetic = generate(ctx.G, [EVAL_SEED_BASE + i for i in range(n)], labels)
    if ctx.log:
        ctx.log(f"TSTR: training a classifier on {n:,} generated images")
    classes = int(ctx.labels.max()) + 1
    # the judge's recipe, steps included (DUELO_JUDGE_STEPS): TSTR and TRTR are compared like with like
    trained = train_classifier(synthetic, labels, classes, val_fraction=0.01, steps=judge_steps())
    accuracy = float((trained.predict(ctx.images[held_out]) == ctx.labels[held_out]).float().mean())
    return {"tstr_accuracy": round(accuracy, 4), "trtr_accuracy": round(judge.val_accuracy, 4),
            "tstr_ratio": round(accuracy / judge.val_accuracy, 4) if judge.val_accuracy else None,
            "tstr_test_images": int(len(held_out))}


def intra_class_frechet(ctx: EvalContext, extractor_name: str) -> list[float | None]:
    """Per-class Fréchet distances between real and generated features of each class (None: too few)."""
    from duelo.evaluation.distribution import evaluation_labels, feature_pair
    from duelo.evaluation.frechet import FeatureStats, frechet_distance
    from duelo.evaluation.reference import select_reference

    real, fake = feature_pair(ctx, extractor_name)
    real_labels = select_reference(ctx.labels.view(-1, 1, 1, 1), ctx.max_real).flatten()   # same subset as real
    fake_labels = evaluation_labels(ctx, len(fake))
    per_class: list[float | None] = []
    for c in range(ctx.G.c_dim):
        r, f = real[real_labels == c], fake[fake_labels == c]
        enough = len(r) >= 2 and len(f) >= 2
        per_class.append(frechet_distance(FeatureStats.from_features(r), FeatureStats.from_features(f))
                         if enough else None)
    return per_class


def _intra_summary(name: str, per_class: list[float | None]) -> dict[str, Any]:
    scored = [v for v in per_class if v is not None]
    if not scored:
        return {}
    return {name: round(sum(scored) / len(scored), 4), f"{name}_classes_scored": len(scored),
            f"{name}_per_class": [None if v is None else round(v, 4) for v in per_class]}


@METRICS.register("intra_fd_domain", direction="lower", needs=("labels", "conditional"))
def intra_fd_domain(ctx: EvalContext) -> dict[str, Any]:
    """Intra-class Fréchet distance (Miyato & Koyama 2018) in the domain feature space: the Fréchet
    distance between real and generated features of each class, averaged over classes. Catches a model
    whose classes are individually poor even when the mixture looks right."""
    if ctx.G.c_dim == 0 or ctx.labels is None:
        return {}
    return _intra_summary("intra_fd_domain", intra_class_frechet(ctx, "domain"))


@METRICS.register("intra_fid", direction="lower", needs=("labels", "conditional", "inception"))
def intra_fid(ctx: EvalContext) -> dict[str, Any]:
    """Intra-class FID: the same with the standard Inception features (GPU advised)."""
    if ctx.G.c_dim == 0 or ctx.labels is None:
        return {}
    return _intra_summary("intra_fid", intra_class_frechet(ctx, "inception"))


@METRICS.register("memorisation", needs=("labels",))
def memorisation(ctx: EvalContext) -> dict[str, Any]:
    """Nearest-neighbour distances (domain features) of generated samples to the training images, against
    those of held-out real images the model never saw; near-copies are flagged (see memorisation.py)."""
    from duelo.errors import ConfigError
    from duelo.evaluation.distribution import extractor, feature_pair
    from duelo.evaluation.memorisation import memorisation_report

    if ctx.heldout is None:
        raise ConfigError("memorisation needs real images the model did not train on: pass --heldout DATASET "
                          "(e.g. --heldout mnist:test for a model trained on mnist-5k)")
    overlap = _shared_rows(ctx.heldout, ctx.images)
    heldout_images = ctx.heldout[~overlap]
    if overlap.float().mean() > 0.5 or len(heldout_images) < 2:
        raise ConfigError(f"{int(overlap.sum()):,} of the {len(ctx.heldout):,} held-out images also appear in the "
                          f"training data; give real images the model never trained on (e.g. a test split)")
    _, fake = feature_pair(ctx, "domain")
    features = extractor(ctx, "domain")
    train = features(ctx.images)                     # every training image, not the reference subset
    report = memorisation_report(fake, train, features(heldout_images))
    report["heldout_duplicates_removed"] = int(overlap.sum())
    return {f"memorisation_{k}": v for k, v in report.items() if not isinstance(v, list)}


def _shared_rows(candidates: torch.Tensor, pool: torch.Tensor) -> torch.Tensor:
    """Bool (len(candidates),): rows whose exact pixels also occur in `pool` (hash per image)."""
    import hashlib

    def digests(images: torch.Tensor) -> list[bytes]:
        flat = images.reshape(len(images), -1).contiguous().numpy()
        return [hashlib.blake2b(row.tobytes(), digest_size=16).digest() for row in flat]

    known = set(digests(pool))
    return torch.tensor([d in known for d in digests(candidates)], dtype=torch.bool)
