"""What a model card states, read from the files a run wrote — never estimated, never invented. A figure the run
did not record is None here and "not recorded" / "not measured" on the card.

    facts = gather_facts(source, model_sha256, audit=Path("audit.json"))

Sources, each named on the card beside what it gave: the run's config.json (training settings, dataset name),
summary.json (scores, time, device, versions, privacy accounting), eval.json (`duelo eval`), snapshot.json and the
checkpoint it names (data size and, where the data feed records one, its fingerprint), and an audit file written
by `duelo audit --out` (membership-inference figures).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from duelo.errors import ConfigError
from duelo.io.hashing import file_digest
from duelo.io.hub_formats import WEIGHTS_NAME, ModelSource
from duelo.io.json_files import read_json

# summary.json keys that describe the run rather than score the model
BOOKKEEPING = frozenset({"run", "task", "kimg", "iterations", "train_time_s", "img_per_s", "eval_time_s",
                         "startup_s", "final_metrics", "model", "model_sha256", "device", "step", "duelo_version",
                         "torch_version", "privacy", "stopped_by", "data_sha256", "data_sha256_of"})
# eval.json keys that say how `duelo eval` measured rather than what it measured
EVAL_SETTINGS = frozenset({"model", "dataset", "heldout", "metrics", "num_samples", "max_real", "device",
                           "extractors", "seconds"})
# a figure whose dotted name has one of these parts counts samples: it tells how a score was computed
COUNT_NAME = re.compile(r"^(num|n)_|(^|_)(samples|windows|clips|images|rows|pieces|lines|count|steps|generated|"
                        r"members|nonmembers)$|^(samples|windows|clips|images|rows|pieces|lines)_")
# figures about copying training records (the card's responsible-use section repeats them)
MEMORISATION_NAME = re.compile(r"memoris|novelty|longest_copy|near_copy|nn_ratio|closest|dcr|copies")
MAX_LIST = 16                       # longer lists of numbers are named, not printed


@dataclass
class Score:
    name:      str                  # dotted key in its file, e.g. "scores.bleu4"
    value:     Any                  # a number, or a short list of numbers
    source:    str                  # "summary.json", "eval.json"
    real:      Any = None           # the same score of real data (the `<name>_real` figure beside it), if recorded
    basis:     str = ""             # what it was computed on, as recorded beside it


@dataclass
class Facts:
    source:        ModelSource
    model_sha256:  str
    config:        dict[str, Any] | None = None         # the run's configuration (None: a bare model folder)
    summary:       dict[str, Any] | None = None
    summary_matches: bool | None = None                 # summary.json's model_sha256 is these weights'
    scores:        list[Score] = field(default_factory=list)
    notes:         list[str] = field(default_factory=list)       # text figures of the summary (protocol notes)
    evaluation:    dict[str, Any] | None = None         # eval.json's settings, when it was read
    eval_stale:    bool = False                         # eval.json is older than the weights
    checkpoint:    str | None = None                    # the checkpoint the model derives from (snapshot.json)
    feed:          dict[str, Any] | None = None         # that checkpoint's data-feed state
    audit:         dict[str, Any] | None = None
    audit_source:  str = ""
    audit_matches: bool | None = None                   # the audit attacked the checkpoint the model derives from
    dataset:       str | None = None                    # as configured (local paths shortened)
    licence:       str = ""

    @property
    def memorisation(self) -> list[Score]:
        return [s for s in self.scores if MEMORISATION_NAME.search(s.name)]


def _read(path: Path, what: str) -> Any:
    return read_json(path, what, error=ConfigError, remedy="restore the file or re-run the command that wrote it",
                     max_bytes=64 << 20)


def shorten_path(value: str) -> str:
    """A local path as its last part ("…/faces.csv"): a card is published, the user's folders are not."""
    if value.startswith(("/", "~")) or "\\" in value or os.sep in value:
        name = Path(value.replace("\\", "/")).name
        return f"…/{name}" if name else "…"
    return value


def redact(value: Any) -> Any:
    """The configuration with local paths shortened (every string that looks like a path)."""
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return shorten_path(value) if isinstance(value, str) else value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _leaves(block: dict[str, Any], prefix: str = "") -> list[tuple[str, Any, str]]:
    """(dotted name, value, kind) of every number ("number"), list of numbers ("list") and text ("text") in a
    nested JSON object; a list longer than MAX_LIST is named by its length."""
    found = []
    for key, value in block.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            found += _leaves(value, name + ".")
        elif _is_number(value):
            found.append((name, value, "number"))
        elif isinstance(value, str):
            found.append((name, value, "text"))
        elif isinstance(value, list) and value and all(_is_number(v) for v in value):
            found.append((name, value if len(value) <= MAX_LIST else f"{len(value)} values (in the file)", "list"))
    return found


def _count_owner(name: str, value: Any) -> str | None:
    """The object whose scores a sample count describes ("scores" for "scores.samples", "" for "eval_images.a"),
    or None when the figure is no count."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    parts = name.split(".")
    for depth in (1, 2):                                  # the count's own name, or its object's ("eval_images")
        if len(parts) >= depth and COUNT_NAME.search(parts[-depth]):
            return ".".join(parts[:-depth])
    return None


def scores_of(block: dict[str, Any], source: str, basis: str = "") -> tuple[list[Score], list[str]]:
    """Every figure of `block` as a Score: a `<name>_real` figure is folded into its score's row, and sample
    counts into the basis of the scores of their object and the objects below it; text figures come back as
    notes."""
    leaves = _leaves(block)
    values = {name: value for name, value, _ in leaves}
    counts: dict[str, list[str]] = {}
    for name, value, _ in leaves:
        owner = _count_owner(name, value)
        if owner is not None:
            counts.setdefault(owner, []).append(f"{name[len(owner) + 1 if owner else 0:]} {value:,}")
    scores, notes = [], []
    for name, value, kind in leaves:
        if name.endswith("_real") and name[:-5] in values:
            continue                                                    # shown beside its score
        if kind == "text":
            notes.append(f"{name}: {value}")
        elif _count_owner(name, value) is None:
            group = name.rpartition(".")[0]
            where = ", ".join(text for owner, texts in counts.items() for text in texts
                              if owner == "" or group == owner or group.startswith(owner + "."))
            scores.append(Score(name, value, source, values.get(f"{name}_real"),
                                "; ".join(part for part in (where, basis) if part)))
    return scores, notes


def _summary_scores(facts: Facts, summary: dict[str, Any]) -> None:
    block = {k: v for k, v in summary.items() if k not in BOOKKEEPING}
    scores, notes = scores_of(block, "summary.json")
    facts.scores += scores
    facts.notes += notes


def _eval_scores(facts: Facts, path: Path, weights: Path) -> None:
    record = _read(path, "the result of `duelo eval`")
    if not isinstance(record, dict):
        return
    settings = {k: record.get(k) for k in EVAL_SETTINGS if k in record}
    basis = []
    if isinstance(record.get("num_samples"), int):
        basis.append(f"{record['num_samples']:,} generated")
    if isinstance(record.get("max_real"), int):
        basis.append(f"up to {record['max_real']:,} real of {shorten_path(str(record.get('dataset')))}")
    if record.get("heldout"):
        basis.append(f"held-out {shorten_path(str(record['heldout']))}")
    if isinstance(record.get("extractors"), dict) and record["extractors"]:
        basis.append("features " + ", ".join(f"{k} ({v})" for k, v in sorted(record["extractors"].items())))
    scores, notes = scores_of({k: v for k, v in record.items() if k not in EVAL_SETTINGS}, "eval.json",
                              "; ".join(basis))
    facts.scores += scores
    facts.notes += notes
    facts.evaluation = redact(settings)
    facts.eval_stale = path.stat().st_mtime < weights.stat().st_mtime


def _checkpoint_feed(facts: Facts, run: Path) -> None:
    marker = run / "snapshot.json"
    if not marker.is_file():
        return
    snapshot = _read(marker, "the snapshot record")
    name = snapshot.get("checkpoint") if isinstance(snapshot, dict) else None
    if not isinstance(name, str) or "/" in name or name.startswith("."):
        return
    facts.checkpoint = name
    state = run / "checkpoints" / name / "state.json"
    if state.is_file():
        meta = _read(state, "a checkpoint's state")
        feed = meta.get("feed") if isinstance(meta, dict) else None
        facts.feed = feed if isinstance(feed, dict) else None


def _audit(facts: Facts, path: Path) -> None:
    record = _read(path, "the result of `duelo audit`")
    if not isinstance(record, dict) or not isinstance(record.get("attacks"), dict):
        raise ConfigError(f"{path}: not the JSON `duelo audit --out` writes (no `attacks` object); give that file")
    facts.audit = record
    facts.audit_source = path.name
    checkpoint = record.get("checkpoint")
    if isinstance(checkpoint, str) and facts.checkpoint:
        facts.audit_matches = facts.checkpoint in checkpoint


def gather_facts(source: ModelSource, model_sha256: str, audit: Path | None = None,
                 licence_of: Callable[[str], str] | None = None) -> Facts:
    """Everything the card states about `source`. `audit`: a `duelo audit --out` file (default: RUN/audit.json
    when the run folder holds one). `licence_of`: a named dataset's licence as its source states it ("" unknown)."""
    facts = Facts(source, model_sha256)
    run = source.run
    dataset = None
    if run is not None:
        config = _read(run / "config.json", "the run's configuration")
        facts.config = config if isinstance(config, dict) else None
        data = (facts.config or {}).get("data")
        dataset = data.get("dataset") if isinstance(data, dict) else None
        if (run / "summary.json").is_file():
            summary = _read(run / "summary.json", "the run's summary")
            if isinstance(summary, dict):
                facts.summary = summary
                facts.summary_matches = summary.get("model_sha256") == model_sha256
                _summary_scores(facts, summary)
        if (run / "eval.json").is_file():
            _eval_scores(facts, run / "eval.json", source.folder / WEIGHTS_NAME)
        _checkpoint_feed(facts, run)
        if audit is None and (run / "audit.json").is_file():
            audit = run / "audit.json"
    if audit is not None:
        _audit(facts, Path(audit))
    if not isinstance(dataset, str) or not dataset:
        dataset = source.header.config.get("dataset")
    if isinstance(dataset, str) and dataset:
        facts.dataset = shorten_path(dataset)
        if licence_of is not None and facts.dataset == dataset:           # a named dataset, not a local path
            facts.licence = licence_of(dataset)
    return facts


def data_size(feed: dict[str, Any] | None) -> str | None:
    """"1,707 records" from a data feed's state (per domain for two-domain feeds); None when not recorded."""
    if not isinstance(feed, dict):
        return None
    for key in ("size", "rows"):
        if isinstance(feed.get(key), int):
            return f"{feed[key]:,} records"
    parts = [f"{name}: {sub[k]:,}" for name, sub in sorted(feed.items()) if isinstance(sub, dict)
             for k in ("size", "rows") if isinstance(sub.get(k), int)]
    return f"{', '.join(parts)} records" if parts else None


def data_fingerprint(feed: dict[str, Any] | None, summary: dict[str, Any] | None = None) -> tuple[str, str] | None:
    """(sha256, of what) of the training data: the data feed's of its encoded records (tables), else summary.json's
    of the loaded data (images); None: not recorded."""
    summary = summary or {}
    loaded = summary.get("data_sha256_of")
    loaded = f"{loaded}, before any held-out split" if isinstance(loaded, str) else "the loaded data"
    for value, what in ((feed.get("sha256") if isinstance(feed, dict) else None, "the encoded records"),
                        (summary.get("data_sha256"), loaded)):
        if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value):
            return value, what
    return None


def verify_file(path: Path, digest: str) -> bool:
    return path.is_file() and file_digest(path) == digest
