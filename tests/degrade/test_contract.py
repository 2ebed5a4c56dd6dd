"""The contract every registered degradation keeps: shapes, dtype, range, mask form, seeded determinism, no
global RNG, JSON settings that rebuild it, teaching errors, and no host synchronisation (CUDA-graph ready)."""

import json

import pytest
import torch

from duelo.degrade import DEGRADATIONS, Degraded, build_degradation
from duelo.errors import ConfigError
from duelo.registry import UnknownNameError

NAMES = DEGRADATIONS.names()
RANDOM = {"boxes", "strokes", "gaussian", "salt-pepper"}            # the others ignore the generator
HOLES = {"boxes", "strokes"}


def _images(n=6, c=3, h=32, w=32, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, c, h, w, generator=g, dtype=dtype) * 2 - 1


def test_every_expected_entry_is_registered():
    assert set(NAMES) == {"boxes", "strokes", "gaussian", "salt-pepper", "downsample", "jpeg", "edges"}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("size", [(32, 32), (16, 24)])
def test_shapes_dtype_range_and_mask(name, channels, size):
    op = build_degradation(name)
    x = _images(c=channels, h=size[0], w=size[1])
    out = op(x, torch.Generator().manual_seed(1))
    assert isinstance(out, Degraded)
    expected_c = op.source_channels(channels)
    assert out.source.shape == (6, expected_c, *size)
    assert out.source.dtype == x.dtype and out.source.device == x.device
    assert torch.isfinite(out.source).all()
    assert out.source.min() >= -1 and out.source.max() <= 1
    if name in HOLES:
        assert out.mask.shape == (6, 1, *size) and out.mask.dtype == x.dtype
        assert ((out.mask == 0) | (out.mask == 1)).all()
        assert (out.mask.sum(dim=(1, 2, 3)) > 0).all()             # every image has a hole
    else:
        assert out.mask is None


@pytest.mark.parametrize("name", NAMES)
def test_float64_stays_float64(name):
    out = build_degradation(name)(_images(dtype=torch.float64), torch.Generator().manual_seed(1))
    assert out.source.dtype == torch.float64


def test_source_channels():
    assert build_degradation("edges").source_channels(3) == 1
    assert build_degradation("edges").source_channels(1) == 1
    for name in set(NAMES) - {"edges"}:
        assert build_degradation(name).source_channels(3) == 3
        assert build_degradation(name).source_channels(1) == 1


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_output_other_seed_other_output(name):
    op = build_degradation(name)
    x = _images()
    a = op(x, torch.Generator().manual_seed(7))
    b = op(x, torch.Generator().manual_seed(7))
    c = op(x, torch.Generator().manual_seed(8))
    assert torch.equal(a.source, b.source)
    if name in RANDOM:
        assert not torch.equal(a.source, c.source)
    else:
        assert torch.equal(a.source, c.source)                     # deterministic entries ignore the seed
    if name in HOLES:
        assert torch.equal(a.mask, b.mask) and not torch.equal(a.mask, c.mask)


@pytest.mark.parametrize("name", NAMES)
def test_global_rng_is_never_used(name):
    x = _images()
    before = torch.random.get_rng_state()
    build_degradation(name)(x, torch.Generator().manual_seed(9))
    assert torch.equal(torch.random.get_rng_state(), before)


@pytest.mark.parametrize("name", NAMES)
def test_settings_are_json_and_rebuild_the_same_op(name):
    op = build_degradation(name)
    settings = json.loads(json.dumps(op.settings))
    again = build_degradation(name, **settings)
    x = _images()
    assert torch.equal(op(x, torch.Generator().manual_seed(3)).source,
                       again(x, torch.Generator().manual_seed(3)).source)
    line = op.describe()
    assert line.startswith(name + "(") and "\n" not in line


def test_unknown_argument_names_the_degradation_and_its_arguments():
    with pytest.raises(ConfigError, match=r"'gaussian'.*'sigmaa'.*arguments are: sigma"):
        build_degradation("gaussian", sigmaa=0.1)
    with pytest.raises(UnknownNameError, match="choose one of"):
        build_degradation("gausian")


@pytest.mark.parametrize("name, kwargs, field", [
    ("boxes", {"area": (0.3, 0.1)}, "area"),
    ("boxes", {"area": 0.0}, "area"),
    ("boxes", {"count": 0}, "count"),
    ("strokes", {"vertices": 1}, "vertices"),
    ("gaussian", {"sigma": -0.1}, "sigma"),
    ("gaussian", {"sigma": "big"}, "sigma"),
    ("salt-pepper", {"amount": 1.5}, "amount"),
    ("downsample", {"scale": 1}, "scale"),
    ("jpeg", {"quality": 0}, "quality"),
    ("jpeg", {"quality": 50.5}, "quality"),
    ("edges", {"threshold": 0}, "threshold"),
])
def test_bad_settings_raise_config_errors_naming_the_field(name, kwargs, field):
    with pytest.raises(ConfigError, match=field):
        build_degradation(name, **kwargs)


def test_wrong_image_shape_is_a_config_error():
    with pytest.raises(ConfigError, match="C = 1 or 3"):
        build_degradation("gaussian")(torch.zeros(2, 4, 8, 8), torch.Generator())
    with pytest.raises(ConfigError, match="uint8"):
        build_degradation("gaussian")(torch.zeros(2, 3, 8, 8, dtype=torch.uint8), torch.Generator())


def test_no_host_reads():
    """On the meta device tensors have no values: any .item(), bool(tensor), .tolist() or data-dependent
    shape raises, so a clean run proves that no degradation (nor baseline) waits for the device.
    torch.compile(fullgraph=True) cannot trace a torch.Generator argument (dynamo graph-breaks on it),
    so this is the check for the random entries; test_compile_fullgraph covers the deterministic ones."""
    from duelo.degrade import BASELINES, baselines_for

    generator = torch.Generator().manual_seed(11)
    for name in NAMES:
        for kwargs in ({}, {"area": 0.2} if name in HOLES else {}):
            out = build_degradation(name, **kwargs)(torch.ones(4, 3, 16, 16, device="meta"), generator)
            assert out.source.device.type == "meta"
            for baseline in baselines_for(name):
                assert BASELINES.get(baseline)(out).device.type == "meta"
    with pytest.raises(Exception):                                  # the probe does catch a host read
        bool(torch.ones(2, device="meta").sum() > 0)


@pytest.mark.parametrize("name", ["downsample", "jpeg", "edges"])
def test_compile_fullgraph(name):
    """Deterministic entries never touch the generator, so dynamo can trace them whole: no graph break
    means no host synchronisation and no data-dependent Python control flow."""
    op = build_degradation(name)
    generator = torch.Generator().manual_seed(0)
    compiled = torch.compile(lambda images: op(images, generator).source, backend="eager", fullgraph=True)
    x = _images(n=2, h=16, w=16)
    assert torch.equal(compiled(x), op(x, generator).source)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", NAMES)
def test_cuda_no_sync_and_graph_capture(name):
    from duelo.degrade import BASELINES, baselines_for

    device = torch.device("cuda")
    op = build_degradation(name)
    generator = torch.Generator(device=device).manual_seed(12)
    x = torch.rand(8, 3, 32, 32, device=device, generator=generator) * 2 - 1
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        out = op(x, generator)
        for baseline in baselines_for(name):
            BASELINES.get(baseline)(out)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert out.source.device.type == "cuda"

    result = torch.zeros_like(out.source)
    graph = torch.cuda.CUDAGraph()
    graph.register_generator_state(generator)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):                                   # warm-up outside the capture
        op(x, generator)
    torch.cuda.current_stream().wait_stream(side)
    with torch.cuda.graph(graph):
        result.copy_(op(x, generator).source)
    replays = []
    for _ in range(2):
        graph.replay()
        replays.append(result.clone())
    assert torch.equal(replays[0], replays[1]) != (name in RANDOM)  # fresh draws on each replay
