"""The health monitor's view of sounds (--health): real clips as the model draws them (a seeded draw of
health.samples training clips and as many held-out ones, with their labels on conditional runs) for D's scores
and the overfitting check, and a coarse log-magnitude picture (BANDS frequency bands x STEPS time steps of the
model's own magnitude: the spectrogram channel, or a wave's log-mel spectrogram) as the diversity ratio's feature
space, where a collapsed G's clips lie close together."""

from __future__ import annotations

import numpy as np
import torch

BANDS, STEPS = 16, 8


def coarse_picture(model, samples: torch.Tensor) -> torch.Tensor:
    """(N, ...) samples -> (N, BANDS * STEPS) their log magnitude averaged over bands and time steps."""
    picture = model.magnitude(samples).float()[:, None]
    return torch.nn.functional.adaptive_avg_pool2d(picture, (BANDS, STEPS)).flatten(1)


def probe_data(session):
    from duelo.health.signals import ProbeData
    from duelo.tasks.audio.models import AUDIO_MODELS
    from duelo.tasks.audio.parts import encode_clips

    config, data = session.config, session.data
    model = AUDIO_MODELS.get(config.audio.model)
    device = session.trainer.runtime.device

    def draw(clips, seed: int):
        index = np.sort(np.random.default_rng(seed).permutation(len(clips))[:config.health.samples])
        chosen = clips.subset(index)
        labels = data.combined(chosen) if config.data.conditional else None
        return encode_clips(config.audio.model, chosen, device), labels

    (train, train_labels), (held, held_labels) = draw(data.train, 11), draw(data.heldout, 12)
    return ProbeData(train_images=train, heldout_images=held, features=lambda x: coarse_picture(model, x),
                     prepare=lambda x: x, train_labels=train_labels, heldout_labels=held_labels)
