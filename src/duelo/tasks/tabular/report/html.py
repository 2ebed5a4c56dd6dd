"""report.html: one self-contained page (inline CSS, figures as inline base64 PNG, no external URLs).

Every piece of text from the report (column names, levels, notes) goes through `html.escape`.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from duelo.tasks.tabular.report import plots

WORST_COLUMNS_PLOTTED = 4
WORST_PAIRS_LISTED = 10

EXPLANATIONS = {
    "column_shapes": "How well each synthetic column's distribution matches the real column's, averaged "
                     "over columns: 1 - KS statistic for numbers (times 1 - the missing-rate gap), 1 - total "
                     "variation distance for categories; 1 = identical marginals.",
    "column_pair_trends": "How well relationships between pairs of columns are kept, averaged over pairs: "
                          "correlation gap for two numeric columns, 1 - total variation distance of the "
                          "2-D contingency table otherwise; 1 = identical relationships.",
    "ml_efficacy": "A model trained on synthetic rows, scored on real test rows, divided by the same model "
                   "trained on real rows (TSTR / TRTR); 1 = the synthetic data is as useful as the real.",
    "privacy": "Distance from synthetic rows to their closest real row compared with new real (holdout) "
               "rows, and the share of exact copies; similar to the holdout = no sign of memorisation.",
}
TITLES = {"column_shapes": "Column shapes", "column_pair_trends": "Column pair trends",
          "ml_efficacy": "ML efficacy", "privacy": "Privacy"}

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.good { background: #e3f4e1; } .fair { background: #fdf3d8; } .poor { background: #f9dcdc; }
.muted { color: #666; font-size: 0.88em; } .plots img { margin: 0.3em; border: 1px solid #eee; }
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: Any, digits: int = 3) -> str:
    if value is None:
        return "&ndash;"
    if isinstance(value, bool):
        return _e(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}f}" if isinstance(value, float) else _e(value)


def _grade(score: float | None) -> str:
    if score is None:
        return ""
    return "good" if score >= 0.9 else "fair" if score >= 0.75 else "poor"


def _table(header: list[str], rows: list[list[str]]) -> str:
    """An HTML table; cells are given already escaped / formatted."""
    head = "".join(f"<th>{_e(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(cell if cell.startswith("<td") else f"<td>{cell}</td>" for cell in row)
                   + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _score_cell(score: float | None) -> str:
    return f'<td class="num {_grade(score)}">{_num(score)}</td>'


def _img(png: str | None, alt: str) -> str:
    return f'<img src="data:image/png;base64,{png}" alt="{_e(alt)}">' if png else ""


def _summary(report: dict[str, Any]) -> str:
    scores = report["scores"]
    privacy = scores.get("privacy") or {}
    share = privacy.get("closer_to_training_share")
    privacy_text = (f"exact copies {_num(privacy.get('exact_copy_fraction'))} of synthetic rows "
                    f"(holdout baseline {_num(privacy.get('holdout_exact_copy_fraction'))}); "
                    f"DCR 5th-percentile ratio synthetic/holdout {_num(privacy.get('dcr_p5_ratio'))}; "
                    f"closer-to-training share {_num(share)} (0.5 ideal)")
    rows = []
    for key in ("column_shapes", "column_pair_trends", "ml_efficacy"):
        rows.append([f"{_e(TITLES[key])} <span class=muted>({_e(key)})</span>", _score_cell(scores.get(key)),
                     _e(EXPLANATIONS[key])])
    rows.append([f"{_e(TITLES['privacy'])} <span class=muted>(privacy)</span>", f"<td>{privacy_text}</td>",
                 _e(EXPLANATIONS["privacy"])])
    return "<h2>Scores</h2>" + _table(["score", "value", "what it measures"], rows)


def _columns(report: dict[str, Any], real: pd.DataFrame | None, synthetic: pd.DataFrame | None) -> str:
    entries = sorted(report.get("columns", []), key=lambda entry: entry["score"])
    rows = []
    for entry in entries:
        if entry["kind"] == "numeric":
            r, s = entry["real"], entry["synthetic"]
            detail = (f"mean {_num(r['mean'])} / {_num(s['mean'])}; std {_num(r['std'])} / {_num(s['std'])} "
                      f"(real / synthetic)")
        else:
            top = entry["top_levels"][:3]
            detail = "; ".join(f"{_e(level['level'])}: {_num(level['real'])} / {_num(level['synthetic'])}"
                               for level in top) + " (real / synthetic share)"
        rows.append([_e(entry["name"]), _e(entry["kind"]), _e(entry["metric"]), _score_cell(entry["score"]),
                     f'<td class="num">{_num(entry["missing_real"])}</td>',
                     f'<td class="num">{_num(entry["missing_synthetic"])}</td>', detail])
    out = ("<h2>Columns, worst first</h2>"
           + _table(["column", "kind", "metric", "score", "missing real", "missing synthetic", "summary"],
                    rows))
    if real is not None and synthetic is not None:
        images = []
        for entry in entries[:WORST_COLUMNS_PLOTTED]:
            name = _frame_column(real, entry["name"])
            if name is None or name not in set(synthetic.columns):
                continue
            png = plots.column_plot(entry, real[name], synthetic[name])
            images.append(_img(png, f"column {entry['name']}"))
        out += f'<div class="plots">{"".join(images)}</div>'
    else:
        out += "<p class=muted>Pass the real and synthetic frames to write_report for per-column plots.</p>"
    return out


def _frame_column(frame: pd.DataFrame, label: str) -> Any:
    """The frame's column whose str() is `label` (report names are text; frame names may not be)."""
    return next((name for name in frame.columns if str(name) == label), None)


def _pairs(report: dict[str, Any]) -> str:
    pairs = report.get("pairs", [])
    if not pairs:
        return "<h2>Column pair trends</h2><p>No column pairs were scored.</p>"
    worst = sorted(pairs, key=lambda pair: pair["score"])[:WORST_PAIRS_LISTED]
    rows = [[_e(" / ".join(pair["columns"])), _e(pair["metric"]), _score_cell(pair["score"]),
             f'<td class="num">{_num(pair["real"])}</td>', f'<td class="num">{_num(pair["synthetic"])}</td>']
            for pair in worst]
    heatmap = plots.pair_heatmap(report.get("meta", {}).get("columns", []), pairs)
    return ("<h2>Column pair trends</h2>" + _img(heatmap, "pair trend heat map")
            + f"<p>The {len(worst)} worst pairs (correlation values for numeric pairs):</p>"
            + _table(["pair", "metric", "score", "real correlation", "synthetic correlation"], rows))


def _efficacy(report: dict[str, Any]) -> str:
    ml = report.get("ml_efficacy") or {}
    out = (f"<h2>ML efficacy</h2><p>Target {_e(ml.get('target'))} ({_e(ml.get('target_chosen'))}), "
           f"{_e(ml.get('task'))} with {_e(ml.get('model'))}; primary metric {_e(ml.get('metric'))}. "
           f"Test rows {_num(ml.get('test_rows'))}, training rows synthetic "
           f"{_num(ml.get('train_rows_synthetic'))}, real {_num(ml.get('train_rows_real'))}.</p>")
    if ml.get("reason"):
        out += f"<p><b>Not scored:</b> {_e(ml['reason'])}</p>"
    if ml.get("tstr") and ml.get("trtr"):
        metrics = list(ml["trtr"])
        rows = [[_e(name)] + [f'<td class="num">{_num(ml[key][name])}</td>' for key in ("tstr", "trtr")]
                for name in metrics]
        out += _table(["metric", "trained on synthetic (TSTR)", "trained on real (TRTR)"], rows)
    if ml.get("note"):
        out += f"<p class=muted>{_e(ml['note'])}</p>"
    return out


def _privacy(report: dict[str, Any]) -> str:
    p = report.get("privacy") or {}
    rows = []
    for label, key in (("synthetic rows", "dcr_synthetic"), ("holdout rows", "dcr_holdout")):
        q = p.get(key)
        if q:
            rows.append([_e(label)] + [f'<td class="num">{_num(q[k], 4)}</td>'
                                       for k in ("p0", "p5", "p50", "p95", "mean")] + [_num(q["rows"])])
    out = ("<h2>Privacy</h2><p>Distance to the closest real row (" + _e(p.get("distance")) + ", on min-max "
           "scaled numbers and one-hot categories):</p>"
           + _table(["rows", "min", "5th pct", "median", "95th pct", "mean", "rows measured"], rows))
    facts = [["exact copies of real rows", _num(p.get("exact_copies"))],
             ["exact-copy fraction, synthetic", _num(p.get("exact_copy_fraction"))],
             ["exact-copy fraction, holdout (baseline)", _num(p.get("holdout_exact_copy_fraction"))],
             ["5th-percentile DCR ratio synthetic / holdout (1 ideal)", _num(p.get("dcr_p5_ratio"))],
             ["closer-to-training share (0.5 ideal, 1 = memorisation)",
              _num(p.get("closer_to_training_share"))]]
    out += _table(["measure", "value"], [[_e(a), b] for a, b in facts])
    out += _img(plots.dcr_histogram(p.get("histogram")), "distance to closest record histogram")
    if p.get("note"):
        out += f"<p class=muted>{_e(p['note'])}</p>"
    return out


def _meta(report: dict[str, Any]) -> str:
    meta = report.get("meta", {})
    rows = ", ".join(f"{_e(role)} {_num(n)}" for role, n in meta.get("rows", {}).items())
    notes = list(meta.get("subsampling", [])) + list(meta.get("notes", []))
    items = "".join(f"<li>{_e(note)}</li>" for note in notes)
    seconds = ", ".join(f"{_e(k)} {v:.2f} s" for k, v in meta.get("seconds", {}).items() if v is not None)
    version = f"duelo {_e(meta['duelo_version'])}, " if meta.get("duelo_version") else ""
    return (f"<p class=muted>Rows: {rows}. {version}random_state {_e(meta.get('random_state'))}. "
            f"Time: {seconds}.</p>" + (f"<h2>Sampling and notes</h2><ul>{items}</ul>" if items else ""))


def render_html(report: dict[str, Any], real: pd.DataFrame | None = None,
                synthetic: pd.DataFrame | None = None) -> str:
    """The whole page as text."""
    body = (_summary(report) + _columns(report, real, synthetic) + _pairs(report) + _efficacy(report)
            + _privacy(report) + _meta(report))
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<title>Synthetic data report</title>\n"
            f"<style>{CSS}</style>\n</head>\n<body>\n<h1>Synthetic data report</h1>\n{body}\n"
            "</body>\n</html>\n")
