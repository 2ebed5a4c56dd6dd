"""Scores for synthetic time series that need no training: statistics, memorisation, and the sines benchmark.

Data layout everywhere: float tensors (N, T, C) — samples, time steps, channels — scaled by the caller to
[-1, 1], with optional `lengths` (N,) int64 for windows of different lengths. Steps at or beyond a window's
length are padding: `as_sequences` sets them to 0 once, and every score reads only valid steps, so the padding's
values (0, 1e6, NaN) never change a result.

* `autocorrelation_distance` — temporal dynamics: per-channel autocorrelation functions (ACF), averaged over
  samples, compared lag by lag (the "ACF score" of e.g. Lin et al. 2020, "Using GANs for Sharing Networked Time
  Series Data" (DoppelGANger), fig. 1, and of the Quant GAN and COSCI-GAN evaluations).
* `cross_correlation_distance` — dependence between channels: the C×C correlation matrices compared entry by
  entry (the "correlational score" of Ni et al. 2020, "Conditional Sig-Wasserstein GANs for Time Series
  Generation", section 5, without its per-lag terms).
* `marginal_distance` — values regardless of time: per-channel histograms compared in L1 (Ni et al. 2020's
  "marginal distribution" metric).
* `nearest_real_distances` / `memorisation_report` — are generated windows copies of training windows?
  (duelo.evaluation.memorisation explains the held-out yardstick.)
* `sine_windows` — the synthetic sines of Yoon, Jarrett & van der Schaar 2019, "Time-series Generative
  Adversarial Networks" (TimeGAN), section 5.1.

The learned scores (TimeGAN's discriminative and predictive scores, context-FID) are in
duelo.evaluation.sequence_models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from duelo.errors import ConfigError
from duelo.evaluation import memorisation
from duelo.evaluation.prdc import nearest_neighbour_distances


@dataclass(frozen=True)
class Sequences:
    """Checked windows: values with padding set to 0, and the length of every window."""

    values: torch.Tensor             # (N, T, C) float32, 0 at steps >= length
    lengths: torch.Tensor            # (N,) int64, 1 <= length <= T

    @property
    def mask(self) -> torch.Tensor:
        """(N, T) bool: True at valid steps."""
        steps = torch.arange(self.values.shape[1], device=self.values.device)
        return steps[None, :] < self.lengths[:, None]

    def __len__(self) -> int:
        return int(self.values.shape[0])


def as_sequences(values: torch.Tensor | np.ndarray,
                 lengths: torch.Tensor | np.ndarray | None = None,
                 *,
                 name: str = "real",                 # the argument's name, for the messages
                 lengths_name: str = "lengths_real",
                 min_length: int = 1,                # shortest window the score can read
                 device: str | torch.device = "cpu",
                 ) -> Sequences:
    """Check a (N, T, C) batch of windows and its lengths; teaching ConfigErrors name the argument at fault."""
    if isinstance(values, np.ndarray):
        values = torch.from_numpy(np.ascontiguousarray(values))
    if not isinstance(values, torch.Tensor):
        raise ConfigError(f"{name}: expected a tensor or numpy array of shape (N, T, C), got {type(values).__name__}")
    if values.dim() != 3:
        hint = "; add a channel axis with `x.unsqueeze(-1)`" if values.dim() == 2 else ""
        raise ConfigError(f"{name}: expected shape (N, T, C) — samples, time steps, channels — got "
                          f"{tuple(values.shape)}{hint}")
    if not (values.is_floating_point() or values.dtype in (torch.int32, torch.int64)):
        raise ConfigError(f"{name}: expected real numbers, got dtype {values.dtype}")
    n, steps, _ = values.shape
    if n == 0 or steps == 0 or values.shape[2] == 0:
        raise ConfigError(f"{name}: is empty (shape {tuple(values.shape)})")
    values = values.to(device=device, dtype=torch.float32)
    at_fault = name if lengths is None else lengths_name
    if lengths is None:
        lengths = torch.full((n,), steps, dtype=torch.int64, device=values.device)
    else:
        lengths = torch.as_tensor(lengths)
        if lengths.dim() != 1 or len(lengths) != n or lengths.is_floating_point() or lengths.dtype == torch.bool:
            raise ConfigError(f"{lengths_name}: expected {n} integer lengths (one per window of {name}), got "
                              f"dtype {lengths.dtype}, shape {tuple(lengths.shape)}")
        lengths = lengths.to(device=values.device, dtype=torch.int64)
        if bool((lengths < 1).any()) or bool((lengths > steps).any()):
            raise ConfigError(f"{lengths_name}: lengths must lie in [1, {steps}] (the windows have {steps} steps), "
                              f"got {int(lengths.min())}..{int(lengths.max())}")
    if int(lengths.min()) < min_length:
        raise ConfigError(f"{at_fault}: this score needs windows of at least "
                          f"{min_length} steps; the shortest has {int(lengths.min())}")
    mask = torch.arange(steps, device=values.device)[None, :] < lengths[:, None]        # (N, T)
    values = torch.where(mask[..., None], values, torch.zeros((), device=values.device))
    if not bool(torch.isfinite(values).all()):
        raise ConfigError(f"{name}: contains NaN or Inf at valid steps; the generator or the scaling produced "
                          f"non-finite values, so no score can be computed")
    return Sequences(values, lengths)


def check_channels(a: Sequences, b: Sequences, name_a: str = "real", name_b: str = "fake") -> int:
    """The common channel count C, or a ConfigError saying which argument differs."""
    ca, cb = a.values.shape[2], b.values.shape[2]
    if ca != cb:
        raise ConfigError(f"{name_b}: has {cb} channels but {name_a} has {ca}; both must hold the same variables "
                          f"in the same order")
    return int(ca)


def pad_steps(values: torch.Tensor, steps: int) -> torch.Tensor:
    """(N, T, C) -> (N, steps, C) with zeros appended in time (steps >= T)."""
    return F.pad(values, (0, 0, 0, steps - values.shape[1]))


# --- the benchmark data -----------------------------------------------------------------------------------------

def sine_windows(n: int, length: int = 24, channels: int = 5, seed: int = 0) -> torch.Tensor:
    """TimeGAN's sines (Yoon et al. 2019, section 5.1): x_c(t) = sin(f t + φ), f, φ ~ U(0, 0.1) drawn per
    sample and channel, t = 0..length-1: (n, length, channels) float32.

    The paper rescales to [0, 1] with (x + 1) / 2; duelo's scores expect [-1, 1], so the plain sine is
    returned (halve its MAEs to compare them with the paper's). Channels are independent of each other.
    """
    for value, what in ((n, "n"), (length, "length"), (channels, "channels")):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"sine_windows: {what} must be a positive integer, got {value!r}")
    rng = np.random.default_rng(seed)
    frequency = rng.uniform(0.0, 0.1, size=(n, 1, channels))
    phase = rng.uniform(0.0, 0.1, size=(n, 1, channels))
    t = np.arange(length, dtype=np.float64)[None, :, None]
    return torch.from_numpy(np.sin(frequency * t + phase).astype(np.float32))


# --- statistics -------------------------------------------------------------------------------------------------

def _autocorrelation(seq: Sequences, max_lag: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel ACF at lags 1..max_lag, averaged over the windows longer than the lag: (K, C), and (K,) the
    number of such windows. Each window's ACF is the usual biased estimator, centred on its own mean:
    ρ(k) = Σ_t (x_t − x̄)(x_{t+k} − x̄) / Σ_t (x_t − x̄)²; a constant window has ρ = 0."""
    x = seq.values.double()                                                   # (N, T, C), padding 0
    mask = seq.mask[..., None].double()                                       # (N, T, 1)
    mean = x.sum(1, keepdim=True) / seq.lengths[:, None, None]                # (N, 1, C)
    centred = (x - mean) * mask                                               # 0 at padding
    energy = (centred ** 2).sum(1)                                            # (N, C)
    acf, counts = [], []
    for lag in range(1, max_lag + 1):
        products = (centred[:, :-lag] * centred[:, lag:]).sum(1)              # (N, C); pairs need both steps valid
        rho = torch.where(energy > 0, products / energy.clamp_min(1e-300), torch.zeros_like(energy))
        longer = seq.lengths > lag                                            # (N,)
        count = int(longer.sum())
        acf.append(rho[longer].sum(0) / max(count, 1))
        counts.append(count)
    return torch.stack(acf), torch.tensor(counts)


def autocorrelation_distance(real: torch.Tensor | np.ndarray,
                             fake: torch.Tensor | np.ndarray,
                             max_lag: int | None = None,   # None: half the shorter window, T // 2
                             *,
                             lengths_real: torch.Tensor | None = None,
                             lengths_fake: torch.Tensor | None = None,
                             device: str | torch.device = "cpu") -> float:
    """Mean |ACF_real(k, c) − ACF_fake(k, c)| over lags k = 1..max_lag and channels c; 0 for equal dynamics.

    Each ACF is averaged over samples (see `_autocorrelation`), so it describes the typical window, not one long
    series. Lags that no window of one of the sets is long enough for are skipped. In [0, 2].
    """
    r = as_sequences(real, lengths_real, name="real", lengths_name="lengths_real", device=device)
    f = as_sequences(fake, lengths_fake, name="fake", lengths_name="lengths_fake", device=device)
    check_channels(r, f)
    longest = min(r.values.shape[1], f.values.shape[1])
    if max_lag is None:
        max_lag = longest // 2
        if max_lag < 1:
            raise ConfigError(f"real, fake: windows of {longest} step(s) have no autocorrelation; it needs >= 2 steps")
    elif not isinstance(max_lag, (int, np.integer)) or isinstance(max_lag, bool) or not 1 <= max_lag < longest:
        raise ConfigError(f"max_lag: must be an integer in [1, {longest - 1}] (the shorter windows have {longest} "
                          f"steps), got {max_lag!r}")
    acf_r, count_r = _autocorrelation(r, max_lag)
    acf_f, count_f = _autocorrelation(f, max_lag)
    usable = (count_r > 0) & (count_f > 0)
    if not bool(usable.any()):
        raise ConfigError("lengths_real, lengths_fake: no lag in 1..max_lag is shorter than a window of both sets; "
                          "the windows are too short for an autocorrelation")
    return float((acf_r[usable] - acf_f[usable]).abs().mean())


def _channel_correlation(seq: Sequences) -> torch.Tensor:
    """Pearson correlation between channels over all valid steps of all windows: (C, C); a constant channel
    correlates 0 with every other channel."""
    values = seq.values[seq.mask].double()                                    # (M, C) valid steps only
    if len(values) < 2:
        return torch.eye(values.shape[1], dtype=torch.float64, device=values.device)
    return torch.corrcoef(values.T).nan_to_num(0.0)


def cross_correlation_distance(real: torch.Tensor | np.ndarray,
                               fake: torch.Tensor | np.ndarray,
                               *,
                               lengths_real: torch.Tensor | None = None,
                               lengths_fake: torch.Tensor | None = None,
                               device: str | torch.device = "cpu") -> float:
    """Mean |corr_real(i, j) − corr_fake(i, j)| over the channel pairs i < j; 0.0 for a single channel.

    The diagonal (1 on both sides) is left out, so the value is the average error per pair of variables,
    in [0, 2].
    """
    r = as_sequences(real, lengths_real, name="real", lengths_name="lengths_real", device=device)
    f = as_sequences(fake, lengths_fake, name="fake", lengths_name="lengths_fake", device=device)
    channels = check_channels(r, f)
    if channels == 1:
        return 0.0
    upper = torch.triu_indices(channels, channels, offset=1, device=r.values.device)
    difference = _channel_correlation(r) - _channel_correlation(f)           # (C, C)
    return float(difference[upper[0], upper[1]].abs().mean())


def marginal_distance(real: torch.Tensor | np.ndarray,
                      fake: torch.Tensor | np.ndarray,
                      bins: int = 50,
                      *,
                      lengths_real: torch.Tensor | None = None,
                      lengths_fake: torch.Tensor | None = None,
                      device: str | torch.device = "cpu") -> float:
    """Mean over channels of Σ_b |p_real(b) − p_fake(b)|, the L1 distance between value histograms (each summing
    to 1) on the range both sets span together, per channel. 0 for identical values, 2 for disjoint ranges."""
    if not isinstance(bins, (int, np.integer)) or isinstance(bins, bool) or bins < 1:
        raise ConfigError(f"bins: must be a positive integer, got {bins!r}")
    r = as_sequences(real, lengths_real, name="real", lengths_name="lengths_real", device=device)
    f = as_sequences(fake, lengths_fake, name="fake", lengths_name="lengths_fake", device=device)
    channels = check_channels(r, f)
    values_r, values_f = r.values[r.mask].double(), f.values[f.mask].double()     # (M, C), valid steps only
    distances = []
    for c in range(channels):
        low = float(min(values_r[:, c].min(), values_f[:, c].min()))
        high = float(max(values_r[:, c].max(), values_f[:, c].max()))
        if high <= low:                                                       # one constant shared by both
            distances.append(0.0)
            continue
        hist_r = torch.histc(values_r[:, c], bins=int(bins), min=low, max=high)
        hist_f = torch.histc(values_f[:, c], bins=int(bins), min=low, max=high)
        distances.append(float((hist_r / hist_r.sum() - hist_f / hist_f.sum()).abs().sum()))
    return float(np.mean(distances))


# --- memorisation ------------------------------------------------------------------------------------------------

def _flat_windows(seqs: list[Sequences]) -> list[torch.Tensor]:
    """Windows as (N, T·C) float64 rows, padded in time to the longest set with zeros (as padding steps are)."""
    steps = max(s.values.shape[1] for s in seqs)
    return [pad_steps(s.values, steps).flatten(1).double() for s in seqs]


def nearest_real_distances(fake: torch.Tensor | np.ndarray,
                           train: torch.Tensor | np.ndarray,
                           *,
                           lengths_fake: torch.Tensor | None = None,
                           lengths_train: torch.Tensor | None = None,
                           chunk: int = 1024,          # fake windows per distance block; memory O(chunk × N_train)
                           device: str | torch.device = "cpu") -> torch.Tensor:
    """Euclidean distance from each fake window to its nearest training window, over all steps and channels: (M,).

    Padding counts as 0, so a short window is compared with the start of a long one plus the long one's tail.
    """
    f = as_sequences(fake, lengths_fake, name="fake", lengths_name="lengths_fake", device=device)
    t = as_sequences(train, lengths_train, name="train", lengths_name="lengths_train", device=device)
    check_channels(t, f, "train", "fake")
    if not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise ConfigError(f"chunk: must be a positive integer, got {chunk!r}")
    flat_f, flat_t = _flat_windows([f, t])
    return nearest_neighbour_distances(flat_f, flat_t, int(chunk))[0]


def memorisation_report(fake: torch.Tensor | np.ndarray,
                        train: torch.Tensor | np.ndarray,
                        heldout: torch.Tensor | np.ndarray,
                        *,
                        lengths_fake: torch.Tensor | None = None,
                        lengths_train: torch.Tensor | None = None,
                        lengths_heldout: torch.Tensor | None = None,
                        percentile: float = 1.0,   # held-out NN-distance percentile below which = near-copy
                        chunk: int = 1024,
                        device: str | torch.device = "cpu") -> dict:
    """duelo.evaluation.memorisation.memorisation_report on whole windows (flattened, padding 0).

    Key entries: `nn_generated_median` (median fake→train distance), `nn_heldout_median` (held-out→train, the
    yardstick), `nn_ratio` (their ratio; well below 1 = copying) and `near_copy_fraction` (share of fakes at
    most as far from a training window as the `percentile`-th percentile of held-out windows; about
    percentile / 100 when nothing is copied, near 1 when everything is).
    """
    f = as_sequences(fake, lengths_fake, name="fake", lengths_name="lengths_fake", device=device)
    t = as_sequences(train, lengths_train, name="train", lengths_name="lengths_train", device=device)
    h = as_sequences(heldout, lengths_heldout, name="heldout", lengths_name="lengths_heldout", device=device)
    check_channels(t, f, "train", "fake")
    check_channels(t, h, "train", "heldout")
    flat_f, flat_t, flat_h = _flat_windows([f, t, h])
    return memorisation.memorisation_report(flat_f, flat_t, flat_h, percentile=percentile, chunk=chunk)
