"""`duelo clean` on pieces of music (a named music set such as chorales, or an .npz written by
duelo.tasks.music.corpus.save): the music checks (tasks/music/faults.py), report.json and report.html (each
finding's opening bars as a piano roll, the first findings with a rendered preview to play) and cleaned.npz, a file
of pieces that `duelo train --task music --dataset` reads as it is."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from duelo.cli.clean import check_request, npz_holds, write_findings
from duelo.cli.clean_clips import wav_uri

SHOWN_BARS = 4                   # of each finding, in the report's picture
HEARD_BARS = 2                   # of each finding, in its preview: about 5 s
PREVIEW_RATE = 8_000             # a preview is about 85 kB, 115 kB in the page
HEARD = 12                       # findings of each kind with a preview (and their originals): the page stays small


def is_music(data: str) -> bool:
    """A named music set (chorales, folk, irish) or an .npz holding 'starts' (the music task's pieces store)."""
    from duelo.tasks.music.sources import named_sources

    return data in named_sources() or npz_holds(Path(data), "starts")


def clean_music(data: str, out_dir: Path, keep: set[str], force: bool, seed: int) -> None:
    from duelo.tasks.music import corpus
    from duelo.tasks.music.faults import find_music_faults
    from duelo.tasks.music.preview import render_preview
    from duelo.tasks.music.scores import BAR

    check_request(keep, "pieces of music", out_dir, force)
    named = data in corpus.CORPORA
    pieces = corpus.load(None if named else Path(data).expanduser(), data if named else "music")
    voices = pieces.pitch.shape[1]
    click.echo(f"checking {len(pieces):,} pieces of {data} ({voices} voice{'s' if voices > 1 else ''}, "
               f"{len(pieces.pitch) // BAR:,} bars) ...", err=True)
    faults = find_music_faults(pieces, seed, log=lambda text: click.echo(text, err=True))

    def opening(index: int, bars: int) -> tuple[np.ndarray, np.ndarray]:
        pitch, onset = pieces.piece(index)
        return pitch[:bars * BAR], onset[:bars * BAR]

    write_findings(data, out_dir, force, keep, faults, pieces.names, list(corpus.MODES), pieces.mode, "pieces",
                   lambda path, mask: corpus.save(pieces.subset(np.nonzero(mask)[0]), path),
                   thumbnail=lambda index: roll_uri(*opening(index, SHOWN_BARS)),
                   sound=lambda index: wav_uri(render_preview(*opening(index, HEARD_BARS), rate=PREVIEW_RATE),
                                               PREVIEW_RATE), heard=HEARD)


def roll_uri(pitch: np.ndarray, onset: np.ndarray) -> str:
    """(steps, voices) pitches as a small piano roll PNG data URI: high notes at the top, one colour a voice, each
    note's first sixteenth darker (so repeated notes stay apart)."""
    from PIL import Image

    from duelo.cleaning.report import png_uri
    from duelo.tasks.music.model_io import COLOURS

    sounding = pitch[pitch > 0]
    low, high = (int(sounding.min()) - 2, int(sounding.max()) + 2) if len(sounding) else (58, 62)
    picture = np.full((high - low + 1, max(1, len(pitch)), 3), 255, np.uint8)
    for voice in range(pitch.shape[1]):
        steps = np.nonzero(pitch[:, voice])[0]
        colour = COLOURS[voice % len(COLOURS)].numpy()
        shade = np.where(onset[steps, voice, None], 0.55, 1.0)
        picture[high - pitch[steps, voice].astype(np.int64), steps] = (colour * shade).astype(np.uint8)
    return png_uri(Image.fromarray(picture).resize((140, 70), Image.NEAREST))
