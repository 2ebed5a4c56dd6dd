"""The audio models (`--model`, AUDIO_MODELS): what G draws (waves or spectral pictures), how clips become
that and back, and which networks draw and judge it (networks.py).

    wavegan   the waveform itself, (1, 16,384)                               WaveGAN
    specgan   log magnitude + instantaneous frequency, (2, 256, 128)         SpecGAN with GANSynth's phase
    specgan-h the same from a 2048-point transform, (2, 1024, 32)            GANSynth's high frequency resolution
    specgan-m the same from a 1024-point transform, (2, 512, 64)             between the two
    specgan-mel specgan-m's picture with its rows evenly spaced in mel, (2, 512, 64)   GANSynth's IF-Mel
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from duelo.registry import Registry


@dataclass(frozen=True)
class AudioModel:
    description: str
    shape: Callable[[int], tuple[int, ...]]                 # clip length -> one sample's shape
    encode: Callable[[torch.Tensor], torch.Tensor]          # waves (N, L) in [-1, 1] -> samples
    decode: Callable[..., torch.Tensor]                     # samples, clip length[, refine] -> waves (N, L)
    generator: Callable[..., nn.Module]                     # (shape, z_dim, width, factors, embed_dim,
                                                            #  **G_OPTIONS) -> G
    discriminator: Callable[..., nn.Module]                 # (shape, width, factors, classify, twin,
                                                            #  downsample) -> D
    silence: tuple[float, ...]                              # per channel: the value of a silent clip
    gain_scales: tuple[float, ...]                          # per channel, for augment.ClipAugment's gain
    magnitude: Callable[[torch.Tensor], torch.Tensor]       # samples -> (N, F, T) a log-magnitude picture (health)
    refine: int = 0                                         # Griffin-Lim rounds its pictures want when decoded
                                                            # (audio.decode_refine; the run says so when it has fewer)


AUDIO_MODELS: Registry[AudioModel] = Registry("audio model")
# G's settings past the five every model takes, with the value a saved model that predates one had
G_OPTIONS = {"start_frames": 0, "film": False, "upsample": "transposed", "noise": False}
SPECTRAL_ONLY = ("start_frames", "upsample", "noise")


def _wave_generator(shape, z_dim, width, factors, embed_dim, **options) -> nn.Module:
    from duelo.errors import ConfigError
    from duelo.tasks.audio.networks import WaveGenerator

    for name in SPECTRAL_ONLY:
        if options.get(name, G_OPTIONS[name]) != G_OPTIONS[name]:
            spectral = ", ".join(model for model in AUDIO_MODELS.names() if model != "wavegan")
            raise ConfigError(f"audio.{name} applies to the spectral models ({spectral}), not to wavegan: leave it "
                              f"at {G_OPTIONS[name]}")
    return WaveGenerator(z_dim, width, factors, embed_dim, options.get("film", False))


def _wave_discriminator(shape, width, factors, classify=False, twin=False, downsample="strided") -> nn.Module:
    from duelo.errors import ConfigError
    from duelo.tasks.audio.networks import WaveDiscriminator

    if downsample != "strided":
        raise ConfigError("audio.downsample applies to the spectral models' D, not to wavegan's: leave it at strided")
    return WaveDiscriminator(width, factors, classify=classify, twin=twin)


def _wavegan() -> AudioModel:
    from duelo.tasks.audio.clips import RATE
    from duelo.tasks.audio.spectral import log_mel

    return AudioModel(
        "WaveGAN: the waveform by 1-D transposed convolutions; phase shuffle in D",
        lambda length: (1, length), lambda waves: waves[:, None],
        lambda samples, length, refine=0: samples[:, 0, :length],
        _wave_generator,
        _wave_discriminator,
        silence=(0.0,), gain_scales=(0.0,),                # the wave is multiplied by the gain
        magnitude=lambda samples: log_mel(samples[:, 0].float(), RATE))


def _spectral(form, description: str, refine: int = 0) -> AudioModel:
    from duelo.tasks.audio import spectral
    from duelo.tasks.audio.networks import SpecDiscriminator, SpecGenerator

    return AudioModel(
        description, form.shape, form.encode, form.decode,
        lambda shape, z_dim, width, factors, embed_dim, **options: SpecGenerator(
            shape[1], shape[2], z_dim, width, factors, embed_dim, **options),
        lambda shape, width, factors, classify=False, twin=False, downsample="strided": SpecDiscriminator(
            shape[1], shape[2], width, factors, classify=classify, twin=twin, downsample=downsample),
        silence=(-1.0, 0.0), gain_scales=(spectral.LOG_GAIN_SCALE, math.nan),   # log magnitude moved, IF kept
        magnitude=lambda samples: samples[:, 0], refine=refine)


def _specgan() -> AudioModel:
    from duelo.tasks.audio.spectral import SPECGAN

    return _spectral(SPECGAN, "SpecGAN with GANSynth's phase: log magnitude and instantaneous frequency by 2-D "
                              "transposed convolutions")


def _specgan_h() -> AudioModel:
    from duelo.tasks.audio.spectral import HIGH_RESOLUTION

    return _spectral(HIGH_RESOLUTION, "specgan over a 2048-point transform (1,024 bins of 7.8 Hz x 32 frames): "
                                      "neighbouring semitones' harmonics in separate bins (GANSynth's +H)")


def _specgan_m() -> AudioModel:
    from duelo.tasks.audio.spectral import MID_RESOLUTION

    return _spectral(MID_RESOLUTION, "specgan over a 1024-point transform (512 bins of 15.6 Hz x 64 frames of 16 ms): "
                                     "half specgan-h's frequency detail for twice its time detail")


def _specgan_mel() -> AudioModel:
    from duelo.tasks.audio.spectral import MID_MEL

    return _spectral(MID_MEL, "specgan-m's picture with its 512 rows evenly spaced on the mel scale (several rows "
                              "per bin below 2.5 kHz, where notes' low harmonics lie; up to 2.7 bins per row at "
                              "8 kHz): GANSynth's IF-Mel", refine=8)


for _name, _build in (("wavegan", _wavegan), ("specgan", _specgan), ("specgan-h", _specgan_h),
                      ("specgan-m", _specgan_m), ("specgan-mel", _specgan_mel)):
    AUDIO_MODELS.add(_name, _build())
