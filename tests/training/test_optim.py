"""ClipGradNorm: bounded step, transparent when the bound is loose, forwards optimizer state."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from duelo.errors import ConfigError
from duelo.training.optim import ClipGradNorm


def model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3))


def backward(net: nn.Module, seed: int = 1, scale: float = 100.0) -> None:
    x = torch.randn(16, 6, generator=torch.Generator().manual_seed(seed))
    (net(x).square().sum() * scale).backward()                  # large gradients


def flat(net: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in net.parameters()])


def test_tiny_max_norm_bounds_the_sgd_step():
    net = model()
    lr, max_norm = 0.5, 1e-3
    optimizer = ClipGradNorm(torch.optim.SGD(net.parameters(), lr=lr), max_norm=max_norm)
    before = flat(net)
    backward(net)
    raw_norm = torch.cat([p.grad.flatten() for p in net.parameters()]).norm()
    assert raw_norm > 1.0                                        # so clipping really happens
    optimizer.step()
    moved = (flat(net) - before).norm()
    assert moved <= lr * max_norm * (1 + 1e-5)
    assert moved >= lr * max_norm * 0.99                         # rescaled to the bound, not zeroed
    torch.testing.assert_close(optimizer.last_norm, raw_norm)   # the norm before clipping
    assert not optimizer.last_norm.requires_grad and optimizer.last_norm.shape == ()


def test_huge_max_norm_is_bitwise_the_plain_optimizer():
    plain_net, clipped_net = model(), model()
    plain = torch.optim.Adam(plain_net.parameters(), lr=1e-2)
    clipped = ClipGradNorm(torch.optim.Adam(clipped_net.parameters(), lr=1e-2), max_norm=1e12)
    for step in range(3):
        for net, optimizer in ((plain_net, plain), (clipped_net, clipped)):
            optimizer.zero_grad(set_to_none=True)
            backward(net, seed=step)
            optimizer.step()
    assert torch.equal(flat(plain_net), flat(clipped_net))


def test_state_dict_round_trip_and_forwarding():
    net = model()
    inner = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.0, 0.99))
    optimizer = ClipGradNorm(inner, max_norm=1.0)
    backward(net)
    optimizer.step()
    assert optimizer.param_groups is inner.param_groups and optimizer.state is inner.state
    state = optimizer.state_dict()
    assert state.keys() == inner.state_dict().keys()            # the wrapped optimizer's own format

    copy_net = model()
    copy = ClipGradNorm(torch.optim.Adam(copy_net.parameters(), lr=1.0), max_norm=1.0)
    copy.load_state_dict(state)
    assert copy.param_groups[0]["lr"] == 1e-3 and copy.param_groups[0]["betas"] == (0.0, 0.99)
    for key, value in inner.state[next(net.parameters())].items():
        assert torch.equal(copy.state[next(copy_net.parameters())][key], value)

    optimizer.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_bad_max_norm():
    params = [nn.Parameter(torch.zeros(2))]
    for bad in (0, -1.0, float("inf"), float("nan"), True, "1"):
        with pytest.raises(ConfigError, match="max_norm"):
            ClipGradNorm(torch.optim.SGD(params, lr=0.1), max_norm=bad)
