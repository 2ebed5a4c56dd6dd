"""The audio task's parts: the chosen model's G and D (models.py), the shared GAN objective with the configured
stabilisers, and a feed of encoded training clips."""

from __future__ import annotations

from duelo.config import Config
from duelo.tasks.base import Parts


def generator_kwargs(config: Config, data) -> dict:
    """What the saved model's config.json records to build G again."""
    from duelo.errors import ConfigError
    from duelo.tasks.audio.levels import chosen_peak
    from duelo.tasks.audio.models import AUDIO_MODELS

    a = config.audio
    shape = AUDIO_MODELS.get(a.model).shape(data.length)
    if a.film and not config.data.conditional:
        raise ConfigError("audio.film modulates G's layers by the clips' labels: it needs --conditional (or leave "
                          "audio.film off)")
    return {"model": a.model, "shape": list(shape), "z_dim": a.z_dim, "width": a.width,
            "factors": list(data.factors) if config.data.conditional else [], "embed_dim": a.embed_dim,
            "refine": a.decode_refine, "start_frames": a.start_frames, "film": a.film, "upsample": a.upsample,
            "noise": a.noise, "peak": chosen_peak(str(a.peak), data.train.waves)}


def build_generator(kwargs: dict):
    from duelo.tasks.audio.models import AUDIO_MODELS, G_OPTIONS

    options = {name: kwargs.get(name, default) for name, default in G_OPTIONS.items()}   # older models lack some
    return AUDIO_MODELS.get(kwargs["model"]).generator(tuple(kwargs["shape"]), kwargs["z_dim"], kwargs["width"],
                                                       tuple(kwargs["factors"]), kwargs["embed_dim"], **options)


def encode_clips(model: str, clips, device) -> "torch.Tensor":  # noqa: F821
    import torch

    from duelo.tasks.audio.models import AUDIO_MODELS

    waves = torch.from_numpy(clips.floats())
    return torch.cat([AUDIO_MODELS.get(model).encode(chunk.to(device)).cpu() for chunk in waves.split(256)])


def assemble(config: Config, data, runtime) -> Parts:
    from duelo.errors import ConfigError
    from duelo.tasks.audio.augment import ClipAugment
    from duelo.tasks.audio.models import AUDIO_MODELS
    from duelo.tasks.audio.quiet_floor import QuietFloor
    from duelo.tasks.gan_parts import assemble_gan
    from duelo.training.feed import BatchFeed
    from duelo.training.lr_schedule import lr_schedules

    g_kwargs = generator_kwargs(config, data)
    model = AUDIO_MODELS.get(config.audio.model)
    shape, factors = tuple(g_kwargs["shape"]), tuple(g_kwargs["factors"])
    labels = data.combined(data.train) if factors else None
    aux = config.audio.aux_weight if factors else 0.0           # the classifier term needs labels
    if config.audio.aux_fakes and aux <= 0:
        raise ConfigError("audio.aux_fakes teaches D's classifier the generated clips' classes: it needs "
                          "--conditional and audio.aux_weight above 0 (or leave audio.aux_fakes off)")
    if config.audio.augment_cutout > 0 and config.audio.augment <= 0:
        raise ConfigError("audio.augment_cutout is one of the augmentation's ops: it needs audio.augment above 0, the "
                          "probability of each op (or leave audio.augment_cutout at 0)")
    stages = []
    if config.audio.augment > 0:
        stages.append(ClipAugment(config.audio.augment, model.silence, model.gain_scales, config.audio.augment_gain_db,
                                  config.audio.augment_cutout))
    if config.audio.d_floor_db > 0:                             # spectral models only: task.check
        stages.append(QuietFloor(config.audio.d_floor_db, model.gain_scales[0], model.silence,
                                 config.audio.d_floor_gradient))
    gan = assemble_gan(config, lambda: build_generator(g_kwargs),
                       lambda **kwargs: model.discriminator(shape, config.audio.width, factors,
                                                         downsample=config.audio.downsample, **kwargs),
                       {"classify": True, "twin": config.audio.aux_fakes} if aux > 0 else {}, shape, runtime.device,
                       label_pool=None if labels is None else labels.to(runtime.device),
                       conditional=bool(factors), objective_extra={"aux_weight": aux} if aux > 0 else None,
                       d_stages=tuple(stages))
    per_round = config.train.batch // config.train.accum_rounds
    feed = BatchFeed(encode_clips(config.audio.model, data.train, runtime.device), labels, per_round,
                     config.train.seed, runtime.device)
    return Parts(gan.players, gan.objective, feed, lr_schedules(config, gan.optimizers))
