"""The audio judge (duelo.tasks.audio.scorer): trained once per clips and cached; hears RANGE_DB below a full-scale
tone and no further, so hiss no listener hears leaves its input alone, and its range is part of its identity."""

from __future__ import annotations

import numpy as np
import torch

from duelo.tasks.audio import clips as clip_store
from duelo.tasks.audio.spectral import log_mel
from tests.audio.made_up import RATE, made_up_clips, tone


def test_the_scorer_is_trained_once_per_clips_and_then_read_from_the_cache(tmp_path, monkeypatch):
    from duelo.tasks.audio import scorer

    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    clips = clip_store.load(made_up_clips(tmp_path / "tones.npz"))
    trained, said = [], []
    train = scorer.train_scorer
    monkeypatch.setattr(scorer, "train_scorer", lambda *args, **kwargs: trained.append(1) or train(*args, **kwargs))
    first = scorer.scorer_for(clips, 1, 0, "cpu", said.append)
    assert trained == [1] and any("training the classifier" in line for line in said)
    folders = list((tmp_path / "cache" / "datasets" / "audio-scorers").iterdir())
    assert [f.name for f in folders] == [scorer.fingerprint(clips, 1, 0)]
    assert (folders[0] / "config.json").is_file()
    said.clear()
    second = scorer.scorer_for(clips, 1, 0, "cpu", said.append)
    assert trained == [1] and not said and not second.training                # read back, not trained again
    assert second.factors == (2, 3) and second.rate == RATE
    for a, b in zip(first.state_dict().values(), second.state_dict().values()):
        assert torch.equal(a, b)
    features, probabilities = scorer.predict(second, clips.floats()[:5], "cpu")
    assert features.shape == (5, second.dim) and [p.shape for p in probabilities] == [(5, 2), (5, 3)]
    scorer.scorer_for(clips.subset(np.arange(12)), 1, 0, "cpu", said.append)  # other clips: another scorer
    assert trained == [1, 1] and len(list(folders[0].parent.iterdir())) == 2


def test_the_judge_does_not_hear_hiss_far_below_full_scale_and_version_1_did():
    from duelo.tasks.audio.scorer import RANGE_DB, V1_RANGE_DB, AudioScorer

    note = torch.from_numpy(tone("sine", 69, 0.5))[None]
    hiss = 10 ** (-90 / 20) * torch.randn(note.shape, generator=torch.Generator().manual_seed(0))
    loud_hiss = 10 ** (-50 / 20) * torch.randn(note.shape, generator=torch.Generator().manual_seed(0))

    def heard(range_db, noise):       # the share of the judge's input cells the noise changes by over 0.1 (log)
        floor = AudioScorer((2,), RATE, range_db=range_db).floor
        return float(((log_mel(note + noise, RATE, floor) - log_mel(note, RATE, floor)).abs() > 0.1).double().mean())

    assert heard(RANGE_DB, hiss) < 0.01                    # 90 dB down: below the range, the input unchanged
    assert heard(V1_RANGE_DB, hiss) > 0.3                  # version 1 heard it across the quiet cells
    assert heard(RANGE_DB, loud_hiss) > 0.3                # 50 dB down is heard: the range is not deafness


def test_a_judge_of_another_range_is_another_cached_judge(tmp_path, monkeypatch):
    from duelo.tasks.audio import scorer

    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    clips = clip_store.load(made_up_clips(tmp_path / "tones.npz"))
    default = scorer.scorer_for(clips, 1, 0, "cpu", lambda text: None)
    older = scorer.scorer_for(clips, 1, 0, "cpu", lambda text: None, range_db=scorer.V1_RANGE_DB)
    assert default.range_db == scorer.RANGE_DB and older.floor < default.floor
    assert len(list((tmp_path / "cache" / "datasets" / "audio-scorers").iterdir())) == 2
    again = scorer.scorer_for(clips, 1, 0, "cpu", lambda text: None, range_db=scorer.V1_RANGE_DB)
    assert again.range_db == scorer.V1_RANGE_DB                              # read back with its own range
    assert torch.equal(again.heads[0].weight, older.heads[0].weight)
