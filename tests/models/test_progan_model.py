"""The progressively grown family: what each level computes, smooth fade-in, the level as saved state."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from duelo.errors import ConfigError
from duelo.io.pretrained import load_pretrained, save_pretrained
from duelo.models import build_discriminator, build_generator

SMALL = {"channel_base": 128, "channel_max": 16}


def make(c_dim: int = 0, resolution: int = 32, seed: int = 0):
    torch.manual_seed(seed)
    G = build_generator("progan", resolution=resolution, channels=1, c_dim=c_dim, z_dim=16, embed_dim=8, **SMALL)
    D = build_discriminator("progan", resolution=resolution, channels=1, c_dim=c_dim, **SMALL)
    return G, D


def latents(n: int = 6, c_dim: int = 0):
    rng = torch.Generator().manual_seed(5)
    z = torch.randn(n, 16, generator=rng)
    return z, (torch.randint(0, c_dim, (n,), generator=rng) if c_dim else None)


@pytest.mark.parametrize("level", [0, 1, 2])
def test_each_integer_level_draws_at_its_own_resolution(level):
    G, _ = make()
    G.set_level(level)
    z, _ = latents()
    with torch.no_grad():
        images = G(z)
    size = 4 * 2**level
    factor = 32 // size
    low = images[:, :, ::factor, ::factor]                        # one pixel per block
    assert images.shape == (6, 1, 32, 32)
    assert torch.equal(F.interpolate(low, scale_factor=factor, mode="nearest"), images)
    if level < G.lod.max_level:                                    # and it really is coarser than full size
        G.set_level(G.lod.max_level)
        with torch.no_grad():
            assert not torch.equal(G(z), images)


@pytest.mark.parametrize("c_dim", [0, 10])
def test_fade_in_starts_where_the_previous_level_left_off(c_dim):
    """Karras et al. 2018 fade new layers in smoothly: level k - 1 + a tends to level k - 1 as a -> 0, and to
    level k as a -> 1, for both networks (a jump would shock training at every stage boundary)."""
    G, D = make(c_dim)
    z, labels = latents(c_dim=c_dim)
    real = torch.rand(6, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        for k in (1, 2, 3):
            outputs = {}
            for level in (k - 1, k - 1 + 1e-6, k - 1e-6, k, k - 0.5):
                G.set_level(level), D.set_level(level)
                outputs[level] = (G(z, labels), D(real, labels))
            for a, b in ((k - 1, k - 1 + 1e-6), (k, k - 1e-6)):
                torch.testing.assert_close(outputs[a][0], outputs[b][0], atol=1e-4, rtol=0)
                torch.testing.assert_close(outputs[a][1], outputs[b][1], atol=1e-4, rtol=1e-4)
            middle = outputs[k - 0.5][0]                             # half-way is neither end
            assert not torch.allclose(middle, outputs[k - 1][0], atol=1e-3)
            assert not torch.allclose(middle, outputs[k][0], atol=1e-3)


def test_discriminator_at_a_low_level_sees_only_the_pooled_image():
    _, D = make()
    D.set_level(1)                                               # 8x8
    image = torch.rand(4, 1, 32, 32) * 2 - 1
    blocky = F.interpolate(F.avg_pool2d(image, 4), scale_factor=4, mode="nearest")   # same 8x8 content
    with torch.no_grad():
        torch.testing.assert_close(D(image), D(blocky), atol=1e-5, rtol=1e-5)
        D.set_level(3)
        assert not torch.allclose(D(image), D(blocky), atol=1e-3)


@pytest.mark.parametrize("level", [0, 0.25, 1, 2.5, 3])
def test_only_the_layers_of_the_current_level_learn(level):
    G, D = make(c_dim=10)
    G.set_level(level), D.set_level(level)
    z, labels = latents(c_dim=10)
    D(G(z, labels), labels).mean().backward()
    for module in (G, D):
        inactive = module.inactive_parameter_names()
        got = {key for key, p in module.named_parameters() if p.grad is not None}
        assert got and not got & inactive
        assert got | inactive == {key for key, _ in module.named_parameters()}
    expected_blocks = int(-(-level // 1))                           # ceil: the stages in use
    assert {k.split(".")[1] for k in D.inactive_parameter_names() if k.startswith("blocks.")} == \
        {str(i) for i in range(expected_blocks, 3)}


def test_the_level_is_saved_with_the_model_and_restored(tmp_path):
    G, _ = make()
    G.set_level(1.25)
    loaded = load_pretrained(save_pretrained(G, tmp_path / "g"))
    assert (loaded.lod.stage, loaded.lod.fading) == (2, True)
    assert float(loaded.lod.level) == 1.25
    z, _ = latents()
    G.eval()
    with torch.no_grad():
        assert torch.equal(loaded(z), G(z))
    fresh, _ = make()                                             # a new model is fully grown
    assert (fresh.lod.stage, fresh.lod.fading) == (3, False)
    fresh.load_state_dict(G.state_dict())
    assert (fresh.lod.stage, fresh.lod.fading) == (2, True)


@pytest.mark.parametrize("kwargs, field", [({"level": 4}, "level"), ({"level": -1}, "level"),
                                           ({"resolution": 24}, "resolution"), ({"channel_max": 0}, "channel_max")])
def test_bad_arguments_are_refused_by_name(kwargs, field):
    arguments = {"resolution": 32, "channels": 1, **kwargs}
    with pytest.raises(ConfigError, match=field):
        build_generator("progan", **arguments)
    with pytest.raises(ConfigError, match=field):
        build_discriminator("progan", **arguments)
