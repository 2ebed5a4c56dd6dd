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


def detect(signals: dict[str, Any], history: list[dict[str, Any]], config: Config,
           advise: Advise | None = None) -> list[Event]:
    """Every registered detector's verdict on one check, each with the task's remedy."""
    events = []
    for name in DETECTORS.names():
        event = DETECTORS.get(name)(signals, history, config)
        if event is not None:
            advice = advise(event.event, config, signals) if advise else Advice(GENERIC_ADVICE)
            events.append(replace(event, remedy=advice.text, applied=advice.applied))
    return events
