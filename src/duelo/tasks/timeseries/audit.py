"""The membership audit of a time-series run (`duelo audit RUN`): members are the windows the run trained on,
non-members windows of the same data it never saw (a private run's evaluation split, otherwise the held-out split;
or windows given with --nonmembers, put on the run's scale), as many of each (at most `max_records`). Two attacks
(duelo.privacy.audit):

  distance_to_closest   each window's distance to the closest of `samples` windows of the run's averaged G;
  discriminator         the run's D (latest checkpoint) logit on each window, with its label.

A window is the record: for sliding windows over a long series, neighbouring members share most of their steps
with each other and with nearby non-members, so the attacks read more overlap than membership (a private run
refuses such data). The audit reads the real windows: it is the data owner's check, not part of what a private
run releases. The shadow-model attack is for image runs and table models.
"""

from __future__ import annotations

from pathlib import Path

import torch

from duelo.errors import ConfigError


def _nonmembers(spec: str, data) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Windows from `spec` on the run's scale (its per-channel low and high), with labels."""
    from duelo.tasks.timeseries.data import load_series

    train = data.train
    other = load_series(spec, window=data.shape[1])
    if other.shape[2] != data.shape[2]:
        raise ConfigError(f"--nonmembers {spec}: windows of {other.shape[2]} channel(s); the run's have "
                          f"{data.shape[2]} ({', '.join(train.columns[:6])})")
    raw = other.to_original(other.windows)
    scaled = ((raw - train.low) / (train.high - train.low) * 2 - 1).clamp(-1, 1).float()
    return scaled, other.labels


def _load_latest(run: Path, modules: dict) -> str:
    """Load the run's latest checkpoint into `modules` (name -> module, as the checkpoint names its networks);
    the checkpoint's description."""
    from duelo.training.checkpoint import load_latest

    checkpoint = load_latest(run / "checkpoints", warn=lambda message: None)
    if checkpoint is None:
        raise ConfigError(f"{run}: no checkpoint yet; train the run first")
    for name, module in modules.items():
        prefix = f"net.{name}."
        state = {k[len(prefix):]: v for k, v in checkpoint.tensors.items() if k.startswith(prefix)}
        try:
            module.load_state_dict(state)
        except RuntimeError as error:
            raise ConfigError(f"{run}: {checkpoint.path.name} does not fit the run's own configuration ({name}: "
                              f"{str(error).splitlines()[0]})") from None
    return f"{run} ({checkpoint.path.name}, {checkpoint.nimg / 1000:.1f} kimg)"


def audit_series_run(run: Path, samples: int, max_records: int, seed: int, device: str, log,
                     nonmembers: str | None = None, reference: str | None = None, shadows: int = 4,
                     shadow_kimg: float | None = None) -> dict:
    from duelo.privacy.audit import DEFAULT_DELTA, audit_scores, distance_scores
    from duelo.tasks import run_config
    from duelo.tasks.runner import build_session

    if reference is not None:
        raise ConfigError("--reference (the shadow-model attack) is for image runs and table models; a time-series "
                          "run gets the distance and discriminator attacks")
    config = run_config(run, "windows").with_overrides({"train.device": device}, source="duelo audit")
    if config.series.model != "conv":
        raise ConfigError(f"{run}: series.model {config.series.model}; the audit reads conv runs (TimeGAN's D "
                          f"judges latent sequences, not windows)")
    session = build_session(config, live_progress=False)
    G, D = session.trainer.ema["G"], session.parts.players["D"].module
    source = _load_latest(run, {"G_ema": G, "D": D})
    G.eval(), D.eval()
    data = session.data
    if data.masked:
        raise ConfigError(f"{run}: windows of different lengths; the audit compares whole windows of one length")
    members, m_labels = data.train.records.audit_copy() if data.private else (data.train.windows,
                                                                             data.train.labels)
    others, o_labels = (_nonmembers(nonmembers, data) if nonmembers is not None
                        else (data.heldout.windows, data.heldout.labels))
    conditional = G.c_dim > 0
    if conditional and o_labels is None:
        raise ConfigError(f"--nonmembers {nonmembers}: unlabelled windows for a conditional run; give labelled ones")
    n = min(len(members), len(others), max_records)
    generator = torch.Generator().manual_seed(seed)
    pick_m, pick_o = (torch.randperm(len(x), generator=generator)[:n] for x in (members, others))
    members, others = members[pick_m].float(), others[pick_o].float()
    m_labels = m_labels[pick_m] if conditional else None
    o_labels = o_labels[pick_o] if conditional else None
    log(f"audit: {n:,} member and {n:,} non-member windows, {samples:,} generated windows ({source})")
    target = session.trainer.runtime.device
    with torch.no_grad():
        latents = G.sample_latents(samples, torch.Generator(device=target).manual_seed(seed), target)
        labels = torch.arange(samples, device=target) % G.c_dim if conditional else None
        fake = G(latents, labels).float().cpu()
    plan = session.parts.extras.get("privacy")
    delta = plan.delta if plan is not None else DEFAULT_DELTA

    @torch.no_grad()
    def logits(windows, labels):
        out = []
        for index in torch.arange(len(windows)).split(512):
            y = labels[index].to(target) if labels is not None else None
            out.append(D(windows[index].to(target), y).float().reshape(len(index), -1).mean(1).cpu())
        return torch.cat(out)

    attacks = {"distance_to_closest": audit_scores(distance_scores(members, fake), distance_scores(others, fake),
                                                   delta, seed),
               "discriminator": audit_scores(logits(members, m_labels), logits(others, o_labels), delta, seed)}
    result = {"run": str(run), "checkpoint": source, "members": n, "nonmembers": n, "generated": samples,
              "delta": delta, "attacks": attacks}
    if data.train.per_series > 1:
        result["note"] = (f"sliding windows: up to {data.train.per_series:,} overlapping windows per series, so "
                          f"members and non-members share steps; read the AUCs as overlap, not membership")
    summary = run / "summary.json"
    if summary.is_file():
        import json

        result["privacy"] = json.loads(summary.read_text()).get("privacy")
    return result
