"""A music run's snapshots and summary:

    model/                    config.json + model.safetensors of the averaged generator (model_io.py)
    samples/rolls-*.png       16 generated windows from fixed latents as piano rolls (real ones: real.png)
    samples/piece-*.mid       the first of them as MIDI, readable by any sequencer or notation program
    samples/piece-*.wav       the same piece rendered as an audio preview (preview.py)
    summary.json              the scores of generated windows against held-out ones (scoring.py)
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from duelo.data.errors import DatasetUnavailableError
from duelo.tasks.snapshots import Snapshots, run_summary

SHOWN = 16


class MusicSnapshots(Snapshots):

    def rolls(self, n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        from duelo.tasks.music.model_io import rolls_for_scores

        trainer = self.session.trainer
        return rolls_for_scores(trainer.ema["G"], n, self.session.data.train.modes, trainer.runtime.device)

    def write_files(self, trainer) -> list[Path]:
        from duelo.io.folders import commit_folder
        from duelo.io.images import save_grid
        from duelo.io.wav import write_wav
        from duelo.tasks.music.data import onsets_of, unroll
        from duelo.tasks.music.export import write_piece
        from duelo.tasks.music.model_io import roll_images, save_music_model
        from duelo.tasks.music.preview import RATE, render_preview
        from duelo.tasks.music.parts import generator_kwargs

        session = self.session
        model = commit_folder(session.run_dir.model,
                              lambda folder: save_music_model(folder, trainer.ema["G"],
                                                              generator_kwargs(session.config, session.data),
                                                              session.config),
                              keep_other_files=True)
        rolls, modes = self.rolls(SHOWN)
        nimg = trainer.counters.nimg
        grid = save_grid(roll_images(rolls), session.run_dir.samples / f"rolls-{nimg:09d}.png", 4)
        real = session.run_dir.samples / "real.png"
        if not real.exists():
            save_grid(roll_images(session.data.heldout.rolls[:SHOWN]), real, 4)
        pitch = unroll(rolls[:1])[0]
        mode = None if modes is None else int(modes[0])
        tonic = None if mode is None else (9 if mode else 0)
        written = [model, grid, write_wav(session.run_dir.samples / f"piece-{nimg:09d}.wav",
                                          render_preview(pitch, onsets_of(pitch)), RATE)]
        try:
            written.append(write_piece(session.run_dir.samples / f"piece-{nimg:09d}.mid", pitch, onsets_of(pitch),
                                       tonic, mode))
        except DatasetUnavailableError:
            pass                                            # music21 missing: rolls and the model still written
        return written

    def summary(self, last_metrics: dict[str, Any]) -> dict[str, Any]:
        from duelo.tasks.music.evaluate import score_model

        session = self.session
        started = time.perf_counter()
        scores = score_model(session.trainer.ema["G"], session.data, session.config.music.eval_pieces,
                             session.config.train.seed, session.trainer.runtime.device)
        session.log("scores: " + ", ".join(f"{k} {v:g}" for k, v in scores.items()
                                           if isinstance(v, float) and not k.endswith("_real")))
        return run_summary(session, last_metrics, {"scores": scores}, started)
