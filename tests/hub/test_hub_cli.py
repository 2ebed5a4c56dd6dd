"""`duelo hub save|push|download` and `duelo sample` of a Hub folder or a cached repo, end to end through the CLI.
Pushing is tested up to the network: the folder it would upload, and what HfApi is asked; HfApi is replaced, so no
network host is ever contacted. Every failure ends in one message, never a traceback."""

from __future__ import annotations

import sys

import pytest

from duelo.cli.main import main
from duelo.io.hashing import file_digest
from duelo.io.images import read_png_text
from tests.hub.conftest import put_in_cache


class RecordingApi:
    """Stands in for huggingface_hub.HfApi: records what duelo asks of the Hub, or fails like a dead network."""

    calls: list = []
    fail: BaseException | None = None

    def __init__(self, token=None, **kwargs):
        self.calls.append(("init", token))

    def create_repo(self, repo_id, **kwargs):
        if self.fail is not None:
            raise self.fail
        self.calls.append(("create_repo", repo_id, kwargs))

    def upload_folder(self, **kwargs):
        self.calls.append(("upload_folder", kwargs))
        return type("Commit", (), {"commit_url": f"https://hub.invalid/{kwargs['repo_id']}/commit/1"})()


@pytest.fixture
def fake_hub(monkeypatch):
    import huggingface_hub

    RecordingApi.calls, RecordingApi.fail = [], None
    monkeypatch.setattr(huggingface_hub, "HfApi", RecordingApi)
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    return RecordingApi


def _connection_error() -> BaseException:
    try:
        import httpx2
        return httpx2.ConnectError("[Errno -3] name resolution failed")
    except ImportError:
        import requests
        return requests.ConnectionError("name resolution failed")


def test_save_then_sample_the_hub_folder_with_the_card_s_digest(image_run, tmp_path, capsys):
    out = tmp_path / "digits-hub"
    assert main(["hub", "save", str(image_run), "-o", str(out), "--licence", "mit", "--dataset-id", "someone/digits",
                 "--repo-id", "someone/digits"]) == 0
    assert "README.md" in capsys.readouterr().out
    card = (out / "README.md").read_text()
    assert "license: mit" in card and '- "someone/digits"' in card and 'from_pretrained("someone/digits")' in card
    assert main(["sample", str(out), "--seeds", "0-1", "--label", "3", "--out", str(tmp_path / "png")]) == 0
    text = read_png_text(tmp_path / "png" / "seed000001-class3.png")
    assert text["duelo:model_sha256"] == file_digest(out / "model.safetensors")
    assert f'model_sha256: "{text["duelo:model_sha256"]}"' in card
    assert main(["hub", "save", str(image_run), "-o", str(out)]) == 2
    assert "pass --force" in capsys.readouterr().err


def test_sample_finds_a_repo_id_in_the_hugging_face_cache(image_hub, image_run, tmp_path, monkeypatch, capsys):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "cache"))
    put_in_cache(image_hub, tmp_path / "cache", "someone/digits")
    assert main(["sample", "someone/digits", "--seeds", "4", "--label", "2", "--out", str(tmp_path / "a")]) == 0
    assert main(["sample", str(image_run), "--seeds", "4", "--label", "2", "--out", str(tmp_path / "b")]) == 0
    name = "seed000004-class2.png"
    assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    capsys.readouterr()
    assert main(["sample", "someone/missing", "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert "duelo hub download someone/missing" in err and "Traceback" not in err


def test_push_uploads_exactly_the_checked_folder_to_a_private_repo(image_hub, fake_hub, capsys):
    expected = sorted(p.relative_to(image_hub).as_posix() for p in image_hub.rglob("*") if p.is_file())
    assert main(["hub", "push", str(image_hub), "--repo-id", "someone/digits", "--dry-run"]) == 0
    assert ", ".join(expected) in capsys.readouterr().out and fake_hub.calls == []
    assert main(["hub", "push", str(image_hub), "--repo-id", "someone/digits", "--token", "hf_test"]) == 0
    assert "https://hub.invalid/someone/digits/commit/1" in capsys.readouterr().out
    (_, token), (_, repo, create), (_, upload) = fake_hub.calls
    assert token == "hf_test" and repo == "someone/digits"
    assert create["private"] is True and create["exist_ok"] is True and create["repo_type"] == "model"
    assert upload["folder_path"] == str(image_hub) and upload["allow_patterns"] == expected
    assert upload["repo_id"] == "someone/digits"


@pytest.mark.parametrize("argv, fail, message", [
    ([], None, "no Hugging Face token: pass --token"),
    (["--token", "hf_test"], "network", "pushing .* failed \\(ConnectError|pushing .* failed \\(ConnectionError"),
    (["--token", "hf_test", "--repo-id", "no-owner"], None, "give OWNER/NAME"),
], ids=["no-token", "no-network", "no-owner"])
def test_push_failures_are_one_message(image_hub, fake_hub, capsys, argv, fail, message):
    import re

    fake_hub.fail = _connection_error() if fail else None
    repo = [] if "--repo-id" in argv else ["--repo-id", "someone/digits"]
    assert main(["hub", "push", str(image_hub), *repo, *argv]) == 2
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert "Traceback" not in err and not any(call[0] == "upload_folder" for call in fake_hub.calls)


def test_push_refuses_a_folder_whose_card_does_not_describe_its_weights(image_hub, tmp_path, fake_hub, capsys):
    import shutil

    hub = shutil.copytree(image_hub, tmp_path / "hub")
    weights = bytearray((hub / "model.safetensors").read_bytes())
    weights[-1] ^= 1
    (hub / "model.safetensors").write_bytes(bytes(weights))
    assert main(["hub", "push", str(hub), "--repo-id", "someone/digits", "--token", "hf_test"]) == 2
    assert "README.md does not describe" in capsys.readouterr().err and fake_hub.calls == []


def test_without_huggingface_hub_local_folders_load_and_the_rest_names_the_extra(image_hub, monkeypatch, capsys):
    from duelo.hub import from_pretrained

    monkeypatch.setitem(sys.modules, "huggingface_hub", None)            # `import huggingface_hub` now fails
    assert from_pretrained(image_hub).sample(1).shape[0] == 1
    assert main(["hub", "download", "someone/digits"]) == 2
    assert "pip install 'duelo[hub]'" in capsys.readouterr().err
    assert main(["hub", "push", str(image_hub), "--repo-id", "someone/digits", "--token", "x"]) == 2
    assert "pip install 'duelo[hub]'" in capsys.readouterr().err


def test_download_without_network_is_one_message(monkeypatch, tmp_path, capsys):
    import huggingface_hub

    def unreachable(*args, **kwargs):
        raise _connection_error()

    monkeypatch.setattr(huggingface_hub, "snapshot_download", unreachable)
    assert main(["hub", "download", "someone/digits", "--cache-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "the Hugging Face Hub could not be reached" in err and "Traceback" not in err
