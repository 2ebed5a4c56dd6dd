"""CycleGAN: unpaired translation between two domains (Zhu, Park, Isola & Efros 2017): ResNet translators and
PatchGANs, least squares, cycle and identity terms, a history pool of fakes for each discriminator."""

from __future__ import annotations

from typing import Any

from duelo.config import COMMON_SECTIONS, Config
from duelo.config.sections import ImageDataConfig, LossNameConfig, TranslatorModelConfig
from duelo.errors import ConfigError
from duelo.tasks.base import Parts, Session, Task
from duelo.tasks.cyclegan.config import CycleConfig


class CycleGAN(Task):
    name = "cyclegan"
    description = "unpaired translation between two domains (CycleGAN): --source A, --dataset B"
    data_parallel = False
    headline_figures = ("metrics.cycle_psnr_a", "metrics.cycle_psnr_b")
    sections = {**COMMON_SECTIONS, "data": ImageDataConfig, "model": TranslatorModelConfig, "loss": LossNameConfig,
                "image2image": CycleConfig}
    defaults = {"model.name": "resnet", "loss.name": "lsgan", "optim.decay_start": 0.5, "train.total_kimg": 200,
                "train.batch": 16, "health.enabled": False}

    def upgrade_previous(self, previous: dict[str, Any]) -> dict[str, Any]:
        """Older run folders kept the history pool under stabilise and the discriminator under image2image."""
        from duelo.tasks.translators import TRANSLATOR_MOVES, move_fields

        return move_fields(previous, {**TRANSLATOR_MOVES, ("stabilise", "history_pool"): ("image2image",
                                                                                          "history_pool")})

    def check(self, config: Config) -> Config:
        from duelo.tasks.translators import check_loss

        check_loss(config)
        if not config.image2image.source:
            raise ConfigError("cyclegan needs two domains: --source A (dataset name or folder) and --dataset B")
        return config

    def load_data(self, config: Config, runtime, log) -> Any:
        from duelo.data.translation import load_unpaired

        d, t = config.data, config.image2image
        options = {"resolution": d.resolution, "resize": d.resize, "bad_files": d.bad_files, "alpha": d.alpha}
        return load_unpaired(t.source, d.dataset, options, t.eval_images, t.source_channels, d.channels)

    def build(self, config: Config, data, runtime) -> Parts:
        from duelo.losses import LOSSES
        from duelo.tasks.cyclegan.objective import CycleObjective
        from duelo.tasks.translators import adam, critic, translator
        from duelo.training.feed import UnpairedFeed
        from duelo.training.history_pool import HistoryPool
        from duelo.training.lr_schedule import lr_schedules
        from duelo.training.protocols import Player

        t, R, device = config.image2image, data.resolution, runtime.device
        ca, cb = data.source_channels, data.channels
        if t.identity_weight > 0 and ca != cb:
            raise ConfigError(f"the identity terms compare an image with its translation, which needs the same "
                              f"channels in both domains (A has {ca}, B {cb}); set image2image.identity_weight=0")
        nets = {"G_ab": translator(config, ca, cb, R), "G_ba": translator(config, cb, ca, R),
                "D_a": critic(config, ca, R), "D_b": critic(config, cb, R)}
        nets = {name: net.to(device) for name, net in nets.items()}
        pools = {f"pool_{d}": HistoryPool(t.history_pool, (c, R, R)).to(device) if t.history_pool else None
                 for d, c in (("a", ca), ("b", cb))}
        objective = CycleObjective(*nets.values(), LOSSES.get(config.loss.name), t.cycle_weight, t.identity_weight,
                                   **pools, d_steps=config.train.d_steps)
        lr = {"G_ab": config.optim.g_lr, "G_ba": config.optim.g_lr, "D_a": config.optim.d_lr, "D_b": config.optim.d_lr}
        optimizers = {name: adam(config, net, lr[name]) for name, net in nets.items()}
        players = {name: Player(net, optimizers[name], ema=name.startswith("G")) for name, net in nets.items()}
        feed = UnpairedFeed(data.train_a, data.train_b, config.train.batch // config.train.accum_rounds,
                            config.train.seed, device)
        return Parts(players, objective, feed, lr_schedules(config, optimizers))

    def start(self, session: Session) -> None:
        from duelo.tasks.translators import start_translation

        start_translation(session, None)

    def snapshots(self, session: Session):
        from duelo.tasks.cyclegan.snapshots import CycleSnapshots

        return CycleSnapshots(session)

