"""One generator against one discriminator, put together the same way for every task that trains them with the
shared GAN objective (image synthesis, the toy mixtures): stabilisers at their three moments, stages in front
of D, lazy Adam for the regularised networks, the objective and the two players.

A task supplies only what is its own: how to build G and D, the shape of one sample, the feed, and any extra
stage in front of D (an augmentation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from duelo import stabilisers
from duelo.config import Config
from duelo.errors import ConfigError
from duelo.training.optim import lazy_adam_settings
from duelo.training.protocols import Player


@dataclass
class GANParts:
    G: nn.Module
    D: nn.Module
    optimizers: dict
    objective: object                      # duelo.objectives.GANObjective
    players: dict[str, Player]


def assemble_gan(config: Config, build_g: Callable[[], nn.Module], build_d: Callable[..., nn.Module],
                 d_kwargs: dict, sample_shape: tuple[int, ...], device: torch.device, label_pool=None,
                 conditional: bool = False, d_stages: tuple[nn.Module, ...] = (),
                 d_parameters: Callable[[nn.Module], list] | None = None,
                 objective_type: Callable[..., Any] | None = None, objective_extra: dict | None = None) -> GANParts:
    """G = build_g(), D = build_d(**d_kwargs adjusted by the stabilisers); `d_stages` go in front of D before the
    stabilisers' own (instance noise); fake labels are drawn from `label_pool` (the feed's labels) if given;
    `d_parameters(D)` chooses what D's optimiser trains (all of D by default; FreezeD leaves stages out);
    `objective_type` replaces GANObjective by a subclass with another game for G (SeqGAN's policy gradient),
    given `objective_extra` besides the usual arguments."""
    from duelo.augment.pipeline import DInputs
    from duelo.losses import LOSSES
    from duelo.objectives import GANObjective

    a = stabilisers.Assembly(config=config, d_kwargs=dict(d_kwargs), loss=LOSSES.get(config.loss.name),
                             sample_shape=sample_shape, conditional=conditional)
    stabilisers.apply(a, "before_models")
    a.G = G = build_g().to(device)
    try:
        a.D = build_d(**a.d_kwargs)
    except (ConfigError, TypeError) as error:       # a discriminator without a stabiliser's argument
        added = sorted(set(a.d_kwargs) - set(d_kwargs))
        if not added:
            raise
        raise ConfigError(f"{error}. The stabiliser setting(s) {', '.join(added)} need a discriminator that takes "
                          f"them: turn the stabiliser off (see --set stabilise.*) or choose another model") from None
    a.d_input_stages.extend(d_stages)
    stabilisers.apply(a, "after_models")
    D = a.D.to(device)
    betas = (config.optim.beta1, config.optim.beta2)
    d_lr, d_betas = lazy_adam_settings(config.optim.d_lr, betas, a.d_lazy_interval)
    g_lr, g_betas = lazy_adam_settings(config.optim.g_lr, betas, a.g_lazy_interval)
    a.optimizers = {"G": torch.optim.Adam(G.parameters(), lr=g_lr, betas=g_betas),
                    "D": torch.optim.Adam(D.parameters() if d_parameters is None else d_parameters(D), lr=d_lr,
                                          betas=d_betas)}
    stabilisers.apply(a, "after_optimizers")
    gp_weight = a.loss.gp_weight if config.loss.gp_weight is None else config.loss.gp_weight
    kwargs = dict(a.objective_kwargs)
    if "pool" in kwargs:
        kwargs["pool"] = kwargs["pool"].to(device)
    objective = (objective_type or GANObjective)(
        G, D, a.loss, gp_weight=gp_weight, d_steps=config.train.d_steps, label_pool=label_pool,
        d_inputs=DInputs(a.d_input_stages).to(device), **kwargs, **(objective_extra or {}))
    players = {"G": Player(G, a.optimizers["G"], ema=True), "D": Player(D, a.optimizers["D"])}
    return GANParts(G, D, a.optimizers, objective, players)
