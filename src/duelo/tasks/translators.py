"""What the image-to-image tasks (the paired ones and CycleGAN) share: building a translator and a patch
discriminator from the configuration, their optimisers, and the run's opening lines."""

from __future__ import annotations

import torch

from duelo.config import Config
from duelo.errors import ConfigError


def check_loss(config: Config) -> None:
    """The image-to-image objectives apply no gradient penalty and give G's loss only the fakes' logits: refuse a
    loss that needs a penalty or the reals' logits (a relativistic one)."""
    from duelo.losses import LOSSES

    loss = LOSSES.get(config.loss.name)
    if loss.gp_weight > 0:
        raise ConfigError(f"loss {config.loss.name!r} needs a gradient penalty, which image-to-image tasks do not "
                          f"apply; use lsgan (CycleGAN's choice), bce (pix2pix's) or hinge")
    if loss.relativistic:
        raise ConfigError(f"loss {config.loss.name!r} is relativistic: G's loss scores each output against a real "
                          f"image's logit, which the image-to-image objectives do not compute; use lsgan "
                          f"(CycleGAN's choice), bce (pix2pix's) or hinge")


def translator(config: Config, in_channels: int, out_channels: int, resolution: int):
    from duelo.models.translation import build_translator

    width = {} if config.model.width is None else {"width": config.model.width}
    G = build_translator(config.model.name, in_channels=in_channels, out_channels=out_channels,
                         resolution=resolution, **width, **config.model.g_kwargs)
    if resolution % G.size_multiple or resolution < G.min_size:
        raise ConfigError(f"{type(G).__name__} needs images whose side is a multiple of {G.size_multiple} and at "
                          f"least {G.min_size}; --resolution {resolution} is not: use a power of two such as 32 "
                          f"or 64")
    return G


def critic(config: Config, in_channels: int, resolution: int):
    from duelo.models.translation import build_patch_discriminator

    width = {} if config.model.width is None else {"width": config.model.width}
    kwargs = {**width, **config.model.d_kwargs}
    if config.model.discriminator == "patchgan" and "n_layers" not in kwargs:
        # pix2pix's 70x70 PatchGAN (3 stride-2 layers) needs 24x24 images; smaller ones get fewer layers
        kwargs["n_layers"] = max(1, min(3, (resolution // 3).bit_length() - 1))
    return build_patch_discriminator(config.model.discriminator, in_channels=in_channels, resolution=resolution,
                                     **kwargs)


def adam(config: Config, module: torch.nn.Module, lr: float) -> torch.optim.Adam:
    return torch.optim.Adam(module.parameters(), lr=lr, betas=(config.optim.beta1, config.optim.beta2))


def start_translation(session, degradation) -> None:
    """What an image-to-image run writes and says first: the data report and one line about the task."""
    from duelo.io.atomic import atomic_write_json

    run_dir, data, log, config = session.run_dir, session.data, session.log, session.config
    atomic_write_json(run_dir.data_report_path, {"reports": [r.to_dict() for r in data.reports]})
    skipped = sum(len(r.skipped) for r in data.reports)
    if skipped:
        log(f"note: {skipped} file(s) skipped; see {run_dir.data_report_path}")
    what = degradation.describe() if degradation is not None else "input from the data"
    log(f"run folder {run_dir.path} | task {config.task}: {data.summary}, "
        f"{data.channels}x{data.resolution}x{data.resolution}, {what} | {session.trainer.runtime.describe()}")
    if config.health.enabled:
        log("note: the health monitor's checks are for image synthesis; this task keeps the divergence "
            "rollback only")


def fid_enabled(config: Config, device: torch.device) -> bool:
    """image2image.fid: "on", "off", or "auto" = on CUDA only (Inception on a CPU takes minutes)."""
    setting = config.image2image.fid
    return setting == "on" or (setting == "auto" and device.type == "cuda")


# fields a translator's run folder held elsewhere before duelo 0.x's one-shape redesign
TRANSLATOR_MOVES = {("image2image", "discriminator"): ("model", "discriminator")}


def move_fields(previous: dict, moves: dict[tuple[str, str], tuple[str, str]]) -> dict:
    """A copy of config.json's `previous` with each old (section, field) moved to its new place, where the new
    place is not already set."""
    upgraded = {name: dict(value) if isinstance(value, dict) else value for name, value in previous.items()}
    for (old_section, old_field), (new_section, new_field) in moves.items():
        old = upgraded.get(old_section)
        if not isinstance(old, dict) or old_field not in old:
            continue
        target = upgraded.setdefault(new_section, {})
        if isinstance(target, dict) and new_field not in target:
            target[new_field] = old[old_field]
    return upgraded
