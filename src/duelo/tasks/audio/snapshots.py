"""An audio run's snapshots and summary:

    model/                       config.json + model.safetensors of the averaged generator (model_io.py)
    samples/spectrograms-*.png   16 generated clips from fixed latents as log-mel spectrograms (real ones: real.png)
    samples/clips-*.wav          the first 8 of them one after another, 0.25 s apart (real ones: real.wav)
    summary.json                 the scores of generated clips against held-out ones (scoring.py)
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from duelo.tasks.audio.scoring import REFERENCES
from duelo.tasks.snapshots import Snapshots, run_summary

SHOWN, HEARD, GAP_S = 16, 8, 0.25


def joined(waves: torch.Tensor, rate: int) -> np.ndarray:
    gap = np.zeros(int(GAP_S * rate), np.float32)
    return np.concatenate([part for wave in waves.numpy() for part in (wave, gap)])


class AudioSnapshots(Snapshots):

    def clips(self, n: int) -> torch.Tensor:
        """n clips of the averaged G from fixed latents and labels (the scored clips' first n), decoded as the
        model records."""
        from duelo.tasks.audio.evaluate import SAMPLE_SEED
        from duelo.tasks.audio.model_io import generate_waves, labels_like
        from duelo.tasks.audio.parts import generator_kwargs

        session, trainer = self.session, self.session.trainer
        G, data = trainer.ema["G"], session.data
        labels = labels_like(G, n, data.combined(data.train), SAMPLE_SEED)
        return generate_waves(G, generator_kwargs(session.config, data), data.length, n, labels, SAMPLE_SEED,
                              trainer.runtime.device)

    def write_files(self, trainer) -> list[Path]:
        from duelo.io.folders import commit_folder
        from duelo.io.images import save_grid
        from duelo.tasks.audio.model_io import save_audio_model
        from duelo.tasks.audio.parts import generator_kwargs
        from duelo.tasks.audio.spectral import spectrogram_images
        from duelo.io.wav import write_wav

        session, data = self.session, self.session.data
        model = commit_folder(session.run_dir.model,
                              lambda folder: save_audio_model(folder, trainer.ema["G"],
                                                              generator_kwargs(session.config, data), data),
                              keep_other_files=True)
        waves = self.clips(SHOWN)
        nimg, samples = trainer.counters.nimg, session.run_dir.samples
        grid = save_grid(spectrogram_images(waves, data.rate), samples / f"spectrograms-{nimg:09d}.png", 4)
        sound = write_wav(samples / f"clips-{nimg:09d}.wav", joined(waves[:HEARD], data.rate), data.rate)
        if not (samples / "real.png").exists():
            real = torch.from_numpy(data.heldout.floats()[:SHOWN])
            save_grid(spectrogram_images(real, data.rate), samples / "real.png", 4)
            write_wav(samples / "real.wav", joined(real[:HEARD], data.rate), data.rate)
        return [model, grid, sound]

    def scores(self) -> dict[str, Any]:
        """The averaged G's clips scored against the held-out ones by the classifier trained on the real
        training clips (trained once per dataset, cached)."""
        from duelo.tasks.audio.evaluate import score_generator
        from duelo.tasks.audio.parts import generator_kwargs
        from duelo.tasks.audio.scorer import scorer_for

        session = self.session
        c, data, device = session.config, session.data, session.trainer.runtime.device
        scorer = scorer_for(data.train, c.audio.scorer_epochs, c.train.seed, device, session.log)
        return score_generator(session.trainer.ema["G"], generator_kwargs(c, data), data, scorer,
                               c.audio.eval_clips, c.train.seed, device)

    def summary(self, last_metrics: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        scores = self.scores()
        self.session.log("scores: " + ", ".join(f"{k} {v:g}" for k, v in scores.items()
                                                if isinstance(v, float) and not k.endswith(REFERENCES)))
        for key, by_class in scores.items():
            if key.endswith("_by_class"):
                self.session.log(f"{key}: " + ", ".join(f"{name} {value:g}" for name, value in by_class.items()))
        return run_summary(self.session, last_metrics, {"scores": scores}, started)
