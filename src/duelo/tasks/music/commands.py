"""`duelo sample` on a music run: pieces as MIDI files with a rendered audio preview each (.wav, preview.py) and
one piano-roll image of them all, or one piece to FILE.mid / FILE.musicxml / FILE.wav."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from duelo.errors import ConfigError

MAX_PIECES = 1000


def draw_pieces(G, count: int, seed: int, label: int | None, device) -> tuple[Any, list[int] | None]:
    """The rolls `duelo sample -n COUNT --seeds SEED [--label LABEL]` draws, and each piece's mode (0 major,
    1 minor; None for an unconditional model): without a label a conditional model's pieces take the modes in turn,
    major first."""
    import torch

    from duelo.tasks.music.model_io import generate_rolls

    labels = None
    if G.c_dim:
        labels = (torch.full((count,), label, dtype=torch.long) if label is not None
                  else torch.arange(count) % G.c_dim).to(device)
    rolls = generate_rolls(G, count, labels, seed, device)
    return rolls, None if labels is None else labels.tolist()


def write_piece_file(path: Path, pitch: Any, mode: int | None) -> Path:
    """One piece (pitches per step and voice, as `unroll` gives them) as .mid or .musicxml (in C major or A minor
    by its mode), or as .wav: the rendered preview."""
    from duelo.io.wav import write_wav
    from duelo.tasks.music.data import onsets_of
    from duelo.tasks.music.export import write_piece
    from duelo.tasks.music.preview import RATE, render_preview

    if path.suffix.lower() == ".wav":
        return write_wav(path, render_preview(pitch, onsets_of(pitch)), RATE)
    return write_piece(path, pitch, onsets_of(pitch), None if mode is None else (9 if mode else 0), mode)


def sample_music(run_or_model: Path, count: int | None, seed: int, label: int | None, out: Path, device: str,
                 force: bool) -> str:
    from duelo.io.images import save_grid
    from duelo.io.outputs import output_files, output_folder
    from duelo.tasks.music.data import unroll
    from duelo.tasks.music.export import FORMATS
    from duelo.tasks.music.model_io import load_music_model, roll_images
    from duelo.training.runtime import Runtime

    count = 8 if count is None else count
    if not 1 <= count <= MAX_PIECES:
        raise ConfigError(f"-n {count}: draw between 1 and {MAX_PIECES:,} pieces per call")
    runtime = Runtime.create(device, "fp32")
    G, meta = load_music_model(run_or_model, str(runtime.device))
    if label is not None and not G.c_dim:
        raise ConfigError("this music model is unconditional; drop --label")
    if label is not None and not 0 <= label < G.c_dim:
        raise ConfigError(f"--label {label}: 0 (major) or 1 (minor)")
    single = out.suffix.lower() in FORMATS or out.suffix.lower() == ".wav"
    if single and count != 1:
        raise ConfigError(f"--out {out}: one file holds one piece; give a folder for -n {count}")
    names = [f"piece-{seed:06d}-{k:04d}.mid" for k in range(count)]
    sounds = [name.replace(".mid", ".wav") for name in names]
    if single:
        paths, grid, previews = output_files([out], force=force), None, [None]
    else:
        folder = output_folder(out, force=force, names=[*names, *sounds, "rolls.png"])
        paths, grid, previews = [folder / name for name in names], folder / "rolls.png", [folder / s for s in sounds]
    rolls, modes = draw_pieces(G, count, seed, label, runtime.device)      # after the outputs are known to be free
    for k, path in enumerate(paths):
        pitch = unroll(rolls[k:k + 1])[0]
        mode = None if modes is None else modes[k]
        write_piece_file(path, pitch, mode)
        if previews[k] is not None:
            write_piece_file(previews[k], pitch, mode)
    if grid is not None:
        save_grid(roll_images(rolls), grid, min(8, count))
    where = paths[0] if single else out
    return f"wrote {count} piece(s) of {G.bars} bars to {where}" + \
        ("" if single else " (.mid and a .wav preview each, and rolls.png)")
