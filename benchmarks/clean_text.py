"""Benchmark: `duelo clean` on text lines (cleaning/text_faults.py). For each named text set, first the set as it
is (what the checks find in real data: the counts per kind and the first findings of each), then the same set
with faults planted at seeded random places, and for each planted kind its recall (the share found, as that kind)
and its precision (the share of that kind's findings that are planted faults, the findings the set as it is had
left out of the count, and an exact copy of a line the set already repeats counting as found):

    copy        2 % of the lines copied, half exactly, half with their case, spacing or punctuation changed
    foreign     2 % of the lines replaced by a line of another named set (kjv and austen: each other's; fortunes:
                kjv's), or by one of three kinds of damage in turn: a line encoded as UTF-8 and read back as
                Latin-1 (mojibake), a line in HTML markup, a line of random letters
    degenerate  0.5 % of the lines replaced by punctuation alone, or given a control character or U+FFFD
    mislabel    5 % of the labels changed to another class (labelled sets)

    python benchmarks/clean_text.py --sets kjv,austen,fortunes --out benchmarks/results/clean-text-DATE.json
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from duelo.cleaning.text_faults import find_text_faults
from duelo.io.provenance import write_result
from duelo.tasks.text.sources import named_sources

COPIES, FOREIGN, DEGENERATE, FLIPPED = 0.02, 0.02, 0.005, 0.05
FOREIGN_SETS = {"kjv": "austen", "austen": "kjv", "fortunes": "kjv"}
SHOWN = 6


def load(name: str):
    return named_sources().get(name).loader()


def as_it_is(name: str, seed: int) -> dict:
    text = load(name)
    started = time.perf_counter()
    faults = find_text_faults(text.lines, text.labels, text.class_names, seed)
    return {"set": name, "lines": len(text.lines), "seconds": round(time.perf_counter() - started, 1),
            "counts": {kind: len(found) for kind, found in faults.by_kind().items()}, "checked": faults.checked,
            "first": {kind: [{"line": text.lines[f.index][:120], "reason": f.reason} for f in found[:SHOWN]]
                      for kind, found in faults.by_kind().items()}}


def _copy_edit(line: str, k: int) -> str:
    edits = (str.upper, str.lower, lambda s: s.replace(" ", "  "), lambda s: s.rstrip(".,;:!?") + " !",
             lambda s: s.replace(",", ""))
    for step in range(len(edits)):
        changed = edits[(k + step) % len(edits)](line)
        if changed != line:
            return changed
    return line + "."


def _damage(line: str, k: int, rng: np.random.Generator) -> str:
    if k % 3 == 0:
        return line.encode("utf-8").decode("latin-1") if any(ord(c) > 127 for c in line) else \
            (line + " \u2014 caf\u00e9").encode("utf-8").decode("latin-1")
    if k % 3 == 1:
        return f"<p class=\"verse\"><a href=\"#v{k}\">{line}</a></p>"
    letters = "abcdefghijklmnopqrstuvwxyz"
    return " ".join("".join(rng.choice(list(letters), rng.integers(2, 9))) for _ in range(rng.integers(4, 12)))


FOREIGN_KINDS = ("another set's line", "mojibake", "markup", "random letters")


def planted(name: str, seed: int):
    """The set with its faults: (lines, labels or None, kind of each line, the line each planted copy copies or -1,
    how each foreign line was made or "", class names)."""
    rng = np.random.default_rng(seed)
    text, other = load(name), load(FOREIGN_SETS[name])
    lines, n = list(text.lines), len(text.lines)
    labels = None if text.labels is None else np.array(text.labels)
    kind = np.array(["clean"] * n, dtype=object)
    origin = np.array([""] * n, dtype=object)
    chosen = rng.permutation(n)
    foreign = chosen[:int(FOREIGN * n)]
    broken = chosen[len(foreign):len(foreign) + int(DEGENERATE * n)]
    flipped = chosen[len(foreign) + len(broken):][:int(FLIPPED * n) if labels is not None else 0]
    for k, i in enumerate(foreign):
        if k % 2 == 0:
            lines[i], origin[i] = other.lines[rng.integers(len(other.lines))], FOREIGN_KINDS[0]
        else:
            lines[i], origin[i] = _damage(lines[i], k // 2, rng), FOREIGN_KINDS[1 + (k // 2) % 3]
        kind[i] = "outlier"
    marks = ("...!?", "\u0007", "\ufffd")
    for k, i in enumerate(broken):
        half = len(lines[i]) // 2
        lines[i] = marks[0] if k % 3 == 0 else lines[i][:half] + marks[k % 3] + lines[i][half:]
        kind[i] = "degenerate"
    if labels is not None:
        classes = len(text.class_names)
        labels[flipped] = (labels[flipped] + rng.integers(1, classes, len(flipped))) % classes
        kind[flipped] = "mislabelled"
    sources = rng.choice(np.nonzero(kind == "clean")[0], int(COPIES * n), replace=False)
    copies = [lines[i] if k % 2 == 0 else _copy_edit(lines[i], k) for k, i in enumerate(sources)]
    order = rng.permutation(n + len(copies))
    all_lines = np.array(lines + copies, dtype=object)[order].tolist()
    all_labels = None if labels is None else np.concatenate([labels, labels[sources]])[order]
    all_kind = np.concatenate([kind, np.array(["duplicate"] * len(copies), dtype=object)])[order]
    all_origin = np.concatenate([origin, np.array([""] * len(copies), dtype=object)])[order]
    source = np.concatenate([np.full(n, -1), sources])[order]
    where = np.argsort(order)
    source = np.where(source >= 0, where[np.maximum(source, 0)], -1)
    return all_lines, all_labels, all_kind, source, all_origin, text.class_names


def measure(name: str, seed: int) -> dict:
    lines, labels, kind, source, origin, class_names = planted(name, seed)
    started = time.perf_counter()
    faults = find_text_faults(lines, labels, class_names, seed)
    row = {"set": name, "lines": len(lines), "seconds": round(time.perf_counter() - started, 1)}
    before = as_it_is_lines(name, seed)
    copies = np.nonzero(kind == "duplicate")[0]
    damaged = {f.index for f in faults.findings if f.kind in ("outlier", "degenerate")}
    for fault in ("duplicate", "outlier", "degenerate", "mislabelled"):
        if fault == "mislabelled" and labels is None:
            continue
        found = [f for f in faults.findings if f.kind == fault]
        if fault == "duplicate":          # a planted copy, or its source named as the copy of the planted one
            named = {f.index for f in found} | {f.related for f in found if f.related is not None}
            right = [kind[f.index] == "duplicate" or (f.related is not None and kind[f.related] == "duplicate")
                     for f in found]
            recall = float(np.mean([i in named for i in copies]))
        elif fault == "outlier":          # a damaged line found as holding a damaged character is found too
            right = [kind[f.index] == "outlier" for f in found]
            recall = float(np.mean([i in damaged for i in np.nonzero(kind == "outlier")[0]]))
            row["foreign_recall_by_kind"] = {how: round(float(np.mean([i in damaged for i in np.nonzero(
                origin == how)[0]])), 3) for how in FOREIGN_KINDS}
        else:                             # a damaged foreign line found as degenerate is a right finding
            right = [kind[f.index] == fault or (fault == "degenerate" and kind[f.index] == "outlier") for f in found]
            recall = sum(kind[f.index] == fault for f in found) / max(1, int((kind == fault).sum()))
        wrong = [f for f, ok in zip(found, right) if not ok]
        natural = [f for f in wrong if lines[f.index] in before]       # found in the set as it is too
        row[fault] = {"planted": int((kind == fault).sum()), "found": len(found), "correct": int(sum(right)),
                      "wrong_that_the_set_has_as_it_is": len(natural),
                      "precision": round(float(sum(right)) / max(1, len(found) - len(natural)), 3),
                      "recall": round(recall, 3),
                      "wrong_examples": [lines[f.index][:100] for f in wrong if lines[f.index] not in before][:4]}
    print(row, flush=True)
    return row


_BEFORE: dict = {}


def as_it_is_lines(name: str, seed: int) -> set[str]:
    """The lines the checks name in the set as it is (a duplicate's original too)."""
    if name not in _BEFORE:
        text = load(name)
        faults = find_text_faults(text.lines, text.labels, text.class_names, seed)
        named = [f.index for f in faults.findings] + [f.related for f in faults.findings if f.related is not None]
        _BEFORE[name] = {text.lines[i] for i in named}
    return _BEFORE[name]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="kjv,austen,fortunes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    names = [s for s in args.sets.split(",") if s]
    result = {"benchmark": "clean-text", "rates": {"copies": COPIES, "foreign": FOREIGN, "degenerate": DEGENERATE,
                                                   "flipped": FLIPPED},
              "as_it_is": [as_it_is(name, args.seed) for name in names],
              "planted": [measure(name, args.seed) for name in names]}
    print(write_result(args.out, result))


if __name__ == "__main__":
    main()
