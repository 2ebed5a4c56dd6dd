"""The 2-D Gaussian mixtures (task "toy"): a ring of 8 (Metz et al. 2017) or a grid of 25 (VEEGAN,
Srivastava et al. 2017), the classic test of mode collapse. Small MLPs, the shared GAN objective with its
stabilisers, the health monitor reading modes as classes; the summary counts the modes covered and the
share of high-quality samples (VEEGAN/PacGAN protocol, duelo.evaluation.toy_modes).

    duelo train --task toy                          # ring of 8, stabilised: every mode covered
    duelo train --task toy --mixture grid --kimg 1000
"""

from __future__ import annotations

from typing import Any

from duelo.config import COMMON_SECTIONS, Config
from duelo.config.sections import LossConfig, StabiliseConfig
from duelo.tasks.base import Parts, Session, Task
from duelo.tasks.toy.config import ToyConfig

DATA_SEED = 7            # the training points depend on the mixture alone, not on the training seed


class Toy(Task):
    name = "toy"
    description = "2-D Gaussian mixtures (ring of 8, grid of 25): mode coverage and sample quality"
    sections = {**COMMON_SECTIONS, "toy": ToyConfig, "loss": LossConfig, "stabilise": StabiliseConfig}
    defaults = {"train.batch": 256, "train.total_kimg": 512.0, "optim.g_lr": 1e-3, "optim.d_lr": 1e-3,
                "stabilise.r1_gamma": 0.5, "stabilise.reg_interval": 4, "run.snapshot_kimg": 128.0,
                "run.log_kimg": 8.0}
    sample_unit = "point"
    headline_figures = ("modes_covered", "high_quality_fraction")
    data_parallel = False               # one small process; the feed is not sharded over --gpus

    def run_name(self, config: Config) -> str:
        return config.run.name or f"{config.toy.mixture}-toy"

    def load_data(self, config: Config, runtime, log) -> Any:
        import torch

        from duelo.tasks.toy.mixtures import MIXTURES

        mixture = MIXTURES.get(config.toy.mixture)
        points, centres = mixture(config.toy.points, std=config.toy.std,
                                  generator=torch.Generator().manual_seed(DATA_SEED))
        return {"points": points, "centres": centres}                       # (N, 2), (modes, 2)

    def build(self, config: Config, data, runtime) -> Parts:
        from duelo.tasks.toy.parts import assemble

        return assemble(config, data, runtime)

    def start(self, session: Session) -> None:
        toy = session.config.toy
        session.log(f"run folder {session.run_dir.path} | {toy.points:,} points of the {toy.mixture} of "
                    f"{len(session.data['centres'])} Gaussians (std {toy.std:g}) | "
                    f"{session.trainer.runtime.describe()}")

    def snapshots(self, session: Session):
        from duelo.tasks.toy.snapshots import ToySnapshots

        return ToySnapshots(session)

    def hooks(self, session: Session) -> list:
        if not session.config.health.enabled:
            return []
        from duelo.tasks.toy.parts import probe_data
        from duelo.health.monitor import HealthMonitor

        return [HealthMonitor(session.config, session.health_log, lambda: probe_data(session), session.log,
                              self.advise)]

    def advise(self, event: str, config: Config, signals: dict | None = None):
        from duelo.health.detectors import Advice, suggest

        if event == "gave_up":
            return Advice("--set stabilise.r1_gamma=1")
        return suggest([(config.stabilise.r1_gamma == 0, "regularise D: --set stabilise.r1_gamma=0.5"),
                        (config.optim.d_lr > config.optim.g_lr, "give G and D the same learning rate (--lr)"),
                        (True, "lower the learning rates (--lr 1e-4)")])
