"""`duelo doctor`'s reasoning: read a run folder (config.json, metrics.jsonl, health.jsonl, eval.jsonl,
summary.json) and say, per failure mode, whether training went wrong, when, and what to do about it.

health.jsonl holds two kinds of record, written by the training-health monitor:
    {"kind": "signals", "nimg", "kimg", "signals": {name: float | null}}     one per health check
    {"kind": "event", "nimg", "kimg", "event", "severity", "message", "remedy", "applied", "evidence"}
Every file is read line by line; a line cut by a crash (or any line that is not a JSON object) is skipped.
"""

from __future__ import annotations

import math
import string
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from duelo.errors import ConfigError
from duelo.io.json_files import json_lines

LATE_FRACTION = 2 / 3        # events at or past this fraction of the kimg reached are "late" (the last third)
REPEATS_DETECTED = 2         # this many events of one mode make it "detected" wherever they happen
TREND_MIN_CHANGE = 0.25      # first-third vs last-third mean change (logits or loss) below this is "flat"
GAP_WARN = 4.0               # final D_real - D_fake above this: D tells real from fake too easily
PROBLEM_VERDICTS = ("problems found", "failed")   # the verdicts `duelo doctor` exits with status 1 on


@dataclass(frozen=True)
class FailureMode:
    """One failure mode the monitor reports: which events count, which recoveries it may carry, and the
    evidence worth a place on its one-line report (format strings over the event's evidence fields)."""

    name: str
    label: str
    evidence: tuple[str, ...] = ()
    recoveries: tuple[str, ...] = ()


FAILURE_MODES: dict[str, FailureMode] = {mode.name: mode for mode in (
    FailureMode("divergence", "divergence",
                ("attempt {attempt:.0f}", "loss_D {loss_D:.3g}", "|grad D| {grad_norm_D:.3g}"),
                recoveries=("rollback",)),
    FailureMode("mode_collapse", "mode collapse",
                ("diversity {diversity_ratio:.2f} of real",
                 "{classes_covered:.0f}/{classes_total:.0f} classes")),
    FailureMode("discriminator_overfitting", "discriminator overfitting",
                ("r_v {overfit_rv:.2f}", "r_t {rt_train:.2f}", "augment p {augment_p:.2f}")),
    FailureMode("vanishing_gradients", "vanishing gradients",
                ("|grad G| {grad_norm_G:.2g} (median before {median_before:.2g})",
                 "D accuracy {d_accuracy:.0%}")),
    FailureMode("discriminator_dominates", "G/D imbalance (D ahead)",
                ("D accuracy {d_accuracy:.0%}", "D rate {rate_ratio:.3g}x G's", "{d_steps:.0f} D step(s)")),
    FailureMode("oscillation", "G/D oscillation", ("smallest swing {smallest_swing:.0%}",)),
)}


@dataclass
class Finding:
    mode: str
    status: str = "ok"                 # "ok" | "warning" | "detected"
    first_kimg: float | None = None
    last_kimg: float | None = None
    count: int = 0
    message: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    remedy: str = ""
    applied: bool = False
    rollbacks: int = 0                 # recoveries duelo made (rollback events), for divergence
    lr_scale: float | None = None


@dataclass
class Diagnosis:
    run: Path
    kimg: float
    total_kimg: float | None
    finished: bool
    verdict: str                       # "healthy" | "problems found" | "failed" | "no health data"
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    signals: dict[str, Any] = field(default_factory=dict)
    signals_kimg: float | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    evaluation: dict[str, Any] = field(default_factory=dict)
    plot: Path | None = None

    @property
    def warnings(self) -> int:
        return sum(f.status == "warning" for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["run"] = str(self.run)
        record["plot"] = str(self.plot) if self.plot else None
        record["warnings"] = self.warnings
        return finite(record)


def finite(value: Any) -> Any:
    """`value` with NaN and Inf replaced by None, so that the JSON is strict."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return None if isinstance(value, float) and not math.isfinite(value) else value


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSON Lines file, in order; [] when it is absent. Broken lines are skipped."""
    return list(json_lines(path))


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object file of the run, or None when it is absent or damaged (the doctor reports what it has)."""
    from duelo.io.json_files import read_json as read_checked

    if not path.exists():
        return None
    try:
        return read_checked(path, "a run file", {}, error=ConfigError, remedy="")
    except ConfigError:
        return None


def kimg_of(record: dict[str, Any]) -> float:
    if is_number(record.get("kimg")):
        return float(record["kimg"])
    return record["nimg"] / 1000 if is_number(record.get("nimg")) else 0.0


def evidence_of(record: dict[str, Any]) -> dict[str, Any]:
    evidence = record.get("evidence")
    return evidence if isinstance(evidence, dict) else {}


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_run_folder(run: Path) -> None:
    if not run.is_dir() or not ((run / "config.json").is_file() or (run / "metrics.jsonl").is_file()):
        reason = "is not a run folder (no config.json or metrics.jsonl)" if run.exists() else "does not exist"
        raise ConfigError(f"{run} {reason}; pass the folder `duelo train` printed, e.g. runs/demo")


def diagnose(run: Path) -> Diagnosis:
    """Read the run folder and judge its training health (see the module docstring for the inputs)."""
    run = Path(run)
    check_run_folder(run)
    config = read_json(run / "config.json") or {}
    summary = read_json(run / "summary.json")
    metrics = read_jsonl(run / "metrics.jsonl")
    health = read_jsonl(run / "health.jsonl")
    snapshots = [r for r in health if r.get("kind") == "signals" and isinstance(r.get("signals"), dict)]
    events = sorted((r for r in health if r.get("kind") == "event" and isinstance(r.get("event"), str)),
                    key=kimg_of)
    evaluations = read_jsonl(run / "eval.jsonl")
    kimg = max([kimg_of(r) for r in (*metrics, *health, *evaluations)] or [0.0])
    total = (config.get("train") or {}).get("total_kimg")
    diagnosis = Diagnosis(run=run, kimg=kimg, total_kimg=total if is_number(total) else None,
                          finished=(run / "summary.json").is_file(), verdict="healthy",
                          metrics=summarise_metrics(metrics))
    if evaluations or (summary and "class_accuracy" in summary):
        latest = evaluations[-1] if evaluations else {"kimg": kimg}
        figures = {k: v for k, v in latest.items() if k not in ("nimg", "kimg") and is_number(v)}
        figures["kimg"] = kimg_of(latest)
        if summary and is_number(summary.get("class_accuracy")):
            figures["class_accuracy"] = summary["class_accuracy"]
        diagnosis.evaluation = figures
    if snapshots:
        diagnosis.signals = dict(snapshots[-1]["signals"])
        diagnosis.signals_kimg = kimg_of(snapshots[-1])
    divergence_seen = any(e["event"] in ("divergence", "rollback", "gave_up") for e in events)
    privacy = summary.get("privacy") if isinstance(summary, dict) else None
    private = isinstance(privacy, dict) and is_number(privacy.get("epsilon_spent"))
    if private:
        diagnosis.notes.append(f"differentially private run: epsilon {privacy['epsilon_spent']:.3g} spent of "
                               f"{privacy.get('epsilon_target')} (delta {privacy.get('delta')}); the health monitor "
                               f"is off in private runs (its probes read training records), see docs/privacy.md")
    if not snapshots and not divergence_seen:      # e.g. only the data-size note of a run with the monitor off
        diagnosis.verdict = "no health data"
        found = "no checks in" if (run / "health.jsonl").exists() else "no"
        if not private:
            diagnosis.notes.append(f"{found} health.jsonl: the run predates the training-health monitor, or the "
                                   f"monitor was off; failure modes were not checked")
        diagnosis.notes.extend(describe_note(e) for e in events)
        return diagnosis
    lr_scale = diagnosis.signals.get("lr_scale")
    diagnosis.findings = [judge(mode, events, kimg, lr_scale) for mode in FAILURE_MODES.values()]
    for event in events:                              # small_dataset, rollback, gave_up and any newer kind
        if event["event"] not in FAILURE_MODES:
            diagnosis.notes.append(describe_note(event))
    if any(e["event"] == "gave_up" for e in events):
        diagnosis.verdict = "failed"
    elif any(f.status == "detected" for f in diagnosis.findings):
        diagnosis.verdict = "problems found"
    return diagnosis


def judge(mode: FailureMode, events: list[dict[str, Any]], kimg_reached: float,
          lr_scale: Any = None) -> Finding:
    """A mode is "detected" when it was reported in the last third of training or repeatedly, a "warning"
    after one early report (or a recovery alone), "ok" when never reported."""
    own = [e for e in events if e["event"] == mode.name]
    recoveries = [e for e in events if e["event"] in mode.recoveries]
    reported = own or recoveries
    if not reported:
        return Finding(mode=mode.name)
    late = any(kimg_of(e) >= LATE_FRACTION * kimg_reached for e in own)
    latest = reported[-1]
    if recoveries and is_number(evidence_of(recoveries[-1]).get("lr_scale")):
        lr_scale = evidence_of(recoveries[-1])["lr_scale"]
    return Finding(mode=mode.name, status="detected" if late or len(own) >= REPEATS_DETECTED else "warning",
                   first_kimg=kimg_of(reported[0]), last_kimg=kimg_of(reported[-1]), count=len(own),
                   message=str(latest.get("message") or ""), evidence=evidence_of(latest),
                   remedy=str(latest.get("remedy") or ""), applied=bool(latest.get("applied", False)),
                   rollbacks=len(recoveries),
                   lr_scale=float(lr_scale) if recoveries and is_number(lr_scale) else None)


def describe_evidence(mode: FailureMode, evidence: dict[str, Any], limit: int = 3) -> str:
    """The evidence as words: the mode's own formats whose fields are all numbers, else `name=value`."""
    parts = []
    for template in mode.evidence:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name]
        if all(is_number(evidence.get(name)) for name in fields):
            parts.append(template.format(**evidence))
    if not parts:
        parts = [f"{k}={format_value(v)}" for k, v in evidence.items() if is_number(v) or isinstance(v, str)]
    return ", ".join(parts[:limit])


def describe_note(event: dict[str, Any]) -> str:
    text = f"{event['event'].replace('_', ' ')} at {kimg_of(event):.1f} kimg: {event.get('message', '')}"
    text = text.strip().rstrip(":")
    if event.get("remedy"):
        text += f" ({'applied' if event.get('applied') else 'suggested'}: {event['remedy']})"
    return text


def format_value(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.4g}"
    return "-" if value is None else str(value)


def summarise_metrics(metrics: list[dict[str, Any]]) -> dict[str, Any]:
    """Final losses and D logits from metrics.jsonl, with their trend (first third vs last third)."""
    if not metrics:
        return {}
    summary: dict[str, Any] = {"records": len(metrics), "kimg": kimg_of(metrics[-1]),
                               "final": {}, "trends": {}}
    for key in ("loss_D", "loss_G", "D_real", "D_fake"):
        values = [r[key] for r in metrics if is_number(r.get(key))]
        if not values:
            continue
        summary["final"][key] = values[-1]
        third = max(1, len(values) // 3)
        change = sum(values[-third:]) / third - sum(values[:third]) / third
        summary["trends"][key] = ("flat" if len(values) < 3 or abs(change) < TREND_MIN_CHANGE
                                  else "rising" if change > 0 else "falling")
    broken = [r for r in metrics if any(isinstance(v, float) and not math.isfinite(v) for v in r.values())]
    if broken:
        summary["non_finite_kimg"] = kimg_of(broken[0])
    return summary


def format_diagnosis(d: Diagnosis) -> str:
    """A plain-text report: header, one line per failure mode, notes, latest signals, plot path."""
    total = f" / {d.total_kimg:g}" if d.total_kimg is not None else ""
    verdict = d.verdict + (f" ({d.warnings} warning{'s' * (d.warnings != 1)})" if d.warnings else "")
    state = "finished" if d.finished else "not finished (no summary.json)"
    lines = [f"run       {d.run}",
             f"progress  {d.kimg:.1f}{total} kimg, {state}",
             f"verdict   {verdict}"]
    if d.findings:
        lines += ["", "failure modes"]
    for finding in d.findings:
        lines += format_finding(finding)
    lines += format_metrics(d.metrics)
    if d.evaluation:
        figures = ", ".join(f"{k} {format_value(v)}" for k, v in d.evaluation.items() if k != "kimg")
        lines += ["", f"evaluation at {d.evaluation['kimg']:.1f} kimg: {figures}"]
    if d.notes:
        lines += ["", "notes"] + [f"  - {note}" for note in d.notes]
    if d.signals:
        lines += ["", f"latest signals (at {d.signals_kimg:.1f} kimg)"]
        width = max(len(name) for name in d.signals)
        lines += [f"  {name:<{width}}  {format_value(value):>10}" for name, value in d.signals.items()]
    if d.plot:
        lines += ["", f"plot      {d.plot}"]
    return "\n".join(lines)


def format_finding(f: Finding) -> list[str]:
    mode = FAILURE_MODES[f.mode]
    marker = {"ok": "OK   ", "warning": "WARN ", "detected": "FOUND"}[f.status]
    if f.status == "ok":
        return [f"  {marker} {mode.label}: none"]
    span = f"at {f.first_kimg:.1f}" + (f"-{f.last_kimg:.1f}" if f.last_kimg != f.first_kimg else "")
    head = f"  {marker} {mode.label}: {'detected' if f.status == 'detected' else 'once'} {span} kimg"
    head += f" ({f.count} check{'s' * (f.count != 1)})" if f.count else ""
    evidence = describe_evidence(mode, f.evidence)
    lines = [head + (f": {evidence}" if evidence else "")]
    if f.rollbacks:
        scale = f", learning rate now x{f.lr_scale:g}" if f.lr_scale is not None else ""
        lines.append(f"        duelo rolled back to an earlier checkpoint {f.rollbacks} time(s){scale}")
    if f.message:
        lines.append(f"        {f.message}")
    if f.remedy:
        lines.append(f"        remedy: {f.remedy} ({'applied by duelo' if f.applied else 'suggested'})")
    return lines


def format_metrics(m: dict[str, Any]) -> list[str]:
    if not m.get("final"):
        return []
    parts = [f"{k} {v:.3g}" + (f" ({m['trends'][k]})" if m["trends"].get(k) != "flat" else "")
             for k, v in m["final"].items()]
    lines = ["", f"metrics at {m['kimg']:.1f} kimg ({m['records']} records): {', '.join(parts)}"]
    final = m["final"]
    gap = final["D_real"] - final["D_fake"] if "D_real" in final and "D_fake" in final else 0.0   # private runs
    if gap > GAP_WARN:                                                                         # log no D_real
        lines.append(f"  D tells real from fake easily (D_real - D_fake = {gap:.2g}): G may be falling "
                     f"behind, or D is overfitting (try augmentation or more data)")
    if "non_finite_kimg" in m:
        lines.append(f"  non-finite values logged from {m['non_finite_kimg']:.1f} kimg: training diverged")
    return lines
