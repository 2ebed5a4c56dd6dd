"""TensorBoard: event files in RUN/tensorboard/ (`tensorboard --logdir runs` shows every run side by side).

Scalars are the metrics.jsonl fields (loss_D, D_real, img_per_s...), health signals under health/ and periodic
evaluations under eval/; each snapshot's files appear as images (grids, plots, GIF clips), audio (WAV) and text
(generated lines, table previews), written from the files' own bytes (nothing is decoded and encoded again).

Resuming and rolling back. The step is nimg, so a resumed run continues on the same axis. TensorBoard cannot
delete events, but it hides them: a SessionLog START event at step p makes TensorBoard's Python reader drop what
it read before at steps >= p, and its Rust data server drops a tag's points at steps >= the step at which that tag
is logged again. So at every restart the logger writes START at p and the mirror logs everything from p again
(duelo.training.loggers.mirror), which both readers show once. `synced.json` records the step up to which the
event files hold the whole run folder (written after each snapshot), so a resume only replays the lines after it.
"""

from __future__ import annotations

import json
import time
import wave
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from duelo.training.loggers.base import LOGGERS, Logger, Sample
from duelo.training.loggers.samples import read_text_preview

if TYPE_CHECKING:
    import torch

FOLDER = "tensorboard"
MARKER = "synced.json"
COLORSPACES = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}      # the image summary's channel count by PIL mode


def read_marker(folder: Path) -> int | None:
    """The step up to which the event files hold the run folder's records, or None (nothing logged yet, or the
    marker is unreadable: then everything is logged again, which is always correct)."""
    try:
        value = json.loads((folder / MARKER).read_text()).get("synced_nimg")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def code_block(text: str) -> str:
    """Text shown verbatim: TensorBoard renders text summaries as Markdown, where an indented block is code."""
    return "\n".join("    " + line for line in text.splitlines()) or "    (empty)"


@LOGGERS.register("tensorboard", extra="tensorboard", modules=("tensorboard", "torch.utils.tensorboard"),
                  opens="tensorboard --logdir RUN/tensorboard (or --logdir runs for every run)")
class TensorBoardLogger(Logger):
    def __init__(self, run_path: Path, config: dict[str, Any]):
        from torch.utils.tensorboard import SummaryWriter

        self.folder = Path(run_path) / FOLDER
        self.synced_nimg = read_marker(self.folder)            # None: the event files hold nothing we can count on
        self.writer = SummaryWriter(log_dir=str(self.folder), flush_secs=30)
        self.sample_writers: dict[str, Callable[[int, Sample], None]] = {
            "image": self._image, "audio": self._audio, "text": self._text}

    def restart(self, nimg: int) -> int:
        from tensorboard.compat.proto.event_pb2 import Event, SessionLog

        start = 0 if self.synced_nimg is None else min(self.synced_nimg, nimg)
        self.writer.file_writer.add_event(Event(step=start, session_log=SessionLog(status=SessionLog.START)))
        self.synced_nimg = start
        return start

    def scalars(self, nimg: int, values: dict[str, float]) -> None:
        for tag, value in values.items():
            self.writer.add_scalar(tag, value, nimg)

    def sample(self, nimg: int, sample: Sample) -> None:
        write = self.sample_writers.get(sample.kind)
        if write is not None:                                  # MIDI and other files: nothing to show here
            write(nimg, sample)

    def histograms(self, nimg: int, tensors: dict[str, "torch.Tensor"]) -> None:
        for tag, tensor in tensors.items():
            self.writer.add_histogram(tag, tensor.detach().float().cpu(), nimg)

    def event(self, nimg: int, record: dict[str, Any]) -> None:
        text = f"**{record.get('event', 'event')}** ({record.get('severity', '')}): {record.get('message', '')}"
        if record.get("remedy"):
            text += f"\n\n{'Applied' if record.get('applied') else 'Try'}: {record['remedy']}"
        # one series per kind of event: a rollback's event (at the step it went back to) then never comes
        # after a later step in the same series, which TensorBoard would read as a restart of that series
        self.writer.add_text(f"health/{record.get('event', 'event')}", text, nimg)

    def document(self, nimg: int, name: str, content: dict[str, Any]) -> None:
        self.writer.add_text(f"run/{name}", code_block(json.dumps(content, indent=2, sort_keys=True)), nimg)

    def flush(self) -> None:
        self.writer.flush()

    def synced(self, nimg: int) -> None:
        from duelo.io.atomic import atomic_write_json

        self.writer.flush()                                    # the marker never runs ahead of the event files
        atomic_write_json(self.folder / MARKER, {"synced_nimg": nimg})
        self.synced_nimg = nimg

    def close(self) -> None:
        self.writer.close()

    # -- sample files -----------------------------------------------------------------------------------
    def _image(self, nimg: int, sample: Sample) -> None:
        from PIL import Image
        from tensorboard.compat.proto.summary_pb2 import Summary

        data = sample.path.read_bytes()
        with Image.open(sample.path) as image:                 # the header only: size and mode
            width, height, mode = image.width, image.height, image.mode
        picture = Summary.Image(height=height, width=width, colorspace=COLORSPACES.get(mode, 3),
                                encoded_image_string=data)
        self._add(Summary(value=[Summary.Value(tag=sample.tag, image=picture)]), nimg)

    def _audio(self, nimg: int, sample: Sample) -> None:
        from tensorboard.compat.proto.summary_pb2 import Summary

        with wave.open(str(sample.path), "rb") as source:
            rate, channels, frames = source.getframerate(), source.getnchannels(), source.getnframes()
        sound = Summary.Audio(sample_rate=float(rate), num_channels=channels, length_frames=frames,
                              encoded_audio_string=sample.path.read_bytes(), content_type="audio/wav")
        self._add(Summary(value=[Summary.Value(tag=sample.tag, audio=sound)]), nimg)

    def _text(self, nimg: int, sample: Sample) -> None:
        self.writer.add_text(sample.tag, code_block(read_text_preview(sample.path)), nimg)

    def _add(self, summary, nimg: int) -> None:
        self.writer.file_writer.add_summary(summary, nimg, time.time())
