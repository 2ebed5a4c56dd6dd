"""Configuration: one frozen dataclass per concern, named presets (TOML), JSON round trip.

A resolved Config is written to every run folder; re-running the same command compares against it
so that a resumed run continues the same experiment. Overrides use dotted field names
(`train.total_kimg=50`), the same names the JSON file shows.
"""

from __future__ import annotations

import dataclasses
import json
import math
import tomllib
from dataclasses import dataclass, field
from importlib import resources
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
        if self.run.name is not None and (not self.run.name or any(c in self.run.name for c in "/\\") or
                                          self.run.name in (".", "..")):
            raise ConfigError(f"run.name must be a plain folder name, got {self.run.name!r}")
        return self


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


# -- presets -------------------------------------------------------------------------------------

def preset_names() -> list[str]:
    folder = resources.files("duelo") / "presets"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_preset(name: str) -> Config:
    """A named preset (src/duelo/presets/NAME.toml) on top of the defaults."""
    path = resources.files("duelo") / "presets" / f"{name}.toml"
    if not path.is_file():
        raise ConfigError(f"unknown preset {name!r}; choose one of: {', '.join(preset_names())}")
    data = tomllib.loads(path.read_text())
    data.pop("description", None)
    return Config.from_dict(data, source=f"preset {name!r}")


def preset_description(name: str) -> str:
    path = resources.files("duelo") / "presets" / f"{name}.toml"
    return str(tomllib.loads(path.read_text()).get("description", ""))
