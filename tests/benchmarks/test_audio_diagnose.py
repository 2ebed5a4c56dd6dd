"""benchmarks/audio_diagnose.py: per instrument, the judge's accuracy, what it names instead, loudness and envelope of
a trained conditional generator's notes, and a confusion matrix that counts every clip once."""

from __future__ import annotations

import sys
from pathlib import Path

import math

import numpy as np
import pytest
import torch

from duelo.cli.main import main
from duelo.tasks.audio import clips as clip_store
from duelo.tasks.audio.scoring import ENVELOPE_SEGMENTS
from tests.audio.made_up import INSTRUMENTS, made_up_clips

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import audio_diagnose  # noqa: E402


def test_the_diagnosis_of_a_trained_generator_names_every_instrument(tmp_path, monkeypatch):
    from duelo.tasks.audio.data import split_data
    from duelo.tasks.audio.scorer import scorer_for

    def notes(clips):                                         # every other clip held out
        return split_data(clips, np.arange(len(clips.labels)) % 2 == 0, "tones")

    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    tones = made_up_clips(tmp_path / "tones.npz")
    assert main(["train", "--task", "audio", "--model", "specgan-m", "--width", "4", "--batch", "8", "--conditional",
                 "--dataset", str(tones), "--kimg", "0.02", "--out", str(tmp_path), "--name", "run", "--set",
                 "audio.eval_clips=8", "--set", "audio.scorer_epochs=1", "--device", "cpu"]) == 0
    clips = clip_store.load(tones)
    data = notes(clips)
    heldout = data.heldout
    found = audio_diagnose.diagnose(tmp_path / "run", data, scorer_for(clips, 1, 0, "cpu", lambda text: None))
    assert [row["instrument"] for row in found["instruments"]] == list(INSTRUMENTS)
    assert sum(map(sum, found["confusion"])) == len(heldout.labels)            # one clip per held-out label
    for row in found["instruments"]:
        assert 0 <= row["accuracy"] <= 1 and row["clips"] == int((heldout.labels[:, 0] ==
                                                                    INSTRUMENTS.index(row["instrument"])).sum())
        assert len(row["envelope_db"]) == len(row["envelope_db_real"]) == ENVELOPE_SEGMENTS
        assert row["named_instead"] in (None, *INSTRUMENTS)
    assert found["envelope_error_db"] >= 0 and found["model"] == "specgan-m"
    assert found["d_head"] is None                                             # trained without the classifier
    pictures = found["pictures"]
    assert pictures["floor_db"] == 50.0 and set(pictures) == {"floor_db", "generated", "heldout"}
    for where in ("generated", "heldout"):
        assert all(0.0 <= pictures[where][key] <= 1.0 for key in ("clips_at_ceiling", "cells_at_ceiling",
                                                                   "cells_under_floor"))
    with pytest.raises(SystemExit, match="classifier head"):
        audio_diagnose.extract_discriminator(tmp_path / "run")
    with pytest.raises(SystemExit, match="factors"):                            # another data set's generator
        other = clip_store.load(made_up_clips(tmp_path / "one-factor.npz", factors=1))
        audio_diagnose.diagnose(tmp_path / "run", notes(other), scorer_for(other, 1, 0, "cpu", lambda text: None))


@pytest.mark.parametrize("twin", [False, True], ids=["ac-gan", "adc-gan"])
def test_the_discriminators_head_is_read_on_training_held_out_and_generated_clips(tmp_path, monkeypatch, twin):
    from duelo.tasks.audio.data import split_data

    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    tones = made_up_clips(tmp_path / "tones.npz")
    assert main(["train", "--task", "audio", "--model", "specgan-m", "--width", "4", "--batch", "8", "--conditional",
                 "--dataset", str(tones), "--kimg", "0.02", "--out", str(tmp_path), "--name", "run", "--set",
                 "audio.eval_clips=8", "--set", "audio.scorer_epochs=1", "--set", "audio.aux_weight=1",
                 "--set", f"audio.aux_fakes={str(twin).lower()}", "--device", "cpu"]) == 0
    with pytest.raises(SystemExit, match="no checkpoint"):
        audio_diagnose.extract_discriminator(tmp_path)
    written = audio_diagnose.extract_discriminator(tmp_path / "run")
    assert written.is_file()
    clips = clip_store.load(tones)
    data = split_data(clips, np.arange(len(clips.labels)) % 2 == 0, "tones")
    from duelo.tasks.audio.model_io import load_audio_model

    G, meta = load_audio_model(tmp_path / "run")
    head = audio_diagnose.head_accuracy(tmp_path / "run", data, G.float(), meta)
    assert head["kimg"] > 0 and set(head) == {"kimg", "d_floor_db", "train", "heldout", "generated"}
    assert head["d_floor_db"] == 0.0                                           # trained without the quiet floor
    for where in ("train", "heldout", "generated"):
        generated = {f"{name}_named_generated" for name in clips.factors} if twin else set()
        assert set(head[where]) == set(clips.factors) | generated
        assert all(0.0 <= value <= 1.0 for value in head[where].values())
    # the head really is D's: with its weights zeroed it names class 0 for every clip
    from safetensors.torch import load_file, save_file

    weights = load_file(str(written))
    save_file({key: (value * 0 if key.startswith("classifier.") else value) for key, value in weights.items()},
              str(written), metadata={"nimg": "20"})
    zeroed = audio_diagnose.head_accuracy(tmp_path / "run", data, G.float(), meta)
    first = [data.train.labels[:, f] == 0 for f in range(len(clips.factors))]
    assert [zeroed["train"][name] for name in clips.factors] == \
        [round(float(mask.astype(float).mean()), 4) for mask in first]


class _Flat(torch.nn.Module):
    """A stand-in generator: every picture silent (-1) but one cell at `peak` and `loud` cells 10 dB under it."""

    factors, z_dim = (2, 3), 4

    def __init__(self, peak: float, loud: int):
        super().__init__()
        self.peak, self.loud = peak, loud

    def sample_latents(self, n, generator=None, device=None):
        return torch.randn(n, self.z_dim, generator=generator)

    def forward(self, z, labels, generator=None):
        from duelo.tasks.audio import spectral

        pictures = torch.full((len(z), 2, 512, 64), -1.0)
        pictures[:, 0, 0, 0] = self.peak
        below = 10 / 20 * math.log(10) * spectral.LOG_GAIN_SCALE                # 10 dB in the picture's units
        pictures[:, 0, 1, :self.loud] = self.peak - below
        return pictures


@pytest.mark.parametrize("peak", [1.0, 0.5])
def test_the_pictures_reading_counts_cells_at_the_ceiling_and_under_the_floor(tmp_path, peak):
    from duelo.tasks.audio.data import split_data

    clips = clip_store.load(made_up_clips(tmp_path / "tones.npz"))
    data = split_data(clips, np.arange(len(clips.labels)) % 2 == 0, "tones")
    cells = 512 * 64
    found = audio_diagnose.picture_levels(_Flat(peak, 5), {"kwargs": {"model": "specgan-m"}}, data, 50.0)
    drawn = found["generated"]
    assert drawn["peak_mean"] == peak and drawn["clips_at_ceiling"] == (1.0 if peak == 1.0 else 0.0)
    assert drawn["cells_at_ceiling"] == round((1 if peak == 1.0 else 0) / cells, 4)
    assert drawn["cells_under_floor"] == round(1 - 6 / cells, 4)             # the peak and its 5 loud cells stay
    assert 0 < found["heldout"]["cells_under_floor"] < 1 and found["heldout"]["clips_at_ceiling"] == 0
    assert audio_diagnose.picture_levels(_Flat(peak, 5), {"kwargs": {"model": "wavegan"}}, data, 50.0) is None


def test_a_floored_runs_discriminator_reads_the_pictures_behind_its_floor(tmp_path, monkeypatch):
    from duelo.tasks.audio.data import split_data
    from duelo.tasks.audio.model_io import load_audio_model

    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    tones = made_up_clips(tmp_path / "tones.npz")
    assert main(["train", "--task", "audio", "--model", "specgan-m", "--width", "4", "--batch", "8", "--conditional",
                 "--dataset", str(tones), "--kimg", "0.02", "--out", str(tmp_path), "--name", "run", "--set",
                 "audio.eval_clips=8", "--set", "audio.scorer_epochs=1", "--set", "audio.aux_weight=1",
                 "--set", "audio.d_floor_db=30", "--device", "cpu"]) == 0
    audio_diagnose.extract_discriminator(tmp_path / "run")
    assert audio_diagnose.run_floor_db(tmp_path / "run") == 30.0 and audio_diagnose.run_floor_db(tmp_path) == 0.0
    shown = []
    real_floor = audio_diagnose.quiet_floor

    def counting(db, model):
        stage = real_floor(db, model)
        return lambda x: shown.append((db, len(x))) or stage(x)

    monkeypatch.setattr(audio_diagnose, "quiet_floor", counting)
    clips = clip_store.load(tones)
    data = split_data(clips, np.arange(len(clips.labels)) % 2 == 0, "tones")
    G, meta = load_audio_model(tmp_path / "run")
    head = audio_diagnose.head_accuracy(tmp_path / "run", data, G.float(), meta)
    assert head["d_floor_db"] == 30.0
    assert sum(n for _, n in shown) == len(data.train.labels) + 2 * len(data.heldout.labels)
    assert {db for db, _ in shown} == {30.0}
