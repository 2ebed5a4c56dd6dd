"""apply_spectral_norm: which layers get wrapped, sigma(W_SN) = 1 after power iteration, state round trip."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from duelo.errors import ConfigError
from duelo.models import build_discriminator
from duelo.nn.spectral_norm import apply_spectral_norm


class AllLayers(nn.Module):
    """One layer of every kind that gets wrapped, plus a batch norm that must be left alone."""

    def __init__(self, seed: int):
        super().__init__()
        torch.manual_seed(seed)
        self.embed = nn.Embedding(10, 12)
        self.conv1d = nn.Conv1d(1, 6, 3, padding=1)
        self.conv2d = nn.Conv2d(6, 8, 3, padding=1)
        self.norm = nn.BatchNorm2d(8)
        self.deconv = nn.ConvTranspose2d(8, 5, 4, 2, 1)
        self.linear = nn.Linear(5 * 6 * 8, 1)
        with torch.no_grad():  # every sigma far from 1: sigma = 1 afterwards is the wrapper's doing
            for layer in (self.embed, self.conv1d, self.conv2d, self.deconv, self.linear):
                layer.weight.mul_(7.0)

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        x = self.embed(labels).unsqueeze(1)                     # (N, 1, 12)
        x = self.conv1d(x).view(-1, 6, 3, 4)                    # (N, 6, 3, 4)
        x = self.deconv(self.norm(self.conv2d(x)))              # (N, 5, 6, 8)
        return self.linear(x.flatten(1)).squeeze(1)             # (N,)


WRAPPED = ("embed", "conv1d", "conv2d", "deconv", "linear")


def largest_singular_value(layer: nn.Module) -> float:
    """sigma of the weight as a matrix with the output units as rows (dim 1 of a ConvTranspose weight)."""
    weight = layer.weight.detach()
    if isinstance(layer, nn.ConvTranspose2d):
        weight = weight.transpose(0, 1)                          # (in, out, k, k) -> (out, in, k, k)
    return torch.linalg.matrix_norm(weight.flatten(1), ord=2).item()


def labels(n: int = 16, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, 10, (n,), generator=torch.Generator().manual_seed(seed))


def test_wraps_every_linear_map_and_nothing_else():
    net = AllLayers(0)
    assert apply_spectral_norm(net) == 5
    for name in WRAPPED:
        assert parametrize.is_parametrized(getattr(net, name), "weight"), name
    assert not parametrize.is_parametrized(net.norm)
    assert net.deconv.parametrizations.weight[0].dim == 1     # ConvTranspose: outputs are dim 1
    assert net.conv2d.parametrizations.weight[0].dim == 0


def test_largest_singular_value_is_one_after_power_iteration():
    net = AllLayers(0)
    before = {name: largest_singular_value(getattr(net, name)) for name in WRAPPED}
    assert all(sigma > 2.0 for sigma in before.values()), before
    apply_spectral_norm(net)
    net.train()
    for step in range(20):                                      # one power iteration per forward
        net(labels(seed=step))
    net.eval()                                                  # eval: read W / sigma without iterating
    for name in WRAPPED:
        assert largest_singular_value(getattr(net, name)) == pytest.approx(1.0, abs=0.05), name


def test_state_dict_round_trip_into_a_fresh_wrapped_copy():
    trained = AllLayers(0)
    apply_spectral_norm(trained)
    for step in range(5):
        trained(labels(seed=step))
    state = trained.state_dict()
    assert {"linear.parametrizations.weight.original", "linear.parametrizations.weight.0._u"} <= set(state)

    copy = AllLayers(1)                                          # different weights until loaded
    apply_spectral_norm(copy)
    copy.load_state_dict(state)
    trained.eval()
    copy.eval()
    with torch.no_grad():
        assert torch.equal(copy(labels(seed=99)), trained(labels(seed=99)))


def test_already_wrapped_layers_are_skipped():
    net = AllLayers(0)
    torch.nn.utils.parametrizations.spectral_norm(net.linear)
    assert apply_spectral_norm(net, n_power_iterations=2) == 4
    assert len(net.linear.parametrizations.weight) == 1        # not wrapped twice
    assert net.conv2d.parametrizations.weight[0].n_power_iterations == 2
    with pytest.raises(ConfigError, match="no unwrapped layer"):
        apply_spectral_norm(net)                                 # everything is wrapped now


def test_errors_teach():
    with pytest.raises(ConfigError, match="Sequential has no unwrapped layer"):
        apply_spectral_norm(nn.Sequential(nn.ReLU(), nn.Tanh()))
    with pytest.raises(ConfigError, match="n_power_iterations"):
        apply_spectral_norm(nn.Linear(2, 2), n_power_iterations=0)


@pytest.mark.parametrize("name", ["dcgan", "mlp"])
def test_discriminators_can_be_wrapped(name):
    torch.manual_seed(0)
    kwargs = {"width": 8, "norm": "none"} if name == "dcgan" else {"width": 16, "depth": 2}
    critic = build_discriminator(name, resolution=16, channels=1, c_dim=3, **kwargs)
    expected = sum(isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding)) for m in critic.modules())
    assert apply_spectral_norm(critic) == expected
    logits = critic(torch.randn(4, 1, 16, 16), torch.tensor([0, 1, 2, 0]))
    assert logits.shape == (4,) and torch.isfinite(logits).all()
    logits.sum().backward()
    assert critic.to_logit.parametrizations.weight.original.grad is not None
