"""The music task's parts: the MuseGAN-class G and D (networks.py), the shared GAN objective with the configured
stabilisers, and a feed of piano-roll windows."""

from __future__ import annotations

from duelo.config import Config
from duelo.tasks.base import Parts
from duelo.tasks.music.data import PITCHES


def generator_kwargs(config: Config, data) -> dict:
    """The generator's constructor arguments: what the saved model's config.json records."""
    m = config.music
    return {"tracks": data.voices, "bars": config.data.bars, "pitches": PITCHES, "z_dim": m.z_dim, "width": m.width,
            "c_dim": 2 if config.data.conditional else 0, "embed_dim": m.embed_dim}


def assemble(config: Config, data, runtime) -> Parts:
    from duelo.tasks.gan_parts import assemble_gan
    from duelo.tasks.music.networks import MusicDiscriminator, MusicGenerator
    from duelo.training.feed import BatchFeed
    from duelo.training.lr_schedule import lr_schedules

    g_kwargs = generator_kwargs(config, data)
    c_dim = g_kwargs["c_dim"]
    shape = (data.voices, data.steps, PITCHES)
    labels = data.train.modes if c_dim else None
    gan = assemble_gan(config, lambda: MusicGenerator(**g_kwargs),
                       lambda **kwargs: MusicDiscriminator(data.voices, data.steps, PITCHES,
                                                           max(8, config.music.width // 2), c_dim, **kwargs),
                       {}, shape, runtime.device, label_pool=None if labels is None else labels.to(runtime.device),
                       conditional=c_dim > 0)
    per_round = config.train.batch // config.train.accum_rounds
    feed = BatchFeed(data.train.rolls, labels, per_round, config.train.seed, runtime.device)
    return Parts(gan.players, gan.objective, feed, lr_schedules(config, gan.optimizers))
