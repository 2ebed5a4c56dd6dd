"""Audio (task "audio"): one-second sounds — instrument notes, drum hits, spoken words — learned by a WaveGAN
(the waveform) or a SpecGAN with GANSynth's phase handling (log magnitude and instantaneous frequency) with the
shared objective and stabilisers; the summary judges generated clips with a classifier trained on the real ones.

    duelo datasets fetch notes                                    # once: renders the FluidR3 sound font
    duelo train --task audio                                      # WaveGAN on the notes
    duelo train --task audio --conditional --model specgan        # notes of a chosen instrument and pitch
    duelo train --task audio --dataset drums
    duelo sample RUN -n 8 --out clips/                            # WAV files and their spectrograms
"""

from __future__ import annotations

from typing import Any

from duelo.config import COMMON_SECTIONS, Config
from duelo.config.sections import LossConfig, StabiliseConfig
from duelo.tasks.audio.config import AudioDataConfig, AudioModelConfig
from duelo.tasks.base import Parts, Session, Task


class Audio(Task):
    name = "audio"
    description = "one-second sounds (instrument notes, drums, words): WaveGAN / SpecGAN, classifier-based scores"
    sections = {**COMMON_SECTIONS, "data": AudioDataConfig, "audio": AudioModelConfig, "loss": LossConfig,
                "stabilise": StabiliseConfig}
    defaults = {"train.batch": 64, "train.total_kimg": 200.0, "optim.g_lr": 1e-4, "optim.d_lr": 1e-4,
                "optim.beta1": 0.5, "optim.beta2": 0.9, "loss.name": "wgan-gp", "train.d_steps": 5,
                "run.snapshot_kimg": 20.0, "run.log_kimg": 2.0, "health.enabled": False}
    sample_unit = "clip"
    headline_figures = ("scores.fd", "scores.score", "scores.pitch_accuracy", "scores.instrument_accuracy")
    data_parallel = False

    def run_name(self, config: Config) -> str:
        from pathlib import Path

        return config.run.name or f"{Path(config.data.dataset).stem}-{config.audio.model}"

    def check(self, config: Config) -> Config:
        from duelo.errors import ConfigError

        if config.audio.decode_refine and config.audio.model == "wavegan":
            raise ConfigError("audio.decode_refine makes the phases of a spectral model's pictures agree; wavegan "
                              "draws the wave itself: drop it or choose --model specgan")
        if config.audio.d_floor_db and config.audio.model == "wavegan":
            raise ConfigError("audio.d_floor_db floors a spectral picture's quiet cells; wavegan draws the wave "
                              "itself: leave it at 0 or choose a spectral --model (specgan-m)")
        if config.audio.d_floor_gradient != "stopped" and not config.audio.d_floor_db:
            raise ConfigError(f"audio.d_floor_gradient={config.audio.d_floor_gradient} shapes the gradient through "
                              "the quiet floor, and audio.d_floor_db is 0 (no floor): set audio.d_floor_db too")
        return config

    def load_data(self, config: Config, runtime, log) -> Any:
        from duelo.tasks.audio.data import load_audio_data

        data = load_audio_data(config)
        labels = ", ".join(f"{len(names)} {factor} classes" for factor, names in
                           zip(data.train.factors, data.train.class_names))
        log(f"data: {len(data.train):,} training clips and {len(data.heldout):,} held-out ones of "
            f"{data.train.seconds:.3f} s at {data.rate:,} Hz from {data.source} ({labels})")
        if config.data.split == "copies":
            log("data: held out whole recordings: a clip's near copies are on its side of the split (data.split)")
        for note in data.train.notes:
            log(f"data: {note}")
        return data

    def build(self, config: Config, data, runtime) -> Parts:
        from duelo.tasks.audio.parts import assemble

        return assemble(config, data, runtime)

    def start(self, session: Session) -> None:
        from duelo.tasks.audio.models import AUDIO_MODELS

        c = session.config
        kind = ", conditional on " + " and ".join(session.data.train.factors) if c.data.conditional else ""
        session.log(f"run folder {session.run_dir.path} | {c.audio.model} on {c.data.dataset}{kind} | "
                    f"{session.trainer.runtime.describe()}")
        wanted = AUDIO_MODELS.get(c.audio.model).refine
        if c.audio.decode_refine < wanted:
            session.log(f"note: {c.audio.model}'s pictures decode best with {wanted} Griffin-Lim rounds; this run "
                        f"makes {c.audio.decode_refine} (--set audio.decode_refine={wanted}; docs/audio.md)")

    def hooks(self, session: Session) -> list:
        """Scores every audio.score_kimg (periodic.py), and the health monitor (--health): clips as the model
        draws them, a coarse log-magnitude picture for the diversity ratio (duelo.tasks.audio.health)."""
        from duelo.tasks.audio.health import probe_data

        hooks = []
        if session.config.audio.score_kimg > 0:
            from duelo.tasks.audio.periodic import PeriodicScores

            hooks.append(PeriodicScores(session))
        return hooks + self.health_monitor(session, lambda: probe_data(session))

    def snapshots(self, session: Session):
        from duelo.tasks.audio.snapshots import AudioSnapshots

        return AudioSnapshots(session)
