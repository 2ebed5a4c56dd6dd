"""Counted FLOPs of a step (issue 8 groundwork): exact for known layers, backward and double backward included."""

import torch
from torch import nn

from duelo.training.flops import count_flops, measure_matmul_rate


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 32)

    def forward(self, z):
        return self.fc(z)


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)

    def forward(self, x):
        return self.conv(x).sum()


def test_linear_forward_and_backward_are_counted_exactly():
    G = Generator()
    z = torch.randn(8, 16, requires_grad=True)
    forward = 2 * 8 * 16 * 32
    assert count_flops(lambda: G(z)).total == forward
    counted = count_flops(lambda: G(z).sum().backward())
    assert counted.total == 3 * forward                    # forward, grad of input, grad of weight
    assert set(counted.by_operator) == {"aten.addmm", "aten.mm"}


def test_convolution_and_a_double_backward_penalty_are_counted():
    D = Critic()
    x = torch.randn(5, 2, 6, 6, requires_grad=True)
    forward = 2 * 5 * 4 * 2 * 3 * 3 * 6 * 6
    assert count_flops(lambda: D(x)).total == forward

    def penalised_step():
        (grad,) = torch.autograd.grad(D(x), x, create_graph=True)   # R1-style gradient penalty
        grad.square().sum().backward()

    assert count_flops(penalised_step).total > 2 * forward             # the double backward adds work
    assert "aten.convolution_backward" in count_flops(penalised_step).by_operator


def test_matmul_rate_is_positive_and_finite():
    rate = measure_matmul_rate("cpu", torch.float32, size=128, repeats=3)
    assert 1e6 < rate < 1e15
