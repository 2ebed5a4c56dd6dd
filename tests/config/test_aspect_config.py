"""data.aspect: image synthesis's own field (--aspect), checked when the configuration is made."""

from __future__ import annotations

import pytest

from duelo.errors import ConfigError
from duelo.tasks import TASKS


def image_gan(**overrides):
    return TASKS.get("image-gan").default_config().with_overrides(overrides)


def test_the_default_is_square_and_equal_ratios_are_accepted():
    assert TASKS.get("image-gan").default_config().data.aspect == "1:1"
    assert image_gan(**{"data.aspect": "8:6", "data.resolution": 64}).data.aspect == "8:6"


@pytest.mark.parametrize("overrides, message", [
    ({"data.aspect": "16:9"}, r"data.aspect '16:9' is not supported.*nearest is 2:1"),
    ({"data.aspect": "4x3"}, r"data.aspect must be a ratio width:height"),
    ({"data.aspect": "4:3", "data.resolution": 30}, r"resolution 30 with aspect 4:3"),
    ({"model.g_kwargs": {"aspect": "4:3"}}, r"g_kwargs cannot set aspect.*data.aspect"),
])
def test_bad_settings_are_refused_by_name(overrides, message):
    with pytest.raises(ConfigError, match=message):
        image_gan(**overrides)


def test_only_image_synthesis_has_the_field():
    owners = [name for name in TASKS.names() if "aspect" in TASKS.get(name).default_config().to_dict().get("data", {})]
    assert owners == ["image-gan"]
