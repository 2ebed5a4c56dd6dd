"""Renderers of docs/benchmarks.md's cleaning tables (issue 21), from benchmarks/clean.py results."""

from __future__ import annotations

FAULTS = (("duplicate", "duplicates (exact copies)"), ("outlier", "intruders from another dataset"),
          ("mislabelled", "flipped labels"))


def clean_images(result: dict) -> str:
    """Precision and recall per planted fault kind, one column pair per scenario; goal: 0.9 / 0.8."""
    rows = result["rows"]
    header = "| planted fault | " + " | ".join(f"{row['scenario']}: precision | recall" for row in rows) + " |"
    lines = [header, "| --- " * (1 + 2 * len(rows)) + "|"]
    for key, label in FAULTS:
        cells = []
        for row in rows:
            r = row[key]
            mark = "" if r["goal_met"] else " (missed)"
            cells += [f"{r['precision']:.3f} ({r['correct']}/{r['found']})",
                      f"{r['recall']:.3f} of {r['planted']}{mark}"]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("| seconds (CPU) | " + " | ".join(f"{row['seconds']:g} | " for row in rows) + " |")
    return "\n".join(lines)


def clean_tables(result: dict) -> str:
    """Precision and recall of the corrupted rows, and the recall of each corruption."""
    lines = ["| table | rows | corrupted rows | found | precision | recall | times 100 | sign flipped | typo | "
             "findings before corruption |", "| --- " * 10 + "|"]
    for row in result["rows"]:
        c = row["corrupted"]
        by = c["recall_by_corruption"]
        lines.append(f"| {row['scenario']} | {row['rows']:,} | {c['planted']} | {c['found']} | {c['precision']:.3f} | "
                     f"{c['recall']:.3f} | {by['times100']:.3f} | {by['sign']:.3f} | {by['typo']:.3f} | "
                     f"{row['natural_findings_before_corruption']} (repeated rows) |")
    return "\n".join(lines)


RENDERERS = {"clean-images": clean_images, "clean-tables": clean_tables}
