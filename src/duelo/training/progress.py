"""Progress output: a live bar on a terminal, one plain line per log interval otherwise (CI, pipes)."""

from __future__ import annotations

import sys
from typing import TextIO


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def format_values(values: dict[str, float], names: tuple[str, ...]) -> str:
    return "  ".join(f"{n} {values[n]:.3f}" for n in names if n in values)


class Progress:
    """Shows kimg done/total, samples per second, the main losses and the time left."""

    SHOWN = ("loss_D", "loss_G", "D_real", "D_fake", "nll_per_token")   # the last: maximum-likelihood stages

    def __init__(self, total_kimg: float, start_kimg: float = 0.0, stream: TextIO | None = None,
                 live: bool | None = None, unit: str = "img"):
        self.total_kimg = total_kimg
        self.unit = unit                      # what one sample is: img, row, point...
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self._bar = None
        if self.live:
            from rich.console import Console
            from rich.progress import BarColumn, Progress as RichProgress, TextColumn
            from rich.table import Column

            # kimg, rate and ETA never wrap or shorten; the losses take what width is left
            self._bar = RichProgress(
                BarColumn(bar_width=16),
                TextColumn("{task.completed:.1f}/{task.total:.1f} kimg | {task.fields[rate]} | {task.fields[eta]}",
                           table_column=Column(no_wrap=True)),
                TextColumn("{task.fields[values]}", table_column=Column(no_wrap=True, overflow="ellipsis",
                                                                        ratio=1)),
                console=Console(file=self.stream), transient=False, expand=True)
            self._task = self._bar.add_task("train", total=total_kimg, completed=start_kimg,
                                            rate="", eta="", values="")
            self._bar.start()

    def update(self, kimg: float, img_per_s: float, values: dict[str, float]) -> None:
        remaining_s = (self.total_kimg - kimg) * 1000 / img_per_s if img_per_s > 0 else float("nan")
        eta = f"ETA {format_duration(remaining_s)}" if remaining_s == remaining_s else "ETA ?"
        rate = f"{img_per_s:,.0f} {self.unit}/s"
        text = format_values(values, self.SHOWN)
        if self._bar is not None:
            self._bar.update(self._task, completed=kimg, rate=rate, eta=eta, values=text)
        else:
            print(f"{kimg:8.1f}/{self.total_kimg:.1f} kimg | {rate} | {eta} | {text}", file=self.stream, flush=True)

    def message(self, text: str) -> None:
        if self._bar is not None:
            self._bar.console.print(text)
        else:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
