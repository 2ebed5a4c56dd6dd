"""What to do about each failure mode the health monitor names, for an image GAN: the stabilisers, losses and
augmentation of this task's configuration that are not in use yet (docs/health.md)."""

from __future__ import annotations

from typing import Any, Callable

from duelo.config import Config
from duelo.health.detectors import Advice, suggest


def _mode_collapse(config: Config, signals: dict[str, Any]) -> Advice:
    from duelo.losses import LOSSES
    from duelo.models import DISCRIMINATORS

    st = config.stabilise
    mbstd_off = DISCRIMINATORS.info(config.model.name).mbstd == "optional" and st.mbstd_group == 0
    return suggest([
        (mbstd_off, "let D see batch statistics: --set stabilise.mbstd_group=4"),
        (LOSSES.get(config.loss.name).collapse_prone,
         "use a loss with a smoother game: --preset wgan-gp, or --set stabilise.r1_gamma=1"),
        (config.optim.g_lr >= 2e-4, "lower the learning rates (--g-lr 1e-4 --d-lr 1e-4)"),
        (st.history_pool == 0, "show D older fakes: --set stabilise.history_pool=1000"),
    ])


def _overfitting(config: Config, signals: dict[str, Any]) -> Advice:
    p = signals.get("augment_p")
    if p is not None and "ada_rt" in signals and config.augment.adaptive:
        return Advice(f"adaptive augmentation is raising its probability (p = {p:.2f} now); if it keeps rising "
                      f"past 0.6, add data or shorten training", applied=True)
    from duelo.augment import AUGMENTS

    augment = config.augment.name
    ada = next(iter(AUGMENTS.names(adaptive=True)), None)                        # an adaptive augmentation
    fixed = augment in AUGMENTS and not AUGMENTS.info(augment).adaptive         # e.g. diffaugment
    return suggest([
        (ada is not None and augment not in AUGMENTS, f"turn on adaptive augmentation: --set augment.name={ada}"),
        (ada is not None and fixed, f"use adaptive augmentation: --set augment.name={ada}"),
        (not _r1_on(config), "regularise D: --set stabilise.r1_gamma=1"),
        (True, "add training images or stop at the best periodic evaluation (--eval-every)"),
    ])


def _vanishing(config: Config, signals: dict[str, Any]) -> Advice:
    from duelo.losses import LOSSES

    st = config.stabilise
    return suggest([
        (LOSSES.get(config.loss.name).saturating, "use the non-saturating loss: --set loss.name=bce"),
        (not _r1_on(config), "regularise D: --set stabilise.r1_gamma=1"),
        (st.instance_noise == 0, "blur D's view early on: --set stabilise.instance_noise=0.1"),
        (config.optim.d_lr >= config.optim.g_lr, "slow D down: --d-lr at half of --g-lr"),
    ])


def _r1_on(config: Config) -> bool:
    return bool(config.stabilise.r1_gamma or config.stabilise.r1_per_pixel)


def _gave_up(config: Config, signals: dict[str, Any]) -> Advice:
    return Advice("--preset wgan-gp, --set stabilise.r1_gamma=1, --set stabilise.spectral_norm=true")


ADVICE: dict[str, Callable[[Config, dict[str, Any]], Advice]] = {
    "mode_collapse": _mode_collapse, "discriminator_overfitting": _overfitting,
    "vanishing_gradients": _vanishing, "gave_up": _gave_up,
}


def advise(event: str, config: Config, signals: dict[str, Any] | None = None) -> Advice:
    advice = ADVICE.get(event)
    return advice(config, signals or {}) if advice else suggest([])
