"""The toy task is put together like image synthesis (duelo.tasks.gan_parts): every stabiliser acts on it,
and one that cannot is refused with a message naming it."""

from __future__ import annotations

import pytest
import torch

from duelo.errors import ConfigError
from duelo.tasks import TASKS, task_config
from duelo.tasks.toy.networks import PointDiscriminator


def _parts(**settings):
    config = task_config("toy", {"toy.points": 512, "train.device": "cpu", **settings})
    task = TASKS.get("toy")
    from types import SimpleNamespace
    return task.build(config, task.load_data(config, None, print), SimpleNamespace(device=torch.device("cpu")))


def test_instance_noise_reaches_the_discriminator_inputs():
    objective = _parts(**{"stabilise.instance_noise": 0.1}).objective
    assert objective.d_inputs is not None and "instance_noise_sigma" in objective.d_inputs.status()


def test_minibatch_std_makes_a_score_depend_on_the_rest_of_its_group():
    D = _parts(**{"stabilise.mbstd_group": 4}).objective.D
    plain = PointDiscriminator(16, 3)
    x = torch.randn(8, 2)
    moved = x.clone()
    moved[4] += 5.0                                  # groups are samples i, i+2, i+4, i+6: 4 is in 0's group
    with torch.no_grad():
        assert D.mbstd_group == 4 and D(x)[0] != D(moved)[0]
        assert plain(x)[0] == plain(moved)[0]


def test_point_discriminator_without_mbstd_is_the_plain_mlp():
    torch.manual_seed(0)
    D = PointDiscriminator(16, 3)
    assert [m.out_features for m in D.modules() if isinstance(m, torch.nn.Linear)] == [16, 16, 16, 1]


def test_path_length_needs_a_style_generator():
    with pytest.raises(ConfigError, match="PointGenerator has none"):
        _parts(**{"stabilise.pl_weight": 2.0})


def test_lazy_r1_rescales_the_critics_adam():
    parts = _parts(**{"stabilise.r1_gamma": 1.0, "stabilise.reg_interval": 4})
    config = task_config("toy")
    d_group = parts.players["D"].optimizer.param_groups[0]
    g_group = parts.players["G"].optimizer.param_groups[0]
    assert d_group["lr"] == pytest.approx(config.optim.d_lr * 4 / 5)        # StyleGAN2's lazy correction
    assert g_group["lr"] == pytest.approx(config.optim.g_lr)                 # G has no lazy regulariser here
