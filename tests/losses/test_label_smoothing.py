"""One-sided label smoothing (Salimans et al. 2016, §3.4): golden values, exact at target 1, errors."""

import math

import pytest
import torch
import torch.nn.functional as F

from duelo.errors import ConfigError
from duelo.losses import LOSSES
from duelo.losses.adversarial import bce_d_loss, with_label_smoothing

REAL = torch.tensor([2.0, 0.0, -1.0], dtype=torch.float64)
FAKE = torch.tensor([-2.0, 0.0, 1.0], dtype=torch.float64)
SMOOTHABLE = ["bce", "bce-minimax", "lsgan"]

# t = 0.9. softplus(2) = 2.126928, softplus(-2) = 0.126928, softplus(0) = 0.693147,
# softplus(1) = 1.313262, softplus(-1) = 0.313262.
# bce:   0.9·softplus(-r) + 0.1·softplus(r) + softplus(f)
#   r=2,  f=-2: 0.9·0.126928 + 0.1·2.126928 + 0.126928 = 0.114235 + 0.212693 + 0.126928 = 0.453856
#   r=0,  f=0:  0.693147 + 0.693147                                                        = 1.386294
#   r=-1, f=1:  0.9·1.313262 + 0.1·0.313262 + 1.313262 = 1.181936 + 0.031326 + 1.313262 = 2.526524
# lsgan: ½(r - 0.9)² + ½f²: ½·1.21 + 2 = 2.605 ; ½·0.81 + 0 = 0.405 ; ½·3.61 + ½ = 2.305
GOLDEN = {
    "bce":         [0.453856, 1.386294, 2.526524],
    "bce-minimax": [0.453856, 1.386294, 2.526524],
    "lsgan":       [2.605, 0.405, 2.305],
}


def test_exactly_the_documented_losses_have_a_smoothed_form():
    assert sorted(n for n in LOSSES.names() if LOSSES.get(n).d_loss_smoothed is not None) == SMOOTHABLE


@pytest.mark.parametrize("name", SMOOTHABLE)
def test_golden_values(name):
    smoothed = with_label_smoothing(LOSSES.get(name), name, 0.9)
    torch.testing.assert_close(smoothed.d_loss(REAL, FAKE), torch.tensor(GOLDEN[name], dtype=torch.float64),
                               atol=1e-6, rtol=0)


@pytest.mark.parametrize("name", SMOOTHABLE)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_target_one_is_bitwise_the_unsmoothed_loss(name, dtype):
    loss = LOSSES.get(name)
    rng = torch.Generator().manual_seed(0)
    real = torch.randn(257, generator=rng, dtype=dtype) * 5
    fake = torch.randn(257, generator=rng, dtype=dtype) * 5
    real, fake = torch.cat([real, REAL.to(dtype)]), torch.cat([fake, FAKE.to(dtype)])
    assert torch.equal(with_label_smoothing(loss, name, 1.0).d_loss(real, fake), loss.d_loss(real, fake))
    assert torch.equal(loss.d_loss_smoothed(real, fake, 1.0), loss.d_loss(real, fake))


@pytest.mark.parametrize("name", SMOOTHABLE)
def test_only_the_discriminator_loss_changes(name):
    loss = LOSSES.get(name)
    smoothed = with_label_smoothing(loss, name, 0.8)
    assert smoothed.g_loss is loss.g_loss and smoothed.gp_weight == loss.gp_weight
    assert "label smoothing" in smoothed.description
    assert not torch.equal(smoothed.d_loss(REAL, FAKE), loss.d_loss(REAL, FAKE))
    assert LOSSES.get(name) is loss and loss.d_loss(REAL, FAKE).equal(LOSSES.get(name).d_loss(REAL, FAKE))
    # one-sided: the fake term is untouched, so with identical real logits only the real term differs
    same_real = torch.zeros(3, dtype=torch.float64)
    delta = smoothed.d_loss(same_real, FAKE) - loss.d_loss(same_real, FAKE)
    torch.testing.assert_close(delta, delta[:1].expand(3))


def test_bce_agrees_with_torch_cross_entropy_on_soft_targets():
    r, f = torch.randn(64, dtype=torch.float64), torch.randn(64, dtype=torch.float64)
    reference = (F.binary_cross_entropy_with_logits(r, torch.full_like(r, 0.7), reduction="none")
                 + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f), reduction="none"))
    torch.testing.assert_close(with_label_smoothing(LOSSES.get("bce"), "bce", 0.7).d_loss(r, f), reference)


@pytest.mark.parametrize(("name", "target", "optimum"), [("bce", 0.9, math.log(9.0)), ("lsgan", 0.9, 0.9)])
def test_optimal_real_logit_moves_to_the_target(name, target, optimum):
    # bce: sigmoid(r*) = 0.9, so r* = log(0.9 / 0.1) = log 9 ; lsgan: r* = 0.9. The gradient vanishes there.
    real = torch.tensor([optimum], dtype=torch.float64, requires_grad=True)
    smoothed = with_label_smoothing(LOSSES.get(name), name, target)
    smoothed.d_loss(real, torch.zeros(1, dtype=torch.float64)).sum().backward()
    assert abs(real.grad.item()) < 1e-12


@pytest.mark.parametrize("name", ["hinge", "wgan-gp"])
def test_losses_without_labels_are_refused(name):
    with pytest.raises(ConfigError) as caught:
        with_label_smoothing(LOSSES.get(name), name, 0.9)
    assert repr(name) in str(caught.value)
    assert "label smoothing is defined for bce, bce-minimax and lsgan" in str(caught.value)


@pytest.mark.parametrize("target", [0, 0.0, -0.1, 1.1, float("nan"), float("inf"), True, "0.9"])
def test_target_outside_zero_one_is_refused(target):
    with pytest.raises(ConfigError, match=r"real_target must be a number in \(0, 1\]"):
        with_label_smoothing(LOSSES.get("bce"), "bce", target)


def test_bce_smoothed_keeps_large_logits_finite():
    big = torch.tensor([100.0, -100.0])
    smoothed = with_label_smoothing(LOSSES.get("bce"), "bce", 0.9)
    assert torch.isfinite(smoothed.d_loss(big, -big)).all()
    unsmoothed = with_label_smoothing(LOSSES.get("bce"), "bce", 1.0)
    assert torch.equal(unsmoothed.d_loss(big, -big), bce_d_loss(big, -big))
