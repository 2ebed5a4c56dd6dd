"""The contract every augmentation keeps: shape/dtype/device, gradients, seeded determinism, no global RNG,
no host synchronisation (so the D step can be captured in a CUDA graph)."""

import pytest
import torch

from duelo.augment import AdaptiveAugment, DiffAugment, InstanceNoise
from tests.augment.util import assert_close

FACTORIES = {
    "ada-p0.5":        lambda c: AdaptiveAugment(c, p=0.5),
    "ada-p1":          lambda c: AdaptiveAugment(c, p=1.0),
    "diffaugment":     lambda c: DiffAugment(c),
    "diff-color":      lambda c: DiffAugment(c, policy="color"),
    "diff-translation": lambda c: DiffAugment(c, policy="translation"),
    "diff-cutout":     lambda c: DiffAugment(c, policy="cutout"),
    "instance-noise":  lambda c: InstanceNoise(sigma=0.1),
}


def _images(n, c, r, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, c, r, r, generator=g, dtype=dtype) * 2 - 1


@pytest.mark.parametrize("name", sorted(FACTORIES))
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("resolution", [4, 7, 8, 28, 32])
def test_shape_dtype_device_preserved(name, channels, resolution):
    aug = FACTORIES[name](channels)
    x = _images(5, channels, resolution)
    y = aug(x, torch.Generator().manual_seed(1))
    assert y.shape == x.shape and y.dtype == x.dtype and y.device == x.device
    assert torch.isfinite(y).all()


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_float64_stays_float64(name):
    x = _images(4, 3, 8, dtype=torch.float64)
    y = FACTORIES[name](3)(x, torch.Generator().manual_seed(1))
    assert y.dtype == torch.float64 and y.shape == x.shape


@pytest.mark.parametrize("name", sorted(FACTORIES))
@pytest.mark.parametrize("channels", [1, 3])
def test_gradient_reaches_the_images(name, channels):
    x = _images(6, channels, 16).requires_grad_()
    weights = torch.randn(channels, 16, 16, generator=torch.Generator().manual_seed(3))
    (FACTORIES[name](channels)(x, torch.Generator().manual_seed(2)) * weights).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert x.grad.abs().sum() > 0
    assert (x.grad.flatten(1).abs().sum(1) > 0).all()          # every sample gets a gradient


@pytest.mark.parametrize("name", ["ada-p1", "diffaugment", "instance-noise"])
def test_double_backward_for_r1(name):
    """R1 differentiates D(aug(x)) w.r.t. x and then backpropagates that gradient's norm."""
    x = _images(4, 3, 8).requires_grad_()
    w = torch.randn(3 * 8 * 8, requires_grad=True, generator=torch.Generator().manual_seed(4))
    logits = torch.sin(FACTORIES[name](3)(x, torch.Generator().manual_seed(5)).flatten(1) @ w)
    (grad,) = torch.autograd.grad(logits.sum(), x, create_graph=True)
    grad.square().sum().backward()
    assert torch.isfinite(w.grad).all() and w.grad.abs().sum() > 0


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_same_seed_same_output_other_seed_other_output(name):
    aug = FACTORIES[name](3)
    x = _images(8, 3, 16)
    a = aug(x, torch.Generator().manual_seed(7))
    b = aug(x, torch.Generator().manual_seed(7))
    c = aug(x, torch.Generator().manual_seed(8))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_global_rng_is_never_used(name):
    aug = FACTORIES[name](3)
    x = _images(8, 3, 16)
    before = torch.get_rng_state()
    aug(x, torch.Generator().manual_seed(9))
    aug.observe(torch.randn(8, generator=torch.Generator().manual_seed(10)))
    assert torch.equal(torch.get_rng_state(), before)


def test_no_host_reads_in_forward_observe_backward():
    """On the meta device tensors have no values: any .item(), bool(tensor), .cpu() or data-dependent shape
    raises, so a clean run proves forward, backward, observe and status never wait for the device.
    One test for all augmentations: the first meta operation costs seconds of imports per process."""
    generator = torch.Generator().manual_seed(11)
    modules = [FACTORIES[name](c) for name in sorted(FACTORIES) for c in (1, 3)]
    modules += [AdaptiveAugment(1, p=0.5, adjust_nimg=4), AdaptiveAugment(3, p=0.5, adjust_nimg=4),
                AdaptiveAugment(3, p=0.5, adjust_nimg=4, adaptive=False)]
    for aug in modules:
        channels = getattr(aug, "channels", 3)
        aug = aug.to("meta")
        x = torch.ones(8, channels, 16, 16, device="meta", requires_grad=True)
        for _ in range(2):                                    # the second observe crosses adjust_nimg
            aug(x, generator).sum().backward()
            aug.observe(torch.ones(8, device="meta"))
            assert all(value.device.type == "meta" for value in aug.status().values())
    with pytest.raises(Exception):                            # the probe does catch a host read
        bool(torch.ones(2, device="meta").sum() > 0)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_cuda_no_sync_and_graph_capture(name):
    device = torch.device("cuda")
    aug = FACTORIES[name](3).to(device)
    if isinstance(aug, AdaptiveAugment):
        aug = AdaptiveAugment(3, p=0.5, adjust_nimg=8, speed_kimg=1.0).to(device)
    generator = torch.Generator(device=device).manual_seed(12)
    x = (torch.rand(8, 3, 16, 16, device=device, generator=generator) * 2 - 1).requires_grad_()
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

    static_x = torch.rand(8, 3, 16, 16, device=device, generator=generator) * 2 - 1
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
