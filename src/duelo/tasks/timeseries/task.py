"""Synthetic time series (task "timeseries"): windows of a multivariate series — TimeGAN's sines, a registered
real source, a CSV file or folder, an .npz of windows — learned by a convolutional GAN on windows with the shared
objective and stabilisers; the summary holds the field's scores of generated windows against held-out ones.

    duelo train --task timeseries                               # the sines benchmark, 24 steps x 5 channels
    duelo train --task timeseries --dataset prices.csv --window 48 --channels open,close
    duelo sample runs/sines-timeseries -n 100 --out windows.csv
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

from duelo.config import COMMON_SECTIONS, Config
from duelo.config.sections import LossConfig, PrivacyConfig, StabiliseConfig
from duelo.tasks.base import Parts, Session, Task
from duelo.tasks.timeseries.config import SeriesDataConfig, SeriesModelConfig

HELDOUT_FRACTION = 0.2   # windows kept out of training: the real side of every score
SPLIT_SEED = 0           # the split depends on the data alone, not on the training seed


class SeriesSplit:
    """The data of a run: training windows and the held-out ones the scores compare against; `masked` when the
    windows have different lengths (the networks then see a mask channel: masking.py). A private run's `train` is
    a PrivateSeries (private.py: its windows readable only by DP-SGD's sampler) and its `heldout` the evaluation
    split."""

    def __init__(self, train, heldout, masked: bool = False):
        self.train, self.heldout, self.masked = train, heldout, bool(masked)
        self.shape = tuple(train.shape)                                  # (N, T, C) of the training windows
        self.min_length = int(train.lengths.min()) if masked else self.shape[1]
        self.private = hasattr(train, "records")

    def label_pool(self) -> "torch.Tensor":
        """The labels fake windows are drawn for: the training windows' own (their class frequencies), or every
        class once in a private run (the records' frequencies are not public)."""
        import torch

        return torch.arange(len(self.train.class_names)) if self.private else self.train.labels

    def scored(self) -> tuple["SeriesSplit", bool]:
        """(the split the scores read, whether its `train` is the training data). A private run scores on its
        evaluation split alone: one half as the real side, the other where the scores use training windows."""
        if not self.private:
            return self, True
        reference, real = self.heldout.split(0.5, SPLIT_SEED)
        return SeriesSplit(reference, real, self.masked), False

    def network_windows(self, part) -> "torch.Tensor":
        """What the networks see of `part` (train or heldout): the windows, with the mask channel if masked."""
        from duelo.tasks.timeseries.masking import with_mask_channel

        return with_mask_channel(part.windows, part.lengths) if self.masked else part.windows


class TimeSeries(Task):
    name = "timeseries"
    description = "windows of multivariate time series: sines, real series, CSV files; TimeGAN's scores"
    sections = {**COMMON_SECTIONS, "data": SeriesDataConfig, "series": SeriesModelConfig, "loss": LossConfig,
                "stabilise": StabiliseConfig, "privacy": PrivacyConfig}
    defaults = {"train.batch": 128, "train.total_kimg": 300.0, "optim.g_lr": 1e-4, "optim.d_lr": 4e-4,
                "optim.beta1": 0.0, "optim.beta2": 0.9, "loss.name": "hinge", "stabilise.spectral_norm": True,
                "run.snapshot_kimg": 100.0, "run.log_kimg": 10.0, "health.enabled": False}
    sample_unit = "window"
    headline_figures = ("scores.discriminative", "scores.discriminative_conv", "scores.predictive_mae",
                        "scores.context_fid")
    data_parallel = False

    def check(self, config: Config) -> Config:
        from duelo.errors import ConfigError
        from duelo.tasks.timeseries.private import private_series_config

        config = private_series_config(config)
        if config.data.conditional and not config.data.label_column and config.data.dataset.endswith(".csv"):
            raise ConfigError("data.conditional needs labels: name the CSV column with --label-column")
        if config.series.model == "timegan":
            config = self._check_timegan(config)
            if config.health.enabled:
                raise ConfigError("the health monitor probes a G that draws windows and a D that judges them; "
                                  "series.model timegan plays its game in a latent space: drop --health")
        return config

    @staticmethod
    def _check_timegan(config: Config) -> Config:
        """TimeGAN has its own objective: no shared stabilisers (the task's default spectral norm is turned off,
        its GRUs have none), no gradient penalty, no relativistic loss."""
        from duelo.errors import ConfigError
        from duelo.losses import LOSSES
        from duelo.stabilisers import STABILISERS

        active = [name for name in STABILISERS.names() if getattr(config.stabilise, name)]
        if [name for name in active if name != "spectral_norm"]:
            raise ConfigError(f"series.model timegan trains with its own objective and uses no stabilisers; drop "
                              f"{', '.join('stabilise.' + n for n in active if n != 'spectral_norm')}")
        loss = LOSSES.get(config.loss.name)
        if loss.relativistic or loss.gp_weight or config.loss.gp_weight:
            raise ConfigError(f"series.model timegan needs a loss without a gradient penalty or relativistic "
                              f"pairing (bce, hinge, lsgan...); got {config.loss.name}")
        if "spectral_norm" in active:
            config = config.with_overrides({"stabilise.spectral_norm": False}, source="series.model timegan")
        return config

    def load_data(self, config: Config, runtime, log) -> Any:
        from duelo.errors import ConfigError
        from duelo.tasks.timeseries.data import load_series
        from duelo.tasks.timeseries.private import PrivateSeries, value_range

        d, private = config.data, config.privacy.epsilon > 0
        series = load_series(d.dataset, window=d.window, stride=d.stride, channels=list(d.columns) or None,
                             label_column=d.label_column or None, max_windows=d.max_windows or None,
                             seed=SPLIT_SEED, value_range=value_range(config))
        if private and series.report:
            log(f"data: {len(series.report)} note(s) on the data withheld (a private run logs nothing read from "
                f"its records)")
        for note in [] if private else series.report:
            log(f"data: {note}")
        if d.conditional and series.labels is None:
            raise ConfigError(f"data.conditional: {d.dataset} has no labels; drop --conditional or name a "
                              f"--label-column")
        from duelo.tasks.timeseries.masking import is_variable

        if private:
            train, evaluation = series.split(config.privacy.eval_fraction, SPLIT_SEED)
            return SeriesSplit(PrivateSeries(train), evaluation)
        masked = is_variable(series.lengths, series.windows.shape[1])
        if masked:
            log(f"data: windows of {int(series.lengths.min())} to {series.windows.shape[1]} steps, padded to the "
                f"longest; the networks also learn a mask channel, so generated windows have lengths of their own")
        train, heldout = series.split(HELDOUT_FRACTION, SPLIT_SEED)
        return SeriesSplit(train, heldout, masked)

    def build(self, config: Config, data, runtime) -> Parts:
        from duelo.tasks.timeseries.parts import assemble

        if data.private:
            from duelo.tasks.timeseries.private import build_private

            return build_private(config, data, runtime)
        return assemble(config, data, runtime)

    def start(self, session: Session) -> None:
        train = session.data.train
        n, steps, channels = session.data.shape
        classes = f", {len(train.class_names)} classes" if session.config.data.conditional else ""
        session.log(f"run folder {session.run_dir.path} | {n:,} training windows of {steps} steps x {channels} "
                    f"channels ({', '.join(train.columns[:6])}{', ...' if channels > 6 else ''}){classes}, "
                    f"{len(session.data.heldout):,} held out | {session.trainer.runtime.describe()}")

    def hooks(self, session: Session) -> list:
        """The health monitor (--health) for the convolutional model: windows as the networks see them, raw
        values as the diversity features, the held-out windows for the overfitting check."""
        def probe_data():
            from duelo.health.signals import ProbeData

            train, held = session.data.train, session.data.heldout
            labelled = session.config.data.conditional
            return ProbeData(train_images=session.data.network_windows(train),
                             heldout_images=session.data.network_windows(held),
                             features=lambda x: x.flatten(1), prepare=lambda x: x,
                             train_labels=train.labels if labelled else None,
                             heldout_labels=held.labels if labelled else None)

        return self.health_monitor(session, probe_data)

    def snapshots(self, session: Session):
        from duelo.tasks.timeseries.snapshots import SeriesSnapshots

        return SeriesSnapshots(session)
