"""Tables under differential privacy (--dp-epsilon with --dp-schema; docs/privacy.md). Every part that reads
the training records is accounted, in one accountant:

  encoding    each column's kind, range and levels come from the public schema (duelo.tasks.tabular.schema),
              never from the records; the modes of numeric columns and the levels' frequencies come from ONE
              Gaussian mechanism over all columns' histograms (duelo.privacy.histograms): a grid of GRID bins
              between the column's bounds, plus its public spike values, plus a missing bin. Numeric modes are
              the noisy grid merged into bins of equal mass (mode = a bin's centre, spread a quarter of its
              width), so the encoding is a function of the noisy counts alone.
  conditions  CTGAN's training-by-sampling picks real rows by their category, a data-dependent selection the
              accountant cannot analyse; here the records come by Poisson sampling and each record's condition
              is its own category in a discrete column drawn at random. Fakes are conditioned on draws from
              the noisy frequencies, so D sees both sides under the same condition distribution.
  critic      pac = 1 (a pack mixes records), the non-saturating loss per (real, fake) pair instead of WGAN-GP
              (a per-pack gradient penalty is a second-order term across records), DP-SGD on every step.
  generator   post-processing: it reads no record, only D and the noisy frequencies.
  scores      against an evaluation split kept out of training (not covered by the guarantee).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from duelo.config import Config
from duelo.errors import ConfigError
from duelo.privacy.records import PrivacyError, PrivateRecords
from duelo.tasks.base import Parts
from duelo.tasks.tabular.columns import CategoricalSpec, NumericSpec
from duelo.tasks.tabular.schema import ColumnSchema
from duelo.training.protocols import Phase, Player, Terms

GRID = 32                 # equal-width histogram bins per numeric column
ENCODING_FILE = "private-encoding.json"   # in the run folder: the released encoding, reused by a resume
EVAL_SEED = 20_221
MIN_WEIGHT = 1e-3         # a mode's weight floor (noise can zero a bin's count)


def _histogram(column: ColumnSchema, series: pd.Series) -> np.ndarray:
    """One record adds 1 to one bin: [levels...] or [spikes..., grid...], then [missing] if allowed."""
    missing = series.isna().to_numpy()
    if column.kind == "categorical":
        index = pd.Categorical(series, categories=list(column.levels)).codes.astype(np.int64)
        counts = np.bincount(index[~missing], minlength=len(column.levels))
    else:
        values = series.to_numpy(dtype=np.float64)[~missing]
        spikes = np.asarray(column.spikes)
        on_spike = np.isin(values, spikes)
        low, high = column.bounds
        cells = np.clip(((values[~on_spike] - low) / (high - low) * GRID).astype(np.int64), 0, GRID - 1)
        counts = np.concatenate([np.array([(values == s).sum() for s in spikes], dtype=np.int64),
                                 np.bincount(cells, minlength=GRID)])
    return np.concatenate([counts, [missing.sum()]]) if column.missing else counts


def _numeric_spec(column: ColumnSchema, counts: np.ndarray, max_modes: int) -> NumericSpec:
    spikes = list(column.spikes)
    grid = counts[len(spikes):len(spikes) + GRID].astype(np.float64)
    modes = max(1, max_modes - len(spikes))
    low, high = column.bounds
    edges = np.linspace(low, high, GRID + 1)
    if grid.sum() <= 0:
        groups = np.zeros(GRID, dtype=np.int64)
    else:                                   # consecutive grid bins in groups of about equal noisy mass
        middle = (np.cumsum(grid) - grid / 2) / grid.sum()
        groups = np.minimum((middle * modes).astype(np.int64), modes - 1)
    means, stds, weights = [float(s) for s in spikes], [0.0] * len(spikes), \
        [float(c) for c in counts[:len(spikes)]]
    for group in np.unique(groups):
        cells = np.flatnonzero(groups == group)
        left, right = edges[cells[0]], edges[cells[-1] + 1]
        means.append(float((left + right) / 2))
        stds.append(float((right - left) / 4))
        weights.append(float(grid[cells].sum()))
    weights = np.maximum(np.asarray(weights), 0.0)
    weights = weights / weights.sum() if weights.sum() > 0 else np.full(len(weights), 1 / len(weights))
    weights = np.maximum(weights, MIN_WEIGHT)
    dtype = "float64" if column.kind == "continuous" else ("Int64" if column.missing else "int64")
    return NumericSpec(name=column.name, kind=column.kind, dtype=dtype, minimum=low, maximum=high, means=means,
                       stds=stds, weights=(weights / weights.sum()).tolist(), has_missing=column.missing)


def private_specs(frame: pd.DataFrame, schema: list[ColumnSchema], max_modes: int, noise_multiplier: float,
                  rng: np.random.Generator | None = None) -> tuple[list, np.ndarray]:
    """(column specs, noisy counts of every categorical slot in span order) from one Gaussian mechanism over all
    the columns' histograms (frame: conformed to the schema)."""
    from duelo.privacy.histograms import noisy_counts

    noisy = noisy_counts([_histogram(c, frame[c.name]) for c in schema], noise_multiplier, rng)
    specs, condition_counts = [], []
    for column, counts in zip(schema, noisy):
        if column.kind == "categorical":
            specs.append(CategoricalSpec(name=column.name, dtype="object", levels=list(column.levels),
                                         has_missing=column.missing))
            condition_counts.append(counts)
        else:
            specs.append(_numeric_spec(column, counts, max_modes))
    flat = np.concatenate(condition_counts) if condition_counts else np.zeros(0)
    return specs, np.maximum(flat, 1).astype(np.int64)


class PrivateTable:
    """What a private tabular run may see: the schema-built transformer, the noisy condition counts, counts of
    rows, the evaluation split. The encoded training records are in `records`; `frame` and `matrix` raise."""

    def __init__(self, frame: pd.DataFrame, schema: list[ColumnSchema], config: Config, name: str,
                 saved: dict | None = None):
        from duelo.privacy.histograms import noise_for_share
        from duelo.privacy.records import default_delta
        from duelo.tasks.tabular.schema import conform
        from duelo.tasks.tabular.transformer import TabularTransformer

        table = conform(frame, schema, name)
        held = np.random.default_rng(EVAL_SEED).random(len(table)) < config.privacy.eval_fraction
        self.evaluation, training = table[held].reset_index(drop=True), table[~held].reset_index(drop=True)
        self.rows, self.name, self.schema = len(training), name, schema
        self.transformer = TabularTransformer([c.name for c in schema if c.kind == "categorical"],
                                              max_modes=config.model.max_modes, random_state=config.train.seed)
        if saved is None:                       # the one release of the histograms
            delta = config.privacy.delta or default_delta(self.rows)
            self.histogram_noise = noise_for_share(config.privacy.epsilon, delta)
            specs, self.condition_counts = private_specs(training, schema, config.model.max_modes,
                                                         self.histogram_noise)
        else:                                   # a resume: the encoding released when the run started
            from duelo.tasks.tabular.columns import spec_from_dict

            specs = [spec_from_dict(entry) for entry in saved["columns"]]
            if [spec.name for spec in specs] != [c.name for c in schema]:
                raise ConfigError(f"{ENCODING_FILE} describes other columns than --dp-schema; use a new run folder")
            self.histogram_noise = float(saved["histogram_noise"])
            self.condition_counts = np.asarray(saved["condition_counts"], dtype=np.int64)
        self.transformer._set_specs(specs)
        matrix = self.transformer.transform(training).astype(np.float32)
        self.records = PrivateRecords(torch.as_tensor(matrix), None, torch.device("cpu"))
        self.width = matrix.shape[1]

    def encoding(self) -> dict:
        """The released encoding (what a resume must reuse rather than draw again)."""
        return {"columns": [spec.to_dict() for spec in self.transformer.column_specs_],
                "condition_counts": self.condition_counts.tolist(), "histogram_noise": self.histogram_noise}

    @property
    def frame(self):
        raise PrivacyError("the private training table was read outside the accountant (data.frame); only "
                           "DP-SGD's Poisson sampler may read its records")

    @property
    def matrix(self):
        raise PrivacyError("the private training table was read outside the accountant (data.matrix)")


class PrivateTableObjective:
    """D: DP-SGD over (real record with its own condition, fake under a public condition) pairs, non-saturating
    loss; G: the non-saturating loss and CTGAN's conditional loss (no record read)."""

    def __init__(self, G, D, activation, sampler, embedding_dim: int, plan, d_steps: int = 1):
        from duelo.privacy.dpsgd import check_module
        from duelo.privacy.records import secret_generator

        check_module(D, "the critic")
        self.G, self.D, self.activation, self.sampler = G, D, activation, sampler
        self.embedding_dim, self.plan = embedding_dim, plan
        self._noise = secret_generator(next(D.parameters()).device)
        self.phases = (Phase("D", ("D",), self._critic_terms, repeats=d_steps, uses_real=True),
                       Phase("G", ("G",), self._generator_terms))

    def state_modules(self) -> dict:
        return {}

    def _inputs(self, n: int, generator: torch.Generator):
        cond = self.sampler.sample(n, training=False, generator=generator)
        z = torch.randn(n, self.embedding_dim, device=next(self.G.parameters()).device, generator=generator)
        return cond, (z if cond is None else torch.cat([z, cond.vector], dim=1))

    def sample_generator_inputs(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor]:
        return (self._inputs(n, generator)[1],)

    def _fakes(self, n: int, generator: torch.Generator):
        cond, inputs = self._inputs(n, generator)
        fake, logits = self.activation(self.G(inputs), generator)
        return cond, logits, (fake if cond is None else torch.cat([fake, cond.vector], dim=1))

    def _own_conditions(self, rows: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Each record's condition: its own category in a discrete column drawn at random (public randomness)."""
        sampler = self.sampler
        span = torch.randint(sampler.n_spans, (len(rows),), device=rows.device, generator=generator)
        category = torch.zeros(len(rows), dtype=torch.int64, device=rows.device)
        for s, (start, width) in enumerate(sampler.spans):
            category = torch.where(span == s, rows[:, start:start + width].argmax(dim=1), category)
        return sampler.conditions(span, category).vector

    def _critic_terms(self, batch, generator: torch.Generator, n: int) -> Terms:
        from duelo.privacy.dpsgd import private_gradients, surrogate_loss

        rows = batch[0]                                               # a Poisson sample: its size is random
        m = len(rows)
        if self.sampler.n_spans:
            rows = torch.cat([rows, self._own_conditions(rows, generator)], dim=1)
        with torch.no_grad():
            fake = self._fakes(m, generator)[2] if m else rows
        pair = lambda call, real_i, fake_i: (F.softplus(-call(real_i)) + F.softplus(call(fake_i))).sum()  # noqa: E731
        plan = self.plan
        grads, stats = private_gradients(self.D, pair, (rows, fake), plan.clip, plan.noise_multiplier,
                                         plan.sample_rate * plan.records, self._noise)
        noisy = torch.sqrt(sum(g.float().square().sum() for g in grads.values()))
        return Terms({"D_dp": surrogate_loss(self.D, grads)}, {"dp_batch": stats["dp_records"],
                                                               "dp_noisy_grad_norm": noisy})

    def _generator_terms(self, batch, generator: torch.Generator, n: int) -> Terms:
        cond, logits, fake = self._fakes(n, generator)
        terms = Terms({"G": F.softplus(-self.D(fake, generator)).mean()})
        if cond is not None:
            terms.losses["G_cond"] = self.activation.condition_loss(logits, cond.span, cond.category)
        return terms


def build_private(config: Config, data: PrivateTable, runtime) -> Parts:
    from duelo.privacy.records import PoissonFeed, PrivacyPlan
    from duelo.privacy.settings import check_processes
    from duelo.tasks.tabular.conditioning import ConditionSampler, discrete_spans
    from duelo.tasks.tabular.objective import make_optimizer
    from duelo.tasks.tabular.parts import build_networks
    from duelo.training.lr_schedule import lr_schedules

    check_processes(runtime.world_size)
    device, batch, p = runtime.device, config.train.batch, config.privacy
    steps = math.ceil(config.train.total_kimg * 1000 / (batch * config.train.d_steps)) * config.train.d_steps
    plan = PrivacyPlan.make(p.epsilon, p.delta, p.clip, batch, data.rows, steps, once=(data.histogram_noise,))
    sampler = ConditionSampler(discrete_spans(data.transformer.column_specs_), data.condition_counts, None, device)
    G, D, activation = build_networks(config.model, data.width, data.transformer, sampler, device)
    optim = config.optim
    betas = (optim.beta1, optim.beta2)
    optimizers = {"G": make_optimizer(G.parameters(), optim.g_lr, betas, optim.g_weight_decay),
                  "D": make_optimizer(D.parameters(), optim.d_lr, betas, optim.d_weight_decay)}
    objective = PrivateTableObjective(G, D, activation, sampler, config.model.embedding_dim, plan,
                                      config.train.d_steps)
    feed = PoissonFeed(data.records.to(device), plan, batch, 0, lambda rows: rows)
    players = {"G": Player(G, optimizers["G"], ema=True), "D": Player(D, optimizers["D"])}
    return Parts(players, objective, feed, lr_schedules(config, optimizers),
                 extras={"sampler": sampler, "privacy": plan})
