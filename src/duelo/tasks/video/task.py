"""Video (task "video"): Moving MNIST clips rendered from real MNIST digits, learned by a MoCoGAN-class GAN
(content and motion latents; an image and a video discriminator) with the shared objective and stabilisers; the
summary scores generated clips against clips of held-out digits in the space of a judge trained on real clips.

    duelo train --task video                                   # 2 digits, 16 frames of 64x64
    duelo train --task video --conditional --set data.per_clip=1
    duelo sample runs/moving-mnist-video -n 16 --out clips.gif  # or .mp4, .npz
"""

from __future__ import annotations

from typing import Any

from duelo.config import COMMON_SECTIONS, Config
from duelo.config.sections import LossConfig, StabiliseConfig
from duelo.tasks.base import Parts, Session, Task
from duelo.tasks.video.config import VideoDataConfig, VideoModelConfig


class Video(Task):
    name = "video"
    description = "clips of moving MNIST digits: a MoCoGAN-class GAN, video and frame scores"
    sections = {**COMMON_SECTIONS, "data": VideoDataConfig, "video": VideoModelConfig, "loss": LossConfig,
                "stabilise": StabiliseConfig}
    defaults = {"train.batch": 32, "train.total_kimg": 200.0, "optim.g_lr": 2e-4, "optim.d_lr": 2e-4,
                "optim.beta1": 0.5, "optim.beta2": 0.999, "loss.name": "hinge", "stabilise.spectral_norm": True,
                # R1 and constant instance noise (MoCoGAN noised D's inputs): without them the unconditional G
                # collapsed to a few shapes by 190 kimg (benchmarks/results/video-2026-12-04-b.json)
                "stabilise.r1_gamma": 1.0, "stabilise.instance_noise": 0.1, "stabilise.instance_noise_kimg": 1e6,
                "run.snapshot_kimg": 20.0, "run.log_kimg": 2.0, "health.enabled": False}
    sample_unit = "clip"
    headline_figures = ("scores.video_fd", "scores.frame_fd", "scores.frame_kid")
    data_parallel = False

    def run_name(self, config: Config) -> str:
        return config.run.name or f"{config.data.dataset}-video"

    def check(self, config: Config) -> Config:
        from duelo.errors import ConfigError
        from duelo.tasks.video.data import DIGIT_SOURCES

        size = config.data.size
        if size < 16 or size & (size - 1):
            raise ConfigError(f"--resolution {size}: the video networks double 4x4 frames, so the canvas side must "
                              f"be 16, 32, 64 or 128 (4 times a power of two)")
        if config.data.digits not in DIGIT_SOURCES:
            raise ConfigError(f"data.digits {config.data.digits!r}: Moving MNIST is drawn from MNIST digits; choose "
                              f"{' or '.join(DIGIT_SOURCES)}")
        return config

    def load_data(self, config: Config, runtime, log) -> Any:
        from duelo.tasks.video.data import load_video_data

        data = load_video_data(config, runtime.device)
        log(f"data: {len(data.train):,} training digits and {len(data.heldout):,} held-out ones from "
            f"{data.source}; clips are rendered on the fly")
        return data

    def build(self, config: Config, data, runtime) -> Parts:
        from duelo.tasks.video.parts import assemble

        return assemble(config, data, runtime)

    def start(self, session: Session) -> None:
        d = session.config.data
        kind = ", conditional on the digits' class" if d.conditional else ""
        session.log(f"run folder {session.run_dir.path} | Moving MNIST: {d.per_clip} digit(s), {d.frames} frames of "
                    f"{d.size}x{d.size}{kind} | {session.trainer.runtime.describe()}")

    def hooks(self, session: Session) -> list:
        """The health monitor (--health): fixed sets of clips rendered from the training and the held-out digits
        (health.samples each), raw pixels as the diversity features."""
        def probe_data():
            import torch

            from duelo.health.signals import ProbeData

            device = session.trainer.runtime.device
            n = session.config.health.samples
            train, train_labels = session.data.train.render(n, torch.Generator(device=device).manual_seed(11))
            held, held_labels = session.data.heldout.render(n, torch.Generator(device=device).manual_seed(12))
            return ProbeData(train_images=train, heldout_images=held, features=lambda x: x.flatten(1),
                             prepare=lambda x: x, train_labels=train_labels, heldout_labels=held_labels)

        return self.health_monitor(session, probe_data)

    def snapshots(self, session: Session):
        from duelo.tasks.video.snapshots import VideoSnapshots

        return VideoSnapshots(session)
