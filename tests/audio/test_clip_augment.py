"""What the audio discriminator sees (duelo.tasks.audio.augment): clips delayed and made louder or softer, the
sound unchanged, G trained through it, and the gain narrowed or turned off (`audio.augment_gain_db`)."""

import math

import pytest
import torch

from duelo.tasks.audio.spectral import LOG_GAIN_SCALE, spec_encode
from tests.audio.made_up import LENGTH, three_tones


def test_the_clip_augmentation_delays_and_rescales_without_changing_the_sound():
    from duelo.tasks.audio.augment import MAX_DELAY, MAX_GAIN_DB, ClipAugment
    from duelo.tasks.audio.models import AUDIO_MODELS

    waves = three_tones().repeat(20, 1)                                                 # (60, L)
    rng = torch.Generator().manual_seed(3)
    wave_model = AUDIO_MODELS.get("wavegan")
    off = ClipAugment(0.0, wave_model.silence, wave_model.gain_scales)
    assert torch.equal(off(waves[:, None], rng), waves[:, None])
    always = ClipAugment(1.0, wave_model.silence, wave_model.gain_scales)
    out = always(waves[:, None], rng)[:, 0]
    assert out.shape == waves.shape
    for clip, moved in zip(waves, out):                 # a delayed, rescaled copy: silence first, then the clip
        start = int(torch.nonzero(moved.abs() > 0)[0]) - int(torch.nonzero(clip.abs() > 0)[0])
        assert 0 <= start <= MAX_DELAY * LENGTH
        ratio = moved[start + 3000] / clip[3000]
        assert 10 ** (-MAX_GAIN_DB / 20) - 1e-4 <= ratio <= 10 ** (MAX_GAIN_DB / 20) + 1e-4
        assert torch.allclose(moved[start:], clip[:LENGTH - start] * ratio, atol=1e-5)
    spec_model = AUDIO_MODELS.get("specgan")
    pictures = spec_encode(waves[:8])
    seen = ClipAugment(1.0, spec_model.silence, spec_model.gain_scales)(pictures, rng)
    louder = spec_encode(waves[:8] * 0.5)                                           # -6 dB, for comparison
    step = (pictures[:, 0] - louder[:, 0])[pictures[:, 0] > -0.5].mean()
    assert abs(step - LOG_GAIN_SCALE * math.log(2)) < 2e-3             # the gain's scale matches the encoding
    first = seen[:, 0, :, 0]
    assert ((first == -1).all(dim=1) | (first > -1).any(dim=1)).all()
    delayed = (seen[:, 0, :, 0] == -1).all(dim=1)
    assert delayed.any() and (seen[delayed, 1, :, 0] == 0).all()                  # silence: -1 and IF 0
    grad = torch.zeros_like(pictures, requires_grad=True)
    ClipAugment(1.0, spec_model.silence, spec_model.gain_scales)(pictures + grad, rng).sum().backward()
    assert grad.grad.abs().sum() > 0                                                # G is trained through it


def test_the_clip_augmentation_gain_can_be_narrowed_or_turned_off():
    from duelo.tasks.audio.augment import ClipAugment
    from duelo.tasks.audio.models import AUDIO_MODELS

    waves = three_tones().repeat(20, 1)[:, None]
    wave_model = AUDIO_MODELS.get("wavegan")
    for gain_db in (0.0, 1.0):
        out = ClipAugment(1.0, wave_model.silence, wave_model.gain_scales, gain_db)(
            waves, torch.Generator().manual_seed(4))
        peaks = out.abs().amax(dim=-1) / waves.abs().amax(dim=-1)       # the delay keeps the peak; the gain moves it
        assert (peaks - 1).abs().max() <= 10 ** (gain_db / 20) - 1 + 1e-5
        assert gain_db == 0 or (peaks - 1).abs().max() > 0.01
    with pytest.raises(ValueError, match="gain"):
        ClipAugment(1.0, wave_model.silence, wave_model.gain_scales, -1.0)
    from duelo.errors import ConfigError
    from duelo.tasks import TASKS

    base = TASKS.get("audio").default_config()
    assert base.with_overrides({"audio.augment_gain_db": 0}).audio.augment_gain_db == 0
    with pytest.raises(ConfigError, match="augment_gain_db"):
        base.with_overrides({"audio.augment_gain_db": 60})
