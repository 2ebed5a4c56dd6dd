"""The runs `duelo eval` reads with their own task's scores rather than the image metrics (TASK_EVALUATIONS):
which folders each task's models are, and how its run is scored again. Each evaluation takes (run or model
folder, --num-samples or None for the run's own setting, device, --out, --force) and returns (result, file)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from duelo.registry import Registry, lazy


@dataclass(frozen=True)
class TaskEvaluation:
    holds: Callable[[Path], bool]                     # whether a folder is (or holds) this task's model
    evaluate: Callable[..., tuple[dict, Path]]
    own_count: bool = True                            # an unset --num-samples means the run's own setting


def _text(run, count, device, out, force):
    from duelo.tasks.text.commands import evaluate_text_run

    return evaluate_text_run(run, count, None, device, out, force)


def _series(run, count, device, out, force):
    from duelo.tasks.timeseries.evaluate import evaluate_series_run

    return evaluate_series_run(run, count, None, device, out, force)


TASK_EVALUATIONS: Registry[TaskEvaluation] = Registry("task evaluation")
TASK_EVALUATIONS.add("text", TaskEvaluation(lazy("duelo.tasks.text.model_io", "is_text_model"), _text))
TASK_EVALUATIONS.add("audio", TaskEvaluation(lazy("duelo.tasks.audio.model_io", "is_audio_model"),
                                             lazy("duelo.tasks.audio.evaluate", "evaluate_audio_run")))
TASK_EVALUATIONS.add("music", TaskEvaluation(lazy("duelo.tasks.music.model_io", "is_music_model"),
                                             lazy("duelo.tasks.music.evaluate", "evaluate_music_run")))
TASK_EVALUATIONS.add("video", TaskEvaluation(lazy("duelo.tasks.video.model_io", "is_video_model"),
                                             lazy("duelo.tasks.video.evaluate", "evaluate_video_run")))
TASK_EVALUATIONS.add("timeseries", TaskEvaluation(lazy("duelo.tasks.timeseries.model_io", "is_series_model"),
                                                  _series, own_count=False))


def task_of(folder: Path) -> str | None:
    """The task whose model `folder` is or holds, among TASK_EVALUATIONS; None for an image run or model."""
    return next((name for name in TASK_EVALUATIONS.names() if TASK_EVALUATIONS.get(name).holds(folder)), None)
