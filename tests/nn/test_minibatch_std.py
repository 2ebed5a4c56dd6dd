"""MinibatchStd: hand-computed values, grouping, shapes, gradients, graph capture."""

from __future__ import annotations

import math

import pytest
import torch

from duelo.errors import ConfigError
from duelo.nn.minibatch_std import MinibatchStd, mbstd_group_size

TINY = math.sqrt(1e-8)  # what identical samples give: sqrt(0 + 1e-8) = 1e-4


def reference(x: torch.Tensor, group_size: int, num_channels: int) -> torch.Tensor:
    """Slow loop version: group j = samples j, j + m, j + 2m, ...; population std per feature."""
    n, c = x.shape[:2]
    g = mbstd_group_size(n, group_size)
    m = n // g
    extra = torch.empty(n, num_channels, *x.shape[2:], dtype=x.dtype)
    for j in range(m):
        members = x[j::m]                                        # (g, C, ...)
        std = (members.var(dim=0, unbiased=False) + 1e-8).sqrt()
        for k, chunk in enumerate(std.chunk(num_channels, dim=0)):
            extra[j::m, k] = chunk.mean()
    return torch.cat([x, extra], dim=1)


def test_hand_computed_2d():
    # groups of 2 with m = 2: {0, 2} and {1, 3}.
    # {0, 2}: features (0, 2) and (0, 4): population variances 1 and 4 -> stds 1 and 2 -> mean 1.5
    # {1, 3}: identical samples -> std sqrt(1e-8) = 1e-4 for both features
    x = torch.tensor([[0.0, 0.0], [1.0, 2.0], [2.0, 4.0], [1.0, 2.0]], dtype=torch.float64)
    out = MinibatchStd(group_size=2)(x)
    expected = torch.tensor([[0.0, 0.0, 1.5], [1.0, 2.0, TINY], [2.0, 4.0, 1.5], [1.0, 2.0, TINY]],
                            dtype=torch.float64)
    torch.testing.assert_close(out, expected, atol=1e-8, rtol=0)


def test_hand_computed_4d_two_channels():
    # one group of 2 samples, C = 2 split into 2 slices of 1 channel, 1x2 pixels.
    # channel 0: pixels (1, 3) vs (3, 3): std (1, 1e-4) -> mean 0.50005
    # channel 1: pixels (0, 0) vs (4, 8): std (2, 4) -> mean 3
    x = torch.tensor([[[[1.0, 3.0]], [[0.0, 0.0]]],
                      [[[3.0, 3.0]], [[4.0, 8.0]]]], dtype=torch.float64)          # (2, 2, 1, 2)
    out = MinibatchStd(group_size=4, num_channels=2)(x)
    assert out.shape == (2, 4, 1, 2)
    torch.testing.assert_close(out[:, :2], x)
    for sample in range(2):
        for channel, value in ((2, 0.50005), (3, 3.0)):
            expected = torch.full((1, 2), value, dtype=torch.float64)
            torch.testing.assert_close(out[sample, channel], expected, atol=1e-7, rtol=0)


def test_identical_samples_give_sqrt_epsilon():
    x = torch.randn(1, 3, 4, 4).expand(8, -1, -1, -1)
    out = MinibatchStd(group_size=4)(x)
    assert out.shape == (8, 4, 4, 4)
    torch.testing.assert_close(out[:, 3], torch.full((8, 4, 4), TINY), atol=1e-9, rtol=1e-4)


@pytest.mark.parametrize(("n", "group_size", "expected"), [(8, 4, 4), (6, 4, 3), (5, 4, 1), (7, 4, 1),
                                                            (2, 4, 2), (12, 8, 6), (1, 4, 1)])
def test_group_size_is_largest_divisor(n, group_size, expected):
    assert mbstd_group_size(n, group_size) == expected


@pytest.mark.parametrize(("n", "group_size", "num_channels"), [(8, 4, 1), (6, 4, 1), (6, 4, 2), (12, 8, 3)])
def test_matches_loop_reference(n, group_size, num_channels):
    x = torch.randn(n, 6, 3, 3, generator=torch.Generator().manual_seed(n), dtype=torch.float64)
    out = MinibatchStd(group_size, num_channels)(x)
    assert out.shape == (n, 6 + num_channels, 3, 3)
    torch.testing.assert_close(out, reference(x, group_size, num_channels))
    flat = x.flatten(1)                                          # (N, F) path
    expected = reference(flat, group_size, num_channels)
    torch.testing.assert_close(MinibatchStd(group_size, num_channels)(flat), expected)


def test_batch_not_divisible_by_group_size_uses_groups_of_three():
    x = torch.arange(6, dtype=torch.float64).view(6, 1) * torch.tensor([[1.0, 10.0]], dtype=torch.float64)
    out = MinibatchStd(group_size=4)(x)[:, -1]
    # groups {0, 2, 4} and {1, 3, 5}: values a, a+2, a+4 have population std sqrt(8/3) (x10 for feature 2)
    std = math.sqrt(8.0 / 3.0)
    torch.testing.assert_close(out, torch.full((6,), (std + 10 * std) / 2, dtype=torch.float64))


def test_gradient_flows_through_the_statistic():
    x = torch.randn(4, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    torch.autograd.gradcheck(MinibatchStd(group_size=2), (x,))
    out = MinibatchStd(group_size=4)(x)
    out[:, -1].sum().backward()                                  # only through the appended channel
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_keeps_dtype_and_checks_shapes():
    assert MinibatchStd()(torch.randn(4, 8, dtype=torch.bfloat16)).dtype == torch.bfloat16
    with pytest.raises(ValueError, match="num_channels=3 must divide the 8"):
        MinibatchStd(num_channels=3)(torch.randn(4, 8))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\) or \(N, F\)"):
        MinibatchStd()(torch.randn(4, 2, 3))
    for kwargs in ({"group_size": 0}, {"num_channels": 0}, {"group_size": 2.0}):
        with pytest.raises(ConfigError, match=next(iter(kwargs))):
            MinibatchStd(**kwargs)


def test_is_one_graph():
    layer = MinibatchStd(group_size=4, num_channels=2)
    torch._dynamo.reset()
    traced = torch.compile(layer, backend="eager", fullgraph=True)
    x = torch.randn(6, 4, 4, 4)
    torch.testing.assert_close(traced(x), layer(x))
