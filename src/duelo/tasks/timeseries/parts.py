"""The time-series task's parts: the convolutional G and D on windows, the shared GAN objective with the
configured stabilisers, and a feed of the training windows."""

from __future__ import annotations

from duelo.config import Config
from duelo.tasks.base import Parts


def generator_kwargs(config: Config, data) -> dict:
    """The generator's constructor arguments: what the saved model's config.json records."""
    series = config.series
    return {"window": int(data.train.windows.shape[1]), "channels": int(data.train.windows.shape[2]),
            "c_dim": num_classes(config, data), "z_dim": series.z_dim, "step_noise": series.step_noise,
            "width": series.width, "blocks": series.blocks, "embed_dim": series.embed_dim}


def num_classes(config: Config, data) -> int:
    return len(data.train.class_names) if config.data.conditional else 0


def assemble(config: Config, data, runtime) -> Parts:
    from duelo.tasks.gan_parts import assemble_gan
    from duelo.tasks.timeseries.networks import SeriesDiscriminator, SeriesGenerator
    from duelo.training.feed import BatchFeed
    from duelo.training.lr_schedule import lr_schedules

    series, device = config.series, runtime.device
    train = data.train
    per_round = config.train.batch // config.train.accum_rounds
    g_kwargs = generator_kwargs(config, data)
    c_dim = g_kwargs["c_dim"]
    labels = train.labels if c_dim else None
    feed = BatchFeed(train.windows, labels, per_round, config.train.seed, device)
    gan = assemble_gan(config, lambda: SeriesGenerator(**g_kwargs),
                       lambda **kwargs: SeriesDiscriminator(g_kwargs["window"], g_kwargs["channels"], c_dim,
                                                            series.width, series.blocks, **kwargs),
                       {}, tuple(train.windows.shape[1:]), device,
                       label_pool=labels.to(device) if labels is not None else None, conditional=c_dim > 0)
    return Parts(gan.players, gan.objective, feed, lr_schedules(config, gan.optimizers))
