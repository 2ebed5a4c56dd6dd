"""The shadow-model attack on an image run (`duelo audit RUN --reference IMAGES`; duelo.privacy.shadow): shadow
models trained with the run's own configuration (config.json: its recipe, its length or --shadow-kimg, its privacy
settings) on seeded random halves of the reference images, each shadow's generated images compared with every
reference image in pixel space (distances to the 1st, 2nd and 5th nearest), a meta-classifier learned from which
half each shadow saw, and the target's members and non-members scored by it against the target's own generated
images. The reference images must be neither members nor non-members (e.g. a dataset's test split for a run on
its training split), of the run's size and channels, labelled for a class-conditional run.

Each shadow is a full training run (its health monitor off; its summary scored as any run's is) as long as the
target trained (summary.json's kimg), so the attack costs `shadows` times the run's training: give --shadow-kimg to
shorten them, at the price of shadows that learn less than the target did. A private recipe keeps its evaluation
split out of training in each shadow as in the target: those images count as the shadow's non-members.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch

from duelo.errors import ConfigError


def _flat(images: torch.Tensor) -> np.ndarray:
    """Images in [-1, 1] as rows of pixels (float32)."""
    return images.float().reshape(len(images), -1).numpy()


def shadow_attack(run: Path, reference: str, target_fake: torch.Tensor, members: torch.Tensor, G, shadows: int,
                  kimg: float | None, seed: int, delta: float, device: str, log, others: torch.Tensor) -> dict:
    """The attack's figures (audit_scores) for `members` and `others` (records in [-1, 1]) against `target_fake`,
    the target's generated images (audit.generated_images)."""
    from duelo.data import load_dataset
    from duelo.io.pretrained import load_pretrained
    from duelo.privacy.audit import audit_scores
    from duelo.privacy.shadow import features, fit_meta, member_scores, neighbour_distances
    from duelo.tasks import run_config
    from duelo.tasks.image_gan.audit import generated_images
    from duelo.tasks.shadow_runs import trained_kimg, train_shadow

    config = run_config(run, "records")
    size = tuple(members.shape[2:])
    images = load_dataset(reference, resolution=size, channels=members.shape[1])
    if G.c_dim and images.labels is None:
        raise ConfigError(f"--reference {reference}: unlabelled images for a class-conditional run; its shadows are "
                          f"trained the run's way, so give labelled images")
    if G.c_dim and int(images.labels.max()) >= G.c_dim:
        raise ConfigError(f"--reference {reference}: labels up to {int(images.labels.max())}, but the run has "
                          f"{G.c_dim} classes")
    if len(images) < 20:
        raise ConfigError(f"--reference {reference}: {len(images)} images; give at least 20 (each shadow trains on "
                          f"half of them)")
    reference_flat = _flat(images.images.float().div(127.5).sub(1))
    if kimg is None:                        # as long as the target trained (a time budget may have ended it early)
        kimg = trained_kimg(run) or config.train.total_kimg
    rng = np.random.default_rng(seed)
    masks, shadow_features = [], []
    with tempfile.TemporaryDirectory(prefix="duelo-shadows-") as work:
        for i in range(shadows):
            mask = rng.random(len(images)) < 0.5
            path = Path(work) / f"shadow-{i}.npz"
            arrays = {"images": images.images[torch.from_numpy(mask)].numpy()}
            if G.c_dim:
                arrays["labels"] = images.labels[torch.from_numpy(mask)].numpy()
                arrays["class_names"] = np.array(images.class_names or [str(k) for k in range(G.c_dim)])
            np.savez(path, **arrays)
            trained = _trained_part(mask, images.labels, config, len(arrays.get("class_names", ())))
            log(f"shadow model {i + 1} of {shadows}: {int(trained.sum()):,} of the {len(images):,} reference "
                f"images, {kimg:g} kimg")
            folder = train_shadow(config, path, Path(work), i, seed, kimg, device)
            shadow = load_pretrained(folder / "model", map_location=device).eval()
            shadow_fake = generated_images(shadow, len(target_fake), seed, offset=7919 * (i + 1))
            shadow_features.append(features(neighbour_distances(reference_flat, _flat(shadow_fake))))
            masks.append(trained)
            shutil.rmtree(folder, ignore_errors=True)                   # one shadow's folder on disk at a time
            path.unlink()
    meta = fit_meta(shadow_features, masks, seed)
    fake = _flat(target_fake)
    scores = [member_scores(meta, features(neighbour_distances(_flat(side), fake))) for side in (members, others)]
    return {**audit_scores(*scores, delta=delta, seed=seed), "shadows": shadows, "reference": reference,
            "reference_images": len(images), "shadow_kimg": kimg,
            "features": "log pixel distances to the 1st, 2nd and 5th nearest generated image"}


def _trained_part(mask: np.ndarray, labels, config, num_classes: int) -> np.ndarray:
    """Which reference images a shadow trains on: its half, less, for a private recipe, the evaluation split that
    the run keeps out of training (duelo.tasks.image_gan.private: the same split of the same images), which the
    shadow never sees and so are not its members."""
    if config.privacy.epsilon <= 0:
        return mask
    from duelo.data.splits import split_indices
    from duelo.tasks.image_gan.private import EVAL_SEED

    chosen = np.nonzero(mask)[0]
    half = None if labels is None or not num_classes else labels[torch.from_numpy(mask)]
    _, held = split_indices(len(chosen), half, num_classes, config.privacy.eval_fraction, EVAL_SEED)
    trained = mask.copy()
    trained[chosen[np.asarray(held, dtype=np.int64)]] = False
    return trained
