"""Benchmark: `duelo clean` on sound clips (cleaning/clip_faults.py). For each named audio set, first the set as it
is (what the checks find in real data: the counts per kind and the first findings), then the same set with faults
planted at seeded random places, and for each planted kind its recall (the share found, as that kind: a planted
copy is found when it is named a duplicate, of its source or of an earlier copy of it).

    copy        PLANTED exact copies of random clips
    edited      PLANTED copies delayed by 5-50 ms and made 0-12 dB quieter (the tail cut to the clip's length)
    silent      PLANTED clips of zeros, and as many of noise 70 dB below full scale
    clipped     PLANTED clips made louder until their peak is twice full scale, and clipped, in place
    quiet       PLANTED clips made 40 dB quieter in place (recorded with the gain far too low; not silent)
    mislabel    5 % of the clips given another class of the first factor, in place

A planted fault on a clip the set already holds a near copy of (a drum's other velocity, a note's) is found as
that copy first: one finding per clip, the most serious.

    python benchmarks/clean_clips.py --sets drums,notes --out benchmarks/results/clean-clips-DATE.json
    # after `duelo datasets fetch drums` and `duelo datasets fetch notes`
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from duelo.cleaning.clip_faults import find_clip_faults
from duelo.io.provenance import write_result
from duelo.tasks.audio.data import read_clips
from duelo.tasks.audio.spectral import log_mel

PLANTED, FLIPPED = 10, 0.05
SHOWN = 8


def _counts(faults) -> dict:
    return {kind: len(found) for kind, found in faults.by_kind().items()}


def as_it_is(clips, seed: int) -> dict:
    began = time.perf_counter()
    faults = find_clip_faults(clips.floats(), clips.rate, log_mel, clips.labels[:, 0], clips.class_names[0], seed)
    return {"clips": len(clips), "seconds": round(time.perf_counter() - began, 1), "counts": _counts(faults),
            "checked": faults.checked,
            "first": [{"name": clips.names[f.index], "kind": f.kind, "reason": f.reason,
                       **({"of": clips.names[f.related]} if f.related is not None else {})}
                      for f in faults.findings[:SHOWN]]}


def planted(clips, seed: int) -> tuple[np.ndarray, np.ndarray, dict[int, tuple[str, int | None]]]:
    """The clips as floats with the faults appended or applied; labels; index -> (planted kind, source)."""
    rng = np.random.default_rng(seed)
    waves, labels = clips.floats().copy(), clips.labels[:, 0].copy()
    n, length = waves.shape
    extra, truth = [], {}

    def add(wave, kind, source=None):
        truth[n + len(extra)] = (kind, source)
        extra.append((np.clip(wave, -1, 1), labels[source] if source is not None else rng.integers(labels.max() + 1)))

    order = rng.permutation(n)          # each clip takes part in one planted fault at most
    for source in order[:PLANTED]:
        add(waves[source].copy(), "copy", int(source))
    for source in order[PLANTED:2 * PLANTED]:
        delay = int(rng.uniform(0.005, 0.05) * clips.rate)
        gain = 10 ** (-rng.uniform(0, 12) / 20)
        add(gain * np.concatenate([np.zeros(delay), waves[source][:length - delay]]), "edited", int(source))
    for i in range(PLANTED):
        add(np.zeros(length) if i % 2 == 0 else rng.normal(0, 10 ** (-70 / 20) / 3, length), "silent")
    changed = order[2 * PLANTED:4 * PLANTED + int(FLIPPED * n)]               # in place: no copy of them is left
    for i in changed[:PLANTED]:
        waves[i] = np.clip(waves[i] * 2.0 / max(float(np.abs(waves[i]).max()), 1e-6), -1, 1)   # 6 dB over the rail
        truth[int(i)] = ("clipped", None)
    for i in changed[PLANTED:2 * PLANTED]:
        waves[i] = waves[i] * 10 ** (-40 / 20)
        truth[int(i)] = ("quiet", None)
    classes = labels.max() + 1
    for i in changed[2 * PLANTED:]:
        labels[i] = (labels[i] + rng.integers(1, classes)) % classes
        truth[int(i)] = ("mislabel", None)
    return (np.concatenate([waves, np.stack([w for w, _ in extra]).astype(np.float32)]),
            np.concatenate([labels, np.array([label for _, label in extra])]), truth)


EXPECTED = {"copy": "duplicate", "edited": "duplicate", "silent": "degenerate", "clipped": "degenerate",
            "quiet": "outlier", "mislabel": "mislabelled"}


def with_planted(clips, seed: int) -> dict:
    waves, labels, truth = planted(clips, seed)
    faults = find_clip_faults(waves, clips.rate, log_mel, labels, clips.class_names[0], seed)
    found = {f.index: f for f in faults.findings}
    recall, missed = {}, {}
    for kind in EXPECTED:
        members = [i for i, (k, _) in truth.items() if k == kind]
        hits = [i for i in members if i in found and found[i].kind == EXPECTED[kind]]
        recall[kind] = round(len(hits) / max(1, len(members)), 3)
        if kind in ("quiet", "mislabel"):   # in place: a clip the set holds a near copy of is found as that first
            judged = [i for i in members if i not in found or found[i].kind != "duplicate"]
            recall[f"{kind}_without_a_copy"] = round(len(hits) / max(1, len(judged)), 3)
        missed[kind] = [found[i].reason if i in found else "no finding" for i in members if i not in hits][:3]
    return {"planted_each": PLANTED, "flipped": FLIPPED, "recall": recall, "missed_examples": missed,
            "counts": _counts(faults)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="drums,notes", help="named audio sets, comma-separated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    rows = []
    for name in args.sets.split(","):
        clips = read_clips(name)
        rows.append({"set": name, "as_it_is": as_it_is(clips, args.seed), "planted": with_planted(clips, args.seed)})
        print(name, rows[-1]["as_it_is"]["counts"], rows[-1]["planted"]["recall"], flush=True)
    write_result(args.out, {"benchmark": "clean-clips", "rows": rows})


if __name__ == "__main__":
    main()
