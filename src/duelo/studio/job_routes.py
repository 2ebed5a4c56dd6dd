"""The studio's job URLs: /jobs (the forms of the jobs that need no run, and this session's jobs), /job?n=N (one
job: its command, status and output, live), POST /api/jobs?kind=K[&id=RUN] (start one; the body is the form as
JSON), GET /api/job?n=N, POST /api/job/stop?n=N. The forms of run jobs are on each run's page (run_jobs_html).

Jobs are off unless the studio was started with them (on by default on a loopback address, see `duelo studio
--jobs`): whoever can reach the port could otherwise run commands as the studio's user.
"""

from __future__ import annotations

import html
import json
from typing import Any

from duelo.studio import pages
from duelo.studio.http import Reply, Request, StudioError, route
from duelo.studio.jobs import JOBS, argv, check_values, form_html, listed

JOBS_OFF = ("jobs are off in this studio: it was started with --no-jobs, or on a non-loopback address without "
            "--jobs; run the command in a terminal instead")


def _manager(studio: Any):
    if studio.jobs is None:
        raise StudioError(JOBS_OFF, 403)
    return studio.jobs


def _job_row(job) -> str:
    run = "" if job.run is None else html.escape(str(job.run))
    return (f'<tr class="job-{job.status.split()[0]}"><td><a href="/job?n={job.number}">{job.number}</a></td>'
            f"<td>{html.escape(job.kind)}</td><td><code>{html.escape(job.command)}</code></td>"
            f"<td>{html.escape(job.status)}</td><td>{run}</td></tr>")


def run_jobs_html(studio: Any, run_id: str) -> str:
    """The run page's section of run jobs (resume, evaluate, export...), and a stop button for a studio job that
    is training this run."""
    if studio.jobs is None:
        return f'<section id="run-jobs"><h2>Jobs</h2><p class="note">{html.escape(JOBS_OFF)}</p></section>'
    run = studio.folders.resolve(run_id)
    live = [job for job in studio.jobs.listed() if job.run == run and job.code is None]
    stops = "".join(f'<p>job <a href="/job?n={job.number}">{job.number}</a> ({html.escape(job.kind)}) is running: '
                    f'<button class="job-stop" data-job="{job.number}">stop</button></p>' for job in live)
    forms = "".join(form_html(key, JOBS.get(key), run_id) for key in listed(on_run=True))
    return f'<section id="run-jobs"><h2>Jobs</h2>{stops}<div class="job-forms">{forms}</div></section>'


@route("GET", "/jobs")
def jobs_page(studio: Any, request: Request) -> Reply:
    if studio.jobs is None:
        return Reply.text(pages.page("jobs", f"<h1>Jobs</h1><p>{html.escape(JOBS_OFF)}</p>"))
    forms = "".join(form_html(key, JOBS.get(key)) for key in listed(on_run=False))
    rows = "".join(_job_row(job) for job in studio.jobs.listed()) or '<tr><td colspan="5">none yet</td></tr>'
    root = html.escape(str(studio.jobs.root))
    content = (f'<h1>Jobs</h1><p class="note">Each job is the <code>duelo</code> command shown, run as its own '
               f"process; new runs, reports and studies go to {root}, logs to {root}/.studio-jobs. A run's own "
               f'jobs (resume, evaluate, export, Hub folder, audit) are on its page.</p>'
               f'<div class="job-forms">{forms}</div><h2>This session\'s jobs</h2><table id="jobs"><thead><tr>'
               f"<th>job</th><th>kind</th><th>command</th><th>status</th><th>run</th></tr></thead>"
               f"<tbody>{rows}</tbody></table>")
    return Reply.text(pages.page("jobs", content))


def _number(request: Request) -> int:
    number = request.integer("n", None, 1)
    if number is None:
        raise StudioError("the request lacks `n` (the job's number)")
    return number


def _job(studio: Any, request: Request):
    return _manager(studio).get(_number(request))


def job_state(studio: Any, job) -> dict[str, Any]:
    from duelo.studio.runs import is_run

    run_id = studio.folders.id_for(job.run) if job.run is not None and is_run(job.run) else None
    return {"number": job.number, "status": job.status, "command": job.command, "log": job.log_tail(),
            "run": run_id, "run_link": None if run_id is None else pages.run_link(run_id)}


@route("GET", "/job")
def job_page(studio: Any, request: Request) -> Reply:
    job = _job(studio, request)
    state = job_state(studio, job)
    run = "" if state["run_link"] is None else \
        f' · run <a id="job-run" href="{html.escape(state["run_link"])}">{html.escape(state["run"])}</a>'
    content = (f'<div id="job" data-job="{job.number}"><h1>Job {job.number}: {html.escape(job.kind)}</h1>'
               f"<p><code>{html.escape(job.command)}</code></p>"
               f'<p>status <b id="job-status">{html.escape(job.status)}</b>{run} · '
               f'<button class="job-stop" data-job="{job.number}">stop</button></p>'
               f'<pre id="job-log">{html.escape(state["log"])}</pre></div>')
    return Reply.text(pages.page(f"job {job.number}", content))


@route("GET", "/api/job")
def job_json(studio: Any, request: Request) -> Reply:
    return Reply.json(job_state(studio, _job(studio, request)))


@route("POST", "/api/jobs")
def start_job(studio: Any, request: Request) -> Reply:
    manager = _manager(studio)
    key = request.require("kind")
    if key not in JOBS:
        raise StudioError(f"no job {key!r}; the jobs are {', '.join(JOBS.names())}")
    kind = JOBS.get(key)
    try:
        form = json.loads(request.body or b"{}")
    except ValueError:
        raise StudioError("the job's form must be sent as JSON") from None
    if not isinstance(form, dict) or not all(isinstance(v, (str, int, float, bool)) for v in form.values()):
        raise StudioError("the job's form must be a JSON object of field values")
    values = check_values(kind, {str(k): v for k, v in form.items()})
    run = None
    if kind.on_run:
        run = studio.folders.resolve(request.require("id"))
    elif request.get("id") is not None:
        raise StudioError(f"{kind.title} takes no run")
    job = manager.start(key, argv(kind, values, run, manager.root), kind.run_of(values, run, manager.root))
    return Reply.json({"job": job.number, "url": f"/job?n={job.number}", "command": job.command})


@route("POST", "/api/job/stop")
def stop_job(studio: Any, request: Request) -> Reply:
    job = _manager(studio).stop(_number(request))
    return Reply.json(job_state(studio, job))
