"""`duelo doctor`: diagnoses of small synthetic run folders written in the health.jsonl schema."""

import json

import pytest
from click.testing import CliRunner

from duelo.cli.doctor import doctor
from duelo.cli.main import main
from duelo.health.doctor import diagnose, format_diagnosis
from duelo.health.plot import plot_health

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CHECKS_KIMG = [3.0 * i for i in range(1, 11)]            # a health check every 3 kimg up to 30


def healthy_signals(kimg: float, **changes) -> dict:
    values = {"d_real_train": 0.6, "d_real_heldout": 0.5, "d_fake": -0.4, "rt_train": 0.3, "rt_heldout": 0.25,
              "overfit_rv": 0.08, "d_accuracy": 0.7, "grad_norm_D": 2.0, "grad_norm_G": 0.8,
              "diversity_ratio": 0.95, "classes_covered": 10, "classes_total": 10, "class_accuracy": 0.9,
              "augment_p": 0.1, "ada_rt": 0.3, "lr_scale": 1.0, "d_fake_extra": None}
    values.update(changes)
    return {"kind": "signals", "nimg": int(kimg * 1000), "kimg": kimg, "signals": values}


def event(name: str, kimg: float, severity: str = "warning", applied: bool = False, **evidence) -> dict:
    return {"kind": "event", "nimg": int(kimg * 1000), "kimg": kimg, "event": name, "severity": severity,
            "message": f"{name.replace('_', ' ')} seen by the monitor", "remedy": f"remedy for {name}",
            "applied": applied, "evidence": evidence}


def write_jsonl(path, records, cut_last: bool = False) -> None:
    text = "".join(json.dumps(r) + "\n" for r in records)
    path.write_text(text[:-25] if cut_last else text)    # a crash cuts the last line mid-way


def make_run(tmp_path, health=None, finished=True, total_kimg=30.0, name="run"):
    """A run folder as `duelo train` leaves it; health=None writes no health.jsonl."""
    run = tmp_path / name
    run.mkdir()
    (run / "config.json").write_text(json.dumps({
        "data": {"dataset": "mnist-5k"}, "model": {"name": "dcgan", "conditional": True},
        "loss": {"name": "nonsaturating"}, "train": {"total_kimg": total_kimg}, "augment": {"name": "ada"}}))
    write_jsonl(run / "metrics.jsonl", [
        {"nimg": int(k * 1000), "kimg": k, "iteration": int(k * 10), "img_per_s": 900.0, "time_s": k,
         "loss_D": 1.3 - 0.02 * k, "loss_G": 0.9 + 0.03 * k, "D_real": 0.1 * k, "D_fake": -0.1 * k}
        for k in CHECKS_KIMG])
    if health is not None:
        write_jsonl(run / "health.jsonl", health)
    if finished:
        (run / "summary.json").write_text(json.dumps({"kimg": total_kimg, "class_accuracy": 0.91}))
    return run


def findings(diagnosis) -> dict:
    return {f.mode: f for f in diagnosis.findings}


def test_healthy_run_has_every_finding_ok_and_a_png(tmp_path, capsys):
    run = make_run(tmp_path, [healthy_signals(k) for k in CHECKS_KIMG])
    d = diagnose(run)
    assert d.verdict == "healthy" and d.finished and d.kimg == 30.0 and d.total_kimg == 30.0
    assert set(findings(d)) == {"divergence", "mode_collapse", "discriminator_overfitting",
                                "vanishing_gradients", "discriminator_dominates", "oscillation"}
    assert all(f.status == "ok" for f in d.findings)
    assert d.signals["diversity_ratio"] == 0.95 and d.signals_kimg == 30.0
    assert main(["doctor", str(run)]) == 0
    out = capsys.readouterr().out
    assert "verdict   healthy" in out and "OK    mode collapse: none" in out
    assert "diversity_ratio" in out and f"plot      {run / 'doctor.png'}" in out
    png = (run / "doctor.png").read_bytes()
    assert png.startswith(PNG_MAGIC) and len(png) > 5000
    from PIL import Image

    with Image.open(run / "doctor.png") as image:
        image.verify()


def test_late_collapse_is_detected_with_its_remedy_and_exit_1(tmp_path, capsys):
    health = [healthy_signals(k, diversity_ratio=0.21 if k >= 24 else 0.95) for k in CHECKS_KIMG]
    health += [event("mode_collapse", k, diversity_ratio=0.21, classes_covered=3, classes_total=10)
               for k in (24.0, 27.0, 30.0)]
    run = make_run(tmp_path, health, finished=False, total_kimg=60.0)
    d = diagnose(run)
    collapse = findings(d)["mode_collapse"]
    assert (collapse.status, collapse.first_kimg, collapse.last_kimg, collapse.count) == \
        ("detected", 24.0, 30.0, 3)
    assert d.verdict == "problems found" and findings(d)["divergence"].status == "ok"
    assert main(["doctor", str(run), "--no-plot"]) == 1
    out = capsys.readouterr().out
    assert ("FOUND mode collapse: detected at 24.0-30.0 kimg (3 checks): diversity 0.21 of real, "
            "3/10 classes") in out
    assert "remedy: remedy for mode_collapse (suggested)" in out
    assert "30.0 / 60 kimg, not finished" in out and not (run / "doctor.png").exists()


def test_an_imbalance_is_explained_with_its_evidence(tmp_path, capsys):
    health = [healthy_signals(k) for k in CHECKS_KIMG]
    health += [event("discriminator_dominates", k, d_accuracy=0.99, rate_ratio=10.0, d_steps=5)
               for k in (24.0, 27.0, 30.0)]
    run = make_run(tmp_path, health)
    assert findings(diagnose(run))["discriminator_dominates"].status == "detected"
    assert main(["doctor", str(run), "--no-plot"]) == 1
    out = capsys.readouterr().out
    assert ("FOUND G/D imbalance (D ahead): detected at 24.0-30.0 kimg (3 checks): D accuracy 99%, D rate 10x "
            "G's, 5 D step(s)") in out


def test_one_early_event_is_only_a_warning(tmp_path):
    health = [healthy_signals(k) for k in CHECKS_KIMG]
    health.append(event("discriminator_overfitting", 6.0, overfit_rv=0.7))
    d = diagnose(make_run(tmp_path, health))
    overfit = findings(d)["discriminator_overfitting"]
    assert overfit.status == "warning" and overfit.count == 1 and d.verdict == "healthy" and d.warnings == 1
    assert "WARN  discriminator overfitting: once at 6.0 kimg (1 check): r_v 0.70" in format_diagnosis(d)


def test_divergence_rolled_back_then_finished(tmp_path):
    health = [healthy_signals(k) for k in CHECKS_KIMG]
    health += [event("divergence", 4.5, "error", applied=True, attempt=1, lr_scale=1.0),   # as rollback.py
               event("rollback", 3.0, "warning", applied=True, attempt=1, lr_scale=0.5)]   # at restored kimg
    d = diagnose(make_run(tmp_path, health))
    divergence = findings(d)["divergence"]
    assert (divergence.status, divergence.count, divergence.rollbacks, divergence.lr_scale) == \
        ("warning", 1, 1, 0.5)
    assert d.verdict == "healthy" and d.finished
    text = format_diagnosis(d)
    assert "verdict   healthy (1 warning)" in text
    assert "WARN  divergence: once at 4.5 kimg (1 check): attempt 1" in text
    assert "rolled back to an earlier checkpoint 1 time(s), learning rate now x0.5" in text
    assert "rollback at 3.0 kimg" in text                 # also among the notes


def test_repeated_divergence_is_a_problem_and_giving_up_fails(tmp_path):
    health = [healthy_signals(k) for k in CHECKS_KIMG]
    health += [event("divergence", 4.0, "error"), event("rollback", 4.0, "info", applied=True, lr_scale=0.5),
               event("divergence", 9.0, "error"), event("rollback", 9.0, "info", applied=True, lr_scale=0.25)]
    assert diagnose(make_run(tmp_path, health, name="a")).verdict == "problems found"
    run = make_run(tmp_path, health + [event("gave_up", 12.0, "error")], finished=False, name="b")
    d = diagnose(run)
    assert d.verdict == "failed" and findings(d)["divergence"].rollbacks == 2
    assert any(note.startswith("gave up at 12.0 kimg") for note in d.notes)
    assert main(["doctor", str(run), "--no-plot"]) == 1


def test_run_without_health_data_summarises_metrics(tmp_path, capsys):
    run = make_run(tmp_path, health=None)
    d = diagnose(run)
    assert d.verdict == "no health data" and d.findings == []
    assert d.metrics["final"]["loss_D"] == pytest.approx(0.7)
    assert d.metrics["trends"] == {"loss_D": "falling", "loss_G": "rising",
                                   "D_real": "rising", "D_fake": "falling"}
    assert main(["doctor", str(run)]) == 0
    out = capsys.readouterr().out
    assert "predates the training-health monitor" in out and "loss_D 0.7 (falling)" in out
    assert "D tells real from fake easily" in out          # D_real - D_fake = 6 at the end
    assert (run / "doctor.png").read_bytes().startswith(PNG_MAGIC)    # losses and D logits from metrics


def test_truncated_last_line_is_skipped(tmp_path):
    health = [healthy_signals(k) for k in CHECKS_KIMG] + [event("mode_collapse", 29.0, diversity_ratio=0.2)]
    run = make_run(tmp_path, health)
    write_jsonl(run / "health.jsonl", health, cut_last=True)
    (run / "metrics.jsonl").write_text((run / "metrics.jsonl").read_text() + '{"nimg": 31000, "kimg": 31')
    d = diagnose(run)
    assert findings(d)["mode_collapse"].status == "ok" and d.verdict == "healthy"
    assert d.signals_kimg == 30.0 and d.metrics["records"] == len(CHECKS_KIMG)
    assert plot_health(run, tmp_path / "out.png") == tmp_path / "out.png"


@pytest.mark.parametrize("folder, reason", [("nowhere", "does not exist"), ("", "is not a run folder")],
                         ids=["missing", "no-run-files"])
def test_not_a_run_folder_teaches(tmp_path, capsys, folder, reason):
    (tmp_path / "notes.txt").write_text("not a run")
    assert main(["doctor", str(tmp_path / folder)]) == 2
    err = capsys.readouterr().err
    assert reason in err and "pass the folder `duelo train` printed, e.g. runs/demo" in err


def test_json_output_parses_and_holds_the_findings(tmp_path):
    health = [healthy_signals(k, grad_norm_G=float("nan") if k == 30 else 0.8) for k in CHECKS_KIMG]
    health.append(event("vanishing_gradients", 27.0, grad_norm_G=1e-7))
    run = make_run(tmp_path, health)
    result = CliRunner().invoke(doctor, [str(run), "--json", "--no-plot"])
    assert result.exit_code == 1, result.output
    record = json.loads(result.output)
    modes = {f["mode"]: f for f in record["findings"]}
    assert modes["vanishing_gradients"]["status"] == "detected" and modes["divergence"]["status"] == "ok"
    assert modes["vanishing_gradients"]["evidence"] == {"grad_norm_G": 1e-7}
    assert record["verdict"] == "problems found" and record["plot"] is None and record["warnings"] == 0
    assert record["signals"]["grad_norm_G"] is None and record["evaluation"]["class_accuracy"] == 0.91


def test_plot_has_nothing_to_draw_for_an_empty_run(tmp_path):
    run = tmp_path / "empty"
    run.mkdir()
    (run / "config.json").write_text("{}")
    assert plot_health(run, run / "doctor.png") is None and not (run / "doctor.png").exists()
    assert diagnose(run).verdict == "no health data"


def test_help(capsys):
    assert main(["doctor", "--help"]) == 0
    out = capsys.readouterr().out
    assert "duelo doctor runs/demo" in out and "Exit status" in out and "--no-plot" in out


def test_monitor_off_with_only_the_data_size_note_is_not_called_healthy(tmp_path):
    from duelo.health.doctor import diagnose

    run = tmp_path / "off"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"train": {"total_kimg": 1.0}, "health": {"enabled": False}}))
    (run / "metrics.jsonl").write_text(json.dumps({"nimg": 1000, "kimg": 1.0, "loss_D": 1.0, "loss_G": 1.0}) + "\n")
    note = {"kind": "event", "nimg": 0, "kimg": 0.0, "event": "small_dataset", "severity": "info",
            "message": "300 training images is small", "remedy": "augmentation ada", "applied": True, "evidence": {}}
    (run / "health.jsonl").write_text(json.dumps(note) + "\n")
    diagnosis = diagnose(run)
    assert diagnosis.verdict == "no health data"
    assert any("300 training images" in n for n in diagnosis.notes)
