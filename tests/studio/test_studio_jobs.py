"""Jobs from the studio: a form becomes the `duelo` command a person would type (checked field by field, never a
shell line), runs as its own process with its output on the job's page; a training job can be stopped as Ctrl-C
stops it and resumed from the run's page; what a page on another site could send is refused; a studio without
jobs says so. The processes are real `duelo` commands on the toy task (a few seconds each)."""

from __future__ import annotations

import json
import time

import pytest

from duelo.studio.jobs import JOBS, argv, check_values
from duelo.studio.processes import JOBS_FOLDER
from tests.studio.conftest import serve


def test_a_form_becomes_the_command_a_person_would_type(tmp_path):
    train = JOBS.get("train")
    values = check_values(train, {"name": "faces", "task": "toy", "kimg": "2", "conditional": "on",
                                  "set": "toy.mixture=grid\n\n  optim.g_lr=0.001  ", "dataset": ""})
    assert argv(train, values, None, tmp_path) == [
        "train", "--name", "faces", "--task", "toy", "--conditional", "--kimg", "2.0",
        "--set", "toy.mixture=grid", "--set", "optim.g_lr=0.001", "--out", str(tmp_path)]
    assert train.run_of(values, None, tmp_path) == tmp_path / "faces"
    run = tmp_path / "faces"
    assert argv(JOBS.get("eval"), check_values(JOBS.get("eval"), {}), run, tmp_path) == ["eval", str(run)]
    assert argv(JOBS.get("resume"), check_values(JOBS.get("resume"), {"minutes": "1.5"}), run, tmp_path) == \
        ["train", "--resume", str(run), "--minutes", "1.5"]
    assert argv(JOBS.get("audit"), {}, run, tmp_path) == ["audit", str(run), "--out", str(run / "audit.json")]
    assert argv(JOBS.get("clean"), check_values(JOBS.get("clean"), {"data": "mnist-5k", "name": "a"}), None,
                tmp_path) == ["clean", "mnist-5k", "--out", str(tmp_path / "clean-a")]


@pytest.mark.parametrize("form, message", [
    ({"name": "x", "dataset": "--out=/etc"}, "starts with '-'"),
    ({"name": "../up"}, "folder name"),
    ({"name": "x", "kimg": "lots"}, "must be a number"),
    ({"name": "x", "kimg": "-3"}, "above 0"),
    ({"name": "x", "task": "bogus"}, "not one of"),
    ({"name": "x", "set": "--device cuda"}, "SECTION.FIELD=VALUE"),
    ({"name": "x", "shell": "rm"}, "no field 'shell'"),
    ({"kimg": "2"}, "`run name` is required"),
])
def test_a_bad_field_is_named_and_nothing_starts(form, message):
    from duelo.studio.http import StudioError

    with pytest.raises(StudioError, match=message.replace("(", r"\(")):
        check_values(JOBS.get("train"), form)


@pytest.fixture
def job_studio(tmp_path):
    from duelo.studio.processes import JobManager

    root = tmp_path / "runs"
    root.mkdir()
    client, server = serve([root], jobs=JobManager(root.resolve()))
    client.root, client.server = root, server
    yield client
    server.studio.jobs.stop_all(wait_s=20)
    server.shutdown()
    server.server_close()


def _start(client, kind: str, form: dict, run_id: str | None = None) -> int:
    query = f"kind={kind}" + ("" if run_id is None else f"&id={run_id}")
    answer = client.request(f"/api/jobs?{query}", json.dumps(form).encode(), {"Content-Type": "application/json"})
    assert answer.status == 200, answer.text
    return answer.json()["job"]


def _until(client, number: int, done, timeout: float = 240.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"/api/job?n={number}").json()
        if done(state):
            return state
        time.sleep(0.2)
    raise AssertionError(f"job {number} did not get there in {timeout} s: {state}")


def test_a_training_job_runs_stops_like_ctrl_c_and_resumes_from_the_run_page(job_studio):
    client, root = job_studio, job_studio.root
    number = _start(client, "train", {"name": "ring", "task": "toy", "kimg": "400"})
    _until(client, number, lambda state: "kimg |" in state["log"])              # training under way
    page = client.get("/run?id=0/ring").text
    assert f'data-job="{number}"' in page and "is running" in page                 # the run page offers the stop
    assert client.request(f"/api/job/stop?n={number}", b"").status == 200
    stopped = _until(client, number, lambda state: state["status"] != "running")
    assert stopped["status"] == "stopped" and "writing a checkpoint" in stopped["log"], stopped
    assert stopped["run"] == "0/ring" and list((root / "ring" / "checkpoints").glob("ckpt-*"))
    assert not (root / "ring" / "summary.json").exists()

    resumed = _start(client, "resume", {"kimg": "12"}, "0/ring")
    finished = _until(client, resumed, lambda state: state["status"] != "running")
    assert finished["status"] == "finished", finished["log"]
    assert finished["command"].startswith(f"duelo train --resume {root.resolve() / 'ring'} --kimg 12")
    assert "resuming from ckpt-" in finished["log"] and "done:" in finished["log"]
    assert json.loads((root / "ring" / "summary.json").read_text())["kimg"] >= 12
    records = {json.loads((folder / "job.json").read_text())["number"]: json.loads((folder / "job.json").read_text())
               for folder in (root / JOBS_FOLDER).iterdir()}
    assert records[number]["status"] == "stopped" and records[resumed]["exit_status"] == 0
    jobs_page = client.get("/jobs").text
    assert f'/job?n={resumed}"' in jobs_page and "duelo train --resume" in jobs_page
    assert "0/ring" in client.get("/").text and JOBS_FOLDER not in client.get("/").text   # the logs are no run


def test_a_failing_job_shows_its_message_and_the_limit_on_running_jobs(job_studio, monkeypatch):
    import duelo.studio.processes as processes

    client = job_studio
    failed = _start(client, "fetch", {"dataset": "no-such-set"})
    state = _until(client, failed, lambda state: state["status"] != "running")
    assert state["status"].startswith("failed") and "unknown dataset 'no-such-set'" in state["log"]
    assert "Traceback" not in state["log"]
    monkeypatch.setattr(processes, "MAX_RUNNING", 1)
    number = _start(client, "train", {"name": "long", "task": "toy", "kimg": "400"})
    refused = client.request("/api/jobs?kind=fetch", b'{"dataset": "digits"}')
    assert refused.status == 429 and "at most 1" in refused.json()["error"]
    client.request(f"/api/job/stop?n={number}", b"")
    client.request(f"/api/job/stop?n={number}", b"")                                  # the second stop kills
    assert _until(client, number, lambda state: state["status"] != "running")["status"] == "stopped"


def test_requests_another_site_could_send_are_refused(job_studio):
    client = job_studio
    form = json.dumps({"dataset": "digits"}).encode()
    no_header = client.request("/api/jobs?kind=fetch", form, {"X-Duelo-Studio": ""})
    assert no_header.status == 403 and "X-Duelo-Studio" in no_header.json()["error"]
    rebound = client.request("/api/jobs?kind=fetch", form, {"Host": "attacker.example:80"})
    assert rebound.status == 403 and "answers only at" in rebound.json()["error"]
    assert client.get("/jobs").status == 200
    assert client.request("/api/jobs?kind=shell", form).status == 400
    assert "lacks `id`" in client.request("/api/jobs?kind=eval", b"{}").json()["error"]
    assert client.request("/api/jobs?kind=eval&id=0/../..", b"{}").status == 403
    assert "takes no run" in client.request("/api/jobs?kind=fetch&id=0", form).json()["error"]
    assert client.request("/api/jobs?kind=fetch", b"[1, 2]").status == 400
    assert client.get("/api/job?n=99").status == 404
    assert not (client.root / JOBS_FOLDER).exists()                                    # nothing was started


def test_a_studio_without_jobs_says_so(studio):
    page = studio.get("/run?id=0/digits").text
    assert "jobs are off" in page and 'class="job-form"' not in page
    refused = studio.request("/api/jobs?kind=fetch", b'{"dataset": "digits"}')
    assert refused.status == 403 and "--no-jobs" in refused.json()["error"]
    assert "jobs are off" in studio.get("/jobs").text


def test_a_jobs_record_on_disk_has_ended_before_the_studio_shows_it_ended(tmp_path, monkeypatch):
    """The run page and job.json must agree: whoever sees a job finish (the status the page polls) finds its
    exit status in job.json already."""
    from duelo.studio.processes import JobManager

    manager = JobManager(tmp_path)
    live, written = [], []
    original = manager._write

    def spy(record):
        written.append(record.code)
        live.append(manager.jobs[0].code if manager.jobs else None)
        original(record)

    monkeypatch.setattr(manager, "_write", spy)
    job = manager.start("version", ["--version"], None)
    deadline = time.time() + 60
    while job.code is None and time.time() < deadline:
        time.sleep(0.05)
    assert job.code == 0 and written[-1] == 0 and live[-1] is None     # written while the job still looked running
    assert json.loads((job.folder / "job.json").read_text())["exit_status"] == 0
