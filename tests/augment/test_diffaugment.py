"""DiffAugment (Zhao et al. 2020): each op's effect checked against what the paper specifies."""

import itertools

import pytest
import torch

from duelo.augment import AUGMENTS, DiffAugment
from duelo.augment.diffaugment import cutout, translation
from duelo.errors import ConfigError
from duelo.augment.base import ALPHA_EMPTY
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


@pytest.mark.parametrize("channels", [0, 2, 5, "3"])
def test_channels_must_be_1_3_or_4(channels):
    with pytest.raises(ConfigError, match="channels must be 1 or 3 or 4"):
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


# ---------------------------------------------------------------- non-square and RGBA images

@pytest.mark.parametrize("size", [(24, 40), (40, 24)])
def test_translation_of_non_square_images_shifts_per_axis(size):
    """ty in {-round(H / 8)..}, tx in {-round(W / 8)..}: every shift in that rectangle occurs, no other."""
    h, w = size
    sy, sx = int(h / 8 + 0.5), int(w / 8 + 0.5)
    x = torch.arange(1.0, h * w + 1).view(1, 1, h, w).expand(512, 1, h, w)  # all non-zero, all distinct
    y = translation(x, torch.Generator().manual_seed(8))
    padded = torch.nn.functional.pad(x[0, 0], (sx, sx, sy, sy))
    centre = x[0, 0, h // 2, w // 2]                                        # never shifted out
    seen = set()
    for sample in y[:, 0]:
        row, col = (sample == centre).nonzero()[0].tolist()
        ty, tx = row - h // 2, col - w // 2
        assert abs(ty) <= sy and abs(tx) <= sx
        assert torch.equal(sample, padded[sy - ty:sy - ty + h, sx - tx:sx - tx + w])
        seen.add((ty, tx))
    assert len(seen) == (2 * sy + 1) * (2 * sx + 1)


@pytest.mark.parametrize("size", [(24, 40), (40, 24)])
def test_cutout_of_non_square_images_is_half_of_each_side(size):
    h, w = size
    y = cutout(torch.ones(N, 1, h, w), torch.Generator().manual_seed(9))
    holes = y[:, 0] == 0
    rows, cols = holes.any(2), holes.any(1)
    assert torch.equal(holes, rows[:, :, None] & cols[:, None, :])
    assert rows.sum(1).max() == int(h / 2 + 0.5) and cols.sum(1).max() == int(w / 2 + 0.5)
    fits = (rows.sum(1) == int(h / 2 + 0.5)) & (cols.sum(1) == int(w / 2 + 0.5))
    assert fits.float().mean() > 0.2                                         # a full rectangle is common


@pytest.mark.parametrize("op", [translation, cutout])
def test_emptied_rgba_pixels_are_transparent(op):
    """Colour 0 as for RGB; alpha -1 (transparent), not 0 (half transparent); kept pixels keep their alpha."""
    x = torch.cat([torch.ones(N, 3, 16, 24), torch.full((N, 1, 16, 24), 0.5)], dim=1)
    y = op(x, torch.Generator().manual_seed(10))
    emptied = y[:, 0] == 0
    assert emptied.any() and (~emptied).any()
    assert torch.equal(y[:, 3], torch.where(emptied, ALPHA_EMPTY, 0.5))
    assert torch.equal(y[:, :3], op(x[:, :3].contiguous(), torch.Generator().manual_seed(10)))


def test_color_statistics_ignore_alpha():
    """Saturation and contrast means are over RGB: changing only the alpha changes no RGB output."""
    g = torch.Generator().manual_seed(11)
    x = torch.rand(64, 4, 8, 12, generator=g) * 2 - 1
    other = x.clone()
    other[:, 3] = -other[:, 3]
    aug = DiffAugment(4, policy="color")
    a, b = aug(x, torch.Generator().manual_seed(12)), aug(other, torch.Generator().manual_seed(12))
    assert torch.equal(a[:, :3], b[:, :3]) and torch.equal(a[:, 3], x[:, 3])
