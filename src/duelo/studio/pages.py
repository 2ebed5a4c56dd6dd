"""The studio's HTML: small templates (duelo/studio/templates, string.Template) filled on the server. Every value
that comes from a run's files is escaped here; only markup built by the studio itself (charts, tables) is not.

The run page's live parts (status, losses, samples, health, verdict) are built by `live_parts`, which the page
and its JSON endpoint share, so a refresh shows exactly what a reload would.
"""

from __future__ import annotations

import html
from functools import lru_cache
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import quote

from duelo.studio.runs import RunInfo


@lru_cache(maxsize=None)
def template(name: str) -> Template:
    return Template(resources.files("duelo.studio").joinpath("templates", name).read_text(encoding="utf-8"))


def fill(name: str, **fields: str) -> str:
    return template(name).substitute(fields)


def page(title: str, content: str) -> str:
    return fill("base.html", title=html.escape(title), content=content)


def message_page(message: str) -> str:
    return page("error", fill("message.html", message=html.escape(message)))


def _figure(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:.4g}" if isinstance(value, float) else str(value)


def run_link(run_id: str) -> str:
    return "/run?id=" + quote(run_id, safe="")


def file_link(run_id: str, relative: str) -> str:
    return f"/file?id={quote(run_id, safe='')}&path={quote(relative, safe='')}"


def kimg_text(info: RunInfo) -> str:
    return f"{info.kimg:g}" + ("" if info.total_kimg is None else f" / {info.total_kimg:g}")


def runs_page(infos: list[RunInfo], roots: list[Path]) -> str:
    rows = []
    for info in infos:
        scores = ", ".join(f"{html.escape(name)} {_figure(value)}" for name, value in info.scores)
        rows.append(f'<tr class="status-{info.status}"><td><a href="{run_link(info.id)}">{html.escape(info.id)}</a>'
                    f"</td><td>{html.escape(info.task)}</td><td>{html.escape(info.dataset)}</td>"
                    f'<td class="num">{kimg_text(info)}</td><td>{info.status}</td><td>{scores}</td>'
                    f"<td>{html.escape(info.last_event)}</td></tr>")
    folders = ", ".join(f"{index}: {html.escape(str(root))}" for index, root in enumerate(roots))
    body = "".join(rows) or '<tr><td colspan="7">no runs found yet: train one with `duelo train`</td></tr>'
    return page("runs", fill("runs.html", rows=body, folders=folders))


def samples_html(run_id: str, files: list[str], texts: dict[str, str]) -> str:
    """The newest sample files: pictures as images, sounds as players, text and tables shown inline."""
    parts = []
    for relative in files:
        link, name = html.escape(file_link(run_id, relative)), html.escape(relative)
        suffix = Path(relative).suffix.lower()
        if suffix in (".png", ".gif", ".jpg", ".jpeg"):
            media = f'<img src="{link}" alt="{name}">'
        elif suffix in (".wav", ".mp3", ".ogg"):
            media = f'<audio controls preload="none" src="{link}"></audio>'
        elif suffix == ".mp4":
            media = f'<video controls preload="none" src="{link}"></video>'
        elif relative in texts:
            media = f"<pre>{html.escape(texts[relative])}</pre>"
        else:
            media = ""
        parts.append(f'<figure>{media}<figcaption><a href="{link}">{name}</a></figcaption></figure>')
    return "".join(parts) or '<p class="note">no samples yet: the first snapshot writes them</p>'


def events_html(events: list[dict[str, Any]], limit: int = 20) -> str:
    if not events:
        return '<p class="note">no health events</p>'
    rows = []
    for event in events[-limit:][::-1]:
        kimg = event.get("kimg")
        rows.append(f'<tr class="severity-{html.escape(str(event.get("severity", "")))}">'
                    f'<td class="num">{_figure(kimg) if kimg is not None else ""}</td>'
                    f'<td>{html.escape(str(event.get("severity", "")))}</td>'
                    f'<td>{html.escape(str(event.get("event", "")))}</td>'
                    f'<td>{html.escape(str(event.get("message", "")))}</td>'
                    f'<td>{html.escape(str(event.get("remedy", "")))}</td></tr>')
    return ('<table><thead><tr><th>kimg</th><th>severity</th><th>event</th><th>message</th><th>remedy</th></tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table>')


def verdict_html(diagnosis: Any) -> str:
    """`duelo doctor`'s verdict and its findings that are not ok."""
    from duelo.health.doctor import FAILURE_MODES

    items = []
    for finding in diagnosis.findings:
        if finding.status == "ok":
            continue
        label = FAILURE_MODES[finding.mode].label if finding.mode in FAILURE_MODES else finding.mode
        remedy = f" — {html.escape(finding.remedy)}" if finding.remedy else ""
        items.append(f"<li><b>{html.escape(label)}</b> ({html.escape(finding.status)}): "
                     f"{html.escape(finding.message)}{remedy}</li>")
    items += [f"<li>{html.escape(note)}</li>" for note in diagnosis.notes]
    return (f'<p class="verdict verdict-{html.escape(diagnosis.verdict.replace(" ", "-"))}">'
            f'{html.escape(diagnosis.verdict)}</p>' + (f"<ul>{''.join(items)}</ul>" if items else ""))


def run_page(info: RunInfo, live: dict[str, str], panel: str) -> str:
    scores = "".join(f"<tr><th>{html.escape(name)}</th><td class=\"num\">{_figure(value)}</td></tr>"
                     for name, value in info.scores) or '<tr><td class="note">no scores yet</td></tr>'
    return page(info.id, fill("run.html", id=html.escape(info.id), id_attr=html.escape(info.id, quote=True),
                              task=html.escape(info.task), dataset=html.escape(info.dataset), scores=scores,
                              panel=panel, **live))
