"""The audio scores that read the clips themselves, not the judge: the envelope (level over the clip's parts)
and how far a model's envelopes are from the real clips', per class."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from duelo.tasks.audio.scoring import ENVELOPE_FLOOR_DB, ENVELOPE_SEGMENTS, envelope_db, envelope_error_db
from tests.audio.made_up import tone


def _swelling(level: float = 0.5) -> torch.Tensor:
    decaying = tone("sine", 69, level)
    return torch.from_numpy(decaying * np.linspace(0.05, 1.0, len(decaying), dtype=np.float32) /
                            np.maximum(np.exp(-3.0 * np.arange(len(decaying)) / 16_000), 0.05).astype(np.float32))


def test_the_envelope_follows_the_level_over_the_clip_and_floors_silence():
    decaying = torch.from_numpy(tone("sine", 69, 0.5))[None].repeat(3, 1)
    levels = envelope_db(decaying)
    assert levels.shape == (ENVELOPE_SEGMENTS,) and bool((levels[2:].diff() < 0).all())     # it decays
    assert float(levels[1] - levels[-1]) > 10
    assert bool((envelope_db(torch.zeros(2, 16_384)) == ENVELOPE_FLOOR_DB).all())


def test_the_envelope_error_sees_a_swell_where_the_real_notes_decay_per_class():
    decay = torch.from_numpy(tone("sine", 69, 0.5))[None].repeat(4, 1)
    swell = _swelling()[None].repeat(4, 1)
    assert envelope_error_db(decay, None, decay.clone(), None) == pytest.approx(0.0)
    assert envelope_error_db(swell, None, decay, None) > 5
    both, classes = torch.cat([decay, swell]), torch.tensor([0] * 4 + [1] * 4)
    assert envelope_error_db(both, classes, both, classes) == pytest.approx(0.0)
    assert envelope_error_db(both, 1 - classes, both, classes) > 5          # each class's clips drawn as the other
    assert math.isnan(envelope_error_db(both, classes, both, classes + 5))    # no class in common: no figure
