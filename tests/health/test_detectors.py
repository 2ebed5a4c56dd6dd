"""The detectors on hand-built signals and histories: when each one fires and when it stays silent, what its
remedy says for the run's configuration, the order of detect(), the event record's schema, and the config
validation of the health thresholds."""

from __future__ import annotations

import pytest

from duelo.tasks import task_config
from duelo.errors import ConfigError
from duelo.health.detectors import (DETECTORS, Event, balance_advice, capacity_event, detect, discriminator_dominates,
                                    discriminator_overfitting, mode_collapse, oscillation, vanishing_gradients)
from duelo.tasks.image_gan.remedies import advise

CONFIG = task_config("image-gan")


def remedy(detector, signals, history, config):
    """What an image GAN's run is told to do about the event `detector` names."""
    event = detector(signals, history, config)
    return advise(event.event, config, signals).text


def applied(detector, signals, history, config) -> bool:
    return advise(detector(signals, history, config).event, config, signals).applied


def healthy(**changes) -> dict:
    """Signals of a healthy check (in the probe's schema), with some values changed."""
    values = {"d_real_train": 0.6, "d_real_heldout": 0.5, "d_fake": -0.4, "rt_train": 0.3, "rt_heldout": 0.25,
              "overfit_rv": 0.1, "d_accuracy": 0.7, "grad_norm_D": 2.0, "grad_norm_G": 0.8,
              "diversity_ratio": 0.95, "classes_covered": 10.0, "classes_total": 10.0, "lr_scale": 1.0}
    values.update(changes)
    return values


def collapsed(diversity: float = 0.2, covered: float = 3.0) -> dict:
    return healthy(diversity_ratio=diversity, classes_covered=covered)


# -- registry ---------------------------------------------------------------------------------------

def test_registry_holds_the_five_detectors():
    assert DETECTORS.names() == ["discriminator_dominates", "discriminator_overfitting", "mode_collapse",
                                 "oscillation", "vanishing_gradients"]
    assert DETECTORS.get("mode_collapse") is mode_collapse


# -- mode collapse -----------------------------------------------------------------------------------

def test_mode_collapse_fires_when_low_diversity_persists_without_improving():
    event = mode_collapse(collapsed(0.2, 3.0), [healthy(), collapsed(0.21, 3.0)], CONFIG)
    assert event is not None
    assert (event.event, event.severity, event.applied) == ("mode_collapse", "warning", False)
    assert event.evidence == {"diversity_ratio": 0.2, "classes_covered": 3.0, "classes_total": 10.0}
    assert "0.20x as varied" in event.message and "limit 0.5" in event.message
    assert "only 3 of 10 classes" in event.message and event.message.endswith("not improving")


def test_mode_collapse_on_diversity_alone_and_on_classes_alone():
    only_diversity = mode_collapse(collapsed(0.3, 10.0), [collapsed(0.3, 10.0)], CONFIG)
    assert only_diversity is not None
    assert "0.30x as varied" in only_diversity.message and "classes" not in only_diversity.message
    only_classes = mode_collapse(collapsed(0.9, 4.0), [collapsed(0.9, 4.0)], CONFIG)
    assert only_classes is not None
    assert "only 4 of 10 classes" in only_classes.message and "varied" not in only_classes.message
    # the two checks may be low for different reasons: diversity before, classes now (diversity +6 %)
    assert mode_collapse(collapsed(0.52, 4.0), [collapsed(0.49, 10.0)], CONFIG) is not None


def test_mode_collapse_needs_history():
    assert mode_collapse(collapsed(), [], CONFIG) is None


def test_mode_collapse_needs_the_previous_check_collapsed_too():
    # an earlier collapse does not count: only the check just before this one
    assert mode_collapse(collapsed(), [collapsed(), healthy()], CONFIG) is None


@pytest.mark.parametrize("previous, reason", [
    (collapsed(0.15, 3.0), "diversity up 33 %"),
    (collapsed(0.2, 2.0), "classes up 50 %"),
], ids=["diversity-improving", "classes-improving"])
def test_mode_collapse_is_silent_while_improving(previous, reason):
    assert mode_collapse(collapsed(0.2, 3.0), [previous], CONFIG) is None, reason


def test_mode_collapse_improvement_of_10_percent_or_less_is_not_improving():
    # diversity +5 %, classes unchanged: stuck
    assert mode_collapse(collapsed(0.21, 3.0), [collapsed(0.2, 3.0)], CONFIG) is not None
    # getting worse is collapse too
    assert mode_collapse(collapsed(0.1, 2.0), [collapsed(0.2, 3.0)], CONFIG) is not None


def test_mode_collapse_is_silent_when_healthy():
    assert mode_collapse(healthy(), [healthy(), healthy()], CONFIG) is None
    assert mode_collapse(healthy(), [collapsed(), collapsed()], CONFIG) is None     # recovered now
    # the boundaries: diversity at the limit and 7 of 10 classes (= 0.7 x 10) are not collapse
    assert mode_collapse(collapsed(0.5, 7.0), [collapsed(0.5, 7.0)], CONFIG) is None


def test_mode_collapse_without_a_class_judge_uses_diversity_only():
    unlabelled = {"diversity_ratio": 0.2}
    assert mode_collapse(unlabelled, [unlabelled], CONFIG) is not None
    assert mode_collapse({"diversity_ratio": 0.9}, [{"diversity_ratio": 0.9}], CONFIG) is None
    assert mode_collapse({}, [{}], CONFIG) is None


def test_mode_collapse_thresholds_come_from_config():
    lenient = CONFIG.with_overrides({"health.collapse_diversity": 0.1, "health.collapse_classes": 0.2})
    assert mode_collapse(collapsed(0.2, 3.0), [collapsed(0.2, 3.0)], lenient) is None
    strict = CONFIG.with_overrides({"health.collapse_diversity": 0.99})
    event = mode_collapse(healthy(diversity_ratio=0.95), [healthy(diversity_ratio=0.95)], strict)
    assert event is not None and "limit 0.99" in event.message


def test_mode_collapse_remedy_adapts_to_the_config():
    signals, history = collapsed(), [collapsed()]
    default = remedy(mode_collapse, signals, history, CONFIG)
    assert default.split("; or ") == [
        "let D see batch statistics: --set stabilise.mbstd_group=4",
        "use a loss with a smoother game: --preset wgan-gp, or --set stabilise.r1_gamma=1",
        "lower the learning rates (--g-lr 1e-4 --d-lr 1e-4)"]       # at most three
    with_mbstd = remedy(mode_collapse, signals, history, CONFIG.with_overrides({"stabilise.mbstd_group": 4}))
    assert "mbstd_group" not in with_mbstd and "history_pool=1000" in with_mbstd
    everything_tried = CONFIG.with_overrides({
        "stabilise.mbstd_group": 4, "loss.name": "hinge", "optim.g_lr": 1e-4, "stabilise.history_pool": 500})
    assert remedy(mode_collapse, signals, history, everything_tried) == "try lower learning rates (--g-lr, --d-lr)"
    built_in = remedy(mode_collapse, signals, history, CONFIG.with_overrides({"model.name": "stylegan2"}))
    assert "mbstd_group" not in built_in                      # its D has the layer already (registry metadata)
    optional = remedy(mode_collapse, signals, history, CONFIG.with_overrides({"model.name": "resnet"}))
    assert "mbstd_group=4" in optional


# -- discriminator overfitting -------------------------------------------------------------------------

def test_overfitting_fires_above_the_limit_with_rt_at_target():
    event = discriminator_overfitting(healthy(overfit_rv=0.7, rt_train=0.8), [], CONFIG)
    assert event is not None and event.event == "discriminator_overfitting" and not event.applied
    assert event.evidence == {"overfit_rv": 0.7, "rt_train": 0.8, "augment_p": None}
    assert "0.70 of the way" in event.message and "limit 0.5" in event.message and "r_t" in event.message
    # the boundary: r_t exactly at the target counts
    assert discriminator_overfitting(healthy(overfit_rv=0.7, rt_train=0.6), [], CONFIG) is not None


def test_overfitting_is_silent_below_target_at_limit_or_without_rv():
    assert discriminator_overfitting(healthy(overfit_rv=0.9, rt_train=0.59), [], CONFIG) is None
    assert discriminator_overfitting(healthy(overfit_rv=0.5, rt_train=0.9), [], CONFIG) is None     # not above
    assert discriminator_overfitting(healthy(overfit_rv=None, rt_train=0.9), [], CONFIG) is None
    no_heldout = healthy(rt_train=0.9)
    del no_heldout["overfit_rv"]
    assert discriminator_overfitting(no_heldout, [], CONFIG) is None
    assert discriminator_overfitting(healthy(), [], CONFIG) is None


def test_overfitting_thresholds_come_from_config():
    signals = healthy(overfit_rv=0.4, rt_train=0.45)
    assert discriminator_overfitting(signals, [], CONFIG) is None
    config = CONFIG.with_overrides({"health.overfit_rv": 0.3, "health.overfit_rt": 0.4})
    event = discriminator_overfitting(signals, [], config)
    assert event is not None and "limit 0.3" in event.message


def test_overfitting_with_ada_active_is_an_applied_remedy():
    signals = healthy(overfit_rv=0.8, rt_train=0.9, augment_p=0.35, ada_rt=0.9)
    ada = CONFIG.with_overrides({"augment.name": "ada"})
    event = discriminator_overfitting(signals, [], ada)
    assert event is not None and applied(discriminator_overfitting, signals, [], ada)
    text = remedy(discriminator_overfitting, signals, [], ada)
    assert "p = 0.35 now" in text and "augment.name=ada" not in text
    assert event.evidence["augment_p"] == 0.35
    # fixed-p ADA is not adapting: the remedy is only suggested
    fixed = CONFIG.with_overrides({"augment.name": "ada", "augment.adaptive": False, "augment.p": 0.2})
    assert not applied(discriminator_overfitting, signals, [], fixed)
    assert "p = " not in remedy(discriminator_overfitting, signals, [], fixed)
    # a p without ADA's r_t (e.g. DiffAugment's status) is not ADA
    no_ada = healthy(overfit_rv=0.8, rt_train=0.9, augment_p=0.35)
    assert not applied(discriminator_overfitting, no_ada, [], CONFIG)


def test_overfitting_without_augmentation_suggests_ada():
    signals = healthy(overfit_rv=0.8, rt_train=0.9)
    none = CONFIG.with_overrides({"augment.name": "none"})
    assert remedy(discriminator_overfitting, signals, [], none).startswith(
        "turn on adaptive augmentation: --set augment.name=ada")
    assert "r1_gamma=1" in remedy(discriminator_overfitting, signals, [], none)
    assert not applied(discriminator_overfitting, signals, [], none)
    diffaugment = CONFIG.with_overrides({"augment.name": "diffaugment"})
    assert remedy(discriminator_overfitting, signals, [], diffaugment).startswith(
        "use adaptive augmentation: --set augment.name=ada")
    with_r1 = CONFIG.with_overrides({"augment.name": "ada", "augment.adaptive": False, "stabilise.r1_gamma": 1.0})
    assert remedy(discriminator_overfitting, signals, [], with_r1) == \
        "add training images or stop at the best periodic evaluation (--eval-every)"


# -- vanishing gradients -------------------------------------------------------------------------------

def test_vanishing_gradients_fires_when_d_wins_and_g_norm_collapses():
    history = [healthy(grad_norm_G=1.0), healthy(grad_norm_G=0.8), healthy(grad_norm_G=3.0)]    # median 1.0
    event = vanishing_gradients(healthy(d_accuracy=0.995, grad_norm_G=0.05), history, CONFIG)
    assert event is not None and event.event == "vanishing_gradients" and not event.applied
    assert event.evidence == {"grad_norm_G": 0.05, "median_before": 1.0, "d_accuracy": 0.995}
    assert "99.5%" in event.message and "0.05" in event.message and "5.0% of its median" in event.message


def test_vanishing_gradients_needs_two_earlier_norms():
    signals = healthy(d_accuracy=1.0, grad_norm_G=1e-6)
    assert vanishing_gradients(signals, [], CONFIG) is None
    assert vanishing_gradients(signals, [healthy(grad_norm_G=1.0)], CONFIG) is None
    # checks without a norm do not count
    assert vanishing_gradients(signals, [healthy(grad_norm_G=1.0), {"d_accuracy": 0.5}], CONFIG) is None
    assert vanishing_gradients(signals, [healthy(grad_norm_G=1.0), healthy(grad_norm_G=1.0)], CONFIG) is not None


def test_vanishing_gradients_is_silent_unless_both_hold():
    history = [healthy(grad_norm_G=1.0), healthy(grad_norm_G=1.0)]
    assert vanishing_gradients(healthy(d_accuracy=0.98, grad_norm_G=0.01), history, CONFIG) is None
    assert vanishing_gradients(healthy(d_accuracy=1.0, grad_norm_G=0.1), history, CONFIG) is None   # = 0.1 x
    assert vanishing_gradients(healthy(d_accuracy=1.0, grad_norm_G=0.5), history, CONFIG) is None
    assert vanishing_gradients(healthy(d_accuracy=0.99, grad_norm_G=0.099), history, CONFIG) is not None
    assert vanishing_gradients({"d_accuracy": 1.0}, history, CONFIG) is None
    assert vanishing_gradients(healthy(), history, CONFIG) is None


def test_vanishing_gradients_thresholds_come_from_config():
    history = [healthy(grad_norm_G=1.0), healthy(grad_norm_G=1.0)]
    signals = healthy(d_accuracy=0.9, grad_norm_G=0.3)
    assert vanishing_gradients(signals, history, CONFIG) is None
    loose = CONFIG.with_overrides({"health.vanishing_accuracy": 0.85, "health.vanishing_ratio": 0.5})
    assert vanishing_gradients(signals, history, loose) is not None


def test_vanishing_gradients_remedy_names_the_loss():
    history = [healthy(grad_norm_G=1.0), healthy(grad_norm_G=1.0)]
    signals = healthy(d_accuracy=1.0, grad_norm_G=0.01)
    minimax = remedy(vanishing_gradients, signals, history, CONFIG.with_overrides({"loss.name": "bce-minimax"}))
    assert minimax.startswith("use the non-saturating loss: --set loss.name=bce")
    assert len(minimax.split("; or ")) == 3
    default = remedy(vanishing_gradients, signals, history, CONFIG)
    assert "loss.name" not in default and default.startswith("regularise D: --set stabilise.r1_gamma=1")
    tried = CONFIG.with_overrides({"stabilise.r1_gamma": 1.0, "stabilise.instance_noise": 0.1,
                                   "optim.d_lr": 1e-4})
    assert remedy(vanishing_gradients, signals, history, tried) == "try lower learning rates (--g-lr, --d-lr)"


# -- G/D balance ------------------------------------------------------------------------------------------

def ahead(accuracy: float = 0.99, gap: float = 20.0, **changes) -> dict:
    return healthy(d_accuracy=accuracy, d_real_train=gap / 2, d_fake=-gap / 2, **changes)


def test_dominance_fires_when_d_wins_surely_at_two_checks_in_a_row():
    unbalanced = CONFIG.with_overrides({"optim.d_lr": 1e-3, "optim.g_lr": 1e-4, "train.d_steps": 2})
    event = discriminator_dominates(ahead(), [ahead(0.97)], unbalanced)
    assert event.event == "discriminator_dominates" and "99.0%" in event.message and "10x G's" in event.message
    assert "logit gap of 20.0" in event.message and event.evidence["gap"] == pytest.approx(20.0)
    assert event.evidence["rate_ratio"] == pytest.approx(10.0) and event.evidence["d_steps"] == 2
    text = balance_advice("discriminator_dominates", unbalanced).text
    assert "--d-lr 0.0001" in text and "train.d_steps=1" in text
    assert [e.event for e in detect(ahead(), [ahead(0.97)], unbalanced)] == ["discriminator_dominates"]


@pytest.mark.parametrize("now, before", [(ahead(), ahead(0.9)), (ahead(0.9), ahead()), (ahead(), None),
                                         (ahead(gap=8.0), ahead()),            # right but not sure: healthy
                                         (ahead(), ahead(gap=8.0))])
def test_dominance_needs_both_checks_right_and_sure(now, before):
    history = [] if before is None else [before]
    assert discriminator_dominates(now, history, CONFIG) is None


def test_dominance_leaves_a_collapsed_g_gradient_to_vanishing_gradients():
    history = [ahead(grad_norm_G=1.0), ahead(grad_norm_G=1.0)]
    signals = ahead(1.0, grad_norm_G=0.001)
    assert discriminator_dominates(signals, history, CONFIG) is None
    assert vanishing_gradients(signals, history, CONFIG) is not None


def test_dominance_thresholds_come_from_config():
    looser = CONFIG.with_overrides({"health.dominance_accuracy": 0.8, "health.dominance_gap": 5.0})
    assert discriminator_dominates(ahead(0.85, 6.0), [ahead(0.85, 6.0)], looser) is not None
    assert discriminator_dominates(ahead(0.85, 6.0), [ahead(0.85, 6.0)], CONFIG) is None


def test_oscillation_fires_on_four_alternating_large_swings():
    history = [healthy(d_accuracy=v) for v in (0.2, 0.9, 0.3)]
    event = oscillation(healthy(d_accuracy=0.95), history, CONFIG)
    assert event.event == "oscillation" and "20% -> 90% -> 30% -> 95%" in event.message
    assert event.evidence["smallest_swing"] == pytest.approx(0.6)
    assert "optim.beta1=0" in balance_advice("oscillation", CONFIG).text


@pytest.mark.parametrize("values", [(0.2, 0.9, 0.95, 0.3),          # two rises in a row: not alternating
                                    (0.5, 0.7, 0.5, 0.7),           # swings below the limit
                                    (0.2, 0.9, 0.3)])               # too few checks
def test_oscillation_is_silent_otherwise(values):
    history = [healthy(d_accuracy=v) for v in values[:-1]]
    assert oscillation(healthy(d_accuracy=values[-1]), history, CONFIG) is None


def test_other_events_have_no_balance_advice():
    assert balance_advice("mode_collapse", CONFIG) is None


# -- detect() and the event record ---------------------------------------------------------------------

def test_detect_returns_every_firing_detector_sorted_by_name():
    signals = healthy(diversity_ratio=0.2, classes_covered=2.0, overfit_rv=0.9, rt_train=0.95,
                      d_accuracy=1.0, grad_norm_G=0.001)
    history = [healthy(grad_norm_G=1.0), healthy(grad_norm_G=1.0, diversity_ratio=0.2, classes_covered=2.0)]
    events = detect(signals, history, CONFIG)
    assert [e.event for e in events] == ["discriminator_overfitting", "mode_collapse", "vanishing_gradients"]
    assert all(isinstance(e, Event) for e in events)
    assert detect(healthy(), [healthy(), healthy()], CONFIG) == []
    only = detect(healthy(overfit_rv=0.9, rt_train=0.95), [], CONFIG)
    assert [e.event for e in only] == ["discriminator_overfitting"]


def test_event_record_schema():
    event = Event("mode_collapse", "warning", "samples alike", "try this", applied=True,
                  evidence={"diversity_ratio": 0.2})
    record = event.record(12345)
    assert list(record) == ["kind", "nimg", "kimg", "event", "severity", "message", "remedy", "applied",
                            "evidence"]
    assert record == {"kind": "event", "nimg": 12345, "kimg": 12.345, "event": "mode_collapse",
                      "severity": "warning", "message": "samples alike", "remedy": "try this", "applied": True,
                      "evidence": {"diversity_ratio": 0.2}}
    assert event.record(1234567)["kimg"] == 1234.567 and event.record(1)["kimg"] == 0.001
    assert Event("x", "info", "m", "r").record(0)["applied"] is False


# -- config validation ---------------------------------------------------------------------------------

@pytest.mark.parametrize("field, value", [
    ("health.collapse_diversity", 1.5),
    ("health.samples", 4),
    ("augment.target", 0),
    ("stabilise.label_smoothing", 1),
    ("health.overfit_rv", -0.1),
    ("health.heldout_fraction", 1.0),
    ("health.every_kimg", 0),
])
def test_invalid_thresholds_are_refused_naming_the_field(field, value):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        CONFIG.with_overrides({field: value})


def test_valid_boundary_thresholds_are_accepted():
    config = CONFIG.with_overrides({"health.collapse_diversity": 1.0, "health.samples": 16,
                                    "augment.target": 0.99, "stabilise.label_smoothing": 0.0,
                                    "health.vanishing_accuracy": 1.0})
    assert (config.health.collapse_diversity, config.health.samples, config.augment.target) == (1.0, 16, 0.99)


@pytest.mark.parametrize("g, d, level, words", [(1_000_000, 5_000_000, "warning", "win too fast"),
                                                (4_000_000, 900_000, "warning", "little to learn"),
                                                (1_000_000, 4_000_000, "info", None),
                                                (1_000_000, 250_000, "info", None)])
def test_the_capacity_event_warns_outside_a_quarter_to_four_times(g, d, level, words):
    event = capacity_event(g, d)
    assert event.event == "capacity" and event.severity == level
    assert event.evidence["ratio"] == pytest.approx(d / g) and "D/G" in event.message
    assert (words in event.message and event.remedy) if words else not event.remedy
