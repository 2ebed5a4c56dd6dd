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


class _EarJudge(torch.nn.Module):
    """A stand-in for the scoring classifier that hears the made-up instruments for certain: a square wave's
    magnitude follows its envelope smoothly, a sine's swings every half period. Pitch: always the first class."""

    factors = (2, 3)

    def __init__(self):
        super().__init__()
        self.heads = torch.nn.ModuleList([_Linear(lambda h: torch.stack([h[:, 0] - 0.01, 0.01 - h[:, 0]], 1) * 1e3),
                                          _Linear(lambda h: torch.tensor([1.0, 0.0, 0.0]).expand(len(h), 3))])

    def features(self, waves: torch.Tensor) -> torch.Tensor:
        magnitude = waves.abs()
        rough = magnitude.diff(dim=1).abs().mean(1) / magnitude.mean(1).clamp_min(1e-9)
        return torch.stack([rough, magnitude.mean(1)], 1)


class _Linear(torch.nn.Module):
    def __init__(self, rule):
        super().__init__()
        self.rule = rule

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.rule(h)


def test_accuracy_is_read_per_asked_class_and_on_the_training_clips_too(tmp_path):
    from duelo.tasks.audio import clips as clip_store
    from duelo.tasks.audio.data import split_data
    from duelo.tasks.audio.scoring import score_clips
    from tests.audio.made_up import PITCHES, made_up_clips

    clips = clip_store.load(made_up_clips(tmp_path / "tones.npz"))
    held = np.zeros(len(clips), bool)
    held[::3] = True
    data = split_data(clips, held, "made-up")
    asked = torch.tensor([0, 3, 4, 5, 1, 2, 3, 3, 3, 4, 5, 4])     # combined labels: instrument * 3 + pitch
    fake = torch.from_numpy(np.stack([tone("sine", 64, 0.6)] * len(asked)))     # every clip a sine
    scores = score_clips(data, _EarJudge(), fake, asked, "cpu")
    assert scores["instrument_accuracy_real"] == scores["instrument_accuracy_train"] == 1.0
    assert len(data.train) == len(asked)                            # so every training clip is judged
    assert scores["instrument_accuracy"] == 0.25                    # the 3 clips asked for a sine, of 12
    assert scores["instrument_accuracy_by_class"] == {"sine": 1.0, "square": 0.0}
    assert scores["instrument_spread"] == 0.5
    train_pitches = data.train.labels[:, 1]
    assert scores["pitch_accuracy_train"] == round(float(np.mean(train_pitches == 0)), 4)
    assert scores["pitch_accuracy_by_class"] == {PITCHES[0][1]: 1.0, PITCHES[1][1]: 0.0, PITCHES[2][1]: 0.0}
