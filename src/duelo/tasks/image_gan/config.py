"""The configuration sections of image synthesis (besides the common ones and the shared data, loss and
stabilise sections of duelo.config.sections)."""

from __future__ import annotations

from dataclasses import dataclass

from duelo.aspect import image_size, parse_aspect
from duelo.config import RunConfig
from duelo.config.fields import (at_least_one_image, fraction, from_registry, nonnegative, nonnegative_int, positive,
                                 positive_int, setting)
from duelo.config.sections import ImageDataConfig
from duelo.errors import ConfigError

SHARED_WITH_G_AND_D = ("resolution", "channels", "c_dim", "aspect")


@dataclass(frozen=True)
class ImageGANDataConfig(ImageDataConfig):
    """The shared image data section, plus the aspect ratio of the images (duelo.aspect): resolution is the long
    side, and a non-square aspect needs a family registered with ModelInfo.aspects."""

    resolution: int = setting(32, "training resolution in pixels, the long side (height = width unless data.aspect "
                              "says otherwise); 28x28 sources are padded to 32", cli="--resolution",
                              check=positive_int)
    aspect:     str = setting("1:1", "width:height of the images: 1:1, 4:3, 3:4, 2:1, 1:2, 4:1 or 1:4 (the short "
                              "side 1/4, 1/2, 3/4 or all of the long side); 4:3 at resolution 64 is 64 wide, 48 "
                              "high; needs a model that takes an aspect (docs/models.md)", cli="--aspect",
                              metavar="W:H")

    def check(self, name: str) -> None:
        parse_aspect(self.aspect, f"{name}.aspect")                   # the supported ratios and the nearest one
        image_size(self.resolution, self.aspect)                      # whole pixels on both sides


@dataclass(frozen=True)
class ModelConfig:
    name:        str = setting("dcgan", "registered architecture (generator and discriminator)", cli="--model",
                               choices=from_registry("duelo.models:GENERATORS"))
    conditional: bool = setting(False, "class-conditional G (label embedding) and D (projection); needs labels",
                                cli="--conditional/--unconditional")
    z_dim:       int | None = setting(None, "latent size; none = the architecture's default", cli="--z-dim",
                                      check=positive_int)
    width:       int | None = setting(None, "base channel width of G and D; none = the architecture's default",
                                      cli="--width", check=positive_int)
    g_kwargs:    dict = setting({}, "further generator arguments (docs/models.md)")
    d_kwargs:    dict = setting({}, "further discriminator arguments (docs/models.md)")
    aux_weight:  float = setting(0.0, "conditional models: weight of an auxiliary classifier term (AC-GAN, Odena "
                                 "et al. 2017): D also names the classes of real images and G is trained to make "
                                 "images D names as asked; helps G follow its labels on small sets; 0 = "
                                 "projection only", check=nonnegative)

    def check(self, name: str) -> None:
        if self.aux_weight > 0 and not self.conditional:
            raise ConfigError(f"{name}.aux_weight={self.aux_weight:g} needs a class-conditional model: add "
                              f"--conditional or leave {name}.aux_weight at 0")
        for kwargs in ("g_kwargs", "d_kwargs"):
            shared = sorted(set(getattr(self, kwargs)) & set(SHARED_WITH_G_AND_D))
            if shared:
                raise ConfigError(f"{name}.{kwargs} cannot set {', '.join(shared)}: G and D share them; use "
                                  f"data.resolution, data.aspect, data.channels and model.conditional")


@dataclass(frozen=True)
class AugmentConfig:
    """Differentiable augmentation of everything D sees, real and fake alike (duelo.augment). Each registered
    augmentation names the fields below that it takes (AUGMENTS.info(name).fields)."""

    name:       str = setting("auto", "auto (ada when the data set is small for the resolution), none, or a "
                              "registered augmentation (docs/stability.md)", cli="--augment",
                              choices=from_registry("duelo.augment:AUGMENTS", "auto", "none"))
    policy:     str = setting("color,translation,cutout", "DiffAugment's operations")
    p:          float = setting(0.0, "ADA: initial probability of each transform (fixed when adaptive is false)",
                                check=fraction(high_open=False))
    adaptive:   bool = setting(True, "ADA: adjust p from the sign of D on real images")
    target:     float = setting(0.6, "ADA: r_t = E[sign D(real)] above this raises p (Karras et al. 2020)",
                                check=fraction(low_open=True))
    speed_kimg: float = setting(100.0, "ADA: kimg for p to climb from 0 to 1 at full speed (paper: 500, for "
                                "long runs)", check=positive)
    adjust_nimg: int = setting(256, "ADA: real images between adjustments of p", check=positive_int)


@dataclass(frozen=True)
class GrowthConfig:
    """Progressive growing, for networks that grow (`progan`): the schedule of duelo.training.growth."""

    stable_kimg: float = setting(200.0, "kimg at each resolution once it is fully faded in (4x4 first)",
                                 check=nonnegative)
    fade_kimg:   float = setting(200.0, "kimg over which each new resolution fades in", check=nonnegative)

    def check(self, name: str) -> None:
        if self.stable_kimg + self.fade_kimg <= 0:
            raise ConfigError(f"{name}.stable_kimg and {name}.fade_kimg cannot both be 0")


@dataclass(frozen=True)
class FinetuneConfig:
    """Start from a trained model instead of random weights (transfer learning), optionally with the first stages
    of D frozen (FreezeD, Mo, Cho & Shin 2020). duelo.tasks.image_gan.finetune does the work."""

    resume_from: str | None = setting(None, "a run folder (G, D and G_ema from its latest checkpoint) or a saved "
                                      "model folder (G and G_ema; D starts fresh) whose weights a new run starts "
                                      "from; same architecture and resolution", cli="--resume-from", metavar="PATH")
    freeze_d:    int = setting(0, "FreezeD: D's first this many stages (from the image side) are not trained; 0 = "
                               "none", cli="--freeze-d", check=nonnegative_int)


@dataclass(frozen=True)
class ImageRunConfig(RunConfig):
    grid_samples:   int = setting(64, "images in each snapshot grid (fixed seeds 0..n-1)", check=positive_int)
    eval_per_class: int = setting(100, "samples per class for class_accuracy in summary.json", check=positive_int,
                                  rerun=True)
    eval_kimg:      float | None = setting(None, "evaluate G_ema every this many kimg and keep the best model in "
                                           "best/; none = only at the end", cli="--eval-every", metavar="KIMG",
                                           check=at_least_one_image, rerun=True)
    eval_metric:    str = setting("fd_domain", "metric that picks the best model kept in best/",
                                  cli="--eval-metric", choices=from_registry("duelo.evaluation.metrics:METRICS"))
    eval_samples:   int = setting(2000, "generated samples per periodic evaluation", check=positive_int)
