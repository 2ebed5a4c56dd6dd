"""The studio's limits: paths stay inside the run folders given, uploads are capped before they are read, only
loopback hosts unless asked, and no traceback reaches the browser."""

from __future__ import annotations

import json

import pytest

from duelo.cli.main import main
from duelo.errors import ConfigError
from duelo.studio.http import ROUTES, check_host
from tests.studio.conftest import serve


@pytest.mark.parametrize("path", ["/file?id=0/digits&path=../table/summary.json",
                                  "/file?id=0/digits&path=/etc/passwd",
                                  "/file?id=0/digits&path=samples/../../table/summary.json",
                                  "/run?id=0/digits/..", "/run?id=0/../studio-runs0", "/run?id=7/digits",
                                  "/file?id=0/digits&path=checkpoints"])
def test_paths_outside_a_run_are_refused(studio, path):
    answer = studio.get(path)
    assert answer.status in (403, 404) and b'class="error"' in answer.body
    assert b"column_shapes" not in answer.body and b"root:" not in answer.body


def test_a_symbolic_link_out_of_a_run_is_refused_and_only_page_files_are_served(tmp_path):
    run = tmp_path / "runs" / "fake"
    (run / "samples").mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"task": "image-gan", "train": {"total_kimg": 1}}))
    (run / "metrics.jsonl").write_text('{"kimg": 0.5, "loss_D": 1.0, "loss_G": 2.0}\n')
    secret = tmp_path / "secret.txt"
    secret.write_text("do not show")
    (run / "samples" / "leak.txt").symlink_to(secret)
    (run / "model.safetensors").write_bytes(b"weights")
    client, server = serve([tmp_path / "runs"])
    try:
        leak = client.get("/file?id=0/fake&path=samples/leak.txt")
        assert leak.status == 403 and b"do not show" not in leak.body
        assert client.get("/file?id=0/fake&path=model.safetensors").status == 403
        assert client.get("/file?id=0/fake&path=metrics.jsonl").status == 403
        page = client.get("/run?id=0/fake")
        assert page.status == 200 and b"do not show" not in page.body and b"0.5 / 1" in page.body
    finally:
        server.shutdown()
        server.server_close()


def test_an_upload_over_the_limit_is_refused_before_it_is_read(studio_runs):
    client, server = serve([studio_runs], max_upload_bytes=1000)
    try:
        answer = client.request("/api/translate?id=0/digits", body=b"x" * 5000)
        assert answer.status == 413 and "limit" in answer.json()["error"]
    finally:
        server.shutdown()
        server.server_close()


def test_only_loopback_hosts_unless_remote_is_allowed(capsys, tmp_path):
    assert check_host("127.0.0.1", False) and check_host("::1", False) and check_host("localhost", False)
    with pytest.raises(ConfigError, match="not a loopback address"):
        check_host("0.0.0.0", False)
    assert check_host("192.168.1.5", True) is False
    assert main(["studio", "--host", "0.0.0.0", "--runs", str(tmp_path), "--port", "0"]) == 2
    assert "--allow-remote" in capsys.readouterr().err
    assert main(["studio", "--runs", str(tmp_path / "missing")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_an_unexpected_failure_shows_one_line_and_no_traceback(studio, monkeypatch, capsys):
    def broken(studio, request):
        raise RuntimeError("private detail /home/someone")

    monkeypatch.setitem(ROUTES._entries, "GET /api/broken", broken)
    answer = studio.get("/api/broken")
    assert answer.status == 500 and answer.json() == {
        "error": "internal error: the studio's terminal shows the details"}
    assert "private detail" in capsys.readouterr().err                     # the terminal has it
