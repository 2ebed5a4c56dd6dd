"""DiffAugment (Zhao et al. 2020): each op's effect checked against what the paper specifies."""

import itertools

import pytest
import torch

from duelo.augment import AUGMENTS, DiffAugment
from duelo.augment.diffaugment import cutout, translation
from duelo.errors import ConfigError
from tests.augment.util import assert_close

N = 1024


def test_registered_and_built_by_name():
    assert AUGMENTS.get("diffaugment") is DiffAugment
    aug = AUGMENTS.build("diffaugment", channels=1, policy="translation, cutout")
    assert aug.policy == "translation,cutout"


@pytest.mark.parametrize("policy", ["colour", "color,flip", "color,,zoom"])
def test_unknown_op_is_a_config_error_listing_the_valid_ones(policy):
    with pytest.raises(ConfigError, match="color, translation, cutout"):
        DiffAugment(3, policy=policy)


@pytest.mark.parametrize("policy", ["", " , ", "color,color"])
def test_empty_or_repeated_policy_is_a_config_error(policy):
    with pytest.raises(ConfigError, match="policy"):
        DiffAugment(3, policy=policy)


@pytest.mark.parametrize("channels", [0, 2, 4, "3"])
def test_channels_must_be_1_or_3(channels):
    with pytest.raises(ConfigError, match="channels"):
        DiffAugment(channels)


def test_status_reports_probability_one():
    status = DiffAugment(3).status()
    assert set(status) == {"augment_p"} and status["augment_p"].item() == 1.0
    assert DiffAugment(3).state_dict() == {}                  # stateless: nothing to resume


def test_translation_is_a_zero_padded_integer_shift():
    """Every output is the input shifted by some (ty, tx) with |t| <= round(R / 8), zeros shifted in."""
    r, s = 8, 1
    x = torch.arange(1.0, r * r + 1).view(1, 1, r, r).expand(64, 1, r, r)   # all non-zero, all distinct
    y = translation(x, torch.Generator().manual_seed(0))
    padded = torch.nn.functional.pad(x[0, 0], (s, s, s, s))
    seen = set()
    for sample in y[:, 0]:
        matches = [(ty, tx) for ty, tx in itertools.product(range(-s, s + 1), repeat=2)
                   if torch.equal(sample, padded[s - ty:s - ty + r, s - tx:s - tx + r])]
        assert len(matches) == 1
        seen.add(matches[0])
    assert len(seen) == (2 * s + 1) ** 2                      # every shift in range occurs


@pytest.mark.parametrize("resolution", [28, 32])
def test_translation_zero_fraction_on_ones(resolution):
    s = int(resolution / 8 + 0.5)
    y = translation(torch.ones(N, 1, resolution, resolution), torch.Generator().manual_seed(1))
    kept_per_axis = sum(resolution - abs(t) for t in range(-s, s + 1)) / ((2 * s + 1) * resolution)
    expected = 1.0 - kept_per_axis ** 2                        # shifts in y and x are independent
    zeros = (y == 0).float().mean().item()
    assert abs(zeros - expected) < 0.01, (zeros, expected)
    assert ((y == 0) | (y == 1)).all()


@pytest.mark.parametrize("resolution", [7, 28, 32])
def test_cutout_square_of_half_the_side(resolution):
    size = int(resolution / 2 + 0.5)
    y = cutout(torch.ones(N, 1, resolution, resolution), torch.Generator().manual_seed(2))
    holes = y[:, 0] == 0
    assert ((y == 0) | (y == 1)).all()
    # The hole is one axis-aligned rectangle, at most size x size, exactly that when it fits.
    rows, cols = holes.any(2), holes.any(1)                    # (N, R) each
    assert torch.equal(holes, rows[:, :, None] & cols[:, None, :])
    assert rows.sum(1).max() == size and cols.sum(1).max() == size
    # Centre uniform over the pixels, the square clipped at the border: E[area] = (E[side kept] / R)^2.
    kept = [min(c - size // 2 + size, resolution) - max(c - size // 2, 0) for c in range(resolution)]
    expected = (sum(kept) / len(kept) / resolution) ** 2
    area = holes.float().mean().item()
    assert abs(area - expected) < 0.01, (area, expected)
    assert 0.15 < area <= 0.25                                 # "a quarter of the image", minus clipping


@pytest.mark.parametrize("channels", [1, 3])
def test_color_on_grey_is_a_brightness_shift(channels):
    """A constant grey image: saturation and contrast leave it alone, brightness adds b ~ U[-0.5, 0.5]."""
    x = torch.full((N, channels, 8, 8), 0.2)
    y = DiffAugment(channels, policy="color")(x, torch.Generator().manual_seed(3))
    shift = y - x
    assert_close(shift, shift[:, :1, :1, :1].expand_as(shift))
    b = shift[:, 0, 0, 0]
    assert b.min() >= -0.5 - 1e-6 and b.max() <= 0.5 + 1e-6
    assert abs(b.mean().item()) < 0.03 and abs(b.std().item() - 12 ** -0.5) < 0.02


def test_color_saturation_and_contrast_ranges():
    """Image mean moves by b only; deviation from the pixel's channel mean is scaled by s * c."""
    g = torch.Generator().manual_seed(4)
    x = torch.rand(N, 3, 8, 8, generator=g) * 2 - 1
    y = DiffAugment(3, policy="color")(x, torch.Generator().manual_seed(5))
    b = (y.mean(dim=(1, 2, 3)) - x.mean(dim=(1, 2, 3)))
    assert b.abs().max() <= 0.5 + 1e-5
    dev_x = x - x.mean(dim=1, keepdim=True)
    dev_y = y - y.mean(dim=1, keepdim=True)
    ratio = (dev_y * dev_x).sum(dim=(1, 2, 3)) / dev_x.square().sum(dim=(1, 2, 3))   # = s * c exactly
    assert ratio.min() >= -1e-5 and ratio.max() <= 2 * 1.5 + 1e-5
    assert abs(ratio.mean().item() - 1.0) < 0.05                # E[s] E[c] = 1 * 1
    assert_close(dev_y, dev_x * ratio[:, None, None, None], atol=1e-5)


def test_policy_order_is_respected():
    x = torch.rand(4, 3, 8, 8, generator=torch.Generator().manual_seed(6))
    a = DiffAugment(3, policy="translation,cutout")(x, torch.Generator().manual_seed(7))
    b = DiffAugment(3, policy="cutout,translation")(x, torch.Generator().manual_seed(7))
    assert not torch.equal(a, b)
