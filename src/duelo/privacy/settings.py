"""What a private run (privacy.epsilon > 0) changes in a GAN configuration, and what it refuses, before anything
is read or built. Each refusal says why the setting cannot be private; each change is made with a note, because a
private run must not read the training records anywhere but in D's DP-SGD steps:

  refused   a gradient penalty, R1, R2 (second-order per-record terms, not clipped by DP-SGD here), relativistic
            losses (G's step would read real records), the minibatch-stddev layer (mixes the records of a batch),
            spectral norm (its power iteration updates buffers inside the per-record gradient), the AC-GAN
            classifier term (model.aux_weight), periodic
            evaluation against the training data (run.eval_kimg), accumulation rounds and several processes;
  changed   the health monitor off (its probes read training records), adaptive augmentation off (its strength
            follows D's outputs on real records: "auto" becomes none, a fixed policy stays), CUDA graphs off
            (batches of random size), dcgan's batch norm in D replaced by group norm.
"""

from __future__ import annotations

from duelo.errors import ConfigError


def _refusals(config) -> list[str]:
    from duelo.losses import LOSSES

    loss = LOSSES.get(config.loss.name)
    gp = loss.gp_weight if config.loss.gp_weight is None else config.loss.gp_weight
    s = config.stabilise
    checks = [
        (gp > 0, f"loss {config.loss.name} with a gradient penalty (weight {gp:g}): set --gp-weight 0 or use "
                 f"bce, hinge or lsgan"),
        (s.r1_gamma > 0 or s.r2_gamma > 0 or s.r1_per_pixel > 0, "R1/R2 penalties (stabilise.r1_gamma, r2_gamma, "
                                                                 "r1_per_pixel): set them to 0"),
        (loss.relativistic, f"the relativistic loss {config.loss.name}: its G step reads real records; use bce, "
                            f"hinge or lsgan"),
        (s.mbstd_group > 0, "the minibatch-stddev layer (stabilise.mbstd_group), which mixes the records of a "
                            "batch: set it to 0"),
        (s.spectral_norm, "spectral norm (stabilise.spectral_norm): its power iteration updates buffers inside "
                          "each record's gradient; clipping bounds each record already"),
        (getattr(config.run, "eval_kimg", None) is not None,
         "periodic evaluation (run.eval_kimg) against the training images: drop it; the run's summary scores it "
         "on the evaluation split"),
        (config.has("model") and getattr(config.model, "aux_weight", 0) > 0,
         "the auxiliary classifier term (model.aux_weight): its per-record term on real labels is not clipped "
         "here; set it to 0"),
        (config.train.accum_rounds > 1, "accumulation rounds (train.accum_rounds): set it to 1"),
        (config.has("augment") and config.augment.name not in ("auto", "none") and config.augment.adaptive,
         f"adaptive augmentation ({config.augment.name if config.has('augment') else ''}), whose strength follows "
         f"D's outputs on real records: set augment.adaptive=false (a fixed p) or --augment none"),
    ]
    return [text for refused, text in checks if refused]


def private_config(config):
    """The configuration a private run trains with (notes in each changed field's source), or ConfigError."""
    if not config.privacy.epsilon > 0:
        return config
    reasons = _refusals(config)
    if reasons:
        raise ConfigError("differential privacy (--dp-epsilon) cannot be kept with: " + "; ".join(reasons))
    changes = {"health.enabled": False, "train.cuda_graph": False}
    if config.has("augment") and config.augment.name == "auto":
        changes["augment.name"] = "none"
    if config.has("model") and config.model.name == "dcgan" and config.model.d_kwargs.get("norm", "batch") == "batch":
        changes["model.d_kwargs"] = {**config.model.d_kwargs, "norm": "group"}
    return config.with_overrides(changes, source="privacy (--dp-epsilon)")


def check_processes(world_size: int) -> None:
    if world_size > 1:
        raise ConfigError("differential privacy runs in one process: each process would sample and noise on its own "
                          "and the accountant counts one sampler; train without torchrun")
