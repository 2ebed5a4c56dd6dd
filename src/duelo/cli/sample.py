"""`duelo sample`: images from a trained generator, one PNG per seed (and label), with provenance."""

from __future__ import annotations

from pathlib import Path

import click

from duelo.cli.model_args import load_generator
from duelo.errors import ConfigError


MAX_IMAGES = 100_000


def parse_int_list(text: str, what: str) -> list[int]:
    """'0-3,10,12-13' -> [0, 1, 2, 3, 10, 12, 13]."""
    values: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if not part:
                continue
            low, sep, high = part.partition("-")
            if sep and low:
                start, stop = int(low), int(high)
                if stop < start:
                    raise ValueError
                if len(values) + stop - start + 1 > MAX_IMAGES:     # before building a huge list
                    raise ConfigError(f"{what} {text!r} asks for more than {MAX_IMAGES:,} images; at most "
                                      f"{MAX_IMAGES:,} per call")
                values.extend(range(start, stop + 1))
            else:
                values.append(int(part))
    except ValueError:
        raise ConfigError(f"{what} {text!r}: use numbers and ranges like 0-15 or 1,5,9") from None
    if not values:
        raise ConfigError(f"{what} is empty")
    if min(values) < 0 or max(values) >= 2**63:
        raise ConfigError(f"{what} {text!r}: values must be in [0, 2**63)")
    if len(values) > MAX_IMAGES:
        raise ConfigError(f"{what} {text!r} asks for {len(values):,} images; at most {MAX_IMAGES:,} per call")
    return values


@click.command(context_settings={"show_default": True})
@click.argument("run_or_model", type=click.Path(path_type=Path))
@click.option("--seeds", default="0-15", help="Seeds, e.g. 0-15 or 1,5,9; each seed is one latent.")
@click.option("--label", "label", default=None, help="Class of every image (conditional models); text models "
                                                     "also take the class name, audio models names joined by '/' "
                                                     "(violin/C4).")
@click.option("--labels", "labels_text", default=None, help="One class per seed, e.g. 0,1,2 (conditional models).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("samples"), help="Output folder.")
@click.option("--grid/--no-grid", default=True, help="Also write all images as one grid.png.")
@click.option("--per-class", type=int, default=None, metavar="N",
              help="Conditional models: N images of every class in OUT/<class>/, a labelled image folder that "
                   "`duelo train --dataset OUT` (or any folder-per-class loader) reads back. Seeds 0..N-1 "
                   "unless --seeds is given.")
@click.option("-n", "--count", type=int, default=None,
              help="Time-series models: windows to draw (seed 0 unless --seeds names one seed); written to "
                   "--out as .csv (long form) or .npz. Video models: clips (default 16) to --out as an animated "
                   ".gif/.mp4 grid or an .npz of uint8 clips. Text models: lines (default 20), printed or "
                   "written to --out FILE.txt. Music models: pieces (default 8) as .mid files with a .wav preview "
                   "each and rolls.png in the --out folder, or one piece to --out FILE.mid / FILE.musicxml / "
                   "FILE.wav. Audio models: clips "
                   "(default 8) as .wav files and spectrograms.png in the --out folder, or one clip to --out "
                   "FILE.wav.")
@click.option("--temperature", type=float, default=None,
              help="Text models: sampling temperature (1 = the model's own distribution; lower = safer, more "
                   "repetitive).")
@click.option("--device", default="cpu", help="cpu, cuda or cuda:N.")
@click.option("--force", is_flag=True, help="Replace images that exist already in --out.")
def sample(run_or_model: Path, seeds: str, label: str | None, labels_text: str | None, out_dir: Path,
           grid: bool, per_class: int | None, count: int | None, temperature: float | None, device: str,
           force: bool) -> None:
    """Write one PNG per seed from a run folder, a saved model, a Hub folder (`duelo hub save`) or a Hub repo id
    already in the Hugging Face cache (`duelo hub download`).

    A class-conditional model given no label draws every class for each seed. Each PNG carries the
    model's sha256, its seed, its label and the duelo version in PNG text chunks.

    \b
    Examples:
      duelo sample runs/demo --seeds 0-7 --label 3 --out sevens/
      duelo sample runs/demo/model --seeds 0-9 --labels 0-9
      duelo sample runs/demo --per-class 1000 --out synthetic-mnist/
    """
    from duelo import __version__
    from duelo.io.images import save_grid, save_png
    from duelo.io.outputs import output_folder
    from duelo.io.pretrained import model_sha256
    from duelo.sampling.generate import generate

    from duelo.cli.model_args import cached_or_local
    from duelo.tasks.audio.model_io import is_audio_model
    from duelo.tasks.text.model_io import is_text_model
    from duelo.tasks.timeseries.model_io import is_series_model
    from duelo.tasks.music.model_io import is_music_model
    from duelo.tasks.video.model_io import is_video_model

    run_or_model = cached_or_local(run_or_model)          # a Hub repo id downloaded with `duelo hub download`
    out_given = click.get_current_context().get_parameter_source("out_dir").name != "DEFAULT"
    if is_text_model(run_or_model):
        from duelo.tasks.text.commands import sample_text

        seed_list = parse_int_list(seeds if click.get_current_context().get_parameter_source("seeds").name
                                   != "DEFAULT" else "0", "--seeds")
        if len(seed_list) != 1:
            raise ConfigError(f"--seeds {seeds!r}: a text sample takes one seed (-n sets how many lines)")
        click.echo(sample_text(run_or_model, count, seed_list[0], label, 1.0 if temperature is None else temperature,
                               out_dir if out_given else None, device, force))
        return
    if temperature is not None:
        raise ConfigError("--temperature is for text models")
    if is_audio_model(run_or_model):
        from duelo.tasks.audio.commands import sample_audio

        seed_list = parse_int_list(seeds if click.get_current_context().get_parameter_source("seeds").name
                                   != "DEFAULT" else "0", "--seeds")
        if len(seed_list) != 1:
            raise ConfigError(f"--seeds {seeds!r}: an audio sample takes one seed (-n sets how many clips)")
        click.echo(sample_audio(run_or_model, count, seed_list[0], label, out_dir, device, force))
        return
    if label is not None:
        try:
            label = int(label)
        except ValueError:
            raise ConfigError(f"--label {label!r}: give the class as a number") from None
    for is_kind, sample_kind in ((is_series_model, _sample_series), (is_video_model, _sample_video),
                                 (is_music_model, _sample_music)):
        if is_kind(run_or_model):
            given = click.get_current_context().get_parameter_source("seeds").name != "DEFAULT"
            sample_kind(run_or_model, count, seeds if given else "0", label, out_dir, device, force)
            return
    if count is not None:
        raise ConfigError("-n/--count is for time-series, video, music and audio models; for images use --seeds "
                          "(e.g. --seeds 0-99)")
    G, model_dir = load_generator(run_or_model, device, "sample from")
    if per_class is not None:
        seed_text = seeds if click.get_current_context().get_parameter_source("seeds").name != "DEFAULT" \
            else f"0-{per_class - 1}" if per_class >= 1 else ""
        _write_per_class(G, model_dir, per_class, seed_text, label, labels_text, out_dir, force)
        return
    seed_list = parse_int_list(seeds, "--seeds")
    label_list: list[int] | None = None
    all_classes = False
    if label is not None and labels_text is not None:
        raise ConfigError("give either --label or --labels, not both")
    if G.c_dim == 0:
        if label is not None or labels_text is not None:
            raise ConfigError(f"{model_dir} is unconditional; drop --label/--labels")
    else:
        if labels_text is not None:
            label_list = parse_int_list(labels_text, "--labels")
            if len(label_list) != len(seed_list):
                raise ConfigError(f"--labels has {len(label_list)} values for {len(seed_list)} seeds; give one per "
                                  f"seed")
        elif label is not None:
            label_list = [label] * len(seed_list)
        else:
            all_classes = True
            label_list = [c for s in seed_list for c in range(G.c_dim)]
            seed_list = [s for s in seed_list for _ in range(G.c_dim)]
        bad = [value for value in label_list if not 0 <= value < G.c_dim]
        if bad:
            raise ConfigError(f"label {bad[0]} is out of range: this model has classes 0..{G.c_dim - 1}")
    names = [f"seed{seed:06d}" + ("" if label_list is None else f"-class{label_list[index]}") + ".png"
             for index, seed in enumerate(seed_list)]
    output_folder(out_dir, force=force, names=[*names, *(["grid.png"] if grid else [])])
    images = generate(G, seed_list, label_list)
    digest = model_sha256(model_dir)
    for index, seed in enumerate(seed_list):
        label_value = None if label_list is None else label_list[index]
        save_png(images[index], out_dir / names[index], text={
            "duelo:model_sha256": digest, "duelo:seed": str(seed),
            "duelo:label": "" if label_value is None else str(label_value), "duelo:version": __version__})
    if grid:
        # every-class mode is seed-major: one row per seed, one column per class
        columns = G.c_dim if all_classes else max(1, round(len(seed_list) ** 0.5))
        save_grid(images, out_dir / "grid.png", columns,
                  text={"duelo:model_sha256": digest, "duelo:version": __version__})
    click.echo(f"wrote {len(seed_list)} image(s) to {out_dir}")


def _sample_series(run_or_model: Path, count: int | None, seeds: str, label: int | None, out_dir: Path,
                   device: str, force: bool) -> None:
    """`duelo sample` on a time-series run: `count` windows in the data's units to a CSV or an .npz."""
    from duelo.tasks.timeseries.export import series_output_path, write_windows
    from duelo.tasks.timeseries.model_io import generate_windows, load_series_model
    from duelo.training.runtime import Runtime

    count = 100 if count is None else count
    if not 1 <= count <= MAX_IMAGES:
        raise ConfigError(f"-n {count}: draw between 1 and {MAX_IMAGES:,} windows per call")
    seed_list = parse_int_list(seeds, "--seeds")
    if len(seed_list) != 1:
        raise ConfigError(f"--seeds {seeds!r}: a time-series sample takes one seed (-n sets how many windows)")
    runtime = Runtime.create(device, "fp32")
    G, config = load_series_model(run_or_model, str(runtime.device))
    values, labels, lengths = generate_windows(G, config, count, seed_list[0], label, str(runtime.device))
    path = write_windows(series_output_path(out_dir), values, labels, config, force=force, lengths=lengths)
    click.echo(f"wrote {count} window(s) of {values.shape[1]} steps x {values.shape[2]} channels to {path}")


def _sample_video(run_or_model: Path, count: int | None, seeds: str, label: int | None, out_dir: Path,
                  device: str, force: bool) -> None:
    """`duelo sample` on a video run: `count` clips as one animated grid (.gif, .mp4) or uint8 arrays (.npz)."""
    from duelo.tasks.video.model_io import generate_clips, load_video_model, write_clips
    from duelo.training.runtime import Runtime

    count = 16 if count is None else count
    if not 1 <= count <= 10_000:
        raise ConfigError(f"-n {count}: draw between 1 and 10,000 clips per call")
    seed_list = parse_int_list(seeds, "--seeds")
    if len(seed_list) != 1:
        raise ConfigError(f"--seeds {seeds!r}: a video sample takes one seed (-n sets how many clips)")
    runtime = Runtime.create(device, "fp32")
    G, _ = load_video_model(run_or_model, str(runtime.device))
    clips, labels = generate_clips(G, count, seed_list[0], label, str(runtime.device))
    path = out_dir if out_dir.suffix else out_dir / "clips.gif"
    path = write_clips(path, clips, labels, force=force)
    click.echo(f"wrote {count} clip(s) of {clips.shape[1]} frames of {clips.shape[3]}x{clips.shape[4]} to {path}")


def _sample_music(run_or_model: Path, count: int | None, seeds: str, label: int | None, out_dir: Path,
                  device: str, force: bool) -> None:
    """`duelo sample` on a music run: `count` pieces as MIDI (or one .mid / .musicxml file) and their rolls."""
    from duelo.tasks.music.commands import sample_music

    seed_list = parse_int_list(seeds, "--seeds")
    if len(seed_list) != 1:
        raise ConfigError(f"--seeds {seeds!r}: a music sample takes one seed (-n sets how many pieces)")
    click.echo(sample_music(run_or_model, count, seed_list[0], label, out_dir, device, force))


def _write_per_class(G, model_dir: Path, per_class: int, seed_text: str, label: int | None,
                     labels_text: str | None, out_dir: Path, force: bool) -> None:
    """OUT/<class>/seedNNNNNN.png for every class: a synthetic labelled training set."""
    from duelo import __version__
    from duelo.io.images import save_png
    from duelo.io.outputs import output_folder
    from duelo.io.pretrained import model_sha256
    from duelo.sampling.generate import generate

    if G.c_dim == 0:
        raise ConfigError(f"--per-class needs a class-conditional model; {model_dir} is unconditional "
                          f"(use --seeds for an unlabelled set)")
    if label is not None or labels_text is not None:
        raise ConfigError("--per-class draws every class; drop --label/--labels")
    if per_class < 1:
        raise ConfigError(f"--per-class must be at least 1, got {per_class}")
    if per_class * G.c_dim > MAX_IMAGES:
        raise ConfigError(f"--per-class {per_class} x {G.c_dim} classes is more than {MAX_IMAGES:,} images per call")
    seed_list = parse_int_list(seed_text, "--seeds")
    if len(seed_list) != per_class:
        raise ConfigError(f"--seeds gives {len(seed_list)} seeds for --per-class {per_class}; give exactly one "
                          f"per image, or leave --seeds out")
    digest = model_sha256(model_dir)
    width = len(str(G.c_dim - 1))                       # zero-padded names sort in class order
    output_folder(out_dir, force=force, names=[f"{c:0{width}d}/seed{seed:06d}.png" for c in range(G.c_dim)
                                               for seed in seed_list])
    for c in range(G.c_dim):
        folder = out_dir / f"{c:0{width}d}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigError(f"cannot write to --out {out_dir} ({error.strerror})") from None
        images = generate(G, seed_list, [c] * len(seed_list))
        for image, seed in zip(images, seed_list):
            save_png(image, folder / f"seed{seed:06d}.png", text={
                "duelo:model_sha256": digest, "duelo:seed": str(seed), "duelo:label": str(c),
                "duelo:version": __version__})
    click.echo(f"wrote {per_class} image(s) of each of {G.c_dim} classes to {out_dir}/<class>/")
