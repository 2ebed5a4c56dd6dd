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


def _cut_box(before: torch.Tensor, after: torch.Tensor) -> tuple[slice, slice] | None:
    """The bounding box (rows, columns) of the cells of one (C, rows, T) clip that the cutout changed."""
    changed = (before != after).any(dim=0)
    if not changed.any():
        return None
    rows, cols = changed.any(dim=1).nonzero()[:, 0], changed.any(dim=0).nonzero()[:, 0]
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)


@pytest.mark.parametrize("model", ["specgan", "wavegan"])
def test_the_cutout_silences_one_rectangle_per_chosen_clip(model):
    from duelo.tasks.audio.augment import ClipAugment
    from duelo.tasks.audio.models import AUDIO_MODELS

    audio = AUDIO_MODELS.get(model)
    shape = (2, 64, 32) if model == "specgan" else (1, 256)
    clips = torch.rand(200, *shape, generator=torch.Generator().manual_seed(5)) * 1.8 - 0.9     # nowhere silent
    silence = torch.tensor(audio.silence).view(-1, *(1,) * (len(shape) - 1))
    plain = ClipAugment(0.5, audio.silence, audio.gain_scales, 0.0)(clips, torch.Generator().manual_seed(6))
    grad = torch.zeros_like(clips, requires_grad=True)
    cut = ClipAugment(0.5, audio.silence, audio.gain_scales, 0.0, cutout=0.5)(clips + grad,
                                                                              torch.Generator().manual_seed(6))
    boxes = []
    for before, after in zip(plain, cut.detach()):      # the same draws for delay and gain, then the cut
        flat_before, flat_after = before.reshape(shape[0], -1, shape[-1]), after.reshape(shape[0], -1, shape[-1])
        box = _cut_box(flat_before, flat_after)
        boxes.append(box)
        if box is None:
            continue
        inside = flat_after[:, box[0], box[1]]
        assert torch.equal(inside, silence.view(-1, 1, 1).expand_as(inside))        # silence, every channel
        rows, cols = flat_after.shape[1:]
        assert box[0].stop - box[0].start <= max(1, rows // 2) and box[1].stop - box[1].start <= cols // 2
    share = sum(box is not None for box in boxes) / len(boxes)
    assert 0.35 < share < 0.65                                                      # probability 0.5 per clip
    sizes = [(b[0].stop - b[0].start) * (b[1].stop - b[1].start) for b in boxes if b is not None]
    full = max(1, shape[-2] // 2 if len(shape) == 3 else 1) * (shape[-1] // 2)
    assert max(sizes) == full and min(sizes) < full                                 # whole inside, clipped at edges
    cut.sum().backward()
    first = next(i for i, box in enumerate(boxes) if box is not None)
    g = grad.grad[first].reshape(shape[0], -1, shape[-1])
    assert (g[:, boxes[first][0], boxes[first][1]] == 0).all() and g.abs().sum() > 0   # G is judged on the rest


def test_the_cutout_needs_the_augmentation_and_a_fraction_below_one(tmp_path):
    from duelo.errors import ConfigError
    from duelo.tasks import TASKS
    from duelo.tasks.audio.augment import ClipAugment

    base = TASKS.get("audio").default_config()
    assert base.with_overrides({"audio.augment_cutout": 0.5}).audio.augment_cutout == 0.5
    for bad in (1.0, -0.1):
        with pytest.raises(ConfigError, match="augment_cutout"):
            base.with_overrides({"audio.augment_cutout": bad})
    with pytest.raises(ValueError, match="cutout"):
        ClipAugment(0.5, (0.0,), (0.0,), cutout=1.5)
