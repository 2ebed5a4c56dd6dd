"""The time-series task's models, one registry entry each (`series.model`):

    conv      dilated residual 1-D convolutions for G and D on windows, the shared GAN objective with the
              configured stabilisers (networks.py)
    timegan   TimeGAN's embedder/recovery/generator/supervisor/latent discriminator, its own objective and
              pre-training stages (timegan.py; `--preset timegan` sets the paper's optimiser and loss)

An entry builds the training parts, names the module that samples windows (from the trainer's averaged
weights) and rebuilds that module from a saved model folder's arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from duelo.config import Config
from duelo.registry import Registry
from duelo.tasks.base import Parts


@dataclass(frozen=True)
class SeriesModel:
    description: str
    assemble: Callable[..., Parts]                 # (config, data, runtime) -> Parts
    kwargs: Callable[[Config, object], dict]       # (config, data) -> the sampler's constructor arguments
    sampler: Callable[[object], object]            # trainer -> the module that draws windows: forward(z, labels)
    build: Callable[[dict], object]                # saved kwargs -> that module, untrained
    stabilisers: bool = True                       # whether the shared stabilisers apply


SERIES_MODELS: Registry[SeriesModel] = Registry("series model")


def num_classes(config: Config, data) -> int:
    return len(data.train.class_names) if config.data.conditional else 0


def _shape(data) -> dict:
    """The networks' window: steps, and channels (+ the mask channel of variable-length data)."""
    return {"window": int(data.shape[1]), "channels": int(data.shape[2]) + data.masked}


def training_feed(config: Config, data, runtime, conditional: bool):
    from duelo.training.feed import BatchFeed

    per_round = config.train.batch // config.train.accum_rounds
    return BatchFeed(data.network_windows(data.train), data.train.labels if conditional else None, per_round,
                     config.train.seed, runtime.device)


# -- conv ------------------------------------------------------------------------------------------------
def conv_kwargs(config: Config, data) -> dict:
    from duelo.tasks.timeseries.networks import blocks_to_cover

    series, shape = config.series, _shape(data)
    return {**shape, "c_dim": num_classes(config, data), "z_dim": series.z_dim,
            "step_noise": series.step_noise, "width": series.width,
            "blocks": series.blocks or blocks_to_cover(shape["window"]), "embed_dim": series.embed_dim,
            "positions": series.positions, "activation": series.activation}


def conv_assemble(config: Config, data, runtime, feed=None, label_pool=None, **objective) -> Parts:
    """The conv model's parts; a private run (private.py) gives its own `feed`, `label_pool` and `objective`
    (objective_type, objective_extra: duelo.tasks.gan_parts.assemble_gan)."""
    from duelo.tasks.gan_parts import assemble_gan
    from duelo.tasks.timeseries.networks import SeriesDiscriminator, SeriesGenerator
    from duelo.training.lr_schedule import lr_schedules

    series, device = config.series, runtime.device
    g_kwargs = conv_kwargs(config, data)
    c_dim = g_kwargs["c_dim"]
    if label_pool is None and c_dim:
        label_pool = data.label_pool()
    gan = assemble_gan(config, lambda: SeriesGenerator(**g_kwargs),
                       lambda **kwargs: SeriesDiscriminator(g_kwargs["window"], g_kwargs["channels"], c_dim,
                                                            series.width, g_kwargs["blocks"],
                                                            pooling=series.d_pooling, **kwargs),
                       {}, (g_kwargs["window"], g_kwargs["channels"]), device,
                       label_pool=label_pool.to(device) if label_pool is not None and c_dim else None,
                       conditional=c_dim > 0, **objective)
    return Parts(gan.players, gan.objective, feed or training_feed(config, data, runtime, c_dim > 0),
                 lr_schedules(config, gan.optimizers))


def _conv_build(kwargs: dict):
    from duelo.tasks.timeseries.networks import SeriesGenerator

    return SeriesGenerator(**kwargs)


SERIES_MODELS.add("conv", SeriesModel(
    "dilated residual 1-D convolutions (G and D), the shared GAN objective and stabilisers",
    conv_assemble, conv_kwargs, lambda trainer: trainer.ema["G"], _conv_build))


# -- timegan ---------------------------------------------------------------------------------------------
def timegan_kwargs(config: Config, data) -> dict:
    series = config.series
    return {**_shape(data), "c_dim": num_classes(config, data), "z_dim": series.z_dim, "hidden": series.width,
            "layers": series.layers, "embed_dim": series.embed_dim}


def _timegan_build(kwargs: dict):
    from duelo.tasks.timeseries.timegan import Recurrent, TimeGANGenerator, TimeGANSampler

    k = dict(kwargs)
    hidden, layers = k.pop("hidden"), k["layers"]
    G = TimeGANGenerator(k["window"], k["channels"], hidden, layers, k["z_dim"], k["c_dim"], k["embed_dim"])
    return TimeGANSampler(G, Recurrent(hidden, hidden, k["channels"], layers, "tanh"))


def timegan_assemble(config: Config, data, runtime) -> Parts:
    import torch

    from duelo.losses import LOSSES
    from duelo.tasks.timeseries.timegan import (LatentDiscriminator, TimeGANAutoencoder, TimeGANGenerator,
                                                TimeGANObjective)
    from duelo.training.lr_schedule import lr_schedules
    from duelo.training.protocols import Player

    k, device = timegan_kwargs(config, data), runtime.device
    E = TimeGANAutoencoder(k["channels"], k["hidden"], k["layers"]).to(device)
    G = TimeGANGenerator(k["window"], k["channels"], k["hidden"], k["layers"], k["z_dim"], k["c_dim"],
                         k["embed_dim"]).to(device)
    D = LatentDiscriminator(k["hidden"], k["layers"], k["c_dim"], k["embed_dim"]).to(device)
    o = config.optim
    optimizers = {name: torch.optim.Adam(net.parameters(), lr=lr, betas=(o.beta1, o.beta2))
                  for name, net, lr in (("E", E, o.g_lr), ("G", G, o.g_lr), ("D", D, o.d_lr))}
    labels = data.train.labels.to(device) if k["c_dim"] else None
    objective = TimeGANObjective(E, G, D, LOSSES.get(config.loss.name), config.series.pretrain_steps, labels)
    players = {"E": Player(E, optimizers["E"], ema=True), "G": Player(G, optimizers["G"], ema=True),
               "D": Player(D, optimizers["D"])}
    return Parts(players, objective, training_feed(config, data, runtime, k["c_dim"] > 0),
                 lr_schedules(config, optimizers))


def _timegan_sampler(trainer):
    from duelo.tasks.timeseries.timegan import TimeGANSampler

    return TimeGANSampler(trainer.ema["G"], trainer.ema["E"].recovery)


SERIES_MODELS.add("timegan", SeriesModel(
    "TimeGAN (Yoon et al. 2019): adversarial training in a learned latent space with a supervised next-step "
    "loss; GRU networks, pre-training stages",
    timegan_assemble, timegan_kwargs, _timegan_sampler, _timegan_build, stabilisers=False))


def assemble(config: Config, data, runtime) -> Parts:
    return SERIES_MODELS.get(config.series.model).assemble(config, data, runtime)
