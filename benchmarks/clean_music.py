"""Benchmark: `duelo clean` on pieces of music (tasks/music/faults.py). For each named music set (parsed first with
`duelo datasets fetch NAME`), the set as it is (what the checks find in real scores: the counts per kind and the
first findings of each), then the same set with faults planted at seeded random places, and for each planted kind
its recall (the share found, as that kind) and its precision (the share of that kind's findings that are planted
faults, leaving out the pieces the set as it is had findings for, and a copy of a piece the set already repeats
counting as found):

    copy        2 % of the pieces copied, in turn exactly, moved by 1-7 semitones up or down, or with 3 % of their
                notes (at least one) moved a semitone or two
    foreign     1 % of the pieces replaced, in turn, by the piece with every note drawn at random from its own range
                (its rhythm kept), the piece two octaves up, or a piece of another set (folk and irish: each other's;
                chorales: a chorale with its soprano and bass swapped)
    degenerate  0.5 % of the pieces, in turn, cut to their first five notes, given one pitch throughout, or (more
                than one voice) with a voice silenced
    mislabel    5 % of the pieces' modes flipped (major <-> minor)

    python benchmarks/clean_music.py --sets chorales,irish,folk --out benchmarks/results/clean-music-DATE.json
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from duelo.io.provenance import write_result
from duelo.tasks.music import corpus
from duelo.tasks.music.faults import find_music_faults
from duelo.tasks.music.scores import notes

COPIES, FOREIGN, DEGENERATE, FLIPPED = 0.02, 0.01, 0.005, 0.05
OTHER_SETS = {"folk": "irish", "irish": "folk"}
FOREIGN_KINDS = ("random pitches", "two octaves up", "another set's piece")
COPY_KINDS = ("exact", "transposed", "notes changed")
SHOWN = 6


def rows_of(pieces) -> list[dict]:
    return [{"name": pieces.names[k], "pitch": pieces.piece(k)[0].copy(), "onset": pieces.piece(k)[1].copy(),
             "tonic": int(pieces.tonic[k]), "mode": int(pieces.mode[k]), "downbeat": int(pieces.downbeat[k])}
            for k in range(len(pieces))]


def as_it_is(name: str, seed: int) -> tuple[dict, set[str]]:
    """The set's findings as it is, and the names of the pieces they name (a duplicate's original too)."""
    pieces = corpus.load(name=name)
    started = time.perf_counter()
    faults = find_music_faults(pieces, seed)
    named = [f.index for f in faults.findings] + [f.related for f in faults.findings if f.related is not None]
    return ({"set": name, "pieces": len(pieces), "seconds": round(time.perf_counter() - started, 1),
             "counts": {kind: len(found) for kind, found in faults.by_kind().items()}, "checked": faults.checked,
             "first": {kind: [{"piece": pieces.names[f.index], "reason": f.reason} for f in found[:SHOWN]]
                       for kind, found in faults.by_kind().items()}},
            {pieces.names[i] for i in named})


def _changed_notes(row: dict, rng) -> dict:
    pitch = row["pitch"].copy()
    found = notes(pitch, row["onset"])
    for v, start, length, _ in [found[i] for i in rng.choice(len(found), max(1, len(found) * 3 // 100), False)]:
        pitch[start:start + length, v] = int(pitch[start, v]) + int(rng.choice([-2, -1, 1, 2]))
    return dict(row, pitch=pitch)


def _foreign(row: dict, k: int, rng, other: list[dict] | None) -> tuple[dict, str]:
    how = FOREIGN_KINDS[k % (3 if other is not None or row["pitch"].shape[1] > 1 else 2)]
    pitch = row["pitch"].copy()
    if how == "random pitches":
        for v, start, length, _ in notes(pitch, row["onset"]):
            sounding = row["pitch"][:, v][row["pitch"][:, v] > 0]
            pitch[start:start + length, v] = rng.integers(sounding.min(), sounding.max() + 1)
        return dict(row, pitch=pitch), how
    if how == "two octaves up":
        return dict(row, pitch=np.where(pitch > 0, pitch + 24, 0).astype(np.uint8)), how
    if other is not None:
        return dict(other[rng.integers(len(other))]), how
    order = [pitch.shape[1] - 1, *range(1, pitch.shape[1] - 1), 0]
    return dict(row, pitch=pitch[:, order], onset=row["onset"][:, order]), "soprano and bass swapped"


def _degenerate(row: dict, k: int) -> dict:
    pitch, onset = row["pitch"].copy(), row["onset"]
    way = k % (3 if pitch.shape[1] > 1 else 2)
    if way == 0:
        found = notes(pitch, onset)
        end = found[4][1] + found[4][2] if len(found) > 4 else len(pitch)
        keep = np.zeros_like(pitch)
        for v, start, length, p in found[:5]:
            keep[start:start + length, v] = p
        pitch = keep if len(found) > 4 else pitch
        pitch[end:] = 0
    elif way == 1:
        pitch[pitch > 0] = int(np.median(pitch[pitch > 0]))
    else:
        pitch[:, 1] = 0
    return dict(row, pitch=pitch)


def planted(name: str, seed: int):
    """The set with its faults: (pieces, kind of each piece, the piece each planted copy copies or -1, how each
    foreign piece or copy was made or "")."""
    rng = np.random.default_rng(seed)
    rows = rows_of(corpus.load(name=name))
    other = rows_of(corpus.load(name=OTHER_SETS[name])) if name in OTHER_SETS else None
    n = len(rows)
    kind, origin = np.array(["clean"] * n, dtype=object), np.array([""] * n, dtype=object)
    chosen = rng.permutation(n)
    foreign = chosen[:max(3, int(FOREIGN * n))]
    broken = chosen[len(foreign):len(foreign) + max(3, int(DEGENERATE * n))]
    flipped = chosen[len(foreign) + len(broken):][:int(FLIPPED * n)]
    for k, i in enumerate(foreign):
        rows[i], origin[i] = _foreign(rows[i], k, rng, other)
        rows[i]["name"] = f"planted foreign {k}"
        kind[i] = "outlier"
    for k, i in enumerate(broken):
        rows[i] = dict(_degenerate(rows[i], k), name=f"planted degenerate {k}")
        kind[i] = "degenerate"
    for i in flipped:
        rows[i]["mode"] = 1 - rows[i]["mode"]
        kind[i] = "mislabelled"
    sources = rng.choice(np.nonzero(kind == "clean")[0], max(3, int(COPIES * n)), replace=False)
    copies = []
    for k, i in enumerate(sources):
        how = COPY_KINDS[k % 3]
        row = dict(rows[i], name=f"planted copy {k}")
        if how == "transposed":
            row["pitch"] = np.where(row["pitch"] > 0, row["pitch"].astype(np.int64)
                                    + rng.choice([-7, -5, -3, -1, 1, 2, 4, 6]), 0).astype(np.uint8)
        elif how == "notes changed":
            row = _changed_notes(row, rng)
        copies.append(row)
    order = rng.permutation(n + len(copies))
    every = rows + copies
    all_rows = [every[i] for i in order]
    all_kind = np.concatenate([kind, np.array(["duplicate"] * len(copies), dtype=object)])[order]
    all_origin = np.concatenate([origin, np.array([COPY_KINDS[k % 3] for k in range(len(copies))], dtype=object)])
    source = np.concatenate([np.full(n, -1), sources])[order]
    where = np.argsort(order)
    source = np.where(source >= 0, where[np.maximum(source, 0)], -1)
    return corpus.from_pieces(all_rows), all_kind, source, all_origin[order]


def measure(name: str, seed: int, before: set[str]) -> dict:
    pieces, kind, source, origin = planted(name, seed)
    started = time.perf_counter()
    faults = find_music_faults(pieces, seed)
    row = {"set": name, "pieces": len(pieces), "seconds": round(time.perf_counter() - started, 1)}
    named = {f.index: f for f in faults.findings}
    for fault in ("duplicate", "outlier", "degenerate", "mislabelled"):
        found = [f for f in faults.findings if f.kind == fault]
        planted_here = np.nonzero(kind == fault)[0]
        if fault == "duplicate":          # the copy, or its source named as the copy of the planted one
            right = [kind[f.index] == "duplicate" or (f.related is not None and kind[f.related] == "duplicate")
                     for f in found]
            pairs = {f.index for f in found} | {f.related for f in found if f.related is not None}
            hits = [i in pairs for i in planted_here]
            row["copy_recall_by_kind"] = {how: round(float(np.mean([h for h, i in zip(hits, planted_here)
                                                                    if origin[i] == how])), 3) for how in COPY_KINDS}
        else:
            right = [kind[f.index] == fault for f in found]
            hits = [i in named and named[i].kind == fault for i in planted_here]
            if fault == "outlier":
                hows = sorted({origin[i] for i in planted_here})
                row["foreign_recall_by_kind"] = {how: round(float(np.mean([i in named for i in planted_here
                                                                           if origin[i] == how])), 3)
                                                 for how in hows}
        wrong = [f for f, ok in zip(found, right) if not ok]
        natural = [f for f in wrong if pieces.names[f.index] in before]
        row[fault] = {"planted": len(planted_here), "found": len(found), "correct": int(sum(right)),
                      "wrong_that_the_set_has_as_it_is": len(natural),
                      "precision": round(float(sum(right)) / max(1, len(found) - len(natural)), 3),
                      "recall": round(float(np.mean(hits)) if len(hits) else 0.0, 3),
                      "wrong_examples": [{"piece": pieces.names[f.index], "reason": f.reason}
                                         for f in wrong if pieces.names[f.index] not in before][:4],
                      "missed_examples": [{"piece": pieces.names[i], "how": origin[i],
                                           "found_as": named[i].kind if i in named else None}
                                          for i, hit in zip(planted_here, hits) if not hit][:4]}
    print(row, flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="chorales,irish,folk")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    names = [s for s in args.sets.split(",") if s]
    seen = [as_it_is(name, args.seed) for name in names]
    result = {"benchmark": "clean-music", "rates": {"copies": COPIES, "foreign": FOREIGN, "degenerate": DEGENERATE,
                                                    "flipped": FLIPPED},
              "as_it_is": [row for row, _ in seen],
              "planted": [measure(name, args.seed, before) for name, (_, before) in zip(names, seen)]}
    print(write_result(args.out, result))


if __name__ == "__main__":
    main()
