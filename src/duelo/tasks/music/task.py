"""Music (task "music"): Bach's four-part chorales as piano-roll windows of whole bars, learned by a MuseGAN-class
GAN (shared and per-voice latents, per-bar codes) with the shared objective and stabilisers; the summary scores
generated windows against held-out chorales (pitch classes, key, note lengths, ranges, memorised melody).

    duelo datasets fetch chorales                 # once: parses music21's corpus
    duelo train --task music                      # 4 bars, every chorale in C major / A minor
    duelo train --task music --conditional        # major or minor on request
"""

from __future__ import annotations

from typing import Any

from duelo.config import COMMON_SECTIONS, Config
from duelo.config.sections import LossConfig, StabiliseConfig
from duelo.tasks.base import Parts, Session, Task
from duelo.tasks.music.config import MusicDataConfig, MusicModelConfig


class Music(Task):
    name = "music"
    description = "Bach chorales as four-voice piano rolls: a MuseGAN-class GAN, pitch, key and memorisation scores"
    sections = {**COMMON_SECTIONS, "data": MusicDataConfig, "music": MusicModelConfig, "loss": LossConfig,
                "stabilise": StabiliseConfig}
    defaults = {"train.batch": 64, "train.total_kimg": 200.0, "optim.g_lr": 1e-4, "optim.d_lr": 1e-4,
                "optim.beta1": 0.5, "optim.beta2": 0.9, "loss.name": "wgan-gp", "train.d_steps": 5,
                "run.snapshot_kimg": 20.0,
                "run.log_kimg": 2.0, "health.enabled": False}
    sample_unit = "window"
    headline_figures = ("scores.histogram_distance", "scores.in_key", "scores.qualified_notes",
                        "scores.longest_shared")
    data_parallel = False

    def run_name(self, config: Config) -> str:
        from pathlib import Path

        return config.run.name or f"{Path(config.data.dataset).stem}-music"

    def load_data(self, config: Config, runtime, log) -> Any:
        from duelo.tasks.music.data import load_music_data

        data = load_music_data(config)
        log(f"data: {len(data.train):,} training windows and {len(data.heldout):,} held-out ones of "
            f"{config.data.bars} bars from {data.source} ({data.dropped} left out for their range)")
        return data

    def build(self, config: Config, data, runtime) -> Parts:
        from duelo.tasks.music.parts import assemble

        return assemble(config, data, runtime)

    def start(self, session: Session) -> None:
        c = session.config
        kind = ", conditional on the mode" if c.data.conditional else ""
        session.log(f"run folder {session.run_dir.path} | MuseGAN-class on {c.data.dataset}: "
                    f"{session.data.voices} voice(s), "
                    f"{c.data.bars} bars{kind} | {session.trainer.runtime.describe()}")

    def hooks(self, session: Session) -> list:
        """The health monitor (--health): piano-roll windows as the networks see them ({-1, 1} per voice, step
        and pitch), the rolls themselves as the diversity ratio's features, the held-out windows for the
        overfitting check."""
        def probe_data():
            from duelo.health.signals import ProbeData

            train, held = session.data.train, session.data.heldout
            labelled = session.config.data.conditional
            return ProbeData(train_images=train.rolls, heldout_images=held.rolls, features=lambda x: x.flatten(1),
                             prepare=lambda x: x, train_labels=train.modes if labelled else None,
                             heldout_labels=held.modes if labelled else None)

        return self.health_monitor(session, probe_data)

    def snapshots(self, session: Session):
        from duelo.tasks.music.snapshots import MusicSnapshots

        return MusicSnapshots(session)
