"""`duelo sample` on an audio run: clips as WAV files (16-bit mono) and one picture of their spectrograms, or one
clip to --out FILE.wav. Conditional models take --label as a number or as class names joined by "/" in the
order of the model's factors (notes: instrument/pitch, e.g. violin/C4)."""

from __future__ import annotations

from pathlib import Path

from duelo.errors import ConfigError

MAX_CLIPS = 1000


def parse_label(text: str, meta: dict) -> int:
    from duelo.tasks.audio.networks import combine_labels

    factors = tuple(meta["kwargs"]["factors"])
    count = 1
    for size in factors:
        count *= size
    if text.strip().lstrip("-").isdigit():
        label = int(text)
        if not 0 <= label < count:
            raise ConfigError(f"--label {text}: this model has labels 0..{count - 1}")
        return label
    names, parts = meta["class_names"], text.split("/")
    if len(parts) != len(factors):
        raise ConfigError(f"--label {text!r}: give {len(factors)} name(s) joined by '/', one per factor "
                          f"({'/'.join(meta['factor_names'])}), e.g. {'/'.join(n[0] for n in names)}")
    found = []
    for part, factor, known in zip(parts, meta["factor_names"], names):
        if part not in known:
            raise ConfigError(f"--label {text!r}: {factor} {part!r} is not one of {', '.join(known)}")
        found.append(known.index(part))
    return combine_labels(found, factors)


def sample_audio(run_or_model: Path, count: int | None, seed: int, label: str | None, out: Path, device: str,
                 force: bool) -> str:
    import torch

    from duelo.io.images import save_grid
    from duelo.io.outputs import output_files, output_folder
    from duelo.tasks.audio.model_io import generate_waves, load_audio_model
    from duelo.tasks.audio.spectral import spectrogram_images
    from duelo.io.wav import write_wav
    from duelo.training.runtime import Runtime

    count = 8 if count is None else count
    if not 1 <= count <= MAX_CLIPS:
        raise ConfigError(f"-n {count}: draw between 1 and {MAX_CLIPS:,} clips per call")
    runtime = Runtime.create(device, "fp32")
    G, meta = load_audio_model(run_or_model, str(runtime.device))
    if label is not None and not G.c_dim:
        raise ConfigError("this audio model is unconditional; drop --label")
    labels = None
    if G.c_dim:
        labels = (torch.full((count,), parse_label(label, meta), dtype=torch.long) if label is not None
                  else torch.randint(0, G.c_dim, (count,), generator=torch.Generator().manual_seed(seed)))
    single = out.suffix.lower() == ".wav"
    if single and count != 1:
        raise ConfigError(f"--out {out}: one file holds one clip; give a folder for -n {count}")
    names = [f"clip-{seed:06d}-{k:04d}.wav" for k in range(count)]
    if single:
        paths, grid = output_files([out], force=force), None
    else:
        folder = output_folder(out, force=force, names=[*names, "spectrograms.png"])
        paths, grid = [folder / name for name in names], folder / "spectrograms.png"
    waves = generate_waves(G, meta["kwargs"], meta["length"], count, labels, seed, runtime.device)
    for wave, path in zip(waves, paths):
        write_wav(path, wave.numpy(), meta["rate"])
    if grid is not None:
        save_grid(spectrogram_images(waves, meta["rate"]), grid, min(8, count))
    where = paths[0] if single else out
    return f"wrote {count} clip(s) of {meta['length'] / meta['rate']:.3f} s to {where}" + \
        ("" if single else " (and spectrograms.png)")
