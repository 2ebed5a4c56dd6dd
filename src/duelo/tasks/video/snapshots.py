"""A video run's snapshots and summary:

    model/                 config.json + model.safetensors of the averaged generator (model_io.py)
    samples/clips-*.gif    16 generated clips from fixed latents, playing side by side (real clips: real.gif)
    summary.json           the scores of generated clips against clips of held-out digits (scoring.py)
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from duelo.tasks.snapshots import Snapshots, run_summary

SAMPLE_SEED = 1_000_000
SHOWN = 16
RECALIBRATION_BATCHES = 8    # batches of clips through the averaged G before a snapshot (its batch norm)
RECALIBRATION_CLIPS = 32


class VideoSnapshots(Snapshots):

    def clips(self, n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """n generated clips from the averaged G and fixed latents; labels drawn like the digits' classes."""
        from duelo.tasks.video.model_io import clips_like_training

        trainer = self.session.trainer
        return clips_like_training(trainer.ema["G"], n, self.session.data.train.labels, SAMPLE_SEED,
                                   trainer.runtime.device)

    def prepare(self, trainer) -> None:
        """The averaged G's batch-norm statistics, recomputed for its own weights (as for images)."""
        from duelo.training.ema import recalibrate_batchnorm

        recalibrate_batchnorm(trainer.G_ema, trainer.objective.sample_generator_inputs, RECALIBRATION_BATCHES,
                              RECALIBRATION_CLIPS, seed=trainer.counters.nimg)

    def write_files(self, trainer) -> list[Path]:
        from duelo.io.folders import commit_folder
        from duelo.tasks.video.model_io import clip_grid, save_video_model
        from duelo.tasks.video.parts import generator_kwargs
        from duelo.sampling.animation import save_gif

        session = self.session
        model = commit_folder(session.run_dir.model,
                              lambda folder: save_video_model(folder, trainer.ema["G"],
                                                              generator_kwargs(session.config), session.config),
                              keep_other_files=True)
        clips, _ = self.clips(SHOWN)
        gif = save_gif(clip_grid(clips.cpu()), session.run_dir.samples / f"clips-{trainer.counters.nimg:09d}.gif",
                       fps=8, scale=2)
        real = session.run_dir.samples / "real.gif"
        if not real.exists():
            shown, _ = session.data.heldout.render(SHOWN, torch.Generator(device=trainer.runtime.device)
                                                   .manual_seed(SAMPLE_SEED))
            save_gif(clip_grid(shown.cpu()), real, fps=8, scale=2)
        return [model, gif]

    def summary(self, last_metrics: dict[str, Any]) -> dict[str, Any]:
        from duelo.tasks.video.scoring import score_clips

        session = self.session
        started = time.perf_counter()
        v = session.config.video
        fake, labels = self.clips(v.eval_clips)
        scores = score_clips(session.data, fake, labels, v.score_steps, session.config.train.seed,
                             session.trainer.runtime.device)
        session.log("scores: " + ", ".join(f"{k} {val:g}" for k, val in scores.items() if isinstance(val, float)))
        return run_summary(session, last_metrics, {"scores": scores}, started)
