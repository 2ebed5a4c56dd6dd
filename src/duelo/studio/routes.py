"""What each URL of the studio does. Pages: / (the runs), /run?id=ID (one run). JSON and files: /api/run (a run's
live parts, polled while it trains), /file (a file of a run), /api/sample, /api/walk, /api/table, /api/draw
(drawing from the run's model), POST /api/translate and /api/inpaint (an uploaded image through an
image-to-image model). The jobs' URLs are in job_routes.py.

Run ids are "<number of the folder given>/<path below it>"; every path is confined to that folder (runs.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from duelo.studio import pages
from duelo.studio.http import DEFAULT_MAX_UPLOAD_BYTES, Reply, Request, StudioError, route
from duelo.studio.models import ModelCache
from duelo.studio.runs import RunFolders, health_events, latest_samples, read_records, run_info

STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
MAX_TEXT_PREVIEW = 4000            # characters of a text or table sample shown inline
MAX_SCORES = 32                    # scores of summary.json on a run's page (the runs table shows four)


@dataclass
class Studio:
    """The application's state: where runs are, the models loaded so far, the limits."""

    folders:          RunFolders
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    verbose:          bool = False
    models:           ModelCache = field(default_factory=ModelCache)
    jobs:             Any = None                         # a JobManager (processes.py) when jobs are on
    hosts:            frozenset[str] = frozenset()       # the Host headers answered (empty: any)


def _run(studio: Studio, request: Request) -> tuple[str, Path]:
    run_id = request.require("id")
    return run_id, studio.folders.resolve(run_id)


def live_parts(studio: Studio, run_id: str) -> dict[str, str]:
    """The run page's parts that change while a run trains (HTML fragments, keyed by element id)."""
    from duelo.health.doctor import diagnose
    from duelo.studio.charts import loss_chart

    info = run_info(studio.folders, run_id)
    files = latest_samples(info.path)
    texts = {}
    for relative in files:
        if Path(relative).suffix.lower() in (".txt", ".csv"):
            with open(info.path / relative, encoding="utf-8", errors="replace") as handle:
                texts[relative] = handle.read(MAX_TEXT_PREVIEW)
    return {"status": info.status, "kimg": pages.kimg_text(info),
            "losses": loss_chart(read_records(info.path / "metrics.jsonl")),
            "samples": pages.samples_html(run_id, files, texts),
            "events": pages.events_html(health_events(info.path)),
            "verdict": pages.verdict_html(diagnose(info.path))}


@route("GET", "/")
def runs_page(studio: Studio, request: Request) -> Reply:
    infos = [run_info(studio.folders, run_id) for run_id in studio.folders.find()]
    return Reply.text(pages.runs_page(infos, studio.folders.roots))


@route("GET", "/run")
def run_page(studio: Studio, request: Request) -> Reply:
    from duelo.studio.panels import panel_for

    run_id, run = _run(studio, request)
    info = run_info(studio.folders, run_id, score_limit=MAX_SCORES)
    panel = panel_for(run / "model")
    body = pages.fill(panel.template, id_attr=pages.html.escape(run_id, quote=True),
                      **panel.context(studio, run / "model")) if panel else ""
    from duelo.studio.job_routes import run_jobs_html

    return Reply.text(pages.run_page(info, live_parts(studio, run_id), body + run_jobs_html(studio, run_id)))


@route("GET", "/api/run")
def run_state(studio: Studio, request: Request) -> Reply:
    run_id, _ = _run(studio, request)
    return Reply.json(live_parts(studio, run_id))


@route("GET", "/file")
def run_file(studio: Studio, request: Request) -> Reply:
    path, content_type = studio.folders.file(request.require("id"), request.require("path"))
    return Reply(path.read_bytes(), content_type)


@route("GET", "/static")
def static_file(studio: Studio, request: Request) -> Reply:
    name = request.require("name")
    suffix = Path(name).suffix
    if suffix not in STATIC_TYPES or "/" in name or name.startswith("."):
        raise StudioError(f"no static file {name!r}", 404)
    resource = resources.files("duelo.studio").joinpath("static", name)
    if not resource.is_file():
        raise StudioError(f"no static file {name!r}", 404)
    return Reply(resource.read_bytes(), STATIC_TYPES[suffix], headers={"Cache-Control": "max-age=60"})


def _generator(studio: Studio, request: Request) -> tuple[Any, Path]:
    from duelo.studio.models import load_image_generator

    _, run = _run(studio, request)
    return studio.models.get(run / "model", "generator", load_image_generator), run / "model"


@route("GET", "/api/sample")
def sample_image(studio: Studio, request: Request) -> Reply:
    from duelo.studio.models import seed_png

    G, model_dir = _generator(studio, request)
    png = seed_png(G, model_dir, request.integer("seed", 0), request.integer("label"),
                   request.number("psi", None, 0.0, 2.0))
    return Reply(png, "image/png")


@route("GET", "/api/walk")
def walk_image(studio: Studio, request: Request) -> Reply:
    from duelo.studio.models import walk_png

    G, model_dir = _generator(studio, request)
    png = walk_png(G, model_dir, request.integer("seed_a", 0), request.integer("seed_b", 1),
                   request.integer("frames", 8, 2, 32), request.integer("label"),
                   request.number("psi", None, 0.0, 2.0))
    return Reply(png, "image/png")


@route("GET", "/api/table")
def sample_table(studio: Studio, request: Request) -> Reply:
    from duelo.studio.models import load_tabular, tabular_csv

    _, run = _run(studio, request)
    model = studio.models.get(run / "model", "tabular", load_tabular)
    conditions: dict[str, str] = {}
    for item in (v for v in request.query.get("condition", []) if v.strip()):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise StudioError(f"condition {item!r}: write COLUMN=VALUE")
        conditions[name.strip()] = value.strip()
    csv = tabular_csv(model, request.integer("rows", 100, 1, 10_000), request.integer("seed", 0), conditions)
    return Reply(csv, "text/csv; charset=utf-8",
                 headers={"Content-Disposition": 'inline; filename="samples.csv"'})


def _translator(studio: Studio, request: Request) -> tuple[Any, dict[str, Any], Path]:
    from duelo.studio.models import load_translator

    _, run = _run(studio, request)
    G, task = studio.models.get(run / "model", "translator", load_translator)
    return G, task, run / "model"


@route("POST", "/api/translate")
def translate_upload(studio: Studio, request: Request) -> Reply:
    from duelo.studio.models import translate_png

    G, task, model_dir = _translator(studio, request)
    return Reply(translate_png(G, task, model_dir, request.body), "image/png")


@route("POST", "/api/inpaint")
def inpaint_upload(studio: Studio, request: Request) -> Reply:
    from duelo.studio.models import inpaint_png

    G, task, model_dir = _translator(studio, request)
    return Reply(inpaint_png(G, task, model_dir, request.body), "image/png")


@route("GET", "/api/draw")
def draw_sequence(studio: Studio, request: Request) -> Reply:
    """Lines, windows or a clip of a sequence task's model for a seed (sequences.py); `as` picks the file."""
    from duelo.studio.sequences import SEQUENCES, draw, load_pretrained

    _, run = _run(studio, request)
    loaded = studio.models.get(run / "model", "pretrained", load_pretrained)
    if loaded.format not in SEQUENCES:
        raise StudioError(f"this run's model ({loaded.handler.what}) draws no sequences here")
    sequence = SEQUENCES.get(loaded.format)
    kind = request.get("as") or next(iter(sequence.outputs))
    body = draw(sequence, loaded, request.integer("n", sequence.default_count, 1, sequence.max_count),
                request.integer("seed", 0), request.integer("label"), kind)
    output = sequence.outputs[kind]
    return Reply(body, output.content_type, headers={"Content-Disposition": f'inline; filename="{output.filename}"'})


import duelo.studio.job_routes  # noqa: E402,F401  (registers the jobs' URLs)
