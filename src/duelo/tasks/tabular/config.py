"""The configuration sections of the tabular task (a CTGAN-class GAN, Xu et al. 2019), besides the common ones."""

from __future__ import annotations

from dataclasses import dataclass

from duelo.config import OptimConfig
from duelo.config.fields import fraction, nonnegative, positive_int, setting
from duelo.errors import ConfigError


@dataclass(frozen=True)
class TableDataConfig:
    dataset:  str = setting("", "the table: a .csv (optionally compressed) or .parquet file", cli="--dataset")
    discrete: tuple[str, ...] = setting((), "categorical columns (comma-separated); empty = inferred from the data",
                              cli="--discrete", metavar="COLS")
    dates:    tuple[str, ...] = setting((), "CSV columns to parse as datetimes (comma-separated)", cli="--dates",
                              metavar="COLS")
    schema:   str = setting("", "a private run's public description of the columns (JSON: kinds, bounds, levels; "
                            "docs/privacy.md)", cli="--dp-schema", metavar="FILE")


@dataclass(frozen=True)
class TableModelConfig:
    embedding_dim:     int = setting(128, "noise size of the generator", check=positive_int)
    generator_dim:     tuple[int, ...] = setting((256, 256), "widths of the generator's residual blocks")
    discriminator_dim: tuple[int, ...] = setting((256, 256), "widths of the critic's hidden layers")
    pac:               int = setting(10, "rows the critic judges together (PacGAN); train.batch must be a "
                                     "multiple", cli="--pac", check=positive_int)
    gp_weight:         float = setting(10.0, "WGAN-GP gradient-penalty weight", check=nonnegative)
    max_modes:         int = setting(10, "Gaussian-mixture modes per continuous column (mode-specific "
                                     "normalisation)", check=positive_int)
    rare_fraction:     float = setting(0.01, "levels rarer than this share of rows are merged into one rare "
                                       "level", check=fraction())

    def check(self, name: str) -> None:
        for field_name in ("generator_dim", "discriminator_dim"):
            value = getattr(self, field_name)
            if not value or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value):
                raise ConfigError(f"{name}.{field_name} must be a list of positive integers, got {list(value)!r}")


@dataclass(frozen=True)
class TableOptimConfig(OptimConfig):
    g_weight_decay: float = setting(1e-6, "Adam weight decay of the generator (CTGAN: 1e-6)", check=nonnegative)
    d_weight_decay: float = setting(1e-6, "Adam weight decay of the critic", check=nonnegative)
