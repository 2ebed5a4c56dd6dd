"""Every task's iteration captured in a CUDA graph computes what its eager iteration computes (GPU only).

The same comparison as test_cuda_graphs.py, for the tasks other than image synthesis: the toy mixtures, a table
(training-by-sampling draws its conditions, rows and permutation on the device inside the graph; the critic
phase keeps the generator's graph for the generator phase), paired inpainting, CycleGAN (four players, two
per phase), time series with the convolutional model and with TimeGAN (three players, stages by iteration), text
by maximum likelihood, audio (a spectral G with noise inputs, D behind the quiet floor and the augmentation, the
auxiliary classifier, R1). The global CUDA generator (dropout) is seeded alike before each iteration
of both sessions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from duelo.tasks import task_config

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")]

COMMON = {"train.device": "cuda", "train.precision": "fp32", "health.enabled": False}
# constant learning rates: the papers' linear decay is a per-step schedule, with which a task trains eagerly
IMAGES = {"data.dataset": "digits", "data.resolution": 16, "model.width": 8, "train.batch": 16,
          "model.d_kwargs": {"n_layers": 2}, "image2image.eval_images": 40, "optim.decay_start": None}
CASES = {
    "toy": ("toy", {"toy.points": 4096, "train.batch": 256}),
    "tabular": ("tabular", {"train.batch": 100, "model.pac": 5, "model.embedding_dim": 16,
                            "model.generator_dim": [32, 32], "model.discriminator_dim": [32, 32]}),
    "inpaint": ("inpaint", IMAGES),
    # U-Net translators: the ResNet translator's reflection padding and nearest up-sampling have CUDA backward
    # kernels that add atomically (nondeterministic), so even two eager sessions drift apart under GAN dynamics
    # (measured: 1e-2 after 4 iterations, against exactly 0 with U-Nets and the same four players)
    "timeseries": ("timeseries", {"data.max_windows": 600, "series.width": 16, "series.blocks": 2,
                                  "train.batch": 64}),
    # TimeGAN: two iterations of each pre-training stage, then the joint game (three captures); GRUs in graphs
    "timegan": ("timeseries", {"data.max_windows": 600, "series.model": "timegan", "series.width": 12,
                               "series.layers": 2, "series.pretrain_steps": 2, "loss.name": "bce",
                               "stabilise.spectral_norm": False, "train.batch": 64}),
    # text: maximum likelihood (no per-step schedule, so it is captured); the GANs' annealed rates run eagerly
    "text-mle": ("text", {"text.model": "mle", "text.hidden": 32, "text.embed": 16, "train.batch": 32}),
    # the notes preset's recipe with the levers that draw random numbers inside G (audio.noise) or change D's input
    "audio": ("audio", {"audio.model": "specgan-m", "audio.width": 4, "train.batch": 8, "data.conditional": True,
                        "audio.noise": True, "audio.d_floor_db": 50, "audio.augment": 0.5, "audio.aux_weight": 1.0,
                        "loss.name": "hinge", "stabilise.r1_gamma": 300, "audio.eval_clips": 8}),
    "cyclegan": ("cyclegan", {**IMAGES, "model.name": "unet", "image2image.source": "digits",
                              "image2image.history_pool": 32}),
}


def _session(task: str, overrides: dict, cuda_graph: bool, tmp_path):
    from duelo.tasks.runner import build_session

    if task == "tabular":
        rng = np.random.default_rng(0)
        group = rng.choice(["a", "b", "c"], 500)
        pd.DataFrame({"group": group, "value": np.where(group == "a", 0.0, 3.0) + rng.normal(size=500)}).to_csv(
            tmp_path / "t.csv", index=False)
        overrides = {**overrides, "data.dataset": str(tmp_path / "t.csv")}
    if task == "text":
        rng = np.random.default_rng(0)
        (tmp_path / "lines.txt").write_text("\n".join("".join(rng.choice(list("abcdeklmno"), rng.integers(3, 9)))
                                                      for _ in range(400)) + "\n")
        overrides = {**overrides, "data.dataset": str(tmp_path / "lines.txt")}
    if task == "audio":
        from tests.audio.made_up import made_up_clips

        overrides = {**overrides, "data.dataset": str(made_up_clips(tmp_path / "tones.npz"))}
    config = task_config(task, {**COMMON, **overrides, "train.cuda_graph": cuda_graph, "run.out": str(tmp_path)})
    trainer = build_session(config, live_progress=False).trainer
    torch.backends.cudnn.benchmark = False          # the same algorithms in both sessions (see test_cuda_graphs)
    torch.backends.cudnn.deterministic = True
    return trainer


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_task_graph_step_gives_the_eager_losses(case, tmp_path):
    task, overrides = CASES[case]
    eager = _session(task, overrides, False, tmp_path)
    graphed = _session(task, overrides, True, tmp_path)
    for iteration in range(8):
        torch.cuda.manual_seed(2000 + iteration)
        eager.step()
        torch.cuda.manual_seed(2000 + iteration)
        graphed.step()
        a, b = eager.stats.read(), graphed.stats.read()
        assert a.keys() == b.keys()
        for name, value in a.items():
            assert b[name] == pytest.approx(value, rel=1e-3, abs=1e-4), (iteration, name)
    assert graphed.graphs is not None and graphed.graphs.captures >= 1, graphed.graphs_off_reason
    state_a, _ = eager.state({})
    state_b, _ = graphed.state({})
    for name in state_a:
        if state_a[name].is_floating_point():
            torch.testing.assert_close(state_b[name], state_a[name], rtol=1e-3, atol=1e-4)
