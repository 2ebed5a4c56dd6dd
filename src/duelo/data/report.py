"""What happened while reading a dataset: which files were skipped and why, and what was odd.

Readable files are counted, not listed, so a report of a million-image folder stays small; every file
that was skipped or needed a note gets one entry. `duelo data check` prints a report; the trainer keeps
the one of its dataset so that nothing is dropped silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["ok", "skipped", "note"]
STATUSES: tuple[str, ...] = ("ok", "skipped", "note")


@dataclass(frozen=True)
class ReportEntry:
    """One line of a report: a file (or the dataset itself) and what happened to it."""

    path: str
    status: Status        # "skipped": left out; "note": worth knowing (file still used); "ok": used as is
    reason: str

    def __post_init__(self) -> None:
        assert self.status in STATUSES, self.status

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "status": self.status, "reason": self.reason}


@dataclass
class DataReport:
    """Entries for skipped/odd files plus counts; `source` is the path or name that was read."""

    source: str = ""
    entries: list[ReportEntry] = field(default_factory=list)
    files_seen: int = 0          # image files (by suffix or archive member) that were looked at
    files_used: int = 0          # of which decoded and kept

    # ---- filling it in -------------------------------------------------------------------------------
    def add_ok(self, path: str) -> None:
        """Count a file that was read without trouble."""
        self.files_seen += 1
        self.files_used += 1

    def add_ok_count(self, count: int) -> None:
        """Count `count` images read without trouble from one container (an .npz array)."""
        self.files_seen += count
        self.files_used += count

    def add_skipped(self, path: str, reason: str) -> None:
        """Record a file that was looked at and left out."""
        self.files_seen += 1
        self.entries.append(ReportEntry(path, "skipped", reason))

    def add_note(self, path: str, reason: str) -> None:
        """Record something worth knowing about a file or the whole set; it does not change the counts."""
        self.entries.append(ReportEntry(path, "note", reason))

    # ---- reading it ----------------------------------------------------------------------------------
    @property
    def skipped(self) -> list[ReportEntry]:
        return [entry for entry in self.entries if entry.status == "skipped"]

    @property
    def notes(self) -> list[ReportEntry]:
        return [entry for entry in self.entries if entry.status == "note"]

    @property
    def has_bad_files(self) -> bool:
        return any(entry.status == "skipped" for entry in self.entries)

    def __bool__(self) -> bool:  # a report is "something to say" when it has entries
        return bool(self.entries)

    def summary(self) -> dict[str, int]:
        return {
            "files": self.files_seen,
            "used": self.files_used,
            "skipped": len(self.skipped),
            "notes": len(self.notes),
        }

    def summary_line(self) -> str:
        counts = self.summary()
        notes = counts["notes"]
        return (f"{counts['files']} image files: {counts['used']} readable, {counts['skipped']} bad, "
                f"{notes} note{'' if notes == 1 else 's'}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "summary": self.summary(),
            "entries": [entry.to_dict() for entry in self.entries],
        }

    @classmethod
    def from_dict(cls, data: Any) -> DataReport:
        """The report back from to_dict() (a cache stores it beside the pixels); ValueError when malformed."""
        if not isinstance(data, dict) or not isinstance(data.get("entries"), list) \
                or not isinstance(data.get("summary"), dict):
            raise ValueError("not a data report")
        entries = []
        for entry in data["entries"]:
            if not isinstance(entry, dict) or entry.get("status") not in STATUSES \
                    or not all(isinstance(entry.get(key), str) for key in ("path", "reason")):
                raise ValueError(f"malformed report entry {entry!r:.80}")
            entries.append(ReportEntry(entry["path"], entry["status"], entry["reason"]))
        counts = data["summary"]
        seen, used = counts.get("files"), counts.get("used")
        if not all(isinstance(value, int) and not isinstance(value, bool) and value >= 0 for value in (seen, used)):
            raise ValueError("malformed report counts")
        return cls(source=str(data.get("source", "")), entries=entries, files_seen=seen, files_used=used)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)
