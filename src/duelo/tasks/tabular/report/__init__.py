"""The tabular synthetic-data report: how close a synthetic table is to the real one, and how private.

    from duelo.tasks.tabular.report import quality_report, write_report
    report = quality_report(real, synthetic, holdout=holdout, target="income")   # JSON-ready dict
    json_path, html_path = write_report(report, "out/", real=real, synthetic=synthetic)

Sections (one module each): column shapes (`shapes`), column pair trends (`trends`), machine-learning
efficacy (`efficacy`), privacy (`privacy`); `frames` checks and encodes the inputs, `quality` assembles
the dict, `plots` draws the figures and `html` / `writer` write report.html and report.json.
"""

from duelo.tasks.tabular.report.quality import quality_report
from duelo.tasks.tabular.report.writer import write_report

__all__ = ["quality_report", "write_report"]
