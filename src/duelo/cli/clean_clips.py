"""`duelo clean` on a set of sound clips (a named audio set such as drums, or an .npz written by
duelo.tasks.audio.clips.save): the clip checks (cleaning/clip_faults.py), report.json and report.html (each
finding's spectrogram with a player) and cleaned.npz, a clips file that `duelo train --task audio --dataset` reads
as it is."""

from __future__ import annotations

import base64
from pathlib import Path

import click
import numpy as np

from duelo.cli.clean import check_request, npz_holds, write_findings


def clean_clips(data: str, out_dir: Path, keep: set[str], force: bool, seed: int) -> None:
    from duelo.cleaning.clip_faults import find_clip_faults
    from duelo.tasks.audio import clips as clip_store
    from duelo.tasks.audio.data import read_clips
    from duelo.tasks.audio.spectral import log_mel

    check_request(keep, "sound clips", out_dir, force)
    clips = read_clips(data)
    waves = clips.floats()
    labels = clips.labels[:, 0] if clips.factors else None
    class_names = clips.class_names[0] if clips.factors else None
    click.echo(f"checking {len(clips):,} clips of {data} ({clips.seconds:.2f} s at {clips.rate:,} Hz"
               + (f", labelled by {clips.factors[0]}" if clips.factors else "") + ") ...", err=True)
    faults = find_clip_faults(waves, clips.rate, log_mel, labels, class_names, seed,
                              log=lambda text: click.echo(text, err=True))
    write_findings(data, out_dir, force, keep, faults, clips.names, class_names, labels, "clips",
                   lambda path, mask: clip_store.save(clips.subset(np.nonzero(mask)[0]), path),
                   thumbnail=lambda index: spectrogram_uri(waves[index], clips.rate),
                   sound=lambda index: wav_uri(waves[index], clips.rate))


def spectrogram_uri(wave: np.ndarray, rate: int) -> str:
    """One clip's log-mel spectrogram (the audio task's picture) as a PNG data URI."""
    import torch
    from PIL import Image

    from duelo.cleaning.report import png_uri
    from duelo.tasks.audio.spectral import spectrogram_images

    picture = spectrogram_images(torch.from_numpy(np.ascontiguousarray(wave[None])), rate)[0]
    return png_uri(Image.fromarray(picture.permute(1, 2, 0).numpy()).resize((140, 70)))


def wav_uri(wave: np.ndarray, rate: int) -> str:
    from duelo.io.wav import wav_bytes

    return "data:audio/wav;base64," + base64.b64encode(wav_bytes(wave, rate)).decode()


def is_clips(data: str) -> bool:
    """A named audio set (drums, notes, spoken) or an .npz holding 'waves' (the audio task's clips store)."""
    from duelo.tasks.audio.sources import named_sources

    return data in named_sources() or npz_holds(Path(data), "waves")
