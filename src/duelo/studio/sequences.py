"""Drawing from the sequence tasks' models (text, time series, audio, music, video) for the studio: one mechanism.

Each task's entry in SEQUENCES says how to draw `count` outputs for a seed (and a class) from the model the Hub
registry loads (`duelo.hub.load_folder`, so no task's loading is repeated here), and how to write the drawn
outputs as the files the studio serves. The drawing calls the very functions `duelo sample` calls for that task,
so the studio's lines, windows and clips for a seed are the command's, byte for byte:

    SEQUENCES.add("duelo-text-generator", Sequence("lines", 200, 20, class_names, draw_text,
                                                   {"txt": Output("text/plain; charset=utf-8", lines_txt,
                                                                  "lines.txt", "text")}))

A task with an entry gets the sequence panel (panels.py) and `/api/draw` (routes.py); the outputs with a view (text,
image, audio: the first of each) are shown on the page, every output is offered as a download of the same draw.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from duelo.registry import Registry
from duelo.studio.http import StudioError

MAX_LINES = 200                    # lines of one text request (shown whole on the page)
MAX_WINDOWS = 1000                 # windows of one time-series request
MAX_CLIPS = 64                     # video clips of one request (one animated grid)
PLOTTED_WINDOWS = 16               # windows drawn in the plot (the CSV holds them all)
PLOTTED_CHANNELS = 4


@dataclass(frozen=True)
class Output:
    content_type: str
    write:        Callable[[Any, Any], bytes]           # (loaded model, what draw returned) -> the file's bytes
    filename:     str
    view:         str | None = None                     # "text", "image" or "audio": shown on the page; None: offered


@dataclass(frozen=True)
class Sequence:
    noun:          str                                   # "lines", "windows", "clip": the panel's words
    max_count:     int                                   # 1: one output per seed, the count is not asked
    default_count: int
    classes:       Callable[[Any], list[str]]            # the class names a label index picks ([]: unconditional)
    draw:          Callable[[Any, int, int, int | None], Any]   # (loaded, count, seed, label index or None)
    outputs:       dict[str, Output]                     # by the `as` of /api/draw
    any_class:     str = "(any, at random)"              # what an empty class means for this task

    def shown(self) -> list[str]:
        """The outputs the page shows, as "KIND:VIEW": the first with each view."""
        views: dict[str, str] = {}
        for kind, output in self.outputs.items():
            if output.view is not None:
                views.setdefault(output.view, kind)
        return [f"{kind}:{view}" for view, kind in views.items()]


SEQUENCES: Registry[Sequence] = Registry("studio sequence panel")


def load_pretrained(folder: Path) -> Any:
    """The folder as the Hub registry loads it (PretrainedModel: model, extras, handler), on the CPU."""
    from duelo.hub import load_folder

    return load_folder(folder, "cpu")


def draw(sequence: Sequence, loaded: Any, count: int, seed: int, label: int | None, kind: str) -> bytes:
    """The bytes of output `kind` for `count` outputs of `seed` (and class `label`)."""
    if kind not in sequence.outputs:
        raise StudioError(f"as={kind!r}: this model's outputs are {', '.join(sequence.outputs)}")
    if not 1 <= count <= sequence.max_count:
        raise StudioError(f"n {count}: use 1..{sequence.max_count:,}")
    names = sequence.classes(loaded)
    if label is not None and not names:
        raise StudioError("this model is unconditional: leave the class empty")
    if label is not None and label >= len(names):
        raise StudioError(f"class {label} is out of range: this model has classes 0..{len(names) - 1}")
    return sequence.outputs[kind].write(loaded, sequence.draw(loaded, count, seed, label))


def _device(loaded: Any) -> Any:
    return next(loaded.model.parameters()).device


def _via_file(suffix: str, write: Callable[[Path], Any]) -> bytes:
    """The bytes a writer that takes a path (music21's, the GIF writer) puts in a file named *suffix."""
    with tempfile.TemporaryDirectory(prefix="duelo-studio-") as folder:
        path = Path(folder) / f"drawn{suffix}"
        write(path)
        return path.read_bytes()


def _class_names(loaded: Any) -> list[str]:
    """The names a label index picks (text, series, music, video): the saved class names, else the indices."""
    G, names = loaded.model, loaded.extras["config"].get("class_names") or []
    return [str(n) for n in names] if G.c_dim and len(names) == G.c_dim else [str(k) for k in range(G.c_dim)]


# ---- text: the lines `duelo sample RUN -n N --seeds SEED [--label CLASS]` prints -----------------------------------
def _draw_text(loaded: Any, count: int, seed: int, label: int | None) -> list[str]:
    from duelo.tasks.text.model_io import draw_lines

    return draw_lines(loaded.model, loaded.extras["vocab"], loaded.extras["config"], count, seed, label, 1.0,
                      _device(loaded))


def _lines_txt(loaded: Any, lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


# ---- time series: `duelo sample RUN -n N --seeds SEED [--label CLASS]`'s windows, plotted and as its CSV ---------
def _draw_series(loaded: Any, count: int, seed: int, label: int | None) -> tuple[Any, Any, Any]:
    from duelo.tasks.timeseries.model_io import generate_windows

    return generate_windows(loaded.model, loaded.extras["config"], count, seed, label, str(_device(loaded)))


def _windows_csv(loaded: Any, drawn: tuple[Any, Any, Any]) -> bytes:
    from duelo.tasks.timeseries.export import windows_csv

    values, labels, lengths = drawn
    return windows_csv(values, labels, loaded.extras["config"], lengths)


def _windows_png(loaded: Any, drawn: tuple[Any, Any, Any]) -> bytes:
    """The first windows, channel by channel, in the data's units (steps past a window's length left out)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    values, _, lengths = drawn
    shown = values[:PLOTTED_WINDOWS].double().clone()
    if lengths is not None:
        for row, length in enumerate(lengths[:PLOTTED_WINDOWS].tolist()):
            shown[row, int(length):] = float("nan")
    columns = list(loaded.extras["config"]["columns"])
    channels = min(shown.shape[2], PLOTTED_CHANNELS)
    figure = Figure(figsize=(7, 1.8 * channels), dpi=90)            # no pyplot: no global state across threads
    axes = figure.subplots(channels, 1, squeeze=False)
    for c in range(channels):
        axes[c][0].plot(shown[:, :, c].T.numpy(), linewidth=1)
        axes[c][0].set_title(f"{columns[c]} ({len(shown)} of {len(values)} windows)", fontsize=8)
    axes[-1][0].set_xlabel("step", fontsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


# ---- audio: the clip `duelo sample RUN -n 1 --seeds SEED [--label L] --out clip.wav` writes ------------------------
def _audio_classes(loaded: Any) -> list[str]:
    """Every label of the model, named as `--label` takes it: one name per factor, joined by '/'."""
    import itertools

    meta = loaded.extras["config"]
    if not loaded.model.c_dim:
        return []
    names = meta.get("class_names") or [[str(k) for k in range(size)] for size in meta["kwargs"]["factors"]]
    return ["/".join(combination) for combination in itertools.product(*names)]


def _draw_audio(loaded: Any, count: int, seed: int, label: int | None) -> Any:
    import torch

    from duelo.tasks.audio.commands import parse_label
    from duelo.tasks.audio.model_io import generate_waves

    G, meta = loaded.model, loaded.extras["config"]
    labels = None
    if G.c_dim:
        labels = (torch.full((count,), parse_label(str(label), meta), dtype=torch.long) if label is not None
                  else torch.randint(0, G.c_dim, (count,), generator=torch.Generator().manual_seed(seed)))
    return generate_waves(G, meta["kwargs"], meta["length"], count, labels, seed, _device(loaded))


def _clip_wav(loaded: Any, waves: Any) -> bytes:
    from duelo.io.wav import wav_bytes

    return wav_bytes(waves[0].numpy(), loaded.extras["config"]["rate"])


# ---- music: the piece `duelo sample RUN -n 1 --seeds SEED [--label MODE] --out piece.mid|.musicxml|.wav` writes ----
def _draw_music(loaded: Any, count: int, seed: int, label: int | None) -> tuple[Any, list[int] | None]:
    from duelo.tasks.music.commands import draw_pieces

    return draw_pieces(loaded.model, count, seed, label, _device(loaded))


def _piece(suffix: str) -> Callable[[Any, Any], bytes]:
    def write(loaded: Any, drawn: tuple[Any, list[int] | None]) -> bytes:
        from duelo.tasks.music.commands import write_piece_file
        from duelo.tasks.music.data import unroll

        rolls, modes = drawn
        return _via_file(suffix, lambda path: write_piece_file(path, unroll(rolls[:1])[0],
                                                               None if modes is None else modes[0]))
    return write


def _rolls_png(loaded: Any, drawn: tuple[Any, list[int] | None]) -> bytes:
    from duelo.io.images import make_grid, png_bytes, to_pil
    from duelo.tasks.music.model_io import roll_images

    rolls, _ = drawn
    return png_bytes(to_pil(make_grid(roll_images(rolls), min(8, len(rolls)))))


# ---- video: the clips `duelo sample RUN -n N --seeds SEED [--label CLASS] --out clips.gif|.npz` writes -----------
def _draw_video(loaded: Any, count: int, seed: int, label: int | None) -> tuple[Any, Any]:
    from duelo.tasks.video.model_io import generate_clips

    return generate_clips(loaded.model, count, seed, label, str(_device(loaded)))


def _clips(suffix: str) -> Callable[[Any, Any], bytes]:
    def write(loaded: Any, drawn: tuple[Any, Any]) -> bytes:
        from duelo.tasks.video.model_io import write_clips

        clips, labels = drawn
        return _via_file(suffix, lambda path: write_clips(path, clips, labels))
    return write


def _register() -> None:
    from duelo.tasks.audio.model_io import FORMAT as AUDIO_FORMAT
    from duelo.tasks.music.model_io import FORMAT as MUSIC_FORMAT
    from duelo.tasks.text.model_io import FORMAT as TEXT_FORMAT
    from duelo.tasks.timeseries.model_io import FORMAT as SERIES_FORMAT
    from duelo.tasks.video.model_io import FORMAT as VIDEO_FORMAT

    SEQUENCES.add(TEXT_FORMAT, Sequence("lines", MAX_LINES, 20, _class_names, _draw_text, {
        "txt": Output("text/plain; charset=utf-8", _lines_txt, "lines.txt", "text")}))
    SEQUENCES.add(SERIES_FORMAT, Sequence("windows", MAX_WINDOWS, 100, _class_names, _draw_series, {
        "png": Output("image/png", _windows_png, "windows.png", "image"),
        "csv": Output("text/csv; charset=utf-8", _windows_csv, "windows.csv")}))
    SEQUENCES.add(AUDIO_FORMAT, Sequence("clip", 1, 1, _audio_classes, _draw_audio, {
        "wav": Output("audio/wav", _clip_wav, "clip.wav", "audio")}))
    SEQUENCES.add(MUSIC_FORMAT, Sequence("piece", 1, 1, _class_names, _draw_music, {
        "png": Output("image/png", _rolls_png, "rolls.png", "image"),
        "wav": Output("audio/wav", _piece(".wav"), "piece.wav", "audio"),
        "mid": Output("audio/midi", _piece(".mid"), "piece.mid"),
        "musicxml": Output("application/vnd.recordare.musicxml+xml", _piece(".musicxml"), "piece.musicxml")},
        any_class="(major: as duelo sample draws one piece)"))
    SEQUENCES.add(VIDEO_FORMAT, Sequence("clips", MAX_CLIPS, 16, _class_names, _draw_video, {
        "gif": Output("image/gif", _clips(".gif"), "clips.gif", "image"),
        "npz": Output("application/octet-stream", _clips(".npz"), "clips.npz")}))


_register()
