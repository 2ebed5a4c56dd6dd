"""Put the tabular GAN together for the trainer: condition sampler, generator, critic, span activation,
optimisers, objective and feed (Xu et al. 2019; Lin et al. 2018; Gulrajani et al. 2017)."""

from __future__ import annotations

import torch

from duelo.config import Config
from duelo.errors import ConfigError
from duelo.tasks.base import Parts
from duelo.training.protocols import Player


def build_networks(model_config, data_dim: int, transformer, sampler, device: torch.device):
    """(generator, critic, span activation) for `data_dim` encoded features and the sampler's conditions."""
    from duelo.tasks.tabular.conditioning import discrete_spans
    from duelo.tasks.tabular.networks import PacDiscriminator, ResidualGenerator, SpanActivation

    cond_dim = sampler.cond_dim
    G = ResidualGenerator(model_config.embedding_dim + cond_dim, tuple(model_config.generator_dim), data_dim)
    D = PacDiscriminator(data_dim + cond_dim, tuple(model_config.discriminator_dim), model_config.pac)
    activation = SpanActivation(transformer.output_info_, discrete_spans(transformer.column_specs_))
    return G.to(device), D.to(device), activation.to(device)


def assemble(config: Config, data, device: torch.device) -> Parts:
    from duelo.tasks.tabular.conditioning import ConditionSampler
    from duelo.tasks.tabular.data import TableFeed
    from duelo.tasks.tabular.objective import TabularObjective, make_optimizer
    from duelo.training.lr_schedule import lr_schedules

    model, optim = config.model, config.optim
    per_round = config.train.batch // config.train.accum_rounds
    if per_round % model.pac:
        raise ConfigError(f"train.batch / train.accum_rounds ({per_round}) must be a multiple of model.pac "
                          f"({model.pac}): the critic judges packs of pac rows")
    if per_round < 2:
        raise ConfigError(f"train.batch must give at least 2 rows per round (batch norm needs two), got {per_round}")
    from duelo.health.heldout import split_heldout

    health = config.health
    split = split_heldout(torch.as_tensor(data.matrix), None, health.heldout_fraction if health.enabled else 0.0,
                          health.heldout_max, batch=per_round)
    train_rows = split.train_images                                  # (N, D): what the critic learns from
    sampler = ConditionSampler.from_encoded(train_rows.numpy(), data.transformer.column_specs_, device)
    G, D, activation = build_networks(model, data.matrix.shape[1], data.transformer, sampler, device)
    betas = (optim.beta1, optim.beta2)
    optimizers = {"G": make_optimizer(G.parameters(), optim.g_lr, betas, optim.g_weight_decay),
                  "D": make_optimizer(D.parameters(), optim.d_lr, betas, optim.d_weight_decay)}
    objective = TabularObjective(G, D, activation, sampler, model.embedding_dim, model.pac, model.gp_weight,
                                 d_steps=config.train.d_steps)
    players = {"G": Player(G, optimizers["G"], ema=True), "D": Player(D, optimizers["D"])}
    feed = TableFeed(train_rows, data.fingerprint, data.name, sampler, per_round, device)
    return Parts(players, objective, feed, lr_schedules(config, optimizers),
                 extras={"sampler": sampler, "train_rows": train_rows, "heldout_rows": split.heldout_images})
