"""`duelo eval` on a run of a task with its own scores (audio, music, video): the frame they share. The run's
configuration is read, the sample count checked, the output file claimed before any work (nothing is computed only
to be refused at the end), the task's scores taken, and eval.json written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from duelo.errors import ConfigError

MIN_SAMPLES = 16


def rescore_run(run: Path, model: Path, task: str, what: str, own_count: Callable, count: int | None, device: str,
                out: Path | None, force: bool, score: Callable) -> tuple[dict, Path]:
    """run: the run folder; model: the model folder scored (run itself, or RUN/best); what: the samples' name
    ("clips", "windows"); own_count(config): the run's own sample count, used when `count` is None;
    score(config, runtime, count) -> the scores. Writes model/eval.json unless `out` says where."""
    from duelo.io.atomic import atomic_write_json
    from duelo.io.outputs import output_files
    from duelo.tasks import run_config
    from duelo.training.runtime import Runtime

    config = run_config(run, what)
    count = own_count(config) if count is None else count
    if count < MIN_SAMPLES:
        raise ConfigError(f"--num-samples {count}: score at least {MIN_SAMPLES} {what}")
    (target,) = output_files([out or model / "eval.json"], force=force, owned=("eval.json",))
    scores = score(config, Runtime.create(device, "fp32"), count)
    result = {"run": run.name, "model_folder": str(model.relative_to(run)), "task": task, "num_samples": count,
              "scores": scores}
    atomic_write_json(target, result)
    return result, target
