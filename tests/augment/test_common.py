"""The contract every augmentation keeps: shape/dtype/device, gradients, seeded determinism, no global RNG,
no host synchronisation (so the D step can be captured in a CUDA graph); grey, RGB and RGBA images, square
or not (the RGBA rule: geometry moves alpha with the colour, colour ops leave it alone)."""

import pytest
import torch

from duelo.augment import AUGMENTS, AdaptiveAugment, DiffAugment, InstanceNoise
from duelo.augment.ada import COLOUR, GEOMETRIC
from duelo.augment.base import ALPHA_EMPTY
from duelo.errors import ConfigError
from tests.augment.util import OnlyAda, assert_close, images

FACTORIES = {
    "ada-p0.5":        lambda c: AdaptiveAugment(c, p=0.5),
    "ada-p1":          lambda c: AdaptiveAugment(c, p=1.0),
    "diffaugment":     lambda c: DiffAugment(c),
    "diff-color":      lambda c: DiffAugment(c, policy="color"),
    "diff-translation": lambda c: DiffAugment(c, policy="translation"),
    "diff-cutout":     lambda c: DiffAugment(c, policy="cutout"),
    "instance-noise":  lambda c: InstanceNoise(sigma=0.1),
}
REGISTERED = sorted(name for name in FACTORIES if name != "instance-noise")     # the AUGMENTS instances
# Configurations that only change colours (alpha must come out untouched) and that only move pixels (alpha
# must move exactly like the colour channels).
COLOUR_ONLY = {
    "ada-colour":      lambda c: OnlyAda(c, COLOUR),
    "diff-color":      lambda c: DiffAugment(c, policy="color"),
}
GEOMETRIC_ONLY = {
    "ada-geometric":   lambda c: OnlyAda(c, GEOMETRIC),
    "ada-blit":        lambda c: OnlyAda(c, ("xflip", "rotate90", "xint")),
    "diff-translation": lambda c: DiffAugment(c, policy="translation"),
    "diff-cutout":     lambda c: DiffAugment(c, policy="cutout"),
    "diff-geometric":  lambda c: DiffAugment(c, policy="translation,cutout"),
}
SIZES = [4, 7, 8, 28, 32, (24, 40), (40, 24), (5, 9)]


def test_every_registered_augmentation_is_covered():
    covered = {type(FACTORIES[name](3)) for name in REGISTERED}
    assert {AUGMENTS.get(name) for name in AUGMENTS.names()} <= covered


@pytest.mark.parametrize("name", sorted(FACTORIES))
@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("resolution", SIZES)
def test_shape_dtype_device_preserved(name, channels, resolution):
    aug = FACTORIES[name](channels)
    x = images(5, channels, resolution)
    y = aug(x, torch.Generator().manual_seed(1))
    assert y.shape == x.shape and y.dtype == x.dtype and y.device == x.device
    assert torch.isfinite(y).all()


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_float64_stays_float64(name):
    x = images(4, 3, 8, dtype=torch.float64)
    y = FACTORIES[name](3)(x, torch.Generator().manual_seed(1))
    assert y.dtype == torch.float64 and y.shape == x.shape


@pytest.mark.parametrize("name", sorted(FACTORIES))
@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("size", [(16, 16), (12, 20)])
def test_gradient_reaches_theimages(name, channels, size):
    x = images(6, channels, size).requires_grad_()
    weights = torch.randn(channels, *size, generator=torch.Generator().manual_seed(3))
    (FACTORIES[name](channels)(x, torch.Generator().manual_seed(2)) * weights).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert x.grad.abs().sum() > 0
    assert (x.grad.flatten(1).abs().sum(1) > 0).all()          # every sample gets a gradient
    assert (x.grad.transpose(0, 1).flatten(1).abs().sum(1) > 0).all()   # ... and every channel (alpha too)


@pytest.mark.parametrize("name", ["ada-p1", "diffaugment", "instance-noise"])
@pytest.mark.parametrize("channels, size", [(3, (8, 8)), (4, (8, 12))])
def test_double_backward_for_r1(name, channels, size):
    """R1 differentiates D(aug(x)) w.r.t. x and then backpropagates that gradient's norm."""
    x = images(4, channels, size).requires_grad_()
    w = torch.randn(x[0].numel(), requires_grad=True, generator=torch.Generator().manual_seed(4))
    logits = torch.sin(FACTORIES[name](channels)(x, torch.Generator().manual_seed(5)).flatten(1) @ w)
    (grad,) = torch.autograd.grad(logits.sum(), x, create_graph=True)
    grad.square().sum().backward()
    assert torch.isfinite(w.grad).all() and w.grad.abs().sum() > 0


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_same_seed_same_output_other_seed_other_output(name):
    aug = FACTORIES[name](3)
    x = images(8, 3, 16)
    a = aug(x, torch.Generator().manual_seed(7))
    b = aug(x, torch.Generator().manual_seed(7))
    c = aug(x, torch.Generator().manual_seed(8))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_global_rng_is_never_used(name):
    aug = FACTORIES[name](3)
    x = images(8, 3, 16)
    before = torch.get_rng_state()
    aug(x, torch.Generator().manual_seed(9))
    aug.observe(torch.randn(8, generator=torch.Generator().manual_seed(10)))
    assert torch.equal(torch.get_rng_state(), before)


# ---------------------------------------------------------------- RGBA, other channel counts

@pytest.mark.parametrize("name", REGISTERED)
@pytest.mark.parametrize("size", [16, (24, 40)])
def test_rgb_part_of_rgba_is_the_rgb_output(name, size):
    """The alpha channel draws no random numbers and enters no colour statistic: with the same seed, the RGB
    part of an RGBA call is exactly the 3-channel call on the RGB part (which is what 1.x gave for RGB)."""
    x = images(16, 4, size)
    rgba = FACTORIES[name](4)(x, torch.Generator().manual_seed(13))
    rgb = FACTORIES[name](3)(x[:, :3].contiguous(), torch.Generator().manual_seed(13))
    assert torch.equal(rgba[:, :3], rgb)


@pytest.mark.parametrize("name", sorted(COLOUR_ONLY))
@pytest.mark.parametrize("size", [16, (24, 40)])
def test_colour_ops_leave_alpha_untouched(name, size):
    x = images(32, 4, size)
    y = COLOUR_ONLY[name](4)(x, torch.Generator().manual_seed(14))
    assert torch.equal(y[:, 3], x[:, 3])
    assert ((y[:, :3] - x[:, :3]).flatten(1).abs().amax(1) > 1e-3).float().mean() > 0.9   # colours did change


def _same_pattern_everywhere(n, size, seed=15):
    """RGB = alpha = one pattern in [0.1, 1] (never 0, so emptied pixels stand out)."""
    pattern = images(n, 1, size, seed).abs() * 0.9 + 0.1
    return pattern.expand(n, 4, *pattern.shape[2:]).contiguous()


@pytest.mark.parametrize("name", sorted(GEOMETRIC_ONLY))
@pytest.mark.parametrize("size", [16, (24, 40), (40, 24)])
def test_geometric_ops_move_alpha_with_the_colour(name, size):
    """Alpha comes out exactly where the colour does; a pixel the op empties (colour 0: shifted in from
    outside, cut out) is transparent, alpha ALPHA_EMPTY. Reflection padding (ADA) empties nothing."""
    x = _same_pattern_everywhere(64, size)
    y = GEOMETRIC_ONLY[name](4)(x, torch.Generator().manual_seed(16))
    assert torch.equal(y[:, 1], y[:, 0]) and torch.equal(y[:, 2], y[:, 0])
    emptied = y[:, 0] == 0
    assert torch.equal(y[:, 3], torch.where(emptied, torch.full_like(y[:, 0], ALPHA_EMPTY), y[:, 0]))
    assert bool(emptied.any()) == name.startswith("diff")
    assert ((y - x).flatten(1).abs().amax(1) > 1e-3).float().mean() > 0.5             # pixels did move


@pytest.mark.parametrize("name", REGISTERED)
@pytest.mark.parametrize("channels", [0, 2, 5, True, "4"])
def test_other_channel_counts_are_refused_with_a_config_error(name, channels):
    registered = next(n for n in AUGMENTS.names() if isinstance(FACTORIES[name](3), AUGMENTS.get(n)))
    with pytest.raises(ConfigError, match=r"channels must be 1 or 3 or 4 \(1 = grey, 3 = RGB, 4 = RGBA"):
        AUGMENTS.build(registered, channels=channels)


@pytest.mark.parametrize("name", REGISTERED)
@pytest.mark.parametrize("shape", [(2, 5, 16, 16), (2, 3, 16, 16), (2, 4, 3, 16), (2, 4, 16, 3), (4, 16, 16)])
def test_images_that_do_not_fit_are_refused(name, shape):
    with pytest.raises(ValueError, match=r"\(N, 4, H, W\) with H, W >= 4"):
        FACTORIES[name](4)(torch.zeros(shape), torch.Generator().manual_seed(17))


def test_no_host_reads_in_forward_observe_backward():
    """On the meta device tensors have no values: any .item(), bool(tensor), .cpu() or data-dependent shape
    raises, so a clean run proves forward, backward, observe and status never wait for the device.
    One test for all augmentations: the first meta operation costs seconds of imports per process."""
    generator = torch.Generator().manual_seed(11)
    modules = [FACTORIES[name](c) for name in sorted(FACTORIES) for c in (1, 3, 4)]
    modules += [AdaptiveAugment(1, p=0.5, adjust_nimg=4), AdaptiveAugment(3, p=0.5, adjust_nimg=4),
                AdaptiveAugment(3, p=0.5, adjust_nimg=4, adaptive=False), AdaptiveAugment(4, p=0.5, adjust_nimg=4)]
    for aug in modules:
        channels = getattr(aug, "channels", 3)
        aug = aug.to("meta")
        size = (16, 24) if channels == 4 else (16, 16)                    # RGBA runs non-square too
        x = torch.ones(8, channels, *size, device="meta", requires_grad=True)
        for _ in range(2):                                    # the second observe crosses adjust_nimg
            aug(x, generator).sum().backward()
            aug.observe(torch.ones(8, device="meta"))
            assert all(value.device.type == "meta" for value in aug.status().values())
    with pytest.raises(Exception):                            # the probe does catch a host read
        bool(torch.ones(2, device="meta").sum() > 0)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", sorted(FACTORIES))
@pytest.mark.parametrize("channels, size", [(3, (16, 16)), (4, (16, 24))])
def test_cuda_no_sync_and_graph_capture(name, channels, size):
    device = torch.device("cuda")
    aug = FACTORIES[name](channels).to(device)
    if isinstance(aug, AdaptiveAugment):
        aug = AdaptiveAugment(channels, p=0.5, adjust_nimg=8, speed_kimg=1.0).to(device)
    generator = torch.Generator(device=device).manual_seed(12)
    x = (torch.rand(8, channels, *size, device=device, generator=generator) * 2 - 1).requires_grad_()
    logits = torch.ones(8, device=device)
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        y = aug(x, generator)
        y.sum().backward()
        aug.observe(logits)
        aug.status()
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert y.device.type == "cuda" and x.grad.device.type == "cuda"

    static_x = torch.rand(8, channels, *size, device=device, generator=generator) * 2 - 1
    out = torch.zeros_like(static_x)
    graph = torch.cuda.CUDAGraph()
    graph.register_generator_state(generator)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):                               # warm-up outside the capture
        aug(static_x, generator)
    torch.cuda.current_stream().wait_stream(side)
    state = {k: v.clone() for k, v in aug.state_dict().items()}
    with torch.cuda.graph(graph):
        out.copy_(aug(static_x, generator))
        aug.observe(logits)
    aug.load_state_dict(state)                                  # capture does not run the kernels
    replays = []
    for _ in range(2):
        graph.replay()
        replays.append(out.clone())
    assert not torch.equal(replays[0], replays[1])              # fresh random draws on each replay
    if isinstance(aug, AdaptiveAugment):                        # two adjustments of 8 / (1 * 1000)
        assert_close(aug.p.cpu(), state["p"].cpu() + 2 * 8 / 1000.0)
    if isinstance(aug, InstanceNoise):
        assert aug.nimg.item() == state["nimg"].item() + 16
