"""Synthetic time series under differential privacy (`duelo train --task timeseries --dp-epsilon E`; docs/privacy.md):
the conv model's D trained by DP-SGD (duelo.objectives.private) over Poisson samples of the training windows,
G as usual (post-processing). A record is one window, so a run is refused where one series gives several windows
(sliding windows over a long series: one person's recording would be many records, and the guarantee would be
per window, not per person); give one window per person (an .npz of windows, a UCR-style set, sines).

Everything else that reads the data is either public or kept off the records:
  scaling       from a declared range (data.value_range, or the range a source has by construction: sines [0, 1]),
                never from the records' min and max; values outside it are clipped, uncounted
  evaluation    an evaluation split (privacy.eval_fraction) never trained on; the run's scores compare generated
                windows with one half of it and use the other half where the plain scores use training windows
                (real-on-real predictor, context-FID encoder and its floor, the class accuracy of real windows);
                memorisation against the training windows is left to `duelo audit`, which reads them by design
  labels        fake labels drawn uniformly over the classes (not the records' class frequencies)
  refused       series.model timegan (its embedder, recovery and supervisor train on the real windows outside D),
                windows of different lengths (each record's length would be read), class labels from a CSV column
                (the classes would be read from the rows), the data's own min and max
  changed       spectral norm (the task's default) off, as duelo.privacy.settings explains; the health monitor off
"""

from __future__ import annotations

import math

import torch

from duelo.config import Config
from duelo.errors import ConfigError
from duelo.privacy.records import PrivacyError, PrivateRecords
from duelo.tasks.base import Parts


def private_series_config(config: Config) -> Config:
    """The configuration a private time-series run trains with, or ConfigError (before any data is read)."""
    from duelo.privacy.settings import private_config
    from duelo.tasks.timeseries.data import public_range

    if not config.privacy.epsilon > 0:
        return config
    d = config.data
    refusals = [
        (config.series.model != "conv", f"series.model {config.series.model}: its networks besides D train on the "
                                        f"real windows outside DP-SGD; use series.model conv"),
        (bool(d.label_column), "a --label-column: the classes would be read from the CSV's rows; give the windows "
                               "with their labels as an .npz (class names are then public)"),
        (not d.value_range and public_range(d.dataset) is None,
         "scaling from the data's own min and max (they would leak): declare the range the values lie in, "
         "--set data.value_range=LOW,HIGH (values outside it are clipped)"),
    ]
    reasons = [text for refused, text in refusals if refused]
    if reasons:
        raise ConfigError("differential privacy (--dp-epsilon) cannot be kept with: " + "; ".join(reasons))
    if config.stabilise.spectral_norm:
        config = config.with_overrides({"stabilise.spectral_norm": False}, source="privacy (--dp-epsilon)")
    return private_config(config)


def value_range(config: Config) -> tuple[float, float] | None:
    """The declared range the run scales from: data.value_range, else (private runs) the source's own."""
    from duelo.tasks.timeseries.data import public_range

    if config.data.value_range:
        return tuple(config.data.value_range)
    return public_range(config.data.dataset) if config.privacy.epsilon > 0 else None


class PrivateSeries:
    """What a private run may see of its training windows: their shape, channels, range, classes and name. The
    windows themselves are in `records`; reading `windows`, `labels` or `lengths` raises PrivacyError."""

    def __init__(self, data):
        if data.per_series > 1:
            raise ConfigError(f"differential privacy protects records, and a record here is a window: {data.name} "
                              f"cuts up to {data.per_series:,} windows from one series, so one person's series "
                              f"would be many records. Give one window per person (an .npz of windows, shape "
                              f"(N, T, C)) or a source with one series per record")
        if data.lengths is not None:
            raise ConfigError(f"differential privacy: {data.name} has windows of different lengths, which are "
                              f"part of each record; pad or cut them to one length first")
        self.records = PrivateRecords(data.windows, data.labels, torch.device("cpu"))
        self.shape = tuple(data.windows.shape)
        self.low, self.high, self.columns, self.name = data.low, data.high, list(data.columns), data.name
        self.class_names, self.per_series, self.report = data.class_names, 1, []

    def __len__(self) -> int:
        return len(self.records)

    @property
    def windows(self):
        raise PrivacyError("the private training windows were read outside the accountant (data.train.windows); "
                           "only DP-SGD's Poisson sampler may read them")

    @property
    def labels(self):
        raise PrivacyError("the private training labels were read outside the accountant (data.train.labels)")

    @property
    def lengths(self):
        return None


def build_private(config: Config, data, runtime) -> Parts:
    """The parts of a private run: the Poisson feed over the records, the private objective, the plan."""
    from duelo.objectives.private import PrivateGANObjective
    from duelo.privacy.records import PoissonFeed, PrivacyPlan
    from duelo.privacy.settings import check_processes
    from duelo.tasks.timeseries.parts import conv_assemble, num_classes

    check_processes(runtime.world_size)
    batch, p, d_steps = config.train.batch, config.privacy, config.train.d_steps
    steps = math.ceil(config.train.total_kimg * 1000 / (batch * d_steps)) * d_steps
    records = data.train.records.to(runtime.device)
    plan = PrivacyPlan.make(p.epsilon, p.delta, p.clip, batch, len(records), steps)
    classes = num_classes(config, data)
    feed = PoissonFeed(records, plan, batch, classes, lambda windows: windows)
    parts = conv_assemble(config, data, runtime, feed=feed, label_pool=feed.labels,
                          objective_type=PrivateGANObjective, objective_extra={"privacy": plan})
    parts.extras["privacy"] = plan
    return parts
