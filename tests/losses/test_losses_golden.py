"""Golden values for every registered adversarial loss, computed by hand (see the comments)."""

import math

import pytest
import torch
import torch.nn.functional as F

from duelo.losses import LOSSES, gradient_penalty

REAL = torch.tensor([2.0, 0.0, -1.0], dtype=torch.float64)
FAKE = torch.tensor([-2.0, 0.0, 1.0], dtype=torch.float64)

# softplus(2) = log(1 + e^2) = 2.126928, softplus(-2) = 0.126928, softplus(0) = log 2 = 0.693147,
# softplus(1) = 1.313262, softplus(-1) = 0.313262.
GOLDEN = {
    # name:          (D loss per sample,              G loss per sample)
    "bce":           ([0.253856, 1.386294, 2.626523], [2.126928, 0.693147, 0.313262]),
    "bce-minimax":   ([0.253856, 1.386294, 2.626523], [-0.126928, -0.693147, -1.313262]),
    # D: f - r ; G: -f
    "wgan-gp":       ([-4.0, 0.0, 2.0],               [2.0, 0.0, -1.0]),
    # D: relu(1 - r) + relu(1 + f) ; G: -f
    "hinge":         ([0.0, 2.0, 4.0],                [2.0, 0.0, -1.0]),
    # D: ½(r-1)² + ½f² ; G: ½(f-1)²
    "lsgan":         ([2.5, 0.5, 2.5],                [4.5, 0.5, 0.0]),
    # pairs (r_i, f_i); D: softplus(f - r) ; G: softplus(r - f). softplus(4) = 4.018150, softplus(-4) = 0.018150
    "rpgan":         ([0.018150, 0.693147, 2.126928], [4.018150, 0.693147, 0.126928]),
}


def g_loss(loss, fake, real):
    """G's loss as the objectives call it: a relativistic loss also takes the reals' logits."""
    return loss.g_loss(fake, real) if loss.relativistic else loss.g_loss(fake)


def test_every_registered_loss_has_golden_values():
    assert sorted(GOLDEN) == LOSSES.names()


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_values(name):
    loss = LOSSES.get(name)
    d_expected, g_expected = GOLDEN[name]
    torch.testing.assert_close(loss.d_loss(REAL, FAKE), torch.tensor(d_expected, dtype=torch.float64),
                               atol=1e-6, rtol=0)
    torch.testing.assert_close(g_loss(loss, FAKE, REAL), torch.tensor(g_expected, dtype=torch.float64),
                               atol=1e-6, rtol=0)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_losses_are_per_sample_and_differentiable(name):
    loss = LOSSES.get(name)
    real = torch.randn(5, requires_grad=True)
    fake = torch.randn(5, requires_grad=True)
    d = loss.d_loss(real, fake)
    g = g_loss(loss, fake, real)
    assert d.shape == (5,) and g.shape == (5,)
    (d.sum() + g.sum()).backward()
    assert torch.isfinite(real.grad).all() and torch.isfinite(fake.grad).all()


def test_bce_agrees_with_torch_cross_entropy():
    """An independent route: BCE on probabilities equals the softplus form on logits."""
    loss = LOSSES.get("bce")
    r, f = torch.randn(64, dtype=torch.float64), torch.randn(64, dtype=torch.float64)
    ones, zeros = torch.ones_like(r), torch.zeros_like(f)
    reference = (F.binary_cross_entropy(torch.sigmoid(r), ones, reduction="none")
                 + F.binary_cross_entropy(torch.sigmoid(f), zeros, reduction="none"))
    torch.testing.assert_close(loss.d_loss(r, f), reference)
    torch.testing.assert_close(loss.g_loss(f),
                               F.binary_cross_entropy(torch.sigmoid(f), ones, reduction="none"))


def test_bce_is_stable_for_large_logits():
    loss = LOSSES.get("bce")
    big = torch.tensor([100.0, -100.0])
    assert torch.isfinite(loss.d_loss(big, -big)).all()
    assert torch.isfinite(loss.g_loss(big)).all()
    assert loss.g_loss(torch.tensor([-100.0])).item() == pytest.approx(100.0)


def test_rpgan_is_relativistic_and_depends_only_on_the_gap():
    """RpGAN scores pairs: shifting a real and its fake by the same amount changes nothing, and G's loss needs
    the reals' logits (it is the only relativistic loss)."""
    loss = LOSSES.get("rpgan")
    assert [n for n in LOSSES.names() if LOSSES.get(n).relativistic] == ["rpgan"]
    r, f = torch.randn(8, dtype=torch.float64), torch.randn(8, dtype=torch.float64)
    torch.testing.assert_close(loss.d_loss(r + 3.0, f + 3.0), loss.d_loss(r, f))
    torch.testing.assert_close(loss.g_loss(f - 1.0, r - 1.0), loss.g_loss(f, r))
    torch.testing.assert_close(loss.g_loss(f, r), loss.d_loss(f, r))          # the same game, roles swapped
    with pytest.raises(TypeError):
        loss.g_loss(f)


def test_wgan_gp_default_weight():
    assert LOSSES.get("wgan-gp").gp_weight == 10.0
    assert all(LOSSES.get(n).gp_weight == 0.0 for n in LOSSES.names() if n != "wgan-gp")


def test_gradient_penalty_linear_critic_golden():
    # D(x) = Σ w·x has gradient w everywhere: ‖w‖ = 1 gives penalty 0, ‖w‖ = 2 gives (2 − 1)² = 1.
    real, fake = torch.randn(3, 1, 2, 2), torch.randn(3, 1, 2, 2)
    for scale, expected in [(0.5, 0.0), (1.0, 1.0), (1.5, 4.0)]:
        w = torch.full((1, 2, 2), scale)
        penalty = gradient_penalty(lambda x: (x * w).flatten(1).sum(1), real, fake)
        torch.testing.assert_close(penalty, torch.full((3,), expected))


def test_gradient_penalty_quadratic_critic_matches_hand_computation():
    # D(x) = ½‖x‖² has gradient x̂ itself, so the penalty is (‖x̂‖ − 1)² with x̂ = ε·x + (1−ε)·y.
    real, fake = torch.randn(4, 1, 3, 3), torch.randn(4, 1, 3, 3)
    gen = torch.Generator().manual_seed(7)
    penalty = gradient_penalty(lambda x: 0.5 * x.flatten(1).square().sum(1), real, fake, generator=gen)
    eps = torch.rand(4, 1, 1, 1, generator=torch.Generator().manual_seed(7))
    mixed = eps * real + (1 - eps) * fake
    expected = (mixed.flatten(1).norm(dim=1) - 1.0).square()
    torch.testing.assert_close(penalty, expected)


def test_gradient_penalty_reaches_critic_weights():
    critic = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 1))
    penalty = gradient_penalty(lambda x: critic(x).squeeze(1), torch.randn(2, 1, 2, 2), torch.randn(2, 1, 2, 2))
    penalty.mean().backward()
    assert critic[1].weight.grad is not None and critic[1].weight.grad.abs().sum() > 0
    assert math.isfinite(penalty.sum().item())
