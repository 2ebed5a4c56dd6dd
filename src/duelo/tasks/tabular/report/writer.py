"""`write_report`: report.json and a self-contained report.html in one folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from duelo.errors import DataError


def write_report(report: dict[str, Any], out_dir: str | Path, real: pd.DataFrame | None = None,
                 synthetic: pd.DataFrame | None = None) -> tuple[Path, Path]:
    """Write `out_dir`/report.json (indent 2) and `out_dir`/report.html; returns (json_path, html_path).

    `out_dir` is created (with parents); existing files are overwritten. Pass the `real` and `synthetic`
    frames the report was computed from to add per-column plots of the worst columns; without them the
    HTML has tables, the pair-score heat map and the distance histogram only.
    """
    from duelo.tasks.tabular.report.html import render_html

    if not isinstance(report, dict) or "scores" not in report:
        raise DataError("write_report needs the dict returned by quality_report (it has no 'scores' key)")
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DataError(f"cannot create the report folder {str(folder)!r}: {error.strerror}; pick a "
                        f"writable --out folder") from None
    json_path, html_path = folder / "report.json", folder / "report.html"
    json_path.write_text(json.dumps(report, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    html_path.write_text(render_html(report, real, synthetic), encoding="utf-8")
    return json_path, html_path
