"""Projection of images into a generator's latent space: recovery, masks, determinism, state, validation."""

from __future__ import annotations

import pytest
import torch

from duelo.errors import ConfigError
from duelo.models import build_generator
from duelo.sampling.projection import learning_rate, masked_mse, project, psnr, render


def _style_g(c_dim: int = 0):
    torch.manual_seed(0)
    return build_generator("stylegan2", resolution=16, channels=3, c_dim=c_dim, z_dim=16, w_dim=16,
                           mapping_layers=2, channel_base=256, channel_max=16, embed_dim=8)


def _resnet_g():
    torch.manual_seed(0)
    return build_generator("resnet", resolution=16, channels=3, z_dim=8, width=16)


def _made_by(G, seed: int = 5, n: int = 2, labels=None):
    G.eval()
    with torch.no_grad():
        z = torch.randn(n, G.z_dim, generator=torch.Generator().manual_seed(seed))
        return G(z, labels)


def _seeded(seed: int = 1) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("space", ["w", "w+", "z"])
def test_style_generator_recovers_its_own_image(space):
    G = _style_g()
    target = _made_by(G)
    start = project(G, target, steps=1, space=space, generator=_seeded())
    result = project(G, target, steps=120, space=space, generator=_seeded())
    assert result.space == space
    assert len(result.loss_history) == 120
    assert (result.mse < start.mse / 20).all(), (start.mse, result.mse)
    assert (psnr(result.mse) > psnr(start.mse) + 13).all()
    # the images are what the returned latent renders to, and mse is measured on them
    with torch.no_grad():
        assert torch.allclose(render(G.eval(), result.latent, space), result.images, atol=1e-5)
    assert torch.allclose(masked_mse(result.images, target), result.mse, atol=1e-6)
    expected = {"w": (2, 16), "w+": (2, G.num_ws, 16), "z": (2, 16)}[space]
    assert tuple(result.latent.shape) == expected


def test_z_projection_of_a_generator_without_w_space():
    G = _resnet_g()
    target = _made_by(G, seed=3)
    start = project(G, target, steps=1, generator=_seeded())
    result = project(G, target, steps=100, generator=_seeded())
    assert result.space == "z"
    assert (result.mse < start.mse / 20).all(), (start.mse, result.mse)
    # the latent stays in the typical shell of N(0, I): norm within sqrt(8) +- 3 / sqrt(2)
    norms = result.latent.norm(dim=1)
    assert ((norms > 8 ** 0.5 - 2.13) & (norms < 8 ** 0.5 + 2.13)).all()


def test_typical_shell_clamps_only_atypical_norms():
    from duelo.sampling.projection import to_typical_shell

    z = torch.randn(3, 512, generator=_seeded(0))
    assert torch.allclose(to_typical_shell(z), z)                   # typical draws are left alone
    tiny, huge = to_typical_shell(z * 0.01), to_typical_shell(z * 10)
    assert torch.allclose(tiny.norm(dim=1), torch.full((3,), 512 ** 0.5 - 3 / 2 ** 0.5), atol=1e-3)
    assert torch.allclose(huge.norm(dim=1), torch.full((3,), 512 ** 0.5 + 3 / 2 ** 0.5), atol=1e-3)
    assert torch.allclose(huge / huge.norm(dim=1, keepdim=True), z / z.norm(dim=1, keepdim=True), atol=1e-6)


def test_pixels_under_mask_zero_do_not_affect_the_result():
    G = _style_g()
    target = _made_by(G)
    mask = torch.ones(2, 1, 16, 16)
    mask[:, :, 4:12, 4:12] = 0.0
    changed = target.clone()
    changed[:, :, 4:12, 4:12] = torch.rand(2, 3, 8, 8) * 2 - 1
    a = project(G, target, steps=30, mask=mask, generator=_seeded())
    b = project(G, changed, steps=30, mask=mask, generator=_seeded())
    assert torch.equal(a.latent, b.latent)
    assert a.loss_history == b.loss_history
    # ...while without the mask the change does matter
    c = project(G, changed, steps=30, generator=_seeded())
    assert not torch.equal(a.latent, c.latent)
    # the masked loss ignores the hidden pixels: mse of the known ones only
    assert torch.allclose(masked_mse(a.images, changed, mask), a.mse, atol=1e-6)


def test_same_seed_same_result_and_other_seed_differs_for_z():
    G = _resnet_g()
    target = _made_by(G)
    a = project(G, target, steps=15, generator=_seeded(4))
    b = project(G, target, steps=15, generator=_seeded(4))
    c = project(G, target, steps=15, generator=_seeded(5))
    assert torch.equal(a.latent, b.latent) and a.loss_history == b.loss_history
    assert not torch.equal(a.latent, c.latent)


def test_generator_state_is_restored():
    G = _style_g()
    target = _made_by(G)
    G.train()
    G.mapping_net[0].weight.requires_grad_(False)          # a mixed state must come back exactly
    before = {name: p.requires_grad for name, p in G.named_parameters()}
    weights = {name: p.detach().clone() for name, p in G.named_parameters()}
    w_avg = G.w_avg.clone()
    project(G, target, steps=3, generator=_seeded())
    assert G.training
    assert {name: p.requires_grad for name, p in G.named_parameters()} == before
    assert all(torch.equal(p, weights[name]) for name, p in G.named_parameters())
    assert all(p.grad is None for p in G.parameters())
    assert torch.equal(G.w_avg, w_avg)                     # eval mode: the tracked mean is untouched


def test_conditional_projection_uses_the_label():
    G = _style_g(c_dim=3)
    labels = torch.tensor([2, 0])
    target = _made_by(G, labels=labels)
    right = project(G, target, labels=labels, steps=120, generator=_seeded())
    start = project(G, target, labels=labels, steps=1, generator=_seeded())
    assert (right.mse < start.mse / 10).all(), (start.mse, right.mse)
    # with the wrong labels the same target is reproduced worse
    wrong = project(G, target, labels=torch.tensor([0, 1]), steps=120, generator=_seeded())
    assert (wrong.mse > right.mse).all(), (wrong.mse, right.mse)
    with pytest.raises(ValueError, match="one label per"):
        project(G, target, steps=2)
    with pytest.raises(ConfigError, match="out of range"):
        project(G, target, labels=torch.tensor([3, 0]), steps=2)


def test_bad_inputs_are_refused_clearly():
    G = _style_g()
    good = _made_by(G)
    with pytest.raises(ValueError, match=r"\(N, 3, 16, 16\)"):
        project(G, good[:, :1], steps=2)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        project(G, good * 3, steps=2)
    with pytest.raises(ValueError, match="unconditional"):
        project(G, good, labels=torch.tensor([0, 0]), steps=2)
    with pytest.raises(ValueError, match="does not broadcast"):
        project(G, good, mask=torch.ones(2, 1, 8, 8), steps=2)
    with pytest.raises(ValueError, match="hides every pixel"):
        project(G, good, mask=torch.zeros(2, 1, 16, 16), steps=2)
    with pytest.raises(ConfigError, match="space 'x'"):
        project(G, good, space="x", steps=2)
    with pytest.raises(ConfigError, match="steps"):
        project(G, good, steps=0)
    with pytest.raises(ConfigError, match=r"'resnet'.*'z'"):
        project(_resnet_g(), _made_by(_resnet_g()), space="w+", steps=2)


def test_learning_rate_schedule_warms_up_and_ramps_down_to_zero():
    rates = [learning_rate(step, 100, 0.1, rampup=0.05, rampdown=0.25) for step in range(101)]
    assert rates[0] == pytest.approx(0.1 / 5)
    assert rates[4:75] == pytest.approx([0.1] * 71)
    assert rates[100] == pytest.approx(0.0, abs=1e-12)
    assert all(a >= b for a, b in zip(rates[75:], rates[76:]))
    assert learning_rate(50, 100, 0.1, rampup=0, rampdown=0) == 0.1
