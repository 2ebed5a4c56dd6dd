"""`duelo eval` on a video run: clips of its averaged generator against clips of the run's held-out digits,
scored by duelo.tasks.video.scoring; written to RUN/eval.json."""

from __future__ import annotations

from pathlib import Path


def evaluate_video_run(run: Path, num_samples: int | None, device: str, out: Path | None,
                       force: bool) -> tuple[dict, Path]:
    """num_samples: generated clips; None = the run's video.eval_clips."""
    from duelo.tasks.rescoring import rescore_run
    from duelo.tasks.video.data import load_video_data
    from duelo.tasks.video.model_io import clips_like_training, load_video_model
    from duelo.tasks.video.scoring import score_clips

    def score(config, runtime, count: int) -> dict:
        G, _ = load_video_model(run, str(runtime.device))
        data = load_video_data(config, runtime.device)
        clips, labels = clips_like_training(G, count, data.train.labels, 1_000_000, runtime.device)
        return score_clips(data, clips.to(runtime.device), labels, config.video.score_steps, config.train.seed,
                           runtime.device)

    return rescore_run(run, run, "video", "clips", lambda config: config.video.eval_clips, num_samples, device,
                       out, force, score)
