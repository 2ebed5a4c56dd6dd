"""Sections that several tasks' configurations use: image data, an adversarial loss, the stabilisers.

A task lists the ones it uses in its sections (duelo.tasks.base.Task.sections); a task that uses a field
differently declares a section of its own instead of leaving a field that would silently do nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from duelo.config.alpha_names import is_alpha_choice
from duelo.config.fields import (Check, fraction, from_registry, nonnegative, nonnegative_int, positive, positive_int,
                                 setting)


alpha_choice = Check("white, black, gray, a colour #rrggbb, or keep (RGBA data)", is_alpha_choice)


@dataclass(frozen=True)
class ImageDataConfig:
    dataset:    str = setting("mnist-5k", "registered dataset (`duelo datasets`) or a folder / .zip / .npz of images",
                              cli="--dataset")
    resolution: int = setting(32, "square training resolution in pixels; 28x28 sources are padded to 32",
                              cli="--resolution", check=positive_int)
    channels:   int | None = setting(None, "force gray (1) or colour (3); none = the data's own", cli="--channels",
                                     choices=(1, 3))
    resize:     str = setting("auto", "how images reach the resolution", cli="--resize",
                              choices=from_registry("duelo.data.transforms:RESIZE_MODES"))
    bad_files:  str = setting("skip", "unreadable files: skip them (listed in the run folder) or refuse to train",
                              cli="--bad-files", choices=from_registry("duelo.data.collection:BAD_FILE_POLICIES"))
    alpha:      str = setting("white", "transparency: flattened onto a background colour, or kept as a 4th channel",
                              cli="--alpha", check=alpha_choice)


@dataclass(frozen=True)
class LossConfig:
    name:      str = setting("bce", "registered adversarial loss", cli="--loss",
                             choices=from_registry("duelo.losses:LOSSES"))
    gp_weight: float | None = setting(None, "gradient-penalty weight; none = the loss's default (WGAN-GP: 10)",
                                      cli="--gp-weight", check=nonnegative)


@dataclass(frozen=True)
class LossNameConfig:
    """An adversarial loss without a gradient penalty (tasks whose objective applies none)."""

    name: str = setting("bce", "registered adversarial loss without a gradient penalty (bce, lsgan, hinge...)",
                        cli="--loss", choices=from_registry("duelo.losses:LOSSES"))


@dataclass(frozen=True)
class TranslatorModelConfig:
    """An image-to-image translator and its patch discriminator."""

    name:          str = setting("unet", "registered translator", cli="--model",
                                 choices=from_registry("duelo.models:TRANSLATORS"))
    discriminator: str = setting("patchgan", "registered patch discriminator",
                                 choices=from_registry("duelo.models:PATCH_DISCRIMINATORS"))
    width:         int | None = setting(None, "base channel width of G and D; none = the architecture's default",
                                        cli="--width", check=positive_int)
    g_kwargs:      dict = setting({}, "further translator arguments (docs/image2image.md)")
    d_kwargs:      dict = setting({}, "further patch-discriminator arguments (docs/image2image.md)")


@dataclass(frozen=True)
class StabiliseConfig:
    """Stabilisers, each off at its neutral value; duelo.stabilisers applies them (one registry entry each)."""

    spectral_norm:       bool = setting(False, "spectral normalisation of every D layer (Miyato et al. 2018)")
    r1_gamma:            float = setting(0.0, "R1: (gamma/2)·E‖∇D(real)‖² (Mescheder et al. 2018); 0 = off",
                                         check=nonnegative)
    r2_gamma:            float = setting(0.0, "R2: the same penalty on generated samples; 0 = off", check=nonnegative)
    r1_per_pixel:        float = setting(0.0, "R1 with gamma scaled to the data: gamma = this x H x W / batch "
                                         "(StyleGAN2-ADA's heuristic uses 0.0002); instead of r1_gamma; 0 = off",
                                         check=nonnegative)
    reg_interval:        int = setting(16, "lazy regularisation: R1/R2 every this many iterations (Karras et al. "
                                       "2020)", check=positive_int)
    label_smoothing:     float = setting(0.0, "one-sided: D's target for real samples is 1 - this (Salimans et al. "
                                         "2016)", check=fraction())
    instance_noise:      float = setting(0.0, "std of Gaussian noise added to D's inputs (Sønderby et al. 2017); "
                                         "0 = off", check=nonnegative)
    instance_noise_kimg: float = setting(100.0, "the noise anneals linearly to 0 over this many kimg",
                                         check=positive)
    mbstd_group:         int = setting(0, "minibatch-stddev layer in D, group size (Karras et al. 2018); 0 = off",
                                       check=nonnegative_int)
    history_pool:        int = setting(0, "past fakes kept to show D (Shrivastava et al. 2017); 0 = off",
                                       check=nonnegative_int)
    grad_clip:           float = setting(0.0, "clip each network's gradient norm to this; 0 = off", check=nonnegative)
    pl_weight:           float = setting(0.0, "path-length regularisation of a style-based G (Karras et al. 2020); "
                                         "0 = off", check=nonnegative)
    pl_interval:         int = setting(4, "lazy: path length every this many iterations", check=positive_int)
    mode_seeking:        float = setting(0.0, "mode-seeking term of G (Mao et al. 2019): the two halves of G's batch "
                                         "share labels and are pushed apart in proportion to their latents' "
                                         "distance, against a conditional G drawing one sample per class; "
                                         "0 = off", check=nonnegative)


@dataclass(frozen=True)
class PrivacyConfig:
    """Differentially private training (duelo.privacy; docs/privacy.md): DP-SGD on D, which alone reads the
    training records; G learns from D's gradients only (post-processing)."""

    epsilon:       float = setting(0.0, "target epsilon of (epsilon, delta)-DP for the training records; 0 = off. "
                                   "The noise is chosen so that the planned D steps spend at most this",
                                   cli="--dp-epsilon", check=nonnegative)
    delta:         float | None = setting(None, "delta; none = min(1e-5, 1 / (10 x training records))",
                                          cli="--dp-delta", check=fraction(low_open=True))
    clip:          float = setting(1.0, "L2 norm each record's gradient is clipped to", cli="--dp-clip",
                                   check=positive)
    eval_fraction: float = setting(0.1, "share of the data kept out of training for the run's own scores (these "
                                   "records are not protected by the guarantee, and never trained on)",
                                   check=fraction(low_open=True))
