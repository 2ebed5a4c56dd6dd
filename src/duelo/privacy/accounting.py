"""Privacy accounting of DP-SGD: the (epsilon, delta) that `steps` Poisson-subsampled Gaussian mechanisms spend,
and the noise multiplier that makes a planned run spend a target epsilon.

The accountant is Google's `dp-accounting` (the `privacy` extra), its Renyi-DP accountant: each step is a
PoissonSampledDpEvent(sample_rate, GaussianDpEvent(noise_multiplier)), composed `steps` times, converted to
(epsilon, delta) with the library's tight conversion. For the classic check (60,000 records, batch 256, noise
1.12, 60 epochs, delta 1e-5) it gives epsilon 2.52, where Opacus' documentation, with the older conversion and
three orders, states 2.95 and the PLD accountant of the same library 2.31: the RDP figure is an upper bound that
sits between them. duelo states RDP figures; a run's summary names the accountant.

Neighbouring data sets differ by adding or removing one record (the adjacency that Poisson sampling analyses).

`once`: noise multipliers of Gaussian mechanisms run once on the whole data before training (a private table's
noisy histograms: duelo.privacy.histograms), composed with the steps in the same accountant.
"""

from __future__ import annotations

import math

from duelo.errors import ConfigError

ACCOUNTANT = "dp-accounting RDP (Poisson-subsampled Gaussian)"
MAX_NOISE = 1000.0


def _library():
    try:
        import dp_accounting
        from dp_accounting import rdp
    except ImportError:
        raise ConfigError("differential privacy needs the dp-accounting library: pip install 'duelo[privacy]'") \
            from None
    return dp_accounting, rdp


def _check(sample_rate: float, steps: int, delta: float) -> None:
    if not 0 < sample_rate <= 1:
        raise ConfigError(f"the sample rate must be in (0, 1], got {sample_rate}")
    if steps < 0:
        raise ConfigError(f"steps must be >= 0, got {steps}")
    if not 0 < delta < 1:
        raise ConfigError(f"delta must be in (0, 1), got {delta}; the usual choice is below 1 / records")


def epsilon(noise_multiplier: float, sample_rate: float, steps: int, delta: float,
            once: tuple[float, ...] = ()) -> float:
    """The epsilon of `steps` steps at this noise (std / clipping norm) and sampling rate, after the Gaussian
    mechanisms `once`; inf without noise."""
    _check(sample_rate, steps, delta)
    if steps == 0 and not once:
        return 0.0
    if (steps and noise_multiplier <= 0) or any(sigma <= 0 for sigma in once):
        return math.inf
    dp, rdp = _library()
    accountant = rdp.RdpAccountant()
    for sigma in once:
        accountant.compose(dp.GaussianDpEvent(sigma))
    if steps:
        accountant.compose(dp.SelfComposedDpEvent(
            dp.PoissonSampledDpEvent(sample_rate, dp.GaussianDpEvent(noise_multiplier)), steps))
    return float(accountant.get_epsilon(delta))


def noise_for(target_epsilon: float, sample_rate: float, steps: int, delta: float, tolerance: float = 1e-3,
              once: tuple[float, ...] = ()) -> float:
    """The smallest noise multiplier (within `tolerance`, rounded up: never more epsilon than asked) whose
    `steps` steps, after the mechanisms `once`, spend at most `target_epsilon`."""
    _check(sample_rate, steps, delta)
    if not target_epsilon > 0:
        raise ConfigError(f"the target epsilon must be > 0, got {target_epsilon}")
    low, high = 0.0, 1.0
    if once and epsilon(0.0, sample_rate, 0, delta, once) >= target_epsilon:
        raise ConfigError(f"the one-off mechanisms (noise {', '.join(f'{s:.3g}' for s in once)}) spend all of "
                          f"epsilon {target_epsilon} before training: allow a larger epsilon")
    while epsilon(high, sample_rate, steps, delta, once) > target_epsilon:
        low, high = high, 2 * high
        if high > MAX_NOISE:
            raise ConfigError(f"epsilon {target_epsilon} over {steps:,} steps at sample rate {sample_rate:.3g} "
                              f"needs a noise multiplier above {MAX_NOISE:g}: train for fewer steps, with larger "
                              f"batches, or allow a larger epsilon")
    while high - low > tolerance:
        middle = (low + high) / 2
        if epsilon(middle, sample_rate, steps, delta, once) > target_epsilon:
            low = middle
        else:
            high = middle
    return high
