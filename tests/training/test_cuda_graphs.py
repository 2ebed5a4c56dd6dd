"""The CUDA-graph-captured iteration computes what the eager iteration computes (GPU only; skipped on CPU).

Two sessions of the same configuration and seed, fp32, one eager and one with graphs, step side by side;
after every iteration their reported losses must agree, and at the end their weights, EMA and optimiser
state. The configurations cover what a captured step has to get right: several D steps per G step, lazy
R1 (a second graph for the iterations where it is due) with its double backward, path-length
regularisation, ADA (random numbers from registered generators, a device-side controller), a history
pool, gradient clipping, conditional labels, and a checkpoint loaded mid-run (the graphs re-capture).
"""

from __future__ import annotations

import pytest
import torch

from duelo.tasks import task_config

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")]

BASE = {"data.dataset": "digits", "data.resolution": 32, "model.width": 16, "train.batch": 32,
        "train.precision": "fp32", "train.device": "cuda", "health.enabled": False, "augment.name": "none"}
CASES = {
    "dcgan-conditional": {"model.name": "dcgan", "model.conditional": True},
    "resnet-hinge-3-d-steps": {"model.name": "resnet", "loss.name": "hinge", "train.d_steps": 3},
    "stylegan2-r1-pl": {"model.name": "stylegan2", "stabilise.r1_gamma": 0.1, "stabilise.reg_interval": 4,
                        "stabilise.pl_weight": 2.0, "stabilise.pl_interval": 2, "augment.name": "ada",
                        "augment.p": 0.3},
    "dcgan-pool-clip-accum": {"model.name": "dcgan", "stabilise.history_pool": 256, "stabilise.grad_clip": 1.0,
                              "train.accum_rounds": 2},
}


def _session(overrides: dict, cuda_graph: bool):
    from duelo.tasks.runner import build_session

    config = task_config("image-gan", {**BASE, **overrides, "train.cuda_graph": cuda_graph})
    trainer = build_session(config, live_progress=False).trainer
    # the same convolution algorithms in both sessions (autotuning may pick different, equally valid ones,
    # whose rounding differs): then any difference between the sessions is the graph's
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    return trainer


def _assert_same_state(eager, graphed, rtol, atol):
    a, _ = eager.state({})
    b, _ = graphed.state({})
    assert a.keys() == b.keys()
    for name in a:
        if a[name].is_floating_point():
            torch.testing.assert_close(b[name], a[name], rtol=rtol, atol=atol, msg=lambda m: f"{name}: {m}")
        else:
            assert torch.equal(a[name], b[name]), name


@pytest.mark.parametrize("case", sorted(CASES))
def test_graph_step_gives_the_eager_losses(case):
    eager = _session(CASES[case], cuda_graph=False)
    graphed = _session(CASES[case], cuda_graph=True)
    assert eager.graphs_off_reason is None or eager._graphs() is None
    for iteration in range(14):
        # StyleGAN2's per-layer noise comes from the global CUDA generator: the same seed for both sessions
        torch.cuda.manual_seed(1000 + iteration)
        eager.step()
        torch.cuda.manual_seed(1000 + iteration)
        graphed.step()
        losses_eager, losses_graphed = eager.stats.read(), graphed.stats.read()
        assert losses_eager.keys() == losses_graphed.keys()
        for name, value in losses_eager.items():
            assert losses_graphed[name] == pytest.approx(value, rel=1e-3, abs=1e-4), (iteration, name)
    assert graphed.graphs is not None and graphed.graphs.captures >= 1, graphed.graphs_off_reason
    assert eager.graphs is None
    _assert_same_state(eager, graphed, rtol=1e-3, atol=1e-4)


def test_loading_a_checkpoint_recaptures_and_continues_identically():
    overrides = CASES["dcgan-conditional"]
    first = _session(overrides, cuda_graph=True)
    for _ in range(6):
        first.step()
    saved = first.state({})
    for _ in range(4):
        first.step()
    captures = first.graphs.captures
    first.load_state({k: v.clone() for k, v in saved[0].items()}, saved[1])   # back 4 iterations
    second = _session(overrides, cuda_graph=False)
    second.load_state({k: v.clone() for k, v in saved[0].items()}, saved[1])
    for _ in range(6):
        first.step()
        second.step()
    assert first.graphs.captures > captures
    _assert_same_state(second, first, rtol=1e-3, atol=1e-4)
