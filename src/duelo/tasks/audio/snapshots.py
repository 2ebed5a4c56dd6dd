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

SAMPLE_SEED = 1_000_000
SHOWN, HEARD, GAP_S = 16, 8, 0.25


def joined(waves: torch.Tensor, rate: int) -> np.ndarray:
    gap = np.zeros(int(GAP_S * rate), np.float32)
    return np.concatenate([part for wave in waves.numpy() for part in (wave, gap)])


class AudioSnapshots(Snapshots):

    def clips(self, n: int, refine: int | None = None,
              as_drawn: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        """n clips of the averaged G from fixed latents and labels, decoded with `refine` Griffin-Lim rounds
        (default: audio.decode_refine) and brought to audio.peak's level unless `as_drawn`."""
        from duelo.tasks.audio.model_io import generate_waves, labels_like
        from duelo.tasks.audio.parts import generator_kwargs

        session, trainer = self.session, self.session.trainer
        G, data = trainer.ema["G"], session.data
        labels = labels_like(G, n, data.combined(data.train), SAMPLE_SEED)
        waves = generate_waves(G, generator_kwargs(session.config, data), data.length, n, labels, SAMPLE_SEED,
                               trainer.runtime.device, refine, as_drawn)
        return waves, labels

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
        waves, _ = self.clips(SHOWN)
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
        from duelo.tasks.audio.scorer import scorer_for

        session = self.session
        c = session.config
        scorer = scorer_for(session.data.train, c.audio.scorer_epochs, c.train.seed, session.trainer.runtime.device,
                            session.log)
        scores = self._score(scorer)
        if c.audio.decode_refine:           # the same G's clips decoded as drawn: what the rounds changed
            scores.update(_variant(self._score(scorer, refine=0), "_unrefined"))
        peak = self.peak
        if peak is not None:                # the same G's clips at the levels drawn: what audio.peak changed
            scores.update(_variant(self._score(scorer, as_drawn=True), "_as_drawn"))
            scores["peak"] = peak
        return scores

    def _score(self, scorer, **decoding) -> dict[str, Any]:
        """The scores of audio.eval_clips clips decoded with `decoding` (clips' refine, as_drawn)."""
        from duelo.tasks.audio.scoring import score_clips

        session = self.session
        c = session.config
        waves, labels = self.clips(c.audio.eval_clips, **decoding)
        return score_clips(session.data, scorer, waves, labels, session.trainer.runtime.device, c.train.seed)

    @property
    def peak(self) -> float | None:
        """The level G's clips are brought to (audio.peak, levels.py), or None."""
        from duelo.tasks.audio.parts import generator_kwargs

        return generator_kwargs(self.session.config, self.session.data)["peak"]

    def summary(self, last_metrics: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        scores = self.scores()
        self.session.log("scores: " + ", ".join(f"{k} {v:g}" for k, v in scores.items()
                                                if isinstance(v, float) and not k.endswith(REFERENCES)))
        for key, by_class in scores.items():
            if key.endswith("_by_class"):
                self.session.log(f"{key}: " + ", ".join(f"{name} {value:g}" for name, value in by_class.items()))
        return run_summary(self.session, last_metrics, {"scores": scores}, started)


def _variant(scores: dict[str, Any], suffix: str) -> dict[str, Any]:
    """The scores of the same G's clips decoded another way that say what the decoding changed (the distance, the
    inception-like score, the level and every factor's accuracy), under `suffix`."""
    return {f"{key}{suffix}": value for key, value in scores.items()
            if key in ("fd", "score", "loudness_db") or key.endswith("_accuracy")}
