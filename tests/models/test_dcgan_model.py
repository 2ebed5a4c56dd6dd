"""DCGAN specifics: resolution rules, the channel table, discriminator normalisation choices."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from duelo.errors import ConfigError
from duelo.models import build_discriminator, build_generator
from duelo.models.dcgan import dcgan_channels


@pytest.mark.parametrize(("resolution", "suggestion"), [(28, 32), (4, 8), (100, 128), (0, 8)])
@pytest.mark.parametrize("build", [build_generator, build_discriminator])
def test_rejects_resolutions_that_are_not_powers_of_two_from_8(build, resolution, suggestion):
    with pytest.raises(ConfigError, match="resolution") as caught:
        build("dcgan", resolution=resolution, channels=1)
    assert f"got {resolution}" in str(caught.value)
    assert f"--resolution {suggestion}" in str(caught.value)


def test_channel_table():
    assert dcgan_channels(32, width=64) == (256, 128, 64)
    assert dcgan_channels(8, width=64) == (64,)
    assert dcgan_channels(128, width=64, max_width=512) == (512, 512, 256, 128, 64)  # 1024 capped


def test_generator_and_discriminator_follow_the_table():
    generator = build_generator("dcgan", resolution=32, channels=3, width=64)
    discriminator = build_discriminator("dcgan", resolution=32, channels=3, width=64)
    g_convs = [m for m in generator.modules() if isinstance(m, nn.ConvTranspose2d)]
    d_convs = [m for m in discriminator.body.modules() if isinstance(m, nn.Conv2d)]
    assert [m.out_channels for m in g_convs] == [256, 128, 64, 3]
    assert [m.out_channels for m in d_convs] == [64, 128, 256]
    assert discriminator.to_logit.in_channels == 256


def test_paper_initialisation():
    torch.manual_seed(0)
    generator = build_generator("dcgan", resolution=64, channels=3, width=64)
    convs = [m for m in generator.modules() if isinstance(m, nn.ConvTranspose2d)]
    norms = [m for m in generator.modules() if isinstance(m, nn.BatchNorm2d)]
    weights = torch.cat([m.weight.flatten() for m in convs])
    scales = torch.cat([m.weight.flatten() for m in norms])
    assert abs(weights.std().item() - 0.02) < 1e-3 and abs(weights.mean().item()) < 1e-3
    assert abs(scales.mean().item() - 1.0) < 5e-3
    assert all(m.bias is None or not m.bias.any() for m in convs + norms)


def test_norm_none_has_no_batch_norm_and_keeps_biases():
    critic = build_discriminator("dcgan", resolution=32, channels=3, c_dim=10, width=8, norm="none")
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in critic.modules())
    assert all(m.bias is not None for m in critic.modules() if isinstance(m, nn.Conv2d))
    images = torch.randn(2, 3, 32, 32)
    single = critic(images[:1], torch.tensor([3]))
    paired = critic(images, torch.tensor([3, 5]))
    assert torch.allclose(single, paired[:1], atol=1e-6)  # per-sample: no mixing across the batch


def test_unknown_norm_lists_the_choices():
    with pytest.raises(ConfigError, match="'layer'.*batch, group, none"):
        build_discriminator("dcgan", resolution=32, channels=3, norm="layer")


def test_unknown_argument_is_a_config_error():
    with pytest.raises(ConfigError, match="dcgan"):
        build_generator("dcgan", resolution=32, channels=3, widht=64)
