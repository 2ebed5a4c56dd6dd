"""The membership audit of an image run (`duelo audit RUN`): members are the records the run trained on, non-members
records of the same data it never saw (a private run's evaluation split; otherwise the health monitor's held-out
split; or images given with --nonmembers: they must come from the same distribution and never have been trained
on), as many of each (at most `max_records`). Two attacks (duelo.privacy.audit), and a third with --reference:

  distance_to_closest   each record's pixel distance to the closest of `samples` images from the run's G_ema;
  discriminator         the run's D (latest checkpoint, evaluation mode) logit on each record, with its label;
  shadow_model          shadows trained the run's way on halves of the reference images (shadow.py).

The audit reads the real records: it is the data owner's check, not part of what a private run releases.
"""

from __future__ import annotations

from pathlib import Path

import torch

from duelo.errors import ConfigError


def _records(session, nonmembers: str | None) -> tuple[tuple, tuple]:
    """((member images, labels), (non-member images, labels)), uint8 images; `nonmembers` (a dataset spec) replaces
    the run's own held-out records."""
    data = session.data
    private = "privacy" in session.parts.extras
    split = session.parts.extras["split"]
    members = data.records.audit_copy() if private else (split.train_images, split.train_labels)
    if nonmembers is not None:
        from duelo.data import load_dataset

        other = load_dataset(nonmembers, resolution=data.size, channels=data.channels)
        if members[1] is not None and other.labels is None:
            raise ConfigError(f"--nonmembers {nonmembers}: unlabelled images for a labelled run; give labelled ones")
        return members, (other.images, other.labels)
    if private:
        return members, (data.evaluation.images, data.evaluation.labels)
    if split.heldout_images is None:
        raise ConfigError(f"{session.run_dir.path}: the run held nothing out (its health monitor was off), so there "
                          f"are no non-members to compare with; give images it never saw with --nonmembers")
    return members, (split.heldout_images, split.heldout_labels)


def generated_images(G, samples: int, seed: int, offset: int = 0) -> torch.Tensor:
    """`samples` images of G for the audit's seeds (classes in turn for a conditional G), on the records' scale:
    the PNGs' pixels mapped to [-1, 1], as the records are (`_pick`)."""
    from duelo.sampling.generate import generate

    seeds = [seed * 1_000_003 + offset + k for k in range(samples)]
    labels = torch.arange(samples) % G.c_dim if G.c_dim else None
    return generate(G, seeds, labels).float().div(127.5).sub(1)


def _pick(images, labels, n: int, generator: torch.Generator):
    index = torch.randperm(len(images), generator=generator)[:n]
    return images[index].float().div(127.5).sub(1), None if labels is None else labels[index]


def audit_image_run(run: Path, samples: int, max_records: int, seed: int, device: str, log,
                    nonmembers: str | None = None, reference: str | None = None, shadows: int = 4,
                    shadow_kimg: float | None = None) -> dict:
    from duelo.privacy.audit import DEFAULT_DELTA, audit_scores, distance_scores
    from duelo.tasks.image_gan.run_models import d_logits, load_run_networks

    session, G, D, source = load_run_networks(run, device, "duelo audit")
    (members, m_labels), (others, o_labels) = _records(session, nonmembers)
    n = min(len(members), len(others), max_records)
    generator = torch.Generator().manual_seed(seed)
    members, m_labels = _pick(members, m_labels, n, generator)
    others, o_labels = _pick(others, o_labels, n, generator)
    log(f"audit: {n:,} members and {n:,} non-members, {samples:,} generated images ({source})")
    conditional = G.c_dim > 0
    fake = generated_images(G, samples, seed)
    plan = session.parts.extras.get("privacy")
    delta = plan.delta if plan is not None else DEFAULT_DELTA
    target = session.trainer.runtime.device

    def logits(images, labels):
        return d_logits(D, images, labels if conditional else None, target)

    attacks = {"distance_to_closest": audit_scores(distance_scores(members, fake), distance_scores(others, fake),
                                                   delta, seed),
               "discriminator": audit_scores(logits(members, m_labels), logits(others, o_labels), delta, seed)}
    if reference is not None:
        from duelo.tasks.image_gan.shadow import shadow_attack

        attacks["shadow_model"] = shadow_attack(run, reference, fake, members, G, shadows, shadow_kimg, seed, delta,
                                                device, log, others)
    result = {"run": str(run), "checkpoint": source, "members": n, "nonmembers": n, "generated": samples,
              "delta": delta, "attacks": attacks}
    summary = run / "summary.json"
    if summary.is_file():
        import json

        result["privacy"] = json.loads(summary.read_text()).get("privacy")
    return result
