"""Stabilisers: each one a registry entry that adjusts the pieces of a GAN while they are put together.

The trainer knows none of them. An entry is keyed by its field in `StabiliseConfig` and is applied when
that field is set (non-zero / true); it may change the discriminator's arguments, wrap the built
discriminator, replace the loss, add a stage in front of D, pass settings to the objective, or wrap the
optimisers. Adding a stabiliser = one config field + one entry here (tests check they match).

Two time-scale learning rates (Heusel et al. 2017) need no entry: they are `optim.g_lr` / `optim.d_lr`
(the `stable` preset uses 1e-4 / 4e-4). WGAN-GP is a loss (`loss.name=wgan-gp`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch import nn

from duelo.config import Config
from duelo.registry import Registry

# a task whose objective is GANObjective and whose configuration has the stabilise, loss, optim and train
# sections can use every entry here (image synthesis and the toy mixtures do)


@dataclass
class Assembly:
    """A GAN being put together; stabilisers adjust its parts at three moments (see Stabiliser)."""

    config:           Config
    d_kwargs:         dict[str, Any]                       # discriminator constructor arguments
    loss:             Any                                  # duelo.losses.AdversarialLoss
    sample_shape:     tuple[int, ...] = (1, 32, 32)        # shape of one training sample, e.g. (C, H, W)
    conditional:      bool = False
    G:                nn.Module | None = None
    D:                nn.Module | None = None
    optimizers:       dict[str, Any] = field(default_factory=dict)
    d_input_stages:   list[nn.Module] = field(default_factory=list)   # applied to every image D sees
    objective_kwargs: dict[str, Any] = field(default_factory=dict)
    d_lazy_interval:  int | None = None                    # lazy D regularisation: rescale D's Adam
    g_lazy_interval:  int | None = None                    # lazy G regularisation: rescale G's Adam


class Stabiliser:
    """Hooks, each a no-op by default. `value` is the stabiliser's config field."""

    description = ""

    def before_models(self, value: Any, a: Assembly) -> None:
        """Adjust constructor arguments or the loss."""

    def after_models(self, value: Any, a: Assembly) -> None:
        """Wrap the built D, add stages in front of D, or set objective arguments."""

    def after_optimizers(self, value: Any, a: Assembly) -> None:
        """Wrap the optimisers."""


STABILISERS: Registry[Stabiliser] = Registry("stabiliser")

# config fields that parametrise an entry rather than being one
PARAMETER_FIELDS = {"reg_interval": ("r1_gamma", "r2_gamma", "r1_per_pixel"),
                    "instance_noise_kimg": ("instance_noise",), "pl_interval": ("pl_weight",)}


def apply(a: Assembly, moment: str) -> None:
    """Run every active stabiliser's hook for `moment` (before_models | after_models | after_optimizers)."""
    for name in STABILISERS.names():
        value = getattr(a.config.stabilise, name)
        if value:                                   # False / 0 / 0.0 = off
            getattr(STABILISERS.get(name)(), moment)(value, a)


def active(config: Config) -> list[str]:
    """Names of the stabilisers a configuration turns on, e.g. ['r1_gamma', 'spectral_norm']."""
    return [name for name in STABILISERS.names() if getattr(config.stabilise, name)]


@STABILISERS.register("spectral_norm")
class SpectralNorm(Stabiliser):
    description = "spectral normalisation of every weight in D (Miyato et al. 2018)"

    def after_models(self, value, a):
        from torch.nn.utils import parametrize

        from duelo.nn.spectral_norm import apply_spectral_norm
        if any(parametrize.is_parametrized(m) for m in a.D.modules()):
            return                           # the architecture has it built in (resnet): nothing to add
        apply_spectral_norm(a.D)


class _ZeroCentredPenalty(Stabiliser):
    keyword = ""

    def before_models(self, value, a):
        # D's optimiser takes d_steps main steps per iteration, so one penalty step per d_steps * interval
        a.d_lazy_interval = a.config.stabilise.reg_interval * a.config.train.d_steps

    def after_models(self, value, a):
        a.objective_kwargs[self.keyword] = float(value)
        a.objective_kwargs["reg_interval"] = a.config.stabilise.reg_interval


@STABILISERS.register("r1_gamma")
class R1(_ZeroCentredPenalty):
    description = "R1 penalty on real images, lazy (Mescheder et al. 2018; Karras et al. 2020)"
    keyword = "r1_gamma"


@STABILISERS.register("r2_gamma")
class R2(_ZeroCentredPenalty):
    description = "R2 penalty on generated images, lazy (Mescheder et al. 2018)"
    keyword = "r2_gamma"


@STABILISERS.register("r1_per_pixel")
class R1PerPixel(R1):
    description = ("R1 with gamma = value x H x W / batch (Karras et al. 2020, StyleGAN2-ADA, appendix D: "
                   "0.0002 R^2 / batch), so one setting suits every resolution and batch size")

    def after_models(self, value, a):
        from duelo.errors import ConfigError

        if a.config.stabilise.r1_gamma:
            raise ConfigError("stabilise.r1_gamma and stabilise.r1_per_pixel both set R1's weight; keep one "
                              "(set the other to 0)")
        height, width = a.sample_shape[-2:]
        super().after_models(r1_gamma_for(value, height, width, a.config.train.batch), a)


def r1_gamma_for(per_pixel: float, height: int, width: int, batch: int) -> float:
    """The R1 weight that r1_per_pixel gives images of height x width trained in batches of `batch`."""
    return float(per_pixel) * height * width / batch


@STABILISERS.register("label_smoothing")
class LabelSmoothing(Stabiliser):
    description = "one-sided label smoothing: real target 1 - value (Salimans et al. 2016)"

    def before_models(self, value, a):
        from duelo.losses.adversarial import with_label_smoothing
        a.loss = with_label_smoothing(a.loss, a.config.loss.name, 1.0 - float(value))


@STABILISERS.register("instance_noise")
class InstanceNoiseEntry(Stabiliser):
    description = "annealed Gaussian instance noise on D's inputs (Sønderby et al. 2017)"

    def after_models(self, value, a):
        from duelo.augment import InstanceNoise
        a.d_input_stages.append(InstanceNoise(float(value), a.config.stabilise.instance_noise_kimg))


@STABILISERS.register("mbstd_group")
class MinibatchStdEntry(Stabiliser):
    description = "minibatch standard deviation features in D (Karras et al. 2018)"

    def before_models(self, value, a):
        a.d_kwargs["mbstd_group"] = int(value)


@STABILISERS.register("history_pool")
class HistoryPoolEntry(Stabiliser):
    description = "D sees half its fakes from a pool of past ones (Shrivastava et al. 2017)"

    def after_models(self, value, a):
        from duelo.training.history_pool import HistoryPool
        a.objective_kwargs["pool"] = HistoryPool(int(value), a.sample_shape, conditional=a.conditional)


@STABILISERS.register("grad_clip")
class GradClipEntry(Stabiliser):
    description = "clip each network's gradient norm"

    def after_optimizers(self, value, a):
        from duelo.training.optim import ClipGradNorm
        a.optimizers = {name: ClipGradNorm(opt, float(value)) for name, opt in a.optimizers.items()}


@STABILISERS.register("pl_weight")
class PathLength(Stabiliser):
    description = "path-length regularisation of a style-based G, lazy (Karras et al. 2020)"

    def before_models(self, value, a):
        a.g_lazy_interval = a.config.stabilise.pl_interval

    def after_models(self, value, a):
        from duelo.errors import ConfigError

        if not (hasattr(a.G, "mapping") and hasattr(a.G, "synthesis")):
            raise ConfigError(f"stabilise.pl_weight needs a style-based generator (mapping + synthesis, e.g. "
                              f"--model stylegan2); {type(a.G).__name__} has none")
        a.objective_kwargs["pl_weight"] = float(value)
        a.objective_kwargs["pl_interval"] = a.config.stabilise.pl_interval


@STABILISERS.register("mode_seeking")
class ModeSeeking(Stabiliser):
    description = "mode-seeking term of G: two latents of one class make different samples (Mao et al. 2019)"

    def after_models(self, value, a):
        from duelo.errors import ConfigError

        if a.loss.relativistic:
            raise ConfigError(f"stabilise.mode_seeking pairs the samples of G's own batch; a relativistic loss "
                              f"({a.config.loss.name}) draws G's batch to match a real batch, so no pairs are "
                              f"made: use a non-relativistic loss or leave stabilise.mode_seeking at 0")
        a.objective_kwargs["mode_seeking"] = float(value)
