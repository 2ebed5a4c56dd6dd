"""FastGAN specifics: skip-layer excitation pairs and gates, the self-supervised D (its quadrant crops, a loss
its decoders can reduce, the objective adding it to D's real step), sizes and argument errors. The contract
itself is the conformance suite's."""

from __future__ import annotations

import pytest
import torch

from duelo.errors import ConfigError
from duelo.models import build_discriminator, build_generator
from duelo.models.fastgan import _pick, _quadrants

SMALL = {"channel_base": 256, "channel_max": 16}


def make_g(resolution=32, **kwargs):
    torch.manual_seed(0)
    return build_generator("fastgan", resolution=resolution, channels=3, **{**SMALL, "z_dim": 16, **kwargs})


def make_d(resolution=32, **kwargs):
    torch.manual_seed(0)
    return build_discriminator("fastgan", resolution=resolution, channels=3, **{**SMALL, **kwargs})


@pytest.mark.parametrize(("resolution", "targets"), [(32, {"32"}), (64, {"32", "64"}), (128, {"32", "64", "128"})])
def test_excitation_gates_every_stage_eight_times_larger(resolution, targets):
    G = make_g(resolution)
    assert set(G.excite) == targets
    assert G(torch.randn(2, 16)).shape == (2, 3, resolution, resolution)


def test_the_excitation_gate_changes_the_output():
    G = make_g(64).eval()
    z = torch.randn(3, 16)
    with torch.no_grad():
        before = G(z)
        G.excite["64"].conv2.parametrizations.weight.original.zero_()   # gate = sigmoid(0) = 1/2 everywhere
        after = G(z)
    assert not torch.allclose(before, after)


def test_quadrants_and_pick_take_the_right_corner():
    x = torch.arange(2 * 1 * 4 * 4, dtype=torch.float32).view(2, 1, 4, 4)
    parts = _quadrants(x)                                                   # (2, 4, 1, 2, 2)
    assert torch.equal(parts[0, 0], x[0, :, :2, :2]) and torch.equal(parts[0, 1], x[0, :, :2, 2:])
    assert torch.equal(parts[1, 2], x[1, :, 2:, :2]) and torch.equal(parts[1, 3], x[1, :, 2:, 2:])
    picked = _pick(parts, torch.tensor([3, 1]))
    assert torch.equal(picked[0], x[0, :, 2:, 2:]) and torch.equal(picked[1], x[1, :, :2, 2:])


def test_reconstruction_returns_the_same_logits_and_a_loss_the_decoders_reduce():
    D = make_d(32)
    images = torch.rand(8, 3, 32, 32) * 2 - 1
    D.eval()
    with torch.no_grad():
        logits, _ = D.forward_with_reconstruction(images, None, torch.Generator().manual_seed(0))
        assert torch.allclose(logits, D(images))
    D.train()
    decoders = [*D.decode_whole.parameters(), *D.decode_part.parameters()]
    optimiser = torch.optim.Adam(decoders, lr=3e-3)
    losses = []
    for step in range(60):
        _, loss = D.forward_with_reconstruction(images, None, torch.Generator().manual_seed(step))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert losses[0] > 0.2 and sum(losses[-5:]) / 5 < 0.6 * losses[0]


def test_recon_weight_zero_turns_self_supervision_off():
    D = make_d(32, recon_weight=0.0)
    _, loss = D.forward_with_reconstruction(torch.zeros(2, 3, 32, 32), None, torch.Generator())
    assert float(loss) == 0.0


def test_the_objective_adds_the_reconstruction_loss_to_ds_real_step():
    from duelo.losses import LOSSES
    from duelo.objectives import GANObjective

    G, D = make_g(32), make_d(32)
    objective = GANObjective(G, D, LOSSES.get("hinge"))
    real = torch.rand(4, 3, 32, 32) * 2 - 1
    terms = objective._discriminator_terms((real, None), torch.Generator().manual_seed(0), 4)
    assert set(terms.losses) == {"D", "D_recon"} and terms.losses["D_recon"].item() > 0
    terms.losses["D_recon"].backward()
    assert D.decode_part.body[1].parametrizations.weight.original.grad is not None


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"resolution": 16}, "power of two >= 32"),
    ({"recon_weight": -1.0}, "recon_weight"),
])
def test_argument_errors_name_the_field(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        build_discriminator("fastgan", **{"resolution": 32, "channels": 3, **kwargs})
