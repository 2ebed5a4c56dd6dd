"""The sections every task's configuration has: how long and on what it trains (`train`), where it writes
(`run`), how its optimisers step (`optim`) and how its health is watched (`health`). A task may extend one
(a subclass adding fields) and give any field its own default; it adds its own sections beside these.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from duelo.config.fields import (at_least, at_least_one_image, fraction, from_registry, nonnegative,
                                 plain_name, positive, positive_int, seed, setting)
from duelo.errors import ConfigError


@dataclass(frozen=True)
class TrainConfig:
    total_kimg:        float = setting(100.0, "training length in thousands of real samples shown to D "
                                       "(images, rows, windows...)", cli="--kimg", check=positive, rerun=True)
    batch:             int = setting(64, "samples per D step, summed over accumulation rounds and GPUs",
                                     cli="--batch", check=positive_int)
    accum_rounds:      int = setting(1, "split each step's batch into this many forward/backward rounds",
                                     cli="--accum", check=positive_int)
    d_steps:           int = setting(1, "D steps per G step (WGAN-GP: 5)", cli="--d-steps", check=positive_int)
    ema_halflife_kimg: float = setting(10.0, "half-life of the generator's exponential moving average, in kimg",
                                       cli="--ema-kimg", check=positive)
    ema_rampup:        float | None = setting(0.05, "the EMA half-life is at most this fraction of the samples "
                                              "seen so far; none = off", check=positive)
    seed:              int = setting(0, "random seed: a run is a function of its configuration", cli="--seed",
                                     check=seed)
    device:            str = setting("auto", "auto (cuda if present) | cpu | cuda | cuda:N", cli="--device")
    precision:         str = setting("auto", "auto (the task's choice for the device) or a registered precision "
                                     "(bf16 = bf16 autocast)", cli="--precision",
                                     choices=from_registry("duelo.training.precision:PRECISIONS", "auto"))
    max_minutes:       float | None = setting(None, "also stop (and finish normally) after this much training "
                                              "time, summed over resumes", cli="--minutes", check=positive,
                                              rerun=True)
    cuda_graph:        bool = setting(True, "on GPUs, capture each iteration in a CUDA graph (docs/speed.md)")

    def check(self, name: str) -> None:
        if self.batch % self.accum_rounds:
            raise ConfigError(f"{name}.batch ({self.batch}) must be divisible by {name}.accum_rounds "
                              f"({self.accum_rounds})")


@dataclass(frozen=True)
class RunConfig:
    out:              str = setting("runs", "parent folder of run folders", cli="--out", rerun=True)
    name:             str | None = setting(None, "run folder name; none = derived from the task and its data",
                                           cli="--name", check=plain_name, rerun=True)
    snapshot_kimg:    float = setting(10.0, "checkpoint + samples + model every this many kimg",
                                      cli="--snapshot-kimg", check=at_least_one_image, rerun=True)
    log_kimg:         float = setting(1.0, "one metrics.jsonl line every this many kimg", cli="--log-kimg",
                                      check=at_least_one_image, rerun=True)
    keep_checkpoints: int = setting(2, "older checkpoints are deleted once a newer one is committed",
                                    check=positive_int, rerun=True)
    loggers:          tuple[str, ...] = setting((), "also log to these, comma-separated (docs/logging.md); "
                                                "metrics.jsonl is always written", cli="--log-to",
                                                choices=from_registry("duelo.training.loggers:LOGGERS"),
                                                rerun=True)
    mlflow_uri:       str | None = setting(None, "MLflow tracking store: a local folder or file: URI (no "
                                           "servers); none = RUN/mlruns", cli="--mlflow-uri", rerun=True,
                                           metavar="PATH")
    log_histograms:   bool = setting(False, "with --log-to tensorboard: histograms of every player's weights at "
                                     "each snapshot", rerun=True)

    def check(self, name: str) -> None:
        if self.mlflow_uri is not None:
            local_store_path(self.mlflow_uri, f"{name}.mlflow_uri")


def local_store_path(value: str, name: str) -> Path:
    """A tracking store given as a folder or a `file:` URI, as a local path. Anything that names a server
    (http:, databricks:, a file URI with a host) is refused: duelo sends nothing over the network."""
    parsed = urlparse(value)
    if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
        return Path(unquote(parsed.path)).expanduser()
    if parsed.scheme or parsed.netloc or not value.strip():
        raise ConfigError(f"{name} must be a local folder or a file: URI (duelo logs to no server); got "
                          f"{value!r}. Use e.g. --mlflow-uri ~/mlruns, or leave it out for RUN/mlruns")
    return Path(value).expanduser()


@dataclass(frozen=True)
class OptimConfig:
    g_lr:         float = setting(2e-4, "Adam learning rate of the generator(s)", cli="--g-lr", check=positive)
    d_lr:         float = setting(2e-4, "Adam learning rate of the discriminator(s)", cli="--d-lr", check=positive)
    beta1:        float = setting(0.5, "Adam beta1 (DCGAN: 0.5; WGAN-GP and StyleGAN: 0)", check=fraction())
    beta2:        float = setting(0.999, "Adam beta2", check=fraction())
    decay_start:  float | None = setting(None, "fraction of total_kimg after which the rates fall linearly to 0 "
                                         "(pix2pix/CycleGAN: 0.5); none = constant rates", check=fraction())


@dataclass(frozen=True)
class HealthConfig:
    """The training-health monitor (duelo.health): signals at each check, events with remedies, rollback."""

    enabled:            bool = setting(True, "training-health monitor (health.jsonl; holds a few real samples out)",
                                       cli="--health/--no-health")
    every_kimg:         float | None = setting(None, "check every this many kimg; none = at every snapshot",
                                               check=at_least_one_image, rerun=True)
    warmup_kimg:        float | None = setting(None, "no verdicts before this (early samples are noise); none = 10 % "
                                               "of the run", check=nonnegative, rerun=True)
    heldout_fraction:   float = setting(0.05, "real samples kept out of training for the overfitting check; 0 = "
                                        "none", check=fraction())
    heldout_max:        int = setting(1000, "cap on held-out samples", check=positive_int)
    samples:            int = setting(512, "generated (and real) samples per check", check=at_least(16, True),
                                      rerun=True)
    max_rollbacks:      int = setting(3, "divergence: roll back at most this many times, then stop with an error",
                                      check=at_least(0, True), rerun=True)
    rollback_lr_factor: float = setting(0.5, "each rollback multiplies every learning rate by this",
                                        check=fraction(low_open=True), rerun=True)
    collapse_diversity: float = setting(0.5, "mode collapse when sample diversity falls below this fraction of "
                                        "the real data's", check=fraction(high_open=False), rerun=True)
    collapse_classes:   float = setting(0.7, "... or when fewer than this fraction of the classes is produced",
                                        check=fraction(high_open=False), rerun=True)
    overfit_rv:         float = setting(0.5, "D overfitting when ADA's r_v heuristic exceeds this (0 none, 1 "
                                        "complete) ...", check=fraction(high_open=False), rerun=True)
    overfit_rt:         float = setting(0.6, "... while r_t = E[sign D(training reals)] is at least this (ADA's "
                                        "target)", check=fraction(high_open=False), rerun=True)
    vanishing_ratio:    float = setting(0.1, "vanishing G gradients: norm below this fraction of its median so "
                                        "far ...", check=fraction(high_open=False), rerun=True)
    vanishing_accuracy: float = setting(0.99, "... while D separates real from fake at least this well",
                                        check=fraction(high_open=False), rerun=True)
    dominance_accuracy: float = setting(0.95, "G/D imbalance: D separates real from fake at least this well at "
                                        "two checks in a row ...", check=fraction(high_open=False), rerun=True)
    dominance_gap:      float = setting(15.0, "... with its mean logit on reals at least this far above fakes'",
                                        check=positive, rerun=True)
    oscillation_swing:  float = setting(0.3, "G/D oscillation: D's accuracy swings up and down by at least this "
                                        "at each of 4 checks in a row", check=fraction(high_open=False), rerun=True)


COMMON_SECTIONS: dict[str, type] = {"train": TrainConfig, "run": RunConfig, "optim": OptimConfig,
                                    "health": HealthConfig}
