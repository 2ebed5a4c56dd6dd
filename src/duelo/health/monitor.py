"""The health monitor: a trainer hook that probes the run at each check, runs the detectors, appends
signals and events to RUN/health.jsonl and tells the user in plain words.

health.jsonl holds two kinds of line:
  {"kind": "signals", "nimg", "kimg", "signals": {...}}                      every check
  {"kind": "event", "nimg", "kimg", "event", "severity", "message", "remedy", "applied", "evidence"}
On resume, lines after the checkpoint are dropped (they come back identically), except the events that
tell the run's history (divergence, rollback, small data), which are kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import torch

from duelo.health.detectors import Event, detect
from duelo.io.json_files import json_lines, log_position, parse_json_line
from duelo.health.signals import ProbeData, pooled_pixels, probe, to_uint8

PERSISTENT_EVENTS = {"divergence", "rollback", "gave_up", "small_dataset", "capacity"}


def records_after(path: Path, nimg: int, chunk: int = 1 << 18) -> list[dict[str, Any]]:
    """The JSON lines of `path` logged after `nimg`, read from the end of the file: a check costs the lines
    since the previous check, not the whole history of a long run."""
    if not path.exists():
        return []
    size = path.stat().st_size
    with open(path, "rb") as handle:
        while True:
            start = max(0, size - chunk)
            handle.seek(start)
            lines = handle.read().splitlines()[1 if start > 0 else 0:]     # the first may be cut: skip it
            records = [record for record in map(parse_json_line, lines) if record is not None]
            if start == 0 or (records and log_position(records[0]) <= nimg):
                return [r for r in records if nimg < log_position(r) < float("inf")]
            chunk *= 4


class HealthLog:
    """RUN/health.jsonl: append, read back, and cut to a checkpoint on resume."""

    def __init__(self, run_dir):
        self.run_dir = run_dir
        self.path = Path(run_dir.path) / "health.jsonl"

    def append(self, record: dict[str, Any]) -> None:
        self.run_dir.append_jsonl(self.path, record)

    def event(self, event: Event, nimg: int) -> None:
        self.append(event.record(nimg))

    def records(self) -> list[dict[str, Any]]:
        return list(json_lines(self.path))

    def truncate(self, nimg: int) -> None:
        self.run_dir.truncate_jsonl(self.path, nimg, keep=lambda record: record.get("event") in PERSISTENT_EVENTS)

    def has_event(self, name: str) -> bool:
        return any(r.get("event") == name for r in self.records())


class HealthMonitor:
    """Hook: one health check per call, every health.every_kimg (default: at each snapshot). `advise` is the
    task's (duelo.tasks.base.Task.advise): what to do about a failure mode in this task's terms."""

    def __init__(self, config, health_log: HealthLog, make_data: Callable[[], Any],
                 log: Callable[[str], None], advise=None, probe_fn=probe):
        self.config = config
        self.advise = advise
        self.probe = probe_fn                # (trainer, data, samples, seed) -> signals; data from make_data
        self.period_nimg = int(round((config.health.every_kimg or config.run.snapshot_kimg) * 1000))
        self.health_log = health_log
        self.make_data = make_data           # built on first use (it may train the domain judge)
        self.data: ProbeData | None = None
        self.log = log
        self.history: list[dict[str, Any]] = []
        self._last_check_nimg = 0
        self.active: set[str] = set()        # failure modes seen at the last check (told once, then on change)
        warmup = config.health.warmup_kimg
        self.warmup_nimg = int(1000 * (0.1 * config.train.total_kimg if warmup is None else warmup))

    def restart(self, nimg: int) -> None:
        """Reload the signal history the detectors compare with (the loop has cut health.jsonl to `nimg`)."""
        checks = [r for r in self.health_log.records() if r.get("kind") == "signals"]
        self.history = [r["signals"] for r in checks]
        self._last_check_nimg = checks[-1]["nimg"] if checks else 0

    def _loss_means(self, nimg: int) -> dict[str, float]:
        """Mean logged losses since the previous check (metrics.jsonl): the trend the plot and doctor show."""
        since = self._last_check_nimg
        self._last_check_nimg = nimg
        lines = [r for r in records_after(self.health_log.run_dir.metrics_path, since) if r.get("nimg", 0) <= nimg]
        means = {}
        for name in ("loss_D", "loss_G"):
            values = [r[name] for r in lines if isinstance(r.get(name), (int, float))]
            if values:
                means[name] = sum(values) / len(values)
        return means

    def __call__(self, trainer) -> None:
        devices = [trainer.runtime.device] if trainer.runtime.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):          # the probe never touches training randomness
            if self.data is None:
                self.data = self.make_data()
            signals = self.probe(trainer, self.data, self.config.health.samples, seed=trainer.counters.nimg)
        nimg = trainer.counters.nimg
        signals.update(self._loss_means(nimg))
        signals = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in signals.items()}
        self.health_log.append({"kind": "signals", "nimg": nimg, "kimg": round(nimg / 1000, 3),
                                "signals": signals})
        events = detect(signals, self.history, self.config, self.advise) if nimg >= self.warmup_nimg else []
        for event in events:
            self.health_log.event(event, nimg)
            if event.event not in self.active:
                self.log(f"health at {nimg / 1000:.1f} kimg: {event.message}. "
                         f"{'Remedy applied' if event.applied else 'Try'}: {event.remedy}")
        now = {event.event for event in events}
        for cleared in sorted(self.active - now):
            self.log(f"health at {nimg / 1000:.1f} kimg: {cleared.replace('_', ' ')} no longer detected")
        self.active = now
        self.history.append(signals)


def probe_data(dataset, split, device_log: Callable[[str], None]) -> Callable[[], ProbeData]:
    """How the monitor gets its real images and feature space: the domain judge's features and classes
    for labelled data (trained once per data set and cached, shared with `duelo eval`), pooled pixels
    otherwise."""
    def make() -> ProbeData:
        features, classify, classes = pooled_pixels, None, 0
        if dataset.labels is not None and dataset.num_classes >= 2:
            from duelo.evaluation.domain_classifier import load_or_train_classifier
            from duelo.evaluation.features import DomainFeatures

            judge = load_or_train_classifier(dataset.images, dataset.labels, dataset.num_classes,
                                             dataset.fingerprint(), log=device_log)
            domain = DomainFeatures(judge, dataset.fingerprint())
            features = lambda images: domain(to_uint8(images))            # noqa: E731
            classify = lambda images: judge.predict(to_uint8(images))     # noqa: E731
            classes = dataset.num_classes
        return ProbeData(train_images=split.train_images, heldout_images=split.heldout_images,
                         features=features, classify=classify, num_classes=classes,
                         train_labels=split.train_labels, heldout_labels=split.heldout_labels)
    return make
