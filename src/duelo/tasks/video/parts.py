"""The video task's parts: the MoCoGAN-class G and D (networks.py), the shared GAN objective with the configured
stabilisers, and a feed of freshly rendered clips."""

from __future__ import annotations

from duelo.config import Config
from duelo.tasks.base import Parts


def generator_kwargs(config: Config) -> dict:
    """The generator's constructor arguments: what the saved model's config.json records."""
    d, v = config.data, config.video
    return {"frames": d.frames, "size": d.size, "channels": 1, "z_content": v.z_content, "z_motion": v.z_motion,
            "width": v.width, "c_dim": 10 if d.conditional else 0, "embed_dim": v.embed_dim}


def assemble(config: Config, data, runtime) -> Parts:
    from duelo.tasks.gan_parts import assemble_gan
    from duelo.tasks.video.data import ClipFeed
    from duelo.tasks.video.networks import VideoDiscriminator, VideoGenerator
    from duelo.training.lr_schedule import lr_schedules

    g_kwargs = generator_kwargs(config)
    c_dim = g_kwargs["c_dim"]
    per_round = config.train.batch // config.train.accum_rounds
    shape = (g_kwargs["frames"], 1, g_kwargs["size"], g_kwargs["size"])
    pool = data.train.labels if c_dim else None        # fake labels follow the digits' class frequencies
    gan = assemble_gan(config, lambda: VideoGenerator(**g_kwargs),
                       lambda **kwargs: VideoDiscriminator(g_kwargs["frames"], g_kwargs["size"], 1,
                                                           config.video.width, c_dim, **kwargs),
                       {}, shape, runtime.device, label_pool=pool, conditional=c_dim > 0)
    return Parts(gan.players, gan.objective, ClipFeed(data.train, per_round), lr_schedules(config, gan.optimizers))
