"""MLP specifics: any resolution >= 4, argument checks, layer sizes."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from duelo.errors import ConfigError
from duelo.models import build_discriminator, build_generator


def test_any_resolution_from_4():
    generator = build_generator("mlp", resolution=28, channels=1, c_dim=10, width=32, depth=2)
    discriminator = build_discriminator("mlp", resolution=28, channels=1, c_dim=10, width=32, depth=2)
    labels = torch.arange(3)
    images = generator(generator.sample_latents(3), labels)
    assert images.shape == (3, 1, 28, 28)
    assert discriminator(images, labels).shape == (3,)
    assert build_generator("mlp", resolution=4, channels=3)(torch.randn(2, 64)).shape == (2, 3, 4, 4)


@pytest.mark.parametrize(("field", "value"), [("resolution", 3), ("depth", 0), ("width", 0), ("channels", 0)])
def test_rejects_bad_sizes_naming_the_field(field, value):
    kwargs = {"resolution": 16, "channels": 1, field: value}
    with pytest.raises(ConfigError, match=field):
        build_generator("mlp", **kwargs)
    with pytest.raises(ConfigError, match=field):
        build_discriminator("mlp", **kwargs)


def test_layer_sizes():
    generator = build_generator("mlp", resolution=8, channels=3, c_dim=5, z_dim=10, width=20, depth=3,
                                embed_dim=6)
    linears = [m for m in generator.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(16, 20), (20, 20), (20, 20), (20, 192)]
    discriminator = build_discriminator("mlp", resolution=8, channels=3, width=20, depth=2)
    linears = [m for m in discriminator.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(192, 20), (20, 20), (20, 1)]
