"""DP-SGD's gradient: with no noise and a large clip it is the mean gradient autograd gives; each record's share is
clipped to the norm (one record moves the sum by at most `clip`, however large its loss); the noise has the stated
standard deviation; the surrogate loss hands the trainer exactly these gradients; layers that mix records are
refused."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from duelo.errors import ConfigError
from duelo.privacy.dpsgd import check_module, private_gradients, surrogate_loss


def critic():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))


def pair_loss(call, real, fake):                  # a pair's BCE critic loss, as a discriminator's record
    return nn.functional.softplus(-call(real)).sum() + nn.functional.softplus(call(fake)).sum()


def test_without_noise_and_clipping_it_is_the_mean_gradient():
    D = critic()
    real, fake = torch.randn(10, 3), torch.randn(10, 3)
    grads, stats = private_gradients(D, pair_loss, (real, fake), clip=1e6, noise_multiplier=0.0,
                                     expected_batch=10, chunk=4)
    D.zero_grad()
    (pair_loss(D, real, fake) / 10).backward()
    for name, p in D.named_parameters():
        torch.testing.assert_close(grads[name], p.grad, rtol=1e-4, atol=1e-6)
    assert stats["dp_records"] == 10 and stats["dp_clipped"] == 0


def test_one_record_moves_the_sum_by_at_most_the_clip():
    D = critic()
    real, fake = torch.randn(6, 3), torch.randn(6, 3)
    outlier = real.clone()
    outlier[0] = 1e4                                    # one record with an enormous gradient
    a, _ = private_gradients(D, pair_loss, (real, fake), clip=0.5, noise_multiplier=0.0, expected_batch=1)
    b, stats = private_gradients(D, pair_loss, (outlier, fake), clip=0.5, noise_multiplier=0.0, expected_batch=1)
    change = torch.sqrt(sum((a[n] - b[n]).square().sum() for n in a))
    assert change <= 2 * 0.5 + 1e-4 and stats["dp_clipped"] > 0
    removed, _ = private_gradients(D, pair_loss, (real[1:], fake[1:]), clip=0.5, noise_multiplier=0.0,
                                   expected_batch=1)
    assert torch.sqrt(sum((a[n] - removed[n]).square().sum() for n in a)) <= 0.5 + 1e-4


def test_the_noise_has_the_stated_scale_and_an_empty_batch_is_noise_alone():
    D = nn.Linear(200, 50)
    empty = torch.zeros(0, 200)
    grads, stats = private_gradients(D, lambda call, x: call(x).sum(), (empty,), clip=2.0, noise_multiplier=1.5,
                                     expected_batch=4, generator=torch.Generator().manual_seed(0))
    assert stats["dp_records"] == 0
    assert grads["weight"].std().item() == pytest.approx(1.5 * 2.0 / 4, rel=0.05)


def test_the_surrogate_loss_gives_the_trainer_these_gradients():
    D = critic()
    wanted = {name: torch.randn_like(p) for name, p in D.named_parameters()}
    D.zero_grad()
    surrogate_loss(D, wanted).backward()
    for name, p in D.named_parameters():
        torch.testing.assert_close(p.grad, wanted[name])


def test_layers_that_mix_records_are_refused():
    with pytest.raises(ConfigError, match="batch norm"):
        check_module(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)), "the discriminator")
    with pytest.raises(ConfigError, match="spectral norm"):
        check_module(nn.utils.parametrizations.spectral_norm(nn.Linear(3, 4)), "the discriminator")
    check_module(nn.Sequential(nn.Linear(3, 4), nn.GroupNorm(2, 4)), "the discriminator")
