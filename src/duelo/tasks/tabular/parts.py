"""Put the tabular GAN together for the trainer: condition sampler, generator, critic, span activation,
optimisers, objective and feed (Xu et al. 2019; Lin et al. 2018; Gulrajani et al. 2017)."""

from __future__ import annotations

import torch

from duelo.config import Config
from duelo.tasks.base import Parts
from duelo.training.protocols import Player


def build_generator(embedding_dim: int, generator_dim: tuple[int, ...], data_dim: int, transformer, sampler,
                    device: torch.device):
    """(generator, span activation) for `data_dim` encoded features and the sampler's conditions."""
    from duelo.tasks.tabular.conditioning import discrete_spans
    from duelo.tasks.tabular.networks import ResidualGenerator, SpanActivation

    G = ResidualGenerator(embedding_dim + sampler.cond_dim, tuple(generator_dim), data_dim)
    activation = SpanActivation(transformer.output_info_, discrete_spans(transformer.column_specs_))
    return G.to(device), activation.to(device)


def build_networks(model_config, data_dim: int, transformer, sampler, device: torch.device):
    """(generator, critic, span activation) for the `model` section."""
    from duelo.tasks.tabular.networks import PacDiscriminator

    G, activation = build_generator(model_config.embedding_dim, model_config.generator_dim, data_dim, transformer,
                                    sampler, device)
    D = PacDiscriminator(data_dim + sampler.cond_dim, tuple(model_config.discriminator_dim), model_config.pac)
    return G, D.to(device), activation


def assemble(config: Config, data, device: torch.device) -> Parts:
    from duelo.tasks.tabular.conditioning import ConditionSampler
    from duelo.tasks.tabular.data import TableFeed
    from duelo.tasks.tabular.objective import TabularObjective, make_optimizer
    from duelo.training.lr_schedule import lr_schedules

    model, optim = config.model, config.optim
    per_round = config.train.batch // config.train.accum_rounds           # checked by Tabular.check
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
