"""Configuration: one frozen dataclass per concern, named presets (TOML), JSON round trip.

A resolved Config is written to every run folder; re-running the same command compares against it
so that a resumed run continues the same experiment. Overrides use dotted field names
(`train.total_kimg=50`), the same names the JSON file shows.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any

from duelo.errors import ConfigError


@dataclass(frozen=True)
class DataConfig:
    dataset:     str = "mnist-5k"      # registered name (`duelo datasets`) or a folder / .zip / .npz path
    resolution:  int = 32              # square training resolution; 28x28 sources are padded to 32
    channels:    int | None = None     # None = the dataset's own (1 or 3)
    resize:      str = "auto"          # auto | pad | center-crop | stretch
    bad_files:   str = "skip"          # skip (listed in the run folder) | refuse


@dataclass(frozen=True)
class ModelConfig:
    name:        str = "dcgan"         # registered architecture (generator and discriminator)
    conditional: bool = False          # class-conditional G (label embedding) and D (projection)
    z_dim:       int | None = None     # None = the architecture's default
    width:       int | None = None     # base channel width / hidden size; None = default
    g_kwargs:    dict = field(default_factory=dict)   # further generator arguments
    d_kwargs:    dict = field(default_factory=dict)   # further discriminator arguments


@dataclass(frozen=True)
class LossConfig:
    name:        str = "bce"           # registered adversarial loss (`duelo train --help`)
    gp_weight:   float | None = None   # gradient-penalty weight; None = the loss's default (WGAN-GP: 10)


@dataclass(frozen=True)
class OptimConfig:
    g_lr:        float = 2e-4          # Adam learning rate of the generator
    d_lr:        float = 2e-4          # Adam learning rate of the discriminator
    beta1:       float = 0.5           # DCGAN's choice; WGAN-GP uses 0.0
    beta2:       float = 0.999
    decay_start: float | None = None   # fraction of total_kimg after which both rates fall linearly to 0
                                       # (pix2pix/CycleGAN: 0.5); None = constant rates


@dataclass(frozen=True)
class StabiliseConfig:
    """Stabilisers, each off at its neutral value; duelo.stabilisers applies them (one registry entry each)."""

    spectral_norm:       bool = False   # spectral normalisation of every D layer (Miyato et al. 2018)
    r1_gamma:            float = 0.0    # R1: (gamma/2)·E‖∇D(real)‖² (Mescheder et al. 2018); 0 = off
    r2_gamma:            float = 0.0    # R2: the same penalty on generated images; 0 = off
    reg_interval:        int = 16       # lazy regularisation: R1/R2 every this many iterations (Karras et al. 2020)
    label_smoothing:     float = 0.0    # one-sided: D's target for real images is 1 - this (Salimans et al. 2016)
    instance_noise:      float = 0.0    # std of Gaussian noise added to D's inputs (Sønderby et al. 2017); 0 = off
    instance_noise_kimg: float = 100.0  # the noise anneals linearly to 0 over this many kimg
    mbstd_group:         int = 0        # minibatch-stddev layer in D, group size (Karras et al. 2018); 0 = off
    history_pool:        int = 0        # past fakes kept to show D (Shrivastava et al. 2017); 0 = off
    grad_clip:           float = 0.0    # clip each network's gradient norm to this; 0 = off
    pl_weight:           float = 0.0    # path-length regularisation of a style-based G (Karras et al. 2020); 0 = off
    pl_interval:         int = 4        # lazy: every this many iterations


@dataclass(frozen=True)
class AugmentConfig:
    """Differentiable augmentation of everything D sees, real and fake alike (duelo.augment)."""

    name:        str = "auto"     # auto (ada when the data set is small for the resolution) | none | diffaugment | ada
    policy:      str = "color,translation,cutout"   # DiffAugment's operations
    p:           float = 0.0      # ADA: initial probability of each transform (fixed when adaptive is false)
    adaptive:    bool = True      # ADA: adjust p from the sign of D on real images
    target:      float = 0.6      # ADA: r_t = E[sign D(real)] above this raises p (Karras et al. 2020)
    speed_kimg:  float = 100.0    # ADA: kimg for p to climb from 0 to 1 at full speed (paper: 500, for long runs)
    adjust_nimg: int = 256        # ADA: real images between adjustments of p


@dataclass(frozen=True)
class HealthConfig:
    """The training-health monitor (duelo.health): signals at each check, events with remedies."""

    enabled:            bool = True
    every_kimg:         float | None = None   # None = at every snapshot
    warmup_kimg:        float | None = None   # no verdicts before this (samples are blobs at first); None = 10 % of the run
    heldout_fraction:   float = 0.05   # real images kept out of training for the overfitting check; 0 = none
    heldout_max:        int = 1000     # cap on held-out images
    samples:            int = 512      # generated (and real) samples per check
    max_rollbacks:      int = 3        # divergence: roll back at most this many times, then stop with an error
    rollback_lr_factor: float = 0.5    # each rollback multiplies both learning rates by this
    collapse_diversity: float = 0.5    # mode collapse when sample diversity falls below this fraction of real's
    collapse_classes:   float = 0.7    # ... or when fewer than this fraction of the classes is produced
    overfit_rv:         float = 0.5    # D overfitting when ADA's r_v heuristic exceeds this (0 none, 1 complete)
    vanishing_ratio:    float = 0.1    # vanishing G gradients: norm below this fraction of its median so far ...
    vanishing_accuracy: float = 0.99   # ... while D separates real from fake at least this well


@dataclass(frozen=True)
class GrowthConfig:
    """Progressive growing, for networks that grow (`progan`): the schedule of duelo.training.growth."""

    stable_kimg: float = 200.0    # kimg at each resolution once it is fully faded in (4x4 first)
    fade_kimg:   float = 200.0    # kimg over which each new resolution fades in


@dataclass(frozen=True)
class Image2ImageConfig:
    """Image-to-image tasks (duelo.apps.image2image: translate, cyclegan, inpaint, denoise, superres).
    data.dataset is the target domain (B); the input domain (A) is `source`, or is made from the target on
    the fly by the `degrade` operation (duelo.degrade)."""

    source:          str | None = None   # input domain: dataset name or folder (cyclegan; paired translate)
    layout:          str = "auto"        # paired data: auto | folders (matching names) | side-by-side
    source_channels: int | None = None   # None = the source data's own (1 or 3)
    degrade:         str | None = None   # registered degradation making the input (None = the task's default)
    degrade_kwargs:  dict = field(default_factory=dict)   # its settings, e.g. {"sigma": 0.2}, {"scale": 4}
    discriminator:   str = "patchgan"    # registered patch discriminator
    l1_weight:       float = 100.0       # pix2pix: weight of the L1 reconstruction term (Isola et al. 2017)
    cycle_weight:    float = 10.0        # CycleGAN: weight of the cycle-consistency terms (Zhu et al. 2017)
    identity_weight: float = 0.5         # CycleGAN: identity terms, as a fraction of cycle_weight; 0 = off
    paste_back:      bool = True         # inpainting: known pixels come from the input, exactly
    hole_fill:       str = "grey"        # inpainting: holes in G's input are grey, or "blur" (smooth pre-fill)
    residual:        bool = False        # G predicts a correction added to its input (restoration)
    eval_images:     int = 1000          # held-out images (pairs) behind the summary's metrics
    fid:             str = "auto"        # target-domain FID in the summary: auto (on CUDA) | on | off

    def validate(self, positive) -> None:
        _choice(self.layout, "image2image.layout", ("auto", "folders", "side-by-side"))
        if self.source_channels not in (None, 1, 3):
            raise ConfigError(f"image2image.source_channels must be 1, 3 or unset, got {self.source_channels!r}")
        for name in ("l1_weight", "cycle_weight", "identity_weight"):
            _nonnegative(getattr(self, name), f"image2image.{name}")
        positive(self.eval_images, "image2image.eval_images", integer=True)
        _choice(self.fid, "image2image.fid", ("auto", "on", "off"))
        _choice(self.hole_fill, "image2image.hole_fill", ("grey", "blur"))


@dataclass(frozen=True)
class TrainConfig:
    task:              str = "image-gan"   # registered task (duelo.apps.TASKS): what is trained
    total_kimg:        float = 100.0   # training length in thousands of real images shown to D
    batch:             int = 64        # images per D step (summed over accumulation rounds and GPUs)
    accum_rounds:      int = 1         # split each step's batch into this many forward/backward rounds
    d_steps:           int = 1         # D steps per G step (WGAN-GP: 5)
    ema_halflife_kimg: float = 10.0    # half-life of the generator's exponential moving average
    ema_rampup:        float | None = 0.05   # half-life <= rampup * images seen so far; None = off
    seed:              int = 0
    device:            str = "auto"    # auto (cuda if present) | cpu | cuda | cuda:N
    precision:         str = "auto"    # auto (tf32 on CUDA, fp32 on CPU) | fp32 | tf32 | bf16 (autocast)
    max_minutes:       float | None = None   # also stop (and finish normally) after this much training time
    cuda_graph:        bool = True     # on GPUs, capture each iteration in a CUDA graph (docs/speed.md)


@dataclass(frozen=True)
class RunConfig:
    out:                 str = "runs"          # parent folder of run folders
    name:                str | None = None     # None = derived from dataset, model and conditioning
    snapshot_kimg:       float = 10.0          # checkpoint + sample grid + model every this many kimg
    log_kimg:            float = 1.0           # one metrics.jsonl line every this many kimg
    keep_checkpoints:    int = 2               # older checkpoints are deleted after a newer one is committed
    grid_samples:        int = 64              # images in each snapshot grid (fixed seeds 0..n-1)
    eval_per_class:      int = 100             # samples per class for class_accuracy in summary.json
    eval_kimg:           float | None = None   # evaluate G_ema every this many kimg (None = only at the end)
    eval_metric:         str = "fd_domain"     # metric that picks the best model kept in best/
    eval_samples:        int = 2000            # generated samples per periodic evaluation


@dataclass(frozen=True)
class Config:
    data:  DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss:  LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    run:   RunConfig = field(default_factory=RunConfig)
    stabilise: StabiliseConfig = field(default_factory=StabiliseConfig)
    augment:   AugmentConfig = field(default_factory=AugmentConfig)
    health:    HealthConfig = field(default_factory=HealthConfig)
    growth:    GrowthConfig = field(default_factory=GrowthConfig)
    image2image: Image2ImageConfig = field(default_factory=Image2ImageConfig)

    # -- serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "config") -> "Config":
        return _replace_sections(cls(), data, source).validated()

    def with_overrides(self, overrides: dict[str, Any], source: str = "option") -> "Config":
        """Apply {"section.field": value} overrides, e.g. {"train.total_kimg": 5}."""
        nested: dict[str, dict[str, Any]] = {}
        for dotted, value in overrides.items():
            section, _, name = dotted.partition(".")
            if not name:
                raise ConfigError(f"{source} {dotted!r}: use SECTION.FIELD, e.g. train.total_kimg")
            nested.setdefault(section, {})[name] = value
        return _replace_sections(self, nested, source).validated()

    @property
    def run_name(self) -> str:
        if self.run.name:
            return self.run.name
        base = self.data.dataset.rstrip("/\\").replace("\\", "/").split("/")[-1]
        base = base.rsplit(".", 1)[0] if base.endswith((".zip", ".npz")) else base
        if self.train.task != "image-gan":              # image-to-image and later tasks: named by the task
            return f"{base}-{self.train.task}"
        return f"{base}-{self.model.name}{'-cond' if self.model.conditional else ''}"

    # -- validation ----------------------------------------------------------------------------
    def validated(self) -> "Config":
        """Check numbers and choices that do not need a registry; raise ConfigError naming the field."""
        def positive(value: float, name: str, integer: bool = False) -> None:
            bad = not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) \
                or value <= 0 or (integer and int(value) != value)
            if bad:
                kind = "a positive integer" if integer else "a positive number"
                raise ConfigError(f"{name} must be {kind}, got {value!r}")

        positive(self.data.resolution, "data.resolution", integer=True)
        if self.data.channels not in (None, 1, 3):
            raise ConfigError(f"data.channels must be 1, 3 or unset, got {self.data.channels!r}")
        _choice(self.data.resize, "data.resize", ("auto", "pad", "center-crop", "stretch"))
        _choice(self.data.bad_files, "data.bad_files", ("skip", "refuse"))
        for name in ("g_kwargs", "d_kwargs"):
            shared = sorted(set(getattr(self.model, name)) & {"resolution", "channels", "c_dim"})
            if shared:
                raise ConfigError(f"model.{name} cannot set {', '.join(shared)}: G and D share them; use "
                                  f"data.resolution, data.channels and model.conditional")
        for name in ("z_dim", "width"):
            value = getattr(self.model, name)
            if value is not None:
                positive(value, f"model.{name}", integer=True)
        if self.loss.gp_weight is not None and (self.loss.gp_weight < 0 or not math.isfinite(self.loss.gp_weight)):
            raise ConfigError(f"loss.gp_weight must be >= 0, got {self.loss.gp_weight!r}")
        if self.optim.decay_start is not None:
            _fraction(self.optim.decay_start, "optim.decay_start")
        self.image2image.validate(positive)
        positive(self.optim.g_lr, "optim.g_lr")
        positive(self.optim.d_lr, "optim.d_lr")
        for name in ("beta1", "beta2"):
            value = getattr(self.optim, name)
            if not 0.0 <= value < 1.0:
                raise ConfigError(f"optim.{name} must be in [0, 1), got {value!r}")
        positive(self.train.total_kimg, "train.total_kimg")
        positive(self.train.batch, "train.batch", integer=True)
        positive(self.train.accum_rounds, "train.accum_rounds", integer=True)
        if self.train.batch % self.train.accum_rounds:
            raise ConfigError(f"train.batch ({self.train.batch}) must be divisible by "
                              f"train.accum_rounds ({self.train.accum_rounds})")
        positive(self.train.d_steps, "train.d_steps", integer=True)
        positive(self.train.ema_halflife_kimg, "train.ema_halflife_kimg")
        if self.train.ema_rampup is not None:
            positive(self.train.ema_rampup, "train.ema_rampup")
        _choice(self.train.precision, "train.precision", ("auto", "fp32", "tf32", "bf16"))
        if self.train.max_minutes is not None:
            positive(self.train.max_minutes, "train.max_minutes")
        _nonnegative(self.growth.stable_kimg, "growth.stable_kimg")
        _nonnegative(self.growth.fade_kimg, "growth.fade_kimg")
        if self.growth.stable_kimg + self.growth.fade_kimg <= 0:
            raise ConfigError("growth.stable_kimg and growth.fade_kimg cannot both be 0")
        if not isinstance(self.train.seed, int) or not 0 <= self.train.seed < 2**32:
            raise ConfigError(f"train.seed must be an integer in [0, 2**32), got {self.train.seed!r}")
        for name in ("snapshot_kimg", "log_kimg"):
            value = getattr(self.run, name)
            positive(value, f"run.{name}")
            if value * 1000 < 1:
                raise ConfigError(f"run.{name} must be at least 0.001 (one image), got {value!r}")
        positive(self.run.keep_checkpoints, "run.keep_checkpoints", integer=True)
        positive(self.run.grid_samples, "run.grid_samples", integer=True)
        positive(self.run.eval_per_class, "run.eval_per_class", integer=True)
        positive(self.run.eval_samples, "run.eval_samples", integer=True)
        if self.run.eval_kimg is not None:
            positive(self.run.eval_kimg, "run.eval_kimg")
            if self.run.eval_kimg * 1000 < 1:
                raise ConfigError(f"run.eval_kimg must be at least 0.001 (one image), got {self.run.eval_kimg!r}")
        self._validate_stabilisers(positive)
        if self.run.name is not None and (not self.run.name or any(c in self.run.name for c in "/\\") or
                                          self.run.name in (".", "..")):
            raise ConfigError(f"run.name must be a plain folder name, got {self.run.name!r}")
        return self

    def _validate_stabilisers(self, positive) -> None:
        st, aug, health = self.stabilise, self.augment, self.health
        for name in ("r1_gamma", "r2_gamma", "instance_noise", "grad_clip", "mbstd_group", "history_pool", "pl_weight"):
            _nonnegative(getattr(st, name), f"stabilise.{name}")
        for name in ("mbstd_group", "history_pool"):
            if int(getattr(st, name)) != getattr(st, name):
                raise ConfigError(f"stabilise.{name} must be an integer, got {getattr(st, name)!r}")
        positive(st.reg_interval, "stabilise.reg_interval", integer=True)
        positive(st.pl_interval, "stabilise.pl_interval", integer=True)
        positive(st.instance_noise_kimg, "stabilise.instance_noise_kimg")
        _fraction(st.label_smoothing, "stabilise.label_smoothing")
        _choice(aug.name, "augment.name", ("auto", "none", "diffaugment", "ada"))
        _fraction(aug.p, "augment.p", high_open=False)
        _fraction(aug.target, "augment.target", low_open=True)
        positive(aug.speed_kimg, "augment.speed_kimg")
        positive(aug.adjust_nimg, "augment.adjust_nimg", integer=True)
        if health.every_kimg is not None:
            positive(health.every_kimg, "health.every_kimg")
            if health.every_kimg * 1000 < 1:
                raise ConfigError(f"health.every_kimg must be at least 0.001 (one image), got {health.every_kimg!r}")
        if health.warmup_kimg is not None:
            _nonnegative(health.warmup_kimg, "health.warmup_kimg")
        _fraction(health.heldout_fraction, "health.heldout_fraction")
        positive(health.heldout_max, "health.heldout_max", integer=True)
        positive(health.samples, "health.samples", integer=True)
        if health.samples < 16:
            raise ConfigError(f"health.samples must be at least 16, got {health.samples!r}")
        _nonnegative(health.max_rollbacks, "health.max_rollbacks")
        _fraction(health.rollback_lr_factor, "health.rollback_lr_factor", low_open=True)
        for name in ("collapse_diversity", "collapse_classes", "overfit_rv", "vanishing_ratio", "vanishing_accuracy"):
            _fraction(getattr(health, name), f"health.{name}", high_open=False)


def _nonnegative(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{name} must be a number >= 0, got {value!r}")


def _fraction(value: Any, name: str, low_open: bool = False, high_open: bool = True) -> None:
    _nonnegative(value, name)
    if (low_open and value == 0) or value > 1 or (high_open and value == 1):
        raise ConfigError(f"{name} must be in {'(' if low_open else '['}0, 1{')' if high_open else ']'}, "
                          f"got {value!r}")


def _choice(value: Any, name: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}; got {value!r}")


def _replace_sections(config: Config, data: dict[str, Any], source: str) -> Config:
    """Return a copy of `config` with fields replaced from a nested dict; unknown names are errors."""
    sections = {f.name: f for f in dataclasses.fields(Config)}
    replaced: dict[str, Any] = {}
    for section_name, values in data.items():
        if section_name not in sections:
            raise ConfigError(f"{source}: unknown section {section_name!r}; sections are {', '.join(sections)}")
        if not isinstance(values, dict):
            raise ConfigError(f"{source}: section {section_name!r} must be a table of fields")
        section = getattr(config, section_name)
        known = {f.name: f for f in dataclasses.fields(section)}
        coerced: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known:
                raise ConfigError(f"{source}: unknown field {section_name}.{key}; "
                                  f"fields are {', '.join(known)}")
            coerced[key] = _coerce(value, known[key], f"{section_name}.{key}")
        replaced[section_name] = dataclasses.replace(section, **coerced)
    return dataclasses.replace(config, **replaced)


def _coerce(value: Any, spec: dataclasses.Field, name: str) -> Any:
    """Bring JSON/TOML/CLI values to the field's type (ints for int fields, floats for float fields)."""
    annotation = str(spec.type)
    if value is None:
        if "None" not in annotation:
            raise ConfigError(f"{name} cannot be empty")
        return None
    try:
        if annotation.startswith("bool"):
            if isinstance(value, str):
                lowered = value.lower()
                if lowered not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(value)
                return lowered in ("true", "1", "yes")
            return bool(value)
        if annotation.startswith("int"):
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if annotation.startswith("float"):
            return float(value)
        if annotation.startswith("dict"):
            return json.loads(value) if isinstance(value, str) else dict(value)
        return str(value) if annotation.startswith("str") else value
    except (TypeError, ValueError):
        kind = annotation.split(" |")[0]
        raise ConfigError(f"{name} must be {kind}, got {value!r}") from None


# presets live next to their TOML files; re-exported here, where callers have always found them
from duelo.presets import load_preset, preset_description, preset_names  # noqa: E402,F401
