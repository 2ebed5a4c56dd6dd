"""A made-up labelled text file for the text tests (no download): 600 names of two kinds, `kind<TAB>name` — 'a'
names of the syllables ka/lo/mi ending in -a, 'o' names of to/ru/ben ending in -o."""

from __future__ import annotations

import random
from pathlib import Path


def write_names(path: Path) -> Path:
    rng = random.Random(0)
    rows = []
    for k in range(600):
        kind = "a" if k % 2 else "o"
        syllables = ("ka", "lo", "mi") if kind == "a" else ("to", "ru", "ben")
        rows.append(f"{kind}\t{''.join(rng.choice(syllables) for _ in range(rng.randint(1, 3)))}{kind}")
    path.write_text("\n".join(rows) + "\n")
    return path
