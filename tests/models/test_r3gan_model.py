"""R3GAN specifics: shapes and stages, conditioning, the fix-up initialisation (every residual block starts as the
identity), the [1, 2, 1] resampling, the output rule (linear in training, clamped in eval), the default sizes,
and argument errors. The contract itself is the conformance suite's."""

from __future__ import annotations

import math

import pytest
import torch

from duelo.errors import ConfigError
from duelo.models import build_discriminator, build_generator
from duelo.models.r3gan import ResidualBlock, downsample2x, upsample2x

SMALL = {"channel_base": 128, "channel_max": 16, "blocks_per_stage": 1}
NUM_CLASSES = 5


def make_g(resolution=16, channels=3, c_dim=0, seed=0, **kwargs):
    torch.manual_seed(seed)
    return build_generator("r3gan", resolution=resolution, channels=channels, c_dim=c_dim,
                           **{**SMALL, "z_dim": 16, "embed_dim": 8, **kwargs})


def make_d(resolution=16, channels=3, c_dim=0, seed=0, **kwargs):
    torch.manual_seed(seed)
    return build_discriminator("r3gan", resolution=resolution, channels=channels, c_dim=c_dim,
                               **{**SMALL, **kwargs})


def parameters(module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("resolution", [8, 16, 32])
@pytest.mark.parametrize(("c_dim", "channels"), [(0, 1), (NUM_CLASSES, 3), (0, 4)])
def test_shapes_and_stages(resolution, c_dim, channels):
    G, D = make_g(resolution, channels, c_dim), make_d(resolution, channels, c_dim)
    labels = torch.arange(3) % c_dim if c_dim else None
    fakes = G(torch.randn(3, 16), labels)
    assert fakes.shape == (3, channels, resolution, resolution)
    assert D(fakes, labels).shape == (3,)
    stages = int(math.log2(resolution)) - 1                              # 4, 8, ..., R
    assert len(G.stages) == len(D.stages) == stages
    assert len(G.transitions) == len(D.transitions) == stages - 1


def test_labels_change_both_networks_and_are_checked():
    G, D = make_g(c_dim=NUM_CLASSES).eval(), make_d(c_dim=NUM_CLASSES)
    z = torch.randn(1, 16).expand(2, -1)
    with torch.no_grad():
        images = G(z, torch.tensor([0, 3]))
        assert not torch.allclose(images[0], images[1])
        same = images[:1].expand(2, -1, -1, -1)
        logits = D(same, torch.tensor([0, 3]))
    assert logits[0] != logits[1]                                        # the projection term
    with pytest.raises(ValueError, match="c_dim"):
        G(z, None)
    with pytest.raises(ValueError, match="c_dim"):
        make_d()(same, torch.tensor([0, 3]))


def test_fixup_init_makes_every_block_the_identity():
    G, D = make_g(32, blocks_per_stage=2), make_d(32, blocks_per_stage=2)
    x = torch.randn(2, 16, 8, 8)
    for net in (G, D):
        blocks = [m for m in net.modules() if isinstance(m, ResidualBlock)]
        assert len(blocks) == 4 * 2                                      # stages 4, 8, 16, 32
        for block in blocks:
            assert not block.project.weight.any() and not block.project.bias.any()
            with torch.no_grad():
                assert torch.equal(block(x[:, :block.project.out_channels]), x[:, :block.project.out_channels])


def test_fixup_scales_the_other_branch_convolutions_by_blocks_to_the_minus_quarter():
    torch.manual_seed(0)
    G = build_generator("r3gan", resolution=16, channels=3)             # defaults: width 256, 3 stages x 2 blocks
    block = G.stages[0][0]
    gain = math.sqrt(2.0 / (1 + 0.2**2)) * 6 ** -0.25                   # He gain for lrelu(0.2) x L^(-1/4), L = 6
    for conv in (block.expand, block.spatial):
        fan_in = conv.weight[0].numel()
        assert conv.weight.std().item() == pytest.approx(gain / math.sqrt(fan_in), rel=0.05)
    assert block.spatial.groups == 512 // 16                              # expansion 2, 16 channels per group


def test_resampling_is_linear_interpolation_with_the_121_filter():
    x = torch.randn(2, 3, 4, 4)
    up = upsample2x(x)
    assert up.shape == (2, 3, 8, 8) and torch.equal(up[..., ::2, ::2], x)
    torch.testing.assert_close(up[..., 0, 1], (x[..., 0, 0] + x[..., 0, 1]) / 2)
    torch.testing.assert_close(up[..., 0, 7], x[..., 0, 3])              # the border sample repeated
    ramp = torch.arange(8.0).expand(1, 1, 8, 8)
    torch.testing.assert_close(downsample2x(ramp)[0, 0, 0, 1:], torch.tensor([2.0, 4.0, 6.0]))  # 1 2 1 / 4
    constant = torch.full((1, 2, 8, 8), 0.7)
    torch.testing.assert_close(downsample2x(constant), constant[..., :4, :4])
    torch.testing.assert_close(upsample2x(constant), torch.full((1, 2, 16, 16), 0.7))
    conv = torch.nn.Conv2d(3, 5, 1)                                      # the transitions' order does not matter
    with torch.no_grad():
        torch.testing.assert_close(conv(upsample2x(x)), upsample2x(conv(x)))
        big = torch.randn(2, 3, 8, 8)
        torch.testing.assert_close(conv(downsample2x(big)), downsample2x(conv(big)))


def test_output_is_linear_in_training_and_clamped_in_eval():
    G = make_g()
    with torch.no_grad():
        G.to_image.weight.mul_(50.0)
        z = torch.randn(4, 16)
        raw = G.train()(z)
        clamped = G.eval()(z)
    assert raw.abs().max() > 1
    assert torch.equal(clamped, raw.clamp(-1, 1))


def test_default_sizes_at_64_pixels():
    torch.manual_seed(0)
    G = build_generator("r3gan", resolution=64, channels=3)
    D = build_discriminator("r3gan", resolution=64, channels=3)
    assert 3.0e6 < parameters(G) < 3.4e6 and 3.0e6 < parameters(D) < 3.3e6   # 3.17M and 3.14M
    assert G.stages[-1][0].project.out_channels == 128 and G.stages[0][0].project.out_channels == 256


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"resolution": 12}, "power of two >= 8"),
    ({"resolution": 4}, "power of two >= 8"),
    ({"channels": 0}, "channels must be an integer >= 1"),
    ({"blocks_per_stage": 0}, "blocks_per_stage must be an integer >= 1"),
    ({"expansion": 1.5}, "expansion must be an integer"),
    ({"group_channels": True}, "group_channels must be an integer"),
    ({"width": 20}, "do not split into groups of group_channels=16"),   # bottleneck 40 channels
    ({"width": 0}, "width must be an integer >= 1"),
    ({"mbstd_group": 4}, "unexpected keyword"),
])
def test_bad_arguments(kwargs, message):
    arguments = {"resolution": 16, "channels": 3, "channel_base": 128, **kwargs}
    for build in (build_generator, build_discriminator):
        with pytest.raises(ConfigError, match=message):
            build("r3gan", **arguments)
