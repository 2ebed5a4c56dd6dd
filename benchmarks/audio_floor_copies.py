"""Benchmark: how much the audio scores' real-vs-real floor owes to near copies across the split (issue 20).

`duelo clean` finds that many clips of the named sets are near copies of another (a note at several velocities, a
drum hit at several: cleaning/clip_faults.py), and the audio task's held-out split (data.split: a share of each
first-factor class, seeded) puts copies on both sides. The floor the scores compare with (`fd_real`: as many
training clips against the held-out ones) and the judge's held-out accuracy then measure, in part, how like its
own copies a clip is. For each set, with the task's split (seed 0, 20 % held out) and the judge the task trains
(scorer.py, 30 epochs, seed 0; cached like the task's):

    with copies       the held-out clips that have a near copy among the training clips
    without copies    those that have none (their copy group lies wholly in the held-out part, or they have none)

each with the judge's accuracy on it, and the clips without copies scored like the summary's floor: the Fréchet
distance of the judge's features against as many random training clips, beside the same for as many clips drawn
from all the held-out ones (the floor as the summary has it, at that size: the distance of fewer clips is larger),
each the mean of REPEATS draws. Then the real column a run would read under each `data.split`: the plain draw
(classes) and whole recordings (copies), each with its own judge trained on its own training clips, and that judge's
accuracy on each class's held-out clips (with the class it most often names instead).

    python benchmarks/audio_floor_copies.py --sets drums,notes --out benchmarks/results/audio-floor-copies-DATE.json
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from duelo.evaluation.frechet import FeatureStats, frechet_distance
from duelo.io.provenance import write_result
from duelo.tasks.audio.data import copy_groups, read_clips, split, split_data
from duelo.tasks.audio.scorer import predict, scorer_for

HELDOUT, EPOCHS, REPEATS = 0.2, 30, 20


def measure(name: str, seed: int) -> dict:
    clips = read_clips(name)
    held = split(clips, HELDOUT, seed)
    groups = copy_groups(clips)
    train_groups = set(groups[~held].tolist())
    copied = np.array([groups[i] in train_groups for i in np.nonzero(held)[0]])
    data = split_data(clips, held, name)
    scorer = scorer_for(data.train, EPOCHS, seed, "cpu")
    f_train, p_train = predict(scorer, data.train.floats(), "cpu")
    f_held, p_held = predict(scorer, data.heldout.floats(), "cpu")
    truth = torch.from_numpy(data.heldout.labels[:, 0])
    right = (p_held[0].argmax(1) == truth).numpy()
    size = int((~copied).sum())                  # the held-out clips without a copy, against as many of all of them
    rng = np.random.default_rng(seed)
    row = {"set": name, "clips": len(clips), "heldout": int(held.sum()), "heldout_with_copies": int(copied.sum()),
           "compared_size": size, "copy_groups": int(len(np.unique(groups))), "factor": clips.factors[0]}
    for label, members in (("all", np.arange(len(copied))), ("with_copies", np.nonzero(copied)[0]),
                           ("without_copies", np.nonzero(~copied)[0])):
        row[label] = {"clips": int(len(members)),
                      "accuracy": round(float(right[members].mean()), 4) if len(members) else None}
        if label == "with_copies" or size < 2:
            continue
        distances = []
        for _ in range(REPEATS):
            pick = rng.choice(members, size, replace=False)
            train = rng.choice(len(f_train), size, replace=False)
            distances.append(frechet_distance(FeatureStats.from_features(f_train[train]),
                                              FeatureStats.from_features(f_held[pick])))
        row[label].update({"fd_to_training": round(float(np.mean(distances)), 3),
                           "fd_spread": round(float(np.std(distances)), 3)})
    row["splits"] = {"classes": real_figures(clips, held, seed, rng), "copies": real_figures(
        clips, split(clips, HELDOUT, seed, groups), seed, rng)}
    print(name, row, flush=True)
    return row


def real_figures(clips, held: np.ndarray, seed: int, rng) -> dict:
    """What a run's summary would read as the real column under this split: its own judge's accuracy on the
    held-out clips (and on its training clips, the ones a G learns from) and the floor (as many training clips as
    held-out ones against them, the mean of REPEATS draws)."""
    data = split_data(clips, held, "")
    scorer = scorer_for(data.train, EPOCHS, seed, "cpu")
    f_train, p_train = predict(scorer, data.train.floats(), "cpu")
    f_held, p_held = predict(scorer, data.heldout.floats(), "cpu")
    truth = torch.from_numpy(data.heldout.labels[:, 0])
    distances = [frechet_distance(FeatureStats.from_features(f_train[rng.choice(len(f_train), len(f_held), False)]),
                                  FeatureStats.from_features(f_held)) for _ in range(REPEATS)]
    taught = torch.from_numpy(data.train.labels[:, 0])
    return {"heldout": int(held.sum()), "accuracy": round(float((p_held[0].argmax(1) == truth).float().mean()), 4),
            "train_accuracy": round(float((p_train[0].argmax(1) == taught).float().mean()), 4),
            "fd_floor": round(float(np.mean(distances)), 3), "fd_floor_spread": round(float(np.std(distances)), 3),
            "by_class": by_class(p_held[0].argmax(1).numpy(), truth.numpy(), clips.class_names[0])}


def by_class(named: np.ndarray, truth: np.ndarray, names: list[str]) -> dict:
    """{class: {"accuracy", "clips", "named_instead": the class most often named in its place or None}}."""
    out = {}
    for c in np.unique(truth).tolist():
        own = named[truth == c]
        wrong = own[own != c]
        out[names[c]] = {"clips": int(len(own)), "accuracy": round(float((own == c).mean()), 3),
                         "named_instead": names[int(np.bincount(wrong).argmax())] if len(wrong) else None}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="drums,notes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    write_result(args.out, {"benchmark": "audio-floor-copies", "heldout": HELDOUT, "scorer_epochs": EPOCHS,
                            "repeats": REPEATS, "rows": [measure(name, args.seed) for name in args.sets.split(",")]})


if __name__ == "__main__":
    main()
