"""The audio task's held-out split (duelo.tasks.audio.data): a share of each class, and with `data.split=copies` a
recording's near copies (one note at several levels) kept on one side, so no held-out clip has a copy in
training."""

import numpy as np

from duelo.tasks.audio import clips as clip_store
from duelo.tasks.audio.data import copy_groups, split
from tests.audio.made_up import LEVELS, made_up_clips


def _leaks(groups: np.ndarray, held: np.ndarray) -> int:
    training = set(groups[~held].tolist())
    return sum(int(groups[i]) in training for i in np.nonzero(held)[0])


def test_near_copies_form_one_group_per_recording(tmp_path):
    clips = clip_store.load(made_up_clips(tmp_path / "tones.npz"))          # 2 instruments x 3 pitches x 3 levels
    groups = copy_groups(clips)
    assert len(np.unique(groups)) == 6
    recordings = [name.rsplit("-", 1)[0] for name in clips.names]          # "sine-A3" of "sine-A3-0.3"
    for g in np.unique(groups):
        assert len({recordings[i] for i in np.nonzero(groups == g)[0]}) == 1
        assert (groups == g).sum() == len(LEVELS)


def test_the_copies_split_holds_out_whole_groups_and_the_plain_one_a_share_of_each_class(tmp_path):
    clips = clip_store.load(made_up_clips(tmp_path / "tones.npz"))
    groups = copy_groups(clips)
    for seed in range(5):
        plain = split(clips, 0.34, seed)
        for label in (0, 1):                                               # 9 clips a class: 3 held out
            assert plain[clips.labels[:, 0] == label].sum() == 3
        grouped = split(clips, 0.34, seed, groups)
        assert _leaks(groups, grouped) == 0
        for label in (0, 1):                       # one of the class's three recordings, never all of them
            assert grouped[clips.labels[:, 0] == label].sum() == 3
    assert _leaks(groups, split(clips, 0.34, 0)) > 0                       # what the plain split does


def test_a_class_that_is_one_recording_is_held_out_nowhere(tmp_path):
    clips = clip_store.load(made_up_clips(tmp_path / "tones.npz"))
    groups = copy_groups(clips)
    groups[clips.labels[:, 0] == 1] = groups[np.nonzero(clips.labels[:, 0] == 1)[0][0]]   # the squares: one group
    held = split(clips, 0.34, 0, groups)
    assert held[clips.labels[:, 0] == 1].sum() == 0 and held[clips.labels[:, 0] == 0].sum() == 3


def test_the_task_reads_its_split_from_the_configuration(tmp_path):
    from duelo.tasks import TASKS
    from duelo.tasks.audio.data import load_audio_data

    path = made_up_clips(tmp_path / "tones.npz")
    base = TASKS.get("audio").default_config().with_overrides({"data.dataset": str(path)})
    names = {name: set(load_audio_data(base.with_overrides({"data.split": name})).heldout.names)
             for name in ("classes", "copies")}
    recording = {clip.rsplit("-", 1)[0] for clip in names["copies"]}
    training = load_audio_data(base.with_overrides({"data.split": "copies"})).train.names
    assert not recording & {clip.rsplit("-", 1)[0] for clip in training}
    assert names["classes"] != names["copies"]
