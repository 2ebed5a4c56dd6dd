"""`duelo eval` on a video run: clips of its averaged generator against clips of the run's held-out digits,
scored by duelo.tasks.video.scoring; written to RUN/eval.json."""

from __future__ import annotations

from pathlib import Path

from duelo.errors import ConfigError


def evaluate_video_run(run: Path, num_samples: int | None, device: str, out: Path | None,
                       force: bool) -> tuple[dict, Path]:
    """num_samples: generated clips; None = the run's video.eval_clips."""
    from duelo.io.atomic import atomic_write_json
    from duelo.io.outputs import output_files
    from duelo.tasks import run_config
    from duelo.tasks.video.data import load_video_data
    from duelo.tasks.video.model_io import clips_like_training, load_video_model
    from duelo.tasks.video.scoring import score_clips
    from duelo.training.runtime import Runtime

    config = run_config(run, "clips")
    num_samples = config.video.eval_clips if num_samples is None else num_samples
    if num_samples < 16:
        raise ConfigError(f"--num-samples {num_samples}: score at least 16 clips")
    target = out or run / "eval.json"
    (target,) = output_files([target], force=force, owned=("eval.json",))
    runtime = Runtime.create(device, "fp32")
    G, _ = load_video_model(run, str(runtime.device))
    data = load_video_data(config, runtime.device)
    clips, labels = clips_like_training(G, num_samples, data.train.labels, 1_000_000, runtime.device)
    scores = score_clips(data, clips.to(runtime.device), labels, config.video.score_steps, config.train.seed,
                         runtime.device)
    result = {"run": run.name, "task": "video", "num_samples": num_samples, "scores": scores}
    atomic_write_json(target, result)
    return result, target
