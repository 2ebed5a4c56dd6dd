"""Detectors: each reads the signals of one health check (and the earlier ones) and names a failure mode with
its evidence in numbers. What to do about it depends on the task (its stabilisers, its augmentation): the
task's `advise` fills in the remedy duelo applied or suggests. Divergence is not here: non-finite values stop
the step itself and are handled by duelo.health.rollback.

Thresholds come from the common `health` config section (documented in docs/health.md).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Callable

from duelo.config import Config
from duelo.registry import Registry


@dataclass(frozen=True)
class Advice:
    text:    str                  # what duelo did (applied) or what to try (suggested)
    applied: bool = False


GENERIC_ADVICE = "try lower learning rates (--g-lr, --d-lr)"


def suggest(options: list[tuple[bool, str]]) -> Advice:
    """The first three usable suggestions, as one remedy."""
    chosen = [text for usable, text in options if usable][:3]
    return Advice("; or ".join(chosen) if chosen else GENERIC_ADVICE)


@dataclass
class Event:
    event:    str                 # failure mode, e.g. "mode_collapse"
    severity: str                 # info | warning | error
    message:  str                 # what is wrong, in plain words
    remedy:   str                 # what duelo did (applied) or what to try (suggested)
    applied:  bool = False
    evidence: dict[str, Any] = field(default_factory=dict)

    def record(self, nimg: int) -> dict[str, Any]:
        return {"kind": "event", "nimg": nimg, "kimg": round(nimg / 1000, 3), **asdict(self)}


Detector = Callable[[dict[str, Any], list[dict[str, Any]], Config], "Event | None"]
DETECTORS: Registry[Detector] = Registry("health detector")
Advise = Callable[[str, Config, dict[str, Any]], Advice]     # (event, config, signals) -> the task's remedy


IMPROVING = 1.1      # a signal 10 % better than at the previous check is still learning, not stuck
OSCILLATION_CHECKS = 4   # D's accuracy at this many checks in a row, swinging each time, is an oscillation


def _collapsed(signals: dict[str, Any], config: Config) -> tuple[bool, bool]:
    limits = config.health
    diversity = signals.get("diversity_ratio")
    covered, total = signals.get("classes_covered"), signals.get("classes_total")
    low_diversity = diversity is not None and diversity < limits.collapse_diversity
    few_classes = bool(total) and covered is not None and covered < limits.collapse_classes * total
    return low_diversity, few_classes


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _improving(now: Any, before: Any) -> bool:
    return now is not None and before is not None and now > IMPROVING * before


@DETECTORS.register("mode_collapse")
def mode_collapse(signals: dict[str, Any], history: list[dict[str, Any]], config: Config) -> Event | None:
    """Fakes far less varied than the data, or whole classes missing — at this check and the previous one,
    without getting better: early samples of a healthy run are also alike, but they improve check by check."""
    low_diversity, few_classes = _collapsed(signals, config)
    if not (low_diversity or few_classes) or not history or not any(_collapsed(history[-1], config)):
        return None
    previous = history[-1]
    if any(_improving(signals.get(k), previous.get(k)) for k in ("diversity_ratio", "classes_covered")):
        return None
    limits = config.health
    diversity = signals.get("diversity_ratio")
    covered, total = signals.get("classes_covered"), signals.get("classes_total")
    parts = []
    if low_diversity:
        parts.append(f"samples are {diversity:.2f}x as varied as the real images (limit {limits.collapse_diversity})")
    if few_classes:
        parts.append(f"only {covered:.0f} of {total:.0f} classes appear among the samples")
    return Event("mode_collapse", "warning", "mode collapse: " + " and ".join(parts) + ", not improving", "",
                 evidence={"diversity_ratio": diversity, "classes_covered": covered, "classes_total": total})


@DETECTORS.register("discriminator_overfitting")
def discriminator_overfitting(signals: dict[str, Any], history: list[dict[str, Any]],
                              config: Config) -> Event | None:
    """D rates unseen real images like fakes: it memorised the training set (Karras et al. 2020, §2)."""
    rv, rt = signals.get("overfit_rv"), signals.get("rt_train")
    if rv is None or rt is None or rv <= config.health.overfit_rv or rt < config.health.overfit_rt:
        return None
    p = signals.get("augment_p")
    message = (f"discriminator overfitting: D scores held-out real samples {rv:.2f} of the way from training reals "
               f"to fakes (r_v; limit {config.health.overfit_rv}), r_t on training reals {rt:.2f}")
    return Event("discriminator_overfitting", "warning", message, "",
                 evidence={"overfit_rv": rv, "rt_train": rt, "augment_p": p})


@DETECTORS.register("vanishing_gradients")
def vanishing_gradients(signals: dict[str, Any], history: list[dict[str, Any]], config: Config) -> Event | None:
    """D separates real from fake almost perfectly and G's gradient has collapsed relative to its past."""
    norm, accuracy = signals.get("grad_norm_G"), signals.get("d_accuracy")
    earlier = [h["grad_norm_G"] for h in history if _finite(h.get("grad_norm_G"))]
    if not _finite(norm) or accuracy is None or len(earlier) < 2:
        return None
    typical = statistics.median(earlier)
    if accuracy < config.health.vanishing_accuracy or norm >= config.health.vanishing_ratio * typical:
        return None
    return Event("vanishing_gradients", "warning",
                 f"vanishing generator gradients: D tells real from fake {accuracy:.1%} of the time and G's "
                 f"gradient norm fell to {norm:.3g} ({norm / typical:.1%} of its median so far)", "",
                 evidence={"grad_norm_G": norm, "median_before": typical, "d_accuracy": accuracy})


@DETECTORS.register("discriminator_dominates")
def discriminator_dominates(signals: dict[str, Any], history: list[dict[str, Any]],
                            config: Config) -> Event | None:
    """G/D imbalance, D ahead: at this check and the one before, D tells real from fake at least
    `dominance_accuracy` of the time with a logit gap (mean D on training reals minus on fakes) of at least
    `dominance_gap` — sure of itself, not just right: healthy image GANs are right ~95 % of the time too, with gaps
    of 4-10 — while G's gradient has not collapsed (that is vanishing_gradients). A sign of a D too strong, too
    fast or stepped too often for this G."""
    limit, gap_limit = config.health.dominance_accuracy, config.health.dominance_gap

    def ahead(s: dict[str, Any]) -> bool:
        accuracy, real, fake = s.get("d_accuracy"), s.get("d_real_train"), s.get("d_fake")
        return (accuracy is not None and accuracy >= limit and _finite(real) and _finite(fake)
                and real - fake >= gap_limit)

    accuracy, norm = signals.get("d_accuracy"), signals.get("grad_norm_G")
    if not ahead(signals) or not history or not ahead(history[-1]):
        return None
    earlier = [h["grad_norm_G"] for h in history if _finite(h.get("grad_norm_G"))]
    if _finite(norm) and len(earlier) >= 2 and norm < config.health.vanishing_ratio * statistics.median(earlier):
        return None                                                  # vanishing_gradients says it
    o, before = config.optim, history[-1]["d_accuracy"]
    gap = signals["d_real_train"] - signals["d_fake"]
    return Event("discriminator_dominates", "warning",
                 f"G/D imbalance: D tells real from fake {accuracy:.1%} of the time (and {before:.1%} at the "
                 f"previous check) with a logit gap of {gap:.1f} (limits {limit:.0%}, {gap_limit:g}), with D's rate "
                 f"{o.d_lr / o.g_lr:.3g}x G's and {config.train.d_steps} D step(s) per G step", "",
                 evidence={"d_accuracy": accuracy, "d_accuracy_before": history[-1]["d_accuracy"], "gap": gap,
                           "rate_ratio": o.d_lr / o.g_lr, "d_steps": config.train.d_steps})


def _swings(values: list[float]) -> list[float]:
    return [b - a for a, b in zip(values, values[1:])]


@DETECTORS.register("oscillation")
def oscillation(signals: dict[str, Any], history: list[dict[str, Any]], config: Config) -> Event | None:
    """G/D imbalance, neither settling: D's accuracy swings up and down by at least `oscillation_swing` at each of
    the last OSCILLATION_CHECKS checks (the players overshoot each other instead of converging)."""
    values = [h.get("d_accuracy") for h in history[-(OSCILLATION_CHECKS - 1):]] + [signals.get("d_accuracy")]
    if len(values) < OSCILLATION_CHECKS or any(v is None for v in values):
        return None
    swings = _swings(values)
    limit = config.health.oscillation_swing
    alternating = all(a * b < 0 for a, b in zip(swings, swings[1:]))
    if not alternating or min(abs(x) for x in swings) < limit:
        return None
    return Event("oscillation", "warning",
                 f"G/D oscillation: D's accuracy swung {' -> '.join(f'{v:.0%}' for v in values)} over the last "
                 f"{len(values)} checks (each swing at least {limit:.0%})", "",
                 evidence={"d_accuracy_history": values, "smallest_swing": min(abs(x) for x in swings)})


BALANCE_EVENTS = ("discriminator_dominates", "oscillation")
CAPACITY_RANGE = (0.25, 4.0)     # D's parameters over G's outside this: a warning at build time


def capacity_event(g_parameters: int, d_parameters: int) -> Event:
    """G/D capacity at build time: D's parameter count over G's, a warning outside CAPACITY_RANGE."""
    ratio = d_parameters / max(1, g_parameters)
    low, high = CAPACITY_RANGE
    sizes = f"G has {g_parameters / 1e6:.3g}M parameters, D {d_parameters / 1e6:.3g}M (D/G {ratio:.2g})"
    if ratio > high:
        return Event("capacity", "warning", f"{sizes}: a D this much larger than G tends to win too fast",
                     "give D fewer channels, or G more (the model's width settings)",
                     evidence={"g_parameters": g_parameters, "d_parameters": d_parameters, "ratio": ratio})
    if ratio < low:
        return Event("capacity", "warning", f"{sizes}: a D this much smaller than G may give it little to learn "
                     f"from", "give D more channels, or G fewer (the model's width settings)",
                     evidence={"g_parameters": g_parameters, "d_parameters": d_parameters, "ratio": ratio})
    return Event("capacity", "info", sizes, "", evidence={"g_parameters": g_parameters,
                                                         "d_parameters": d_parameters, "ratio": ratio})


def balance_advice(event: str, config: Config) -> Advice | None:
    """The remedies of a G/D imbalance, the same for every task (rates, D steps, R1 where the task has it);
    None for another event."""
    o, t = config.optim, config.train
    stabilise = getattr(config, "stabilise", None)
    r1_off = stabilise is not None and not (getattr(stabilise, "r1_gamma", 0) or getattr(stabilise, "r1_per_pixel", 0))
    if event == "discriminator_dominates":
        return suggest([(o.d_lr > o.g_lr, f"give D the same rate as G: --d-lr {o.g_lr:g}"),
                        (t.d_steps > 1, "step D once per G step: --set train.d_steps=1"),
                        (r1_off, "regularise D: --set stabilise.r1_gamma=1"),
                        (True, "give D fewer channels than G (the model's width settings)")])
    if event == "oscillation":
        return suggest([(o.g_lr >= 2e-4 or o.d_lr >= 2e-4,
                         f"lower both rates: --g-lr {o.g_lr / 2:g} --d-lr {o.d_lr / 2:g}"),
                        (o.beta1 > 0.0, "damp Adam's momentum: --set optim.beta1=0"),
                        (r1_off, "regularise D: --set stabilise.r1_gamma=1")])
    return None


def detect(signals: dict[str, Any], history: list[dict[str, Any]], config: Config,
           advise: Advise | None = None) -> list[Event]:
    """Every registered detector's verdict on one check, each with the task's remedy."""
    events = []
    for name in DETECTORS.names():
        event = DETECTORS.get(name)(signals, history, config)
        if event is not None:
            balance = balance_advice(event.event, config)
            advice = balance if balance is not None else \
                advise(event.event, config, signals) if advise else Advice(GENERIC_ADVICE)
            events.append(replace(event, remedy=advice.text, applied=advice.applied))
    return events
