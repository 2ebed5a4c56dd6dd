"""The sample files of a run folder as loggers see them: what kind each is, which series it belongs to, and the
step it was written at. Every task names its snapshot files `samples/<series>-<nimg:09d>.<suffix>` (grid-,
points-, rows-, series-, clips-, text-, rolls-, spectrograms-, piece-), so a snapshot's files are found from the
folder alone: the same rule serves a live run and a replay. Files without a step (real.png: the real data, drawn
once) are not logged."""

from __future__ import annotations

import re
from pathlib import Path

from duelo.training.loggers.base import Sample

# what a logger can show of a file, by suffix; a suffix not listed is kept as a plain file (MLflow artifacts)
SAMPLE_KINDS: dict[str, str] = {
    ".png": "image", ".gif": "image", ".jpg": "image", ".jpeg": "image",
    ".wav": "audio",
    ".txt": "text", ".csv": "text",
}
STEP = re.compile(r"^(?P<series>.+)-(?P<nimg>\d{9,})$")
TEXT_LIMIT = 64 * 1024            # characters of a text sample shown (a preview, not the file)


def as_sample(path: Path) -> tuple[int, Sample] | None:
    """(step, sample) for a snapshot file named `<series>-<nimg>.<suffix>`; None for any other file."""
    name = path.name
    if name.startswith(".") or not path.is_file():
        return None               # a temporary file of a write in progress
    match = STEP.match(path.stem)
    if match is None:
        return None
    kind = SAMPLE_KINDS.get(path.suffix.lower(), "file")
    return int(match["nimg"]), Sample(path, kind, f"samples/{match['series']}")


def snapshot_samples(samples: Path, first: int, last: int) -> list[tuple[int, Sample]]:
    """The sample files written at steps first..last (inclusive), in step order."""
    if not samples.is_dir():
        return []
    found = [entry for entry in map(as_sample, samples.iterdir()) if entry is not None]
    return sorted((entry for entry in found if first <= entry[0] <= last), key=lambda e: (e[0], e[1].path.name))


def read_text_preview(path: Path) -> str:
    """The start of a text sample (generated lines, a table preview) as text; undecodable bytes replaced."""
    with open(path, "rb") as handle:
        data = handle.read(TEXT_LIMIT + 1)
    text = data[:TEXT_LIMIT].decode("utf-8", errors="replace")
    return text + ("\n..." if len(data) > TEXT_LIMIT else "")
