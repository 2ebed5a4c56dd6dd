"""TabularGAN: a CTGAN-class conditional GAN for tables, with scikit-learn conventions.

    from duelo.tabular import TabularGAN
    model = TabularGAN(epochs=300, random_state=0).fit(df, discrete_columns=["city", "plan"])
    synthetic = model.sample(1000)                                    # same columns and dtypes as df
    only_paris = model.sample(100, conditions={"city": "Paris"})
    model.save("model/");  model = TabularGAN.load("model/")

Written from the papers (Xu et al. 2019 "Modeling Tabular Data using Conditional GAN"; Lin et al. 2018
PacGAN; Gulrajani et al. 2017 WGAN-GP; Jang et al. 2017 Gumbel-softmax); no code of the BSL-licensed
`ctgan` package was copied or used. Pieces: duelo.tasks.tabular.transformer (encoding), .conditioning
(conditional vector, training-by-sampling), .networks (generator, critic, activation), .training (loop),
.persistence (save/load as safetensors + JSON).
"""

from __future__ import annotations

import copy
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from collections.abc import Hashable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from duelo.errors import ConfigError, DataError, Interrupted
from duelo.tasks.tabular.conditioning import resolve_condition
from duelo.tasks.tabular.transformer import TabularTransformer

MAX_REJECTION_FACTOR = 100    # conditional sampling gives up after generating this many times n rows


class TabularGAN(BaseEstimator):
    """Conditional tabular GAN (CTGAN-class): fit on a DataFrame, sample new rows like it.

    Hyper-parameters (stored unchecked by __init__, checked by fit; defaults follow the CTGAN paper):
        embedding_dim:        noise size.
        generator_dim:        widths of the generator's residual blocks.
        discriminator_dim:    widths of the critic's hidden layers.
        generator_lr, generator_decay, discriminator_lr, discriminator_decay: Adam(0.5, 0.9) settings.
        batch_size:           rows per step; a multiple of pac.
        discriminator_steps:  critic updates per generator update.
        epochs:               passes of len(df) // batch_size steps.
        pac:                  rows the critic judges together (PacGAN).
        gradient_penalty:     WGAN-GP weight.
        max_modes, rare_fraction: passed to the TabularTransformer.
        ema_decay:            samples come from an exponential moving average of the generator's weights
                              with this decay per step (half-life 138 steps at 0.995; capped at a tenth
                              of the fit's steps); 0 samples from the last weights.
        device:               "cpu", "cuda", "cuda:N" or "auto" (CUDA when available).
        precision:            "auto" (bf16 autocast on CPUs with native bf16, else fp32; fp32 on GPUs,
                              where it measured faster), "bf16" or "fp32". Sampling always runs in fp32.
        random_state:         int seed for a reproducible fit, or None.
        verbose:              print progress to stderr.
        run_dir:              folder for the fit's run (checkpoints, metrics.jsonl, model/): fitting again
                              with the same data and parameters after an interruption resumes there; None
                              fits in a temporary folder that is removed afterwards.

    Learned attributes: transformer_, sampler_, generator_, activation_, history_ (losses per log interval of
    about one epoch), fit_seconds_, summary_ (the run's summary.json), n_features_in_, feature_names_in_.
    """

    def __init__(self, embedding_dim: int = 128, generator_dim: Iterable[int] = (256, 256),
                 discriminator_dim: Iterable[int] = (256, 256), generator_lr: float = 2e-4,
                 generator_decay: float = 1e-6, discriminator_lr: float = 2e-4,
                 discriminator_decay: float = 1e-6, batch_size: int = 500, discriminator_steps: int = 1,
                 epochs: int = 300, pac: int = 10, gradient_penalty: float = 10.0, max_modes: int = 10,
                 rare_fraction: float = 0.01, ema_decay: float = 0.995, device: str = "cpu",
                 precision: str = "auto",
                 random_state: int | None = None, verbose: bool = False, run_dir: str | os.PathLike | None = None):
        self.embedding_dim = embedding_dim
        self.generator_dim = generator_dim
        self.discriminator_dim = discriminator_dim
        self.generator_lr = generator_lr
        self.generator_decay = generator_decay
        self.discriminator_lr = discriminator_lr
        self.discriminator_decay = discriminator_decay
        self.batch_size = batch_size
        self.discriminator_steps = discriminator_steps
        self.epochs = epochs
        self.pac = pac
        self.gradient_penalty = gradient_penalty
        self.max_modes = max_modes
        self.rare_fraction = rare_fraction
        self.ema_decay = ema_decay
        self.device = device
        self.precision = precision
        self.random_state = random_state
        self.verbose = verbose
        self.run_dir = run_dir

    # -- fitting ---------------------------------------------------------------------------------------

    def fit(self, df: pd.DataFrame, discrete_columns: Iterable[Hashable] | None = None) -> TabularGAN:
        """Learn the table `df` (N rows); discrete_columns names the categorical columns (None: infer)."""
        from duelo.tasks import TASKS
        from duelo.tasks.runner import train

        start = time.perf_counter()
        self._check_params()
        self._device()
        if not isinstance(df, pd.DataFrame):
            raise DataError(f"fit needs a pandas DataFrame, got {type(df).__name__}")
        seed = int(self.random_state) if self.random_state is not None \
            else int(np.random.SeedSequence().entropy % 2**32)
        columns = [] if discrete_columns is None else list(discrete_columns)
        task = TASKS.get("tabular")
        with _global_rng_kept(self._device()), _run_folder(self.run_dir) as folder:   # the caller's RNGs stay
            config = task.default_config().with_overrides(self._overrides(len(df), columns, seed, folder),
                                                          source="TabularGAN")
            data = task.encode(df, config, "the DataFrame", self._log, discrete=columns)
            stream = sys.stderr if self.verbose else open(os.devnull, "w")
            try:
                self.summary_ = train(config, stream=stream, live_progress=False, data=data)
            except Interrupted:
                if self.run_dir is not None:
                    raise                                            # its message: call fit again to resume
                raise Interrupted("fit was interrupted; nothing was kept, as it trained in a temporary folder. "
                                  "Pass run_dir=FOLDER to TabularGAN to make a fit resumable") from None
            finally:
                if stream is not sys.stderr:
                    stream.close()
            loaded = type(self).load(folder / "model", device=str(self._device()))
        for name in ("transformer_", "sampler_", "generator_", "activation_", "history_"):
            setattr(self, name, getattr(loaded, name))
        self.n_features_in_ = df.shape[1]
        self.feature_names_in_ = np.asarray(df.columns, dtype=object)
        self.fit_seconds_ = time.perf_counter() - start
        self._log(f"fitted in {self.fit_seconds_:.1f} s")
        return self

    def _overrides(self, rows: int, discrete: list, seed: int, folder: Path) -> dict[str, Any]:
        """The tabular task's configuration equal to these hyper-parameters, in the run folder `folder`."""
        from duelo.tasks.tabular.params import config_overrides

        overrides = config_overrides({**self.get_params(), "random_state": seed}, rows)
        per_epoch_kimg = max(1, rows // self.batch_size) * self.batch_size * self.discriminator_steps / 1000
        return {**overrides, "data.discrete": [str(c) for c in discrete], "train.device": str(self._device()),
                "run.out": str(folder.parent), "run.name": folder.name, "run.log_kimg": per_epoch_kimg,
                "run.snapshot_kimg": max(overrides["train.total_kimg"] / 5, per_epoch_kimg), "health.enabled": False}

    def _build(self, data_dim: int, device: torch.device) -> None:
        """Create the generator and activation of a loaded model (the critic is not saved)."""
        from duelo.tasks.tabular.parts import build_generator

        self.generator_, self.activation_ = build_generator(self.embedding_dim, tuple(self.generator_dim), data_dim,
                                                            self.transformer_, self.sampler_, device)

    def _check_params(self) -> None:
        """Validate the hyper-parameters; ConfigError names the first bad one."""
        positive_ints = ("embedding_dim", "batch_size", "discriminator_steps", "epochs", "pac", "max_modes")
        for name in positive_ints:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ConfigError(f"TabularGAN {name} must be a positive int, got {value!r}")
        for name in ("generator_dim", "discriminator_dim"):
            value = getattr(self, name)
            if isinstance(value, (str, bytes)) or not isinstance(value, Iterable) or not all(
                    isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0 for v in value):
                raise ConfigError(f"TabularGAN {name} must be a sequence of positive ints, got {value!r}")
        for name in ("generator_lr", "discriminator_lr"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ConfigError(f"TabularGAN {name} must be a positive number, got {value!r}")
        if isinstance(self.ema_decay, bool) or not isinstance(self.ema_decay, (int, float)) \
                or not 0 <= self.ema_decay < 1:
            raise ConfigError(f"TabularGAN ema_decay must be a number in [0, 1), got {self.ema_decay!r}")
        for name in ("generator_decay", "discriminator_decay", "gradient_penalty"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                raise ConfigError(f"TabularGAN {name} must be a number >= 0, got {value!r}")
        if self.batch_size < 2:
            raise ConfigError(f"TabularGAN batch_size must be at least 2 (batch norm needs two rows), got "
                              f"{self.batch_size}")
        if self.batch_size % self.pac:
            raise ConfigError(f"TabularGAN batch_size ({self.batch_size}) must be a multiple of pac "
                              f"({self.pac}): the critic judges packs of pac rows")
        if self.run_dir is not None and not isinstance(self.run_dir, (str, os.PathLike)):
            raise ConfigError(f"TabularGAN run_dir must be a folder path or None, got {self.run_dir!r}")
        from duelo.training.precision import PRECISIONS

        if self.precision != "auto" and self.precision not in PRECISIONS:
            raise ConfigError(f"TabularGAN precision must be 'auto' or one of {', '.join(PRECISIONS.names())}, got "
                              f"{self.precision!r}")
        if self.random_state is not None and (isinstance(self.random_state, bool)
                                              or not isinstance(self.random_state, (int, np.integer))):
            raise ConfigError(f"TabularGAN random_state must be an int or None, got {self.random_state!r}")

    def _device(self) -> torch.device:
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        try:
            device = torch.device(self.device)
        except (RuntimeError, TypeError):
            raise ConfigError(f"TabularGAN device {self.device!r} is not a device; use 'cpu', 'cuda', "
                              f"'cuda:N' or 'auto'") from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ConfigError(f"TabularGAN device {self.device!r}: this machine has no CUDA GPU; use 'cpu'")
        return device

    def _log(self, message: str) -> None:
        if self.verbose:
            print(f"[duelo tabular] {message}", file=sys.stderr, flush=True)

    # -- sampling --------------------------------------------------------------------------------------

    def sample(self, n: int, conditions: Mapping[Hashable, Any] | None = None,
               random_state: int | None = None) -> pd.DataFrame:
        """n new rows as a DataFrame with the fitted columns and dtypes.

        conditions: {column: value} on categorical columns; every returned row satisfies all of them.
            The generator is conditioned on the rarest of them (its conditional vector) and rows that miss
            any condition are redrawn; DataError if the model produces matching rows too rarely.
        random_state: int for reproducible rows; None for fresh randomness.
        """
        check_is_fitted(self, "generator_")
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ConfigError(f"sample: n must be an int >= 0, got {n!r}")
        targets = self._resolve(conditions or {})
        device = next(self.generator_.parameters()).device
        with _seeded(random_state, device):
            return self._sample_rows(int(n), targets, copy.copy(self.transformer_), device)

    def _resolve(self, conditions: Mapping[Hashable, Any]) -> list[tuple[Hashable, Any, int, int]]:
        """[(column, level, span, category)] of each condition, the level as stored in the model."""
        if not isinstance(conditions, Mapping):
            raise ConfigError(f"sample: conditions must be a dict {{column: value}}, got "
                              f"{type(conditions).__name__}")
        specs = self.transformer_.column_specs_
        resolved = [(name, *resolve_condition(specs, name, value)) for name, value in conditions.items()]
        return [(name, level, span, category) for name, span, category, level in resolved]

    def _sample_rows(self, n: int, targets: list, decoder: TabularTransformer,
                     device: torch.device) -> pd.DataFrame:
        """Generate in batches until n rows satisfy every condition."""
        primary = None
        if targets:   # condition the generator on the rarest requested category
            primary = min(targets, key=lambda t: self.sampler_.counts[int(self.sampler_.offsets[t[2]]) + t[3]])
        kept: list[pd.DataFrame] = []
        have, made = 0, 0
        while have < n or not kept:
            batch = max(self.batch_size, min(n - have, 50_000)) if n else 1
            decoder.random_state = int(torch.randint(2**31 - 1, ()))   # rare-level draws: new per batch
            frame = decoder.inverse_transform(self._generate(batch, primary, device))
            made += batch
            for name, level, _, _ in targets:
                frame = frame[np.fromiter((_is_level(v, level) for v in frame[name].astype(object)), bool,
                                          len(frame))]
            kept.append(frame)
            have += len(frame)
            if have < n and made >= MAX_REJECTION_FACTOR * max(n, self.batch_size):   # at least 100 batches
                asked = ", ".join(f"{name}={value!r}" for name, value, _, _ in targets)
                raise DataError(f"sample: only {have} of {made:,} generated rows satisfy {asked}; the model "
                                f"rarely produces this combination. Ask for fewer conditions at once, or "
                                f"train longer")
        return pd.concat(kept, ignore_index=True).iloc[:n].reset_index(drop=True)

    @torch.no_grad()
    def _generate(self, n: int, primary: tuple | None, device: torch.device) -> np.ndarray:
        """(n, D) activated generator outputs, conditioned on `primary` or on frequency-drawn conditions."""
        cond = (self.sampler_.fixed(n, primary[2], primary[3]) if primary is not None
                else self.sampler_.sample(n, training=False))
        z = torch.randn(n, self.embedding_dim, device=device)
        g_in = z if cond is None else torch.cat([z, cond.vector.to(device)], dim=1)
        self.generator_.eval()
        rows, _ = self.activation_(self.generator_(g_in))
        return rows.cpu().numpy()

    # -- persistence -----------------------------------------------------------------------------------

    def save(self, path) -> None:
        """Write the fitted model to the folder `path`: model.safetensors + model.json (no pickle)."""
        from duelo.tasks.tabular.persistence import save_model
        save_model(self, path)

    @classmethod
    def load(cls, path, device: str = "cpu") -> TabularGAN:
        """Read a model written by save(); ready to sample()."""
        from duelo.tasks.tabular.persistence import load_model
        return load_model(cls, path, device)


@contextmanager
def _run_folder(run_dir):
    """The fit's run folder: `run_dir` (kept), or a temporary one (removed afterwards)."""
    if run_dir is not None:
        yield Path(run_dir)
        return
    with tempfile.TemporaryDirectory(prefix="duelo-tabular-") as temp:
        yield Path(temp) / "fit"


def _is_level(value: Any, level: Any) -> bool:
    """value == level for decoded cells, which may be None, NaN or pd.NA (never equal to a level)."""
    try:
        return bool(value == level)
    except (TypeError, ValueError):          # pd.NA == x is NA, and bool(NA) raises
        return False


@contextmanager
def _global_rng_kept(device: torch.device):
    """Put Python's, NumPy's and torch's global RNG states (CPU and every CUDA device) back afterwards:
    training seeds them all from train.seed."""
    import random

    python_state, numpy_state = random.getstate(), np.random.get_state()
    cuda = list(range(torch.cuda.device_count())) if device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=cuda):
            yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


@contextmanager
def _seeded(random_state: int | None, device: torch.device):
    """Run with torch's global RNG (CPU and every CUDA device) seeded from `random_state`, or from fresh OS
    entropy when None, and put the caller's RNG state back afterwards."""
    cuda = list(range(torch.cuda.device_count())) if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(int(random_state) if random_state is not None
                          else int(np.random.SeedSequence().entropy % 2**63))
        yield
