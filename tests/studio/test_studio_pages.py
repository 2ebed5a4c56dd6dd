"""The studio's pages and JSON against the runs' own files: the runs table, a run page's kimg, scores, losses,
samples and the doctor's verdict, and the live status of a run being trained."""

from __future__ import annotations

import fcntl
import json
import re

from duelo.health.doctor import diagnose
from duelo.studio.runs import is_training


def test_the_runs_page_lists_each_run_with_its_task_kimg_and_headline_score(studio, studio_runs):
    page = studio.get("/")
    assert page.status == 200 and page.content_type.startswith("text/html")
    rows = re.findall(r"<tr class=\"status-(\w+)\">(.*?)</tr>", page.text)
    assert [re.search(r">0/(\w+)</a>", row).group(1) for _, row in rows] == ["digits", "table"]   # table.csv: no run
    digits = json.loads((studio_runs / "digits" / "summary.json").read_text())
    status, row = rows[0]
    assert status == "finished" and "<td>image-gan</td><td>digits</td>" in row
    assert f"{digits['kimg']:g} / {digits['kimg']:g}" in row
    assert f"class_accuracy {digits['class_accuracy']:.4g}" in row
    table = json.loads((studio_runs / "table" / "summary.json").read_text())
    assert f"column_shapes {table['column_shapes']:.4g}" in rows[1][1] and "<td>tabular</td>" in rows[1][1]
    health = [json.loads(line) for line in (studio_runs / "digits" / "health.jsonl").read_text().splitlines()]
    last_event = [record for record in health if record["kind"] == "event"][-1]
    assert last_event["event"] in row


def test_a_run_page_shows_its_scores_losses_samples_and_the_doctor_s_verdict(studio, studio_runs):
    run = studio_runs / "digits"
    summary = json.loads((run / "summary.json").read_text())
    page = studio.get("/run?id=0/digits").text
    assert f'<b id="kimg">{summary["kimg"]:g} / {summary["kimg"]:g}</b>' in page
    assert f"<th>classifier_real_accuracy</th><td class=\"num\">{summary['classifier_real_accuracy']:.4g}" in page
    metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    polylines = re.findall(r'<polyline [^>]*points="([^"]+)"', page)
    assert len(polylines) == 2 and all(len(p.split()) == len(metrics) for p in polylines)   # loss_D, loss_G
    verdict = diagnose(run).verdict
    assert f'<p class="verdict verdict-{verdict.replace(" ", "-")}">{verdict}</p>' in page
    grid = next((run / "samples").glob("grid-*.png"))
    link = f"/file?id=0%2Fdigits&amp;path=samples%2F{grid.name}"
    assert f'<img src="{link}"' in page
    assert studio.get(link.replace("&amp;", "&")).body == grid.read_bytes()
    assert 'id="sample-form"' in page and '<option value="9">9</option>' in page    # the image panel, 10 classes

    table_page = studio.get("/run?id=0/table").text
    assert 'id="table-form"' in table_page and '<option value="group=a">group=a</option>' in table_page
    newest_rows = sorted((studio_runs / "table" / "samples").glob("rows-*.csv"))[-1]
    assert newest_rows.read_text().splitlines()[1] in table_page                   # a text sample shown inline


def test_the_live_endpoint_reports_running_while_a_trainer_holds_the_run_s_lock(studio, studio_runs):
    run = studio_runs / "digits"
    assert studio.get("/api/run?id=0/digits").json()["status"] == "finished"
    with open(run / ".lock", "a+") as handle:                      # what RunDir.lock does while training
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert is_training(run)
        parts = studio.get("/api/run?id=0/digits").json()
        assert parts["status"] == "running" and "<polyline" in parts["losses"]
    assert not is_training(run)
    (run / ".lock").unlink()


def test_the_loss_chart_draws_every_logged_point_and_a_single_one_as_a_dot():
    from duelo.studio.charts import loss_chart

    one = loss_chart([{"kimg": 0.2, "loss_D": 1.2, "loss_G": 0.7}])
    assert one.count("<circle") == 2 and "loss_D" in one
    many = loss_chart([{"kimg": k / 10, "loss_D": 1.0 + k, "loss_G": 0.5} for k in range(5)])
    assert "<circle" not in many and many.count("<polyline") == 2
    assert "no losses logged yet" in loss_chart([{"kimg": 1.0}])
