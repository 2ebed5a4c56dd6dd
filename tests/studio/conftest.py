"""Tiny CPU runs (a class-conditional image GAN and a table, trained once per session with the Hub tests'
settings) and a studio serving them on a free loopback port in a thread; requests go over real HTTP."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from duelo.cli.main import main
from tests.hub.conftest import IMAGE, fit_tiny_table


@pytest.fixture(scope="session")
def studio_runs(tmp_path_factory) -> Path:
    """runs/digits (image GAN, conditional) and runs/table (tabular); the CSV beside them is no run."""
    runs = tmp_path_factory.mktemp("studio-runs")
    assert main([*IMAGE, "--out", str(runs), "--name", "digits"]) == 0
    fit_tiny_table(runs)
    return runs


@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body)


class Client:
    """Real HTTP requests to a running studio."""

    def __init__(self, base: str):
        self.base = base

    def request(self, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Answer:
        """GET, or POST when there is a body (with the header the studio's pages send, unless `headers` says
        otherwise)."""
        if body is not None:
            headers = {"X-Duelo-Studio": "1", **(headers or {})}
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {},
                                         method="POST" if body is not None else "GET")
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                return Answer(reply.status, reply.headers["Content-Type"], reply.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.headers["Content-Type"], error.read())

    get = request


def serve(roots: list[Path], **settings) -> tuple[Client, object]:
    from duelo.studio.http import make_server
    from duelo.studio.routes import Studio
    from duelo.studio.runs import RunFolders

    from duelo.studio.http import allowed_hosts

    server = make_server(Studio(RunFolders(roots), **settings), "127.0.0.1", 0)
    server.studio.hosts = allowed_hosts("127.0.0.1", server.server_address[1])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Client(f"http://127.0.0.1:{server.server_address[1]}"), server


@pytest.fixture(scope="session")
def studio(studio_runs):
    client, server = serve([studio_runs])
    yield client
    server.shutdown()
    server.server_close()


I2I = ["--dataset", "digits", "--resolution", "16", "--width", "8", "--batch", "8", "--kimg", "0.016",
       "--snapshot-kimg", "0.016", "--log-kimg", "0.008", "--device", "cpu", "--set", 'model.d_kwargs={"n_layers": 2}',
       "--set", "image2image.eval_images=40"]


@pytest.fixture(scope="session")
def image2image_studio(tmp_path_factory):
    """A studio over two tiny image-to-image runs: holes (inpaint) and noise (denoise)."""
    runs = tmp_path_factory.mktemp("studio-i2i")
    for task, name in (("inpaint", "holes"), ("denoise", "noise")):
        assert main(["train", "--task", task, *I2I, "--out", str(runs), "--name", name]) == 0
    client, server = serve([runs])
    client.runs = runs
    yield client
    server.shutdown()
    server.server_close()


SERIES = ["train", "--task", "timeseries", "--window", "12", "--kimg", "0.064", "--batch", "32", "--seed", "1",
          "--set", "data.max_windows=60", "--set", "series.width=8", "--set", "series.blocks=1",
          "--set", "run.snapshot_kimg=0.064", "--set", "run.log_kimg=0.064", "--set", "series.eval_samples=16",
          "--set", "series.score_steps=2"]


@pytest.fixture(scope="session")
def sequence_studio(tmp_path_factory):
    """A studio over three tiny sequence runs: names (text, class-conditional), sines (time series) and tones
    (audio, conditional on pitch and instrument)."""
    from tests.audio.made_up import made_up_clips
    from tests.audio.test_audio_task import TINY as AUDIO
    from tests.hub.conftest import TEXT
    from tests.text.made_up import write_names

    runs = tmp_path_factory.mktemp("studio-sequences")
    assert main([*TEXT, "--conditional", "--dataset", str(write_names(runs / "names.txt")), "--out", str(runs),
                 "--name", "names"]) == 0
    assert main([*SERIES, "--out", str(runs), "--name", "sines"]) == 0
    assert main([*AUDIO, "--model", "wavegan", "--dataset", str(made_up_clips(runs / "tones.npz")), "--kimg", "0.05",
                 "--out", str(runs), "--name", "tones"]) == 0
    client, server = serve([runs])
    client.runs = runs
    yield client
    server.shutdown()
    server.server_close()


def _run_with(folder, save, G, kwargs, **data) -> None:
    """A run folder holding only a model (and an empty metrics log, which makes it a run to the studio)."""
    folder.mkdir()
    (folder / "metrics.jsonl").write_text("")
    (folder / "model").mkdir()
    save(folder / "model", G, kwargs, SimpleNamespace(data=SimpleNamespace(dataset="made-up", **data)))


@pytest.fixture(scope="session")
def media_runs(tmp_path_factory) -> Path:
    """runs/chorale (music, conditional on mode) and runs/moving (video, conditional on digit): freshly initialised
    networks saved as runs' models, for the drawing paths (no training)."""
    import torch

    from duelo.tasks.music.model_io import save_music_model
    from duelo.tasks.music.networks import MusicGenerator
    from duelo.tasks.video.model_io import save_video_model
    from duelo.tasks.video.networks import VideoGenerator

    runs = tmp_path_factory.mktemp("studio-media")
    torch.manual_seed(0)
    music = {"tracks": 4, "bars": 1, "pitches": 56, "z_dim": 8, "width": 8, "c_dim": 2}
    composer = MusicGenerator(**music)
    with torch.no_grad():
        composer.body[-2].bias.zero_()            # an initial bias below zero would make every step a rest
    _run_with(runs / "chorale", save_music_model, composer, music, transpose=False)
    video = {"frames": 4, "size": 16, "z_content": 8, "z_motion": 4, "width": 4, "c_dim": 10}
    _run_with(runs / "moving", save_video_model, VideoGenerator(**video), video)
    return runs
