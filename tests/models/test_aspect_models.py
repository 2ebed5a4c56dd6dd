"""Non-square images (duelo.aspect): every family registered with ModelInfo.aspects makes and judges (H, W) images
at the supported ratios, learns through every parameter, saves and reloads its aspect, and builds the very same
square model as before when the aspect is "1:1"; the other families refuse a non-square aspect by name."""

from __future__ import annotations

import json

import pytest
import torch

from duelo.aspect import SUPPORTED_ASPECTS, canonical_aspect, image_size, parse_aspect
from duelo.errors import ConfigError
from duelo.io.pretrained import load_pretrained, save_pretrained
from duelo.models import (DISCRIMINATORS, GENERATORS, build_discriminator, build_generator, build_patch_discriminator,
                          build_translator)

BATCH = 2
# name -> (resolution, generator kwargs, discriminator kwargs): small, so every case runs in well under a second
SMALL: dict[str, tuple[int, dict, dict]] = {
    "dcgan": (64, {"width": 4, "z_dim": 8}, {"width": 4}),
    "stylegan2": (64, {"channel_base": 64, "channel_max": 8, "z_dim": 8, "w_dim": 8, "mapping_layers": 1},
                  {"channel_base": 64, "channel_max": 8}),
    "fastgan": (64, {"channel_base": 128, "channel_max": 8, "z_dim": 8}, {"channel_base": 128, "channel_max": 8}),
    "r3gan": (64, {"channel_base": 64, "channel_max": 16, "blocks_per_stage": 1, "z_dim": 8},
              {"channel_base": 64, "channel_max": 16, "blocks_per_stage": 1}),
}
# aspect -> (H, W) at resolution 64: landscape, portrait, and the thinnest grid (one cell high at the first stage)
SHAPES = {"4:3": (48, 64), "1:2": (64, 32), "4:1": (16, 64)}


def build_pair(name: str, aspect: str, c_dim: int = 0, seed: int = 0):
    resolution, g_kwargs, d_kwargs = SMALL[name]
    torch.manual_seed(seed)
    G = build_generator(name, resolution=resolution, channels=3, c_dim=c_dim, aspect=aspect, **g_kwargs)
    D = build_discriminator(name, resolution=resolution, channels=3, c_dim=c_dim, aspect=aspect, **d_kwargs)
    return G, D


def test_the_families_that_take_an_aspect():
    assert GENERATORS.names(aspects=True) == sorted(SMALL) == DISCRIMINATORS.names(aspects=True)


def test_helpers():
    assert [image_size(64, aspect) for aspect in ("1:1", "4:3", "3:4", "2:1", "1:2", "4:1", "1:4")] == \
        [(64, 64), (48, 64), (64, 48), (32, 64), (64, 32), (16, 64), (64, 16)]
    assert parse_aspect("4:3") == (3, 4) and parse_aspect(" 8 : 6 ") == (3, 4) and canonical_aspect("8:6") == "4:3"
    assert set(SUPPORTED_ASPECTS.values()) == {(h, w) for h in range(1, 5) for w in range(1, 5) if max(h, w) == 4}


@pytest.mark.parametrize("bad, hint", [("16:9", "nearest is 2:1"), ("4-3", "width:height"), ("0:1", "zero side"),
                                       ("5:4", "nearest is 4:3"), ("", "width:height"), (43, "width:height")])
def test_bad_aspects_are_config_errors_naming_the_field(bad, hint):
    with pytest.raises(ConfigError, match="aspect") as caught:
        parse_aspect(bad)
    assert hint in str(caught.value) and "1:1, 4:3, 3:4, 2:1, 1:2, 4:1, 1:4" in str(caught.value)
    with pytest.raises(ConfigError, match=r"dcgan: aspect"):
        build_generator("dcgan", resolution=16, channels=1, aspect=bad)


@pytest.mark.parametrize("aspect", sorted(SHAPES))
@pytest.mark.parametrize("name", sorted(SMALL))
def test_generator_and_discriminator_shapes_and_gradients(name, aspect):
    G, D = build_pair(name, aspect, c_dim=3)
    labels = torch.arange(BATCH) % 3
    images = G(G.sample_latents(BATCH), labels)
    assert images.shape == (BATCH, 3, *SHAPES[aspect]) and G.image_size == SHAPES[aspect] == D.image_size
    if getattr(D, "self_supervised", False):           # D's real step also trains its decoders (fastgan)
        logits, recon = D.forward_with_reconstruction(images, labels, torch.Generator().manual_seed(1))
        loss = logits.mean() + recon
    else:
        logits = D(images, labels)
        loss = logits.mean()
    assert logits.shape == (BATCH,) and torch.isfinite(logits).all()
    loss.backward()
    for kind, module in (("G", G), ("D", D)):
        for key, parameter in module.named_parameters():
            assert parameter.grad is not None and torch.isfinite(parameter.grad).all(), f"{name} {kind}.{key}"
    G.eval(), D.eval()
    with torch.no_grad():                                # eval mode: the fused modulated convolution, const noise
        assert G(G.sample_latents(BATCH), labels).shape == (BATCH, 3, *SHAPES[aspect])
        assert D(images, labels).shape == (BATCH,)


# the tensors laid out on the base grid (4x4 in square models), as (network, state-dict key)
GRID_TENSORS = {
    "dcgan": [("G", "body.0.weight"), ("D", "to_logit.weight")],
    "stylegan2": [("G", "const"), ("G", "layers.0.noise.const_noise")],
    "fastgan": [("G", "init.0.parametrizations.weight.original"),
                ("G", "excite.32.conv1.parametrizations.weight.original"),
                ("D", "head.6.parametrizations.weight.original")],
    "r3gan": [("G", "basis"), ("D", "basis.weight")],
}


@pytest.mark.parametrize("aspect, grid", [("1:1", (4, 4)), ("4:3", (3, 4)), ("1:2", (4, 2))])
@pytest.mark.parametrize("name", sorted(SMALL))
def test_the_base_grid_is_h0_by_w0(name, aspect, grid):
    """Height first: a transposed grid would still run at 1:1 (and make W x H images at the other ratios)."""
    G, D = build_pair(name, aspect)
    states = {"G": G.state_dict(), "D": D.state_dict()}
    for net, key in GRID_TENSORS[name]:
        assert tuple(states[net][key].shape[-2:]) == grid, (net, key)
    if name == "stylegan2":                              # the epilogue flattens C4 x h0 x w0 features
        assert states["D"]["fc.weight"].shape[1] == 8 * grid[0] * grid[1]


@pytest.mark.parametrize("name", sorted(SMALL))
def test_save_load_round_trip_keeps_the_aspect(name, tmp_path):
    G, D = build_pair(name, "3:4")
    G.eval(), D.eval()
    z = G.sample_latents(BATCH, generator=torch.Generator().manual_seed(2))
    for module, sample in ((G, z), (D, torch.rand(BATCH, 3, 64, 48) * 2 - 1)):
        folder = save_pretrained(module, tmp_path / type(module).__name__)
        assert json.loads((folder / "config.json").read_text())["kwargs"]["aspect"] == "3:4"
        loaded = load_pretrained(folder)
        assert loaded.aspect == "3:4" and loaded.image_size == (64, 48)
        with torch.no_grad():
            assert torch.equal(loaded(sample), module(sample))


@pytest.mark.parametrize("name", sorted(SMALL))
def test_square_aspect_builds_the_square_model_of_before(name):
    """"1:1" is the old behaviour: the same parameters, buffers and outputs as a model built without `aspect` (what
    saved models of duelo 0.1/0.2 hold in their config.json)."""
    resolution, g_kwargs, d_kwargs = SMALL[name]
    for build, kwargs in ((build_generator, g_kwargs), (build_discriminator, d_kwargs)):
        torch.manual_seed(0)
        before = build(name, resolution=resolution, channels=3, **kwargs)
        torch.manual_seed(0)
        square = build(name, resolution=resolution, channels=3, aspect="1:1", **kwargs)
        assert before.state_dict().keys() == square.state_dict().keys()
        assert all(torch.equal(v, square.state_dict()[k]) for k, v in before.state_dict().items())
        assert before.image_size == (resolution, resolution)


@pytest.mark.parametrize("name", ["mlp", "resnet", "progan"])
def test_square_only_families_refuse_an_aspect_naming_those_that_take_one(name):
    with pytest.raises(ConfigError, match=r"takes no aspect.*dcgan, fastgan, r3gan, stylegan2"):
        build_generator(name, resolution=16, channels=1, aspect="4:3")
    with pytest.raises(ConfigError, match="takes no aspect"):
        build_discriminator(name, resolution=16, channels=1, aspect="2:1")
    square = build_generator(name, resolution=16, channels=1, aspect="1:1")     # square: nothing to refuse
    assert "aspect" not in square.duelo_spec["kwargs"] and square.image_size == (16, 16)


def test_translators_refuse_an_aspect():
    with pytest.raises(ConfigError, match="translator 'unet' takes no aspect"):
        build_translator("unet", in_channels=3, out_channels=3, resolution=32, aspect="4:3")
    with pytest.raises(ConfigError, match="takes no aspect"):
        build_patch_discriminator("patchgan", in_channels=6, resolution=32, aspect="4:3")
