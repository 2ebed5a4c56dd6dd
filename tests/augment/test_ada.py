"""ADA (Karras et al. 2020): the bgc pipeline gated by p, and the r_t controller that tunes p."""

import math

import pytest
import torch

from duelo.augment import AUGMENTS, AdaptiveAugment
from duelo.augment.ada import _rotate2, hue_rotation, warp
from duelo.augment.base import sample_bilinear_reflect
from duelo.errors import ConfigError
from tests.augment.util import OnlyAda, assert_close, images as _images


def _changed(x, y, tol=1e-4):
    return (y - x).flatten(1).abs().amax(1) > tol                        # (N,) bool


# ---------------------------------------------------------------- construction

def test_registered_and_built_by_name():
    assert AUGMENTS.get("ada") is AdaptiveAugment
    aug = AUGMENTS.build("ada", channels=3, p=0.25)
    assert aug.p.item() == 0.25 and aug.p.dtype == torch.float32


@pytest.mark.parametrize("field, value", [
    ("channels", 2), ("channels", 5), ("channels", True), ("p", -0.1), ("p", 1.5), ("p", float("nan")), ("target", 0.0),
    ("target", 1.0), ("speed_kimg", 0.0), ("speed_kimg", -5.0), ("adjust_nimg", 0), ("adjust_nimg", 2.5),
    ("adaptive", "yes"),
])
def test_bad_arguments_are_config_errors_naming_the_field(field, value):
    kwargs = {"channels": 3, field: value}
    with pytest.raises(ConfigError, match=field):
        AdaptiveAugment(**kwargs)


def test_buffers_are_persistent_float32_scalars():
    state = AdaptiveAugment(3).state_dict()
    assert sorted(state) == ["p", "rt", "rt_count", "rt_sum"]
    assert all(v.shape == () and v.dtype == torch.float32 for v in state.values())


# ---------------------------------------------------------------- the pipeline

@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("resolution", [7, 8, 28, 32, (24, 40), (9, 5)])
def test_p0_returns_the_input(channels, resolution):
    x = _images(16, channels, resolution)
    y = AdaptiveAugment(channels, p=0.0)(x, torch.Generator().manual_seed(1))
    assert_close(y, x, atol=1e-5)


@pytest.mark.parametrize("channels", [1, 3])
def test_p1_changes_almost_every_sample(channels):
    x = _images(256, channels, 16)
    y = AdaptiveAugment(channels, p=1.0)(x, torch.Generator().manual_seed(2))
    assert _changed(x, y).float().mean() > 0.98


@pytest.mark.parametrize("channels", [1, 3])
def test_each_transform_is_gated_per_sample_with_probability_p(channels):
    """P(sample untouched) = product over transforms of P(not applied, or applied as an identity):
    x-flip draws identity with prob 1/2, rot90 1/4, integer translation at R = 8 rounds U(-1, 1) to 0 with
    prob 1/2 per axis, luma flip 1/2; the two rotations together fire with prob p; the rest are continuous."""
    p, n = 0.3, 4096
    x = _images(n, channels, 8)
    y = AdaptiveAugment(channels, p=p)(x, torch.Generator().manual_seed(3))
    untouched = (~_changed(x, y, tol=1e-6)).float().mean().item()
    geometric = (1 - p / 2) * (1 - 3 * p / 4) * (1 - 3 * p / 4) * (1 - p) ** 4
    colour = (1 - p) ** 2 * (1 - p / 2) * ((1 - p) ** 2 if channels == 3 else 1.0)
    expected = geometric * colour
    sd = math.sqrt(expected * (1 - expected) / n)
    assert abs(untouched - expected) < 4 * sd + 1e-3, (untouched, expected)


@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("size", [(16, 16), (12, 20)])
def test_constant_grey_image_stays_constant_and_grey(channels, size):
    """Reflection padding keeps a flat image flat under any geometry; hue and saturation fix grey; a flat
    alpha stays flat and keeps its value (no transparent border comes in)."""
    x = torch.full((64, channels, *size), 0.3)
    y = AdaptiveAugment(channels, p=1.0)(x, torch.Generator().manual_seed(4))
    if channels == 4:
        assert_close(y[:, 3], 0.3, atol=1e-5)
        y = y[:, :3]
    flat = y[:, :1, :1, :1].expand_as(y)
    assert_close(y, flat, atol=1e-4)
    # value = (0.3 + b) * c * (+-1): its spread shows brightness, contrast and luma flip at work
    values = flat[:, 0, 0, 0]
    assert (values < -0.05).float().mean() > 0.3 and (values > 0.05).float().mean() > 0.3


def test_rgb_pipeline_on_grey_pixels_is_the_grey_pipeline():
    """Hue and saturation fix grey, and the draws come in the same order (hue and saturation last), so an
    RGB grey image comes out as the 1-channel pipeline's output in every channel."""
    grey = _images(256, 1, 8)
    from_rgb = AdaptiveAugment(3, p=0.7)(grey.expand(256, 3, 8, 8), torch.Generator().manual_seed(8))
    from_grey = AdaptiveAugment(1, p=0.7)(grey, torch.Generator().manual_seed(8))
    assert_close(from_rgb, from_grey.expand(256, 3, 8, 8), atol=1e-5)


def test_colour_transforms_of_rgb():
    """Without geometry: brightness moves the grey axis; hue and saturation move colours around it."""
    aug = AdaptiveAugment(3, p=1.0)
    x = _images(256, 3, 8)
    c = aug.colour_matrix(x, torch.Generator().manual_seed(5))
    assert c.shape == (256, 4, 4)
    assert_close(c[:, 3], torch.tensor([0.0, 0.0, 0.0, 1.0]).expand(256, 4))
    # Every linear part maps the grey axis onto itself (brightness, contrast, luma flip, hue, saturation
    # all keep it), scaled by +-contrast.
    grey = torch.ones(3) / math.sqrt(3)
    image = c[:, :3, :3] @ grey
    assert_close(image, (image @ grey)[:, None] * grey, atol=1e-5)
    # ... and the part orthogonal to it is rotated (hue) and scaled (saturation): not a multiple of I.
    linear = c[:, :3, :3]
    off_diagonal = linear - torch.diag_embed(torch.diagonal(linear, dim1=1, dim2=2))
    assert (off_diagonal.abs().amax(dim=(1, 2)) > 1e-2).float().mean() > 0.9


def test_hue_rotation_turns_colours_around_the_grey_axis():
    theta = torch.tensor([0.0, 0.5, -2.0, math.pi], dtype=torch.float64)
    r = hue_rotation(theta)
    assert_close(r @ r.transpose(1, 2), torch.eye(3, dtype=torch.float64).expand(4, 3, 3), atol=1e-12)
    assert_close(torch.linalg.det(r), torch.ones(4, dtype=torch.float64), atol=1e-12)
    grey = torch.ones(3, dtype=torch.float64) / math.sqrt(3)
    assert_close(r @ grey, grey.expand(4, 3), atol=1e-12)      # luma (grey component) is kept
    red = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    chroma = red - (red @ grey) * grey                         # the part of red orthogonal to grey
    turned = r @ chroma
    cos = (turned @ chroma) / chroma.square().sum()
    assert_close(cos, torch.cos(theta), atol=1e-12)            # rotated by exactly theta


def test_geometric_matrix_identity_at_p0_and_invertible_at_p1():
    x = _images(128, 3, 16)
    eye = torch.eye(3).expand(128, 3, 3)
    assert torch.equal(AdaptiveAugment(3, p=0.0).geometric_matrix(x, torch.Generator().manual_seed(6)), eye)
    m = AdaptiveAugment(3, p=1.0).geometric_matrix(x, torch.Generator().manual_seed(6))
    assert_close(m[:, 2], torch.tensor([0.0, 0.0, 1.0]).expand(128, 3))
    det = torch.linalg.det(m)
    assert (det.abs() > 0.1).all()
    assert (det < 0).float().mean().sub(0.5).abs() < 0.15      # x-flip: half the samples are mirrored


@pytest.mark.parametrize("resolution", [7, 8])
def test_blit_transforms_land_exactly_on_pixels(resolution):
    """warp() with the matrices the blit stage builds: flips, quarter turns and whole-pixel shifts
    reproduce torch.flip / torch.rot90 / a reflected shift exactly (align_corners=False convention)."""
    x = _images(2, 3, resolution)
    n = x.shape[0]

    def matrix(rows):
        return torch.tensor(rows, dtype=torch.float32).expand(n, 3, 3)

    flip = matrix([[-1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert_close(warp(x, flip), torch.flip(x, dims=[3]), atol=1e-5)
    quarter = matrix([[0, -1, 0], [1, 0, 0], [0, 0, 1]])        # output (u, v) samples input (-v, u)
    turned = warp(x, quarter)
    assert any(torch.allclose(turned, torch.rot90(x, k, dims=(2, 3)), atol=1e-5) for k in (1, 3))
    shift = matrix([[1, 0, 2.0 / resolution], [0, 1, 0], [0, 0, 1]])   # sample one pixel to the right
    moved = warp(x, shift)
    assert_close(moved[..., :-1], x[..., 1:], atol=1e-5)
    assert_close(moved[..., -1], x[..., -1], atol=1e-5)   # reflected at the edge


@pytest.mark.parametrize("resolution", [4, 7, 16, (5, 9), (12, 8)])
def test_sampler_agrees_with_grid_sample(resolution):
    """The gather-based sampler (twice differentiable) computes F.grid_sample's bilinear reflection,
    far outside the image too (coordinates up to several image widths away are folded back)."""
    g = torch.Generator().manual_seed(9)
    h, w = (resolution, resolution) if isinstance(resolution, int) else resolution
    x = torch.randn(8, 3, h, w, generator=g, dtype=torch.float64)
    theta = torch.randn(8, 2, 3, generator=g, dtype=torch.float64) * 2
    grid = torch.nn.functional.affine_grid(theta, list(x.shape), align_corners=False)
    expected = torch.nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="reflection",
                                               align_corners=False)
    assert_close(sample_bilinear_reflect(x, grid), expected, atol=1e-9)


def test_identity_samples_pass_through_exactly():
    x = _images(3, 1, 28)
    inverse = torch.eye(3).repeat(3, 1, 1)
    inverse[1, 0, 2] = 0.5                                      # only sample 1 moves
    y = warp(x, inverse)
    assert torch.equal(y[0], x[0]) and torch.equal(y[2], x[2]) and not torch.equal(y[1], x[1])


# ---------------------------------------------------------------- non-square and RGBA images

@pytest.mark.parametrize("size", [(6, 10), (9, 5)])
def test_flips_and_whole_pixel_shifts_of_non_square_images(size):
    """A whole-pixel shift is 2/W in x and 2/H in y (normalised coordinates span each side)."""
    h, w = size
    x = _images(2, 4, size)

    def matrix(rows):
        return torch.tensor(rows, dtype=torch.float32).expand(2, 3, 3)

    assert_close(warp(x, matrix([[-1, 0, 0], [0, 1, 0], [0, 0, 1]])), torch.flip(x, dims=[3]), atol=1e-5)
    assert_close(warp(x, matrix([[1, 0, 0], [0, -1, 0], [0, 0, 1]])), torch.flip(x, dims=[2]), atol=1e-5)
    right = warp(x, matrix([[1, 0, 2.0 / w], [0, 1, 0], [0, 0, 1]]))
    assert_close(right[..., :-1], x[..., 1:], atol=1e-5)
    down = warp(x, matrix([[1, 0, 0], [0, 1, 2.0 / h], [0, 0, 1]]))
    assert_close(down[..., :-1, :], x[..., 1:, :], atol=1e-5)


@pytest.mark.parametrize("size", [(8, 12), (12, 8)])
def test_quarter_turn_of_a_non_square_image_is_rigid(size):
    """Turned about the centre in pixel space: the central square is torch.rot90 of the input's (a turn in
    normalised coordinates would stretch it by W/H instead)."""
    h, w = size
    x = _images(2, 4, size)
    k = min(h, w)
    top, left = (h - k) // 2, (w - k) // 2
    one, zero = torch.ones(2), torch.zeros(2)
    turned = warp(x, _rotate2(zero, one, h / w))[..., top:top + k, left:left + k]
    centre = x[..., top:top + k, left:left + k]
    assert any(torch.allclose(turned, torch.rot90(centre, q, dims=(2, 3)), atol=1e-5) for q in (1, 3))


def test_rotation_of_a_non_square_image_is_rigid():
    """A pattern that depends only on the distance to the centre is unchanged by a rotation (up to the
    bilinear error, 0.022 here; a rotation in normalised coordinates shears it by up to 0.83)."""
    h, w = 24, 40
    y = torch.arange(h, dtype=torch.float64).view(h, 1) - (h - 1) / 2
    x = torch.arange(w, dtype=torch.float64).view(1, w) - (w - 1) / 2
    radius = (x.square() + y.square()).sqrt()
    image = torch.cos(radius / 3).expand(3, 1, h, w)
    theta = torch.tensor([0.7, -2.0, 2.5], dtype=torch.float64)
    turned = warp(image, _rotate2(torch.cos(theta), -torch.sin(theta), h / w))
    inside = (radius < 10).expand_as(image)
    assert (turned - image)[inside].abs().max() < 0.05


@pytest.mark.parametrize("size", [(8, 12), (12, 8)])
def test_blit_stage_of_a_non_square_image_lands_on_pixels(size):
    """x-flips, quarter turns and integer translations (round(t W), round(t H) pixels) only permute
    pixels (reflected at the border), so every output value is an input value of the same sample."""
    x = _images(64, 1, size, seed=21)
    y = OnlyAda(1, ("xflip", "rotate90", "xint"))(x, torch.Generator().manual_seed(22))
    distance = (y.flatten(1)[:, :, None] - x.flatten(1)[:, None, :]).abs().amin(2)     # (N, H * W)
    assert distance.max() < 1e-5
    assert _changed(x, y).float().mean() > 0.8


def test_rgba_alpha_is_warped_with_the_colour_and_not_recoloured():
    """The full pipeline on RGBA: the alpha is the geometric stage's alpha exactly (same grid as RGB, no
    colour transform), and the RGB part is the RGB pipeline's output."""
    x = _images(64, 4, (12, 20), seed=23)
    aug = AdaptiveAugment(4, p=1.0)
    y = aug(x, torch.Generator().manual_seed(24))
    moved = warp(x, aug.geometric_matrix(x, torch.Generator().manual_seed(24)))
    assert torch.equal(y[:, 3], moved[:, 3])
    assert _changed(x[:, 3:], y[:, 3:]).float().mean() > 0.9
    rgb = AdaptiveAugment(3, p=1.0)(x[:, :3].contiguous(), torch.Generator().manual_seed(24))
    assert torch.equal(y[:, :3], rgb)


# ---------------------------------------------------------------- the controller

def _feed(aug, logits_batches):
    for logits in logits_batches:
        aug.observe(logits)


def test_all_positive_logits_raise_p_by_the_expected_amount():
    aug = AdaptiveAugment(3, p=0.0, speed_kimg=1.0, adjust_nimg=64)
    _feed(aug, [torch.ones(64)] * 10)
    # ten adjustments, each + sign(1 - 0.6) * 64 / (1 * 1000)
    assert_close(aug.p, torch.tensor(10 * 64 / 1000.0))
    assert aug.rt.item() == 1.0 and aug.rt_sum.item() == 0.0 and aug.rt_count.item() == 0.0


def test_adjustment_waits_for_adjust_nimg_reals():
    aug = AdaptiveAugment(3, p=0.5, speed_kimg=1.0, adjust_nimg=256)
    _feed(aug, [torch.ones(64)] * 3)
    assert aug.p.item() == 0.5 and aug.rt_count.item() == 192 and aug.rt_sum.item() == 192
    aug.observe(-torch.ones(64))                                # 256 reals: r_t = (192 - 64) / 256 = 0.5
    assert aug.rt.item() == 0.5
    assert_close(aug.p, torch.tensor(0.5 - 256 / 1000.0))
    assert aug.rt_count.item() == 0.0


def test_batches_that_overshoot_adjust_nimg_step_by_the_images_seen():
    aug = AdaptiveAugment(3, p=0.0, speed_kimg=1.0, adjust_nimg=100)
    _feed(aug, [torch.ones(64)] * 2)                            # 128 >= 100: one step of 128 / 1000
    assert_close(aug.p, torch.tensor(0.128))


def test_balanced_logits_leave_p_at_zero_and_rt_tracks_the_mean_sign():
    aug = AdaptiveAugment(3, p=0.0, speed_kimg=1.0, adjust_nimg=64)
    half = torch.cat([torch.full((32,), 2.0), torch.full((32,), -0.5)])
    _feed(aug, [half] * 10)                                     # r_t = 0 < 0.6: p would fall, clamped at 0
    assert aug.p.item() == 0.0 and aug.rt.item() == 0.0
    three_quarters = torch.cat([torch.full((48,), 0.1), torch.full((16,), -3.0)])
    aug.observe(three_quarters)
    assert aug.rt.item() == 0.5
    aug.observe(torch.cat([torch.ones(63), torch.zeros(1)]))   # sign(0) = 0
    assert aug.rt.item() == 63 / 64


def test_p_never_leaves_the_unit_interval():
    aug = AdaptiveAugment(3, p=0.9, speed_kimg=0.1, adjust_nimg=64)   # steps of 0.64
    _feed(aug, [torch.ones(64)] * 5)
    assert aug.p.item() == 1.0
    _feed(aug, [-torch.ones(64)] * 5)
    assert aug.p.item() == 0.0


def test_fixed_p_still_tracks_rt():
    aug = AdaptiveAugment(3, p=0.3, speed_kimg=1.0, adjust_nimg=64, adaptive=False)
    _feed(aug, [torch.ones(64)] * 10)
    assert aug.p.item() == pytest.approx(0.3) and aug.rt.item() == 1.0
    assert aug.status()["augment_p"].item() == pytest.approx(0.3)


def test_state_dict_round_trip_resumes_exactly():
    g = torch.Generator().manual_seed(20)
    aug = AdaptiveAugment(3, p=0.1, speed_kimg=1.0, adjust_nimg=256)
    _feed(aug, [torch.randn(64, generator=g) + 0.5 for _ in range(7)])    # stop mid-accumulation
    assert aug.rt_count.item() == 192 and aug.rt.item() != 0.0
    resumed = AdaptiveAugment(3, p=0.9, speed_kimg=1.0, adjust_nimg=256)
    resumed.load_state_dict(aug.state_dict())
    for name, value in aug.state_dict().items():
        assert torch.equal(resumed.state_dict()[name], value), name
    more = [torch.randn(64, generator=g) for _ in range(5)]
    _feed(aug, more)
    _feed(resumed, more)
    assert all(torch.equal(a, b) for a, b in zip(aug.state_dict().values(), resumed.state_dict().values()))
    x = _images(8, 3, 16)
    assert torch.equal(aug(x, torch.Generator().manual_seed(1)), resumed(x, torch.Generator().manual_seed(1)))


def test_status_keys():
    status = AdaptiveAugment(3, p=0.2).status()
    assert set(status) == {"augment_p", "ada_rt"}
    assert status["augment_p"].item() == pytest.approx(0.2) and status["ada_rt"].item() == 0.0


def _simulate(rt_of_p, steps=1200, batch=64, seed=0):
    """D's real logits have P(positive) = (1 + r_t) / 2 where r_t depends on the current p: augmentation
    makes D overfit less. Returns the trajectory of p."""
    g = torch.Generator().manual_seed(seed)
    aug = AdaptiveAugment(3, p=0.0, target=0.6, speed_kimg=10.0, adjust_nimg=256)
    trajectory = []
    for _ in range(steps):
        rt = rt_of_p(aug.p.item())
        positive = torch.rand(batch, generator=g) < (1 + rt) / 2
        magnitude = torch.rand(batch, generator=g) + 0.1
        aug.observe(torch.where(positive, magnitude, -magnitude))
        trajectory.append(aug.p.item())
        assert 0.0 <= trajectory[-1] <= 1.0
    return trajectory


def test_tiny_dataset_raises_p_to_where_rt_meets_the_target():
    # overfitting D (r_t = 0.9 without augmentation), cured linearly by p: r_t = 0.6 at p = 0.375
    trajectory = _simulate(lambda p: 0.9 - 0.8 * p)
    assert max(trajectory[:100]) > 0.05                         # p starts rising at once
    settled = sum(trajectory[-600:]) / 600
    assert abs(settled - 0.375) < 0.08, settled


@pytest.mark.parametrize("rt_clean", [0.1, 0.3])
def test_large_dataset_keeps_p_near_zero(rt_clean):
    trajectory = _simulate(lambda p: rt_clean - 0.8 * p, steps=400)
    assert max(trajectory) <= 0.03 and trajectory[-1] == 0.0
