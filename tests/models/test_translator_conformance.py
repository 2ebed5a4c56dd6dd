"""Every registered translator and patch discriminator passes the same contract tests
(duelo.models.translation): shapes and range, free input sizes, teaching errors, save/load, determinism,
gradients, one compiled graph, ONNX export.

New registrations are picked up from TRANSLATORS.names() / PATCH_DISCRIMINATORS.names(); add small
constructor arguments to SMALL_TRANSLATOR_KWARGS / SMALL_PATCH_KWARGS to keep the suite fast.
"""

from __future__ import annotations

import json

import pytest
import torch

from duelo.errors import ConfigError
from duelo.io.pretrained import load_pretrained, read_config, save_pretrained
from duelo.models import PATCH_DISCRIMINATORS, TRANSLATORS, build_patch_discriminator, build_translator
from duelo.models.patchgan import patchgan_output_size, patchgan_receptive_field

TRANSLATOR_RESOLUTION = 16
PATCH_RESOLUTION = 32          # the 70x70 PatchGAN needs >= 24 pixels for one logit
BATCH = 3
OTHER_SIZE = (32, 48)          # not the training size, not square: fully convolutional models must run it

SMALL_TRANSLATOR_KWARGS: dict[str, dict] = {
    "unet":   {"width": 8},
    "resnet": {"width": 8, "n_blocks": 2},
}
SMALL_PATCH_KWARGS: dict[str, dict] = {
    "patchgan": {"width": 8},
}
# (in_channels, out_channels): grey, colourisation, colour, inpainting ([image, mask] -> image)
CHANNELS = ((1, 1), (1, 3), (3, 3), (2, 1))
PATCH_IN_CHANNELS = (1, 3, 4, 6)   # CycleGAN grey / colour; pix2pix [grey source, colour], [colour, colour]

TRANSLATOR_CASES = [pytest.param(name, cin, cout, id=f"{name}-{cin}to{cout}")
                    for name in TRANSLATORS.names() for cin, cout in CHANNELS]
PATCH_CASES = [pytest.param(name, cin, id=f"{name}-in{cin}")
               for name in PATCH_DISCRIMINATORS.names() for cin in PATCH_IN_CHANNELS]
ONE_TRANSLATOR_CASE = [pytest.param(name, 2, 1, id=f"{name}-2to1") for name in TRANSLATORS.names()]
ONE_PATCH_CASE = [pytest.param(name, 4, id=f"{name}-in4") for name in PATCH_DISCRIMINATORS.names()]
translator_cases = pytest.mark.parametrize(("name", "in_channels", "out_channels"), TRANSLATOR_CASES)
patch_cases = pytest.mark.parametrize(("name", "in_channels"), PATCH_CASES)


def make_translator(name: str, in_channels: int, out_channels: int, seed: int = 0, **changes):
    torch.manual_seed(seed)
    kwargs = {**SMALL_TRANSLATOR_KWARGS.get(name, {}), **changes}
    return build_translator(name, in_channels=in_channels, out_channels=out_channels,
                            resolution=TRANSLATOR_RESOLUTION, **kwargs)


def make_patch_discriminator(name: str, in_channels: int, seed: int = 0, **changes):
    torch.manual_seed(seed)
    kwargs = {**SMALL_PATCH_KWARGS.get(name, {}), **changes}
    return build_patch_discriminator(name, in_channels=in_channels, resolution=PATCH_RESOLUTION, **kwargs)


def images(channels: int, height: int, width: int | None = None, n: int = BATCH,
           seed: int = 1) -> torch.Tensor:
    rng = torch.Generator().manual_seed(seed)
    return torch.rand(n, channels, height, width or height, generator=rng) * 2 - 1   # (n, C, H, W) in [-1, 1)


def assert_finite_gradients(module: torch.nn.Module) -> None:
    for key, parameter in module.named_parameters():
        assert parameter.grad is not None, f"parameter {key} got no gradient"
        assert torch.isfinite(parameter.grad).all(), f"parameter {key}: non-finite gradient"


# ---------------------------------------------------------------------------------------------- translators

@translator_cases
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_translator_output_shape_dtype_and_range(name, in_channels, out_channels, mode):
    model = make_translator(name, in_channels, out_channels).train(mode == "train")
    assert (model.in_channels, model.out_channels, model.resolution) == (in_channels, out_channels, 16)
    assert isinstance(model.size_multiple, int) and model.resolution % model.size_multiple == 0
    assert model.resolution >= model.min_size
    with torch.no_grad():
        output = model(images(in_channels, TRANSLATOR_RESOLUTION))
    assert output.shape == (BATCH, out_channels, TRANSLATOR_RESOLUTION, TRANSLATOR_RESOLUTION)
    assert output.dtype == torch.float32
    assert torch.isfinite(output).all()
    assert output.min() >= -1 and output.max() <= 1
    assert output.std() > 0                                        # not a constant image


@translator_cases
def test_translator_output_stays_in_range_with_large_weights(name, in_channels, out_channels):
    """At initialisation the outputs are small anyway; scaled-up weights show that the range is enforced
    (a missing tanh fails here, not in the test above)."""
    model = make_translator(name, in_channels, out_channels, norm="none").eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(100.0)
        output = model(images(in_channels, TRANSLATOR_RESOLUTION))
    assert torch.isfinite(output).all()
    assert output.min() >= -1 and output.max() <= 1
    assert output.abs().max() > 0.99                                  # saturated, so the weights did matter


@translator_cases
def test_translator_runs_at_other_sizes(name, in_channels, out_channels):
    model = make_translator(name, in_channels, out_channels).eval()
    height, width = OTHER_SIZE
    assert height % model.size_multiple == 0 and width % model.size_multiple == 0
    with torch.no_grad():
        output = model(images(in_channels, height, width, n=2))
        smallest = model(images(in_channels, model.min_size, n=1))
    assert output.shape == (2, out_channels, height, width)
    assert smallest.shape == (1, out_channels, model.min_size, model.min_size)
    assert output.min() >= -1 and output.max() <= 1


@translator_cases
def test_translator_rejects_wrong_channels_and_sizes(name, in_channels, out_channels):
    model = make_translator(name, in_channels, out_channels)
    multiple = model.size_multiple
    assert multiple > 1, "pick SMALL_TRANSLATOR_KWARGS with size_multiple > 1 so that this test can fail"
    with pytest.raises(ValueError, match=f"expects {in_channels} input channels, got {in_channels + 1}"):
        model(images(in_channels + 1, TRANSLATOR_RESOLUTION))
    with pytest.raises(ValueError, match=f"multiples of {multiple}"):
        model(images(in_channels, 2 * multiple, 2 * multiple + multiple // 2))
    with pytest.raises(ValueError, match="expects images"):
        model(images(in_channels, TRANSLATOR_RESOLUTION)[0])               # (C, H, W): no batch dimension


@translator_cases
@pytest.mark.parametrize("norm", ["instance", "batch"])
def test_translator_save_load_round_trip_is_bitwise(name, in_channels, out_channels, norm, tmp_path):
    model = make_translator(name, in_channels, out_channels, norm=norm)
    with torch.no_grad():                   # one train-mode pass: batch-norm statistics differ from init
        model(images(in_channels, TRANSLATOR_RESOLUTION))
    directory = save_pretrained(model, tmp_path / "translator")
    config = read_config(directory)
    assert (config["kind"], config["name"]) == ("translator", name)
    assert json.loads((directory / "config.json").read_text())["kwargs"]["in_channels"] == in_channels
    loaded = load_pretrained(directory)
    assert type(loaded) is type(model) and not loaded.training
    assert loaded.state_dict().keys() == model.state_dict().keys()
    assert all(torch.equal(value, loaded.state_dict()[key]) for key, value in model.state_dict().items())
    source = images(in_channels, *OTHER_SIZE, seed=5)
    with torch.no_grad():
        assert torch.equal(loaded(source), model.eval()(source))


@translator_cases
def test_translator_same_seed_gives_same_weights_and_outputs(name, in_channels, out_channels):
    first = make_translator(name, in_channels, out_channels).eval()
    second = make_translator(name, in_channels, out_channels).eval()
    other = make_translator(name, in_channels, out_channels, seed=1).eval()
    assert all(torch.equal(value, second.state_dict()[key]) for key, value in first.state_dict().items())
    source = images(in_channels, TRANSLATOR_RESOLUTION)
    with torch.no_grad():
        assert torch.equal(first(source), second(source))
        assert not torch.equal(first(source), other(source))


@translator_cases
def test_translator_every_parameter_gets_a_finite_gradient(name, in_channels, out_channels):
    model = make_translator(name, in_channels, out_channels).train()
    model(images(in_channels, TRANSLATOR_RESOLUTION)).mean().backward()
    assert_finite_gradients(model)


@pytest.mark.parametrize(("name", "in_channels", "out_channels"), ONE_TRANSLATOR_CASE)
def test_translator_forward_is_one_graph_matching_eager(name, in_channels, out_channels):
    """DESIGN.md rule 6: no host syncs, no value-dependent branches; fullgraph=True fails on a graph break."""
    model = make_translator(name, in_channels, out_channels, norm="batch")
    torch._dynamo.reset()
    compiled = torch.compile(model, backend="eager", fullgraph=True)
    compiled(images(in_channels, TRANSLATOR_RESOLUTION)).mean().backward()   # train mode, with dropout
    assert_finite_gradients(model)
    model.eval()
    source = images(in_channels, TRANSLATOR_RESOLUTION, seed=4)
    with torch.no_grad():
        torch.testing.assert_close(compiled(source), model(source), rtol=0, atol=1e-6)


@pytest.mark.parametrize(("name", "in_channels", "out_channels"), ONE_TRANSLATOR_CASE)
def test_translator_onnx_export_matches_pytorch(name, in_channels, out_channels, tmp_path):
    """Free batch, height and width: checked inside the export on another batch and spatial size."""
    pytest.importorskip("onnxruntime")
    import onnx
    import onnxruntime

    from duelo.io.onnx_translator import export_translator_onnx

    model = make_translator(name, in_channels, out_channels).eval()
    path = export_translator_onnx(model, tmp_path / "t.onnx", tolerance=1e-4)
    meta = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert meta["duelo:dynamic_spatial"] == "true", "export fell back to a fixed spatial size"
    assert meta["duelo:size_multiple"] == str(model.size_multiple)
    source = images(in_channels, 48, 32, n=1, seed=6)                     # a third size, batch 1
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (output,) = session.run(None, {"source": source.numpy()})
    with torch.no_grad():
        torch.testing.assert_close(torch.from_numpy(output), model(source), rtol=0, atol=1e-4)


def test_translator_onnx_export_raises_on_mismatch(tmp_path):
    """The tolerance check can fail: a negative tolerance cannot be met, and no file is left behind."""
    pytest.importorskip("onnxruntime")
    from duelo.io.onnx_export import ExportMismatchError
    from duelo.io.onnx_translator import export_translator_onnx

    model = make_translator("resnet", 1, 1)
    with pytest.raises(ExportMismatchError, match="differs from PyTorch"):
        export_translator_onnx(model, tmp_path / "t.onnx", tolerance=-1.0)
    assert list(tmp_path.iterdir()) == []


BAD_TRANSLATOR_KWARGS = [
    ({"in_channels": 0}, "in_channels"),
    ({"out_channels": 2.5}, "out_channels"),
    ({"resolution": 17}, "resolution"),
    ({"width": 0}, "width"),
    ({"norm": "group"}, "norm"),
    ({"colour": True}, "colour"),
]


@pytest.mark.parametrize("name", TRANSLATORS.names())
@pytest.mark.parametrize(("changes", "field"), BAD_TRANSLATOR_KWARGS,
                         ids=[field for _, field in BAD_TRANSLATOR_KWARGS])
def test_translator_bad_arguments_raise_config_error(name, changes, field):
    kwargs = {"in_channels": 3, "out_channels": 3, "resolution": TRANSLATOR_RESOLUTION,
              **SMALL_TRANSLATOR_KWARGS.get(name, {}), **changes}
    with pytest.raises(ConfigError, match=field):
        build_translator(name, **kwargs)


@pytest.mark.parametrize(("name", "changes", "field"), [
    ("unet", {"depth": 5}, "depth"),                     # 2**5 does not divide 16
    ("unet", {"depth": 0}, "depth"),
    ("unet", {"dropout": 1.0}, "dropout"),
    ("resnet", {"n_down": -1}, "n_down"),
    ("resnet", {"n_down": 4}, "n_down"),                 # 16 is below min_size 32
    ("resnet", {"n_blocks": 0}, "n_blocks"),
])
def test_family_specific_bad_arguments(name, changes, field):
    if name not in TRANSLATORS:
        pytest.skip(f"{name} is not registered")
    with pytest.raises(ConfigError, match=field):
        make_translator(name, 3, 3, **changes)


def test_unet_default_depth_reaches_a_one_pixel_bottleneck():
    model = make_translator("unet", 3, 3)
    assert model.depth == 4 and model.size_multiple == 16            # log2(16) down-samplings
    assert build_translator("unet", in_channels=1, out_channels=1, resolution=1024, width=1,
                            max_width=1).depth == 8                   # capped at the paper's 8


# --------------------------------------------------------------------------------------- patch discriminators

@patch_cases
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_patch_discriminator_returns_a_logit_map(name, in_channels, mode):
    model = make_patch_discriminator(name, in_channels).train(mode == "train")
    assert (model.in_channels, model.resolution) == (in_channels, PATCH_RESOLUTION)
    assert model.receptive_field > 1 and model.resolution >= model.min_size
    with torch.no_grad():
        logits = model(images(in_channels, PATCH_RESOLUTION))
        wide = model(images(in_channels, *OTHER_SIZE, n=2))
        smallest = model(images(in_channels, model.min_size, n=1))
    assert logits.dim() == 3 and logits.shape[0] == BATCH and logits.shape[1] == logits.shape[2] >= 1
    assert logits.dtype == torch.float32 and torch.isfinite(logits).all()
    assert wide.shape[0] == 2 and wide.shape[2] > wide.shape[1]      # wider input, more patches across
    assert smallest.shape == (1, 1, 1)


@patch_cases
def test_patch_discriminator_rejects_wrong_channels_and_sizes(name, in_channels):
    model = make_patch_discriminator(name, in_channels)
    with pytest.raises(ValueError, match=f"expects {in_channels} input channels, got {in_channels + 1}"):
        model(images(in_channels + 1, PATCH_RESOLUTION))
    with pytest.raises(ValueError, match=f"at least {model.min_size}"):
        model(images(in_channels, model.min_size - 1))


@patch_cases
@pytest.mark.parametrize("norm", ["instance", "batch", "spectral"])
def test_patch_discriminator_save_load_round_trip_is_bitwise(name, in_channels, norm, tmp_path):
    model = make_patch_discriminator(name, in_channels, norm=norm)
    with torch.no_grad():                   # train mode: batch-norm statistics and power iterations move
        model(images(in_channels, PATCH_RESOLUTION))
    directory = save_pretrained(model, tmp_path / "patch")
    assert (read_config(directory)["kind"], read_config(directory)["name"]) == ("patch-discriminator", name)
    loaded = load_pretrained(directory)
    assert type(loaded) is type(model) and not loaded.training
    assert all(torch.equal(value, loaded.state_dict()[key]) for key, value in model.state_dict().items())
    sample = images(in_channels, *OTHER_SIZE, seed=5)
    with torch.no_grad():
        assert torch.equal(loaded(sample), model.eval()(sample))


@patch_cases
def test_patch_discriminator_same_seed_gives_same_weights_and_outputs(name, in_channels):
    first, second = make_patch_discriminator(name, in_channels), make_patch_discriminator(name, in_channels)
    other = make_patch_discriminator(name, in_channels, seed=1)
    assert all(torch.equal(value, second.state_dict()[key]) for key, value in first.state_dict().items())
    sample = images(in_channels, PATCH_RESOLUTION)
    with torch.no_grad():
        assert torch.equal(first(sample), second(sample))
        assert not torch.equal(first(sample), other(sample))


@patch_cases
def test_patch_discriminator_every_parameter_gets_a_finite_gradient(name, in_channels):
    model = make_patch_discriminator(name, in_channels).train()
    model(images(in_channels, PATCH_RESOLUTION)).mean().backward()
    assert_finite_gradients(model)


@pytest.mark.parametrize(("name", "in_channels"), ONE_PATCH_CASE)
@pytest.mark.parametrize("norm", ["batch", "spectral"])
def test_patch_discriminator_forward_is_one_graph_matching_eager(name, in_channels, norm):
    model = make_patch_discriminator(name, in_channels, norm=norm)
    torch._dynamo.reset()
    compiled = torch.compile(model, backend="eager", fullgraph=True)
    compiled(images(in_channels, PATCH_RESOLUTION)).mean().backward()
    assert_finite_gradients(model)
    model.eval()
    sample = images(in_channels, PATCH_RESOLUTION, seed=4)
    with torch.no_grad():
        torch.testing.assert_close(compiled(sample), model(sample), rtol=0, atol=1e-6)


BAD_PATCH_KWARGS = [
    ({"in_channels": 0}, "in_channels"),
    ({"resolution": "32"}, "resolution"),
    ({"width": 0}, "width"),
    ({"norm": "group"}, "norm"),
    ({"colour": True}, "colour"),
]


@pytest.mark.parametrize("name", PATCH_DISCRIMINATORS.names())
@pytest.mark.parametrize(("changes", "field"), BAD_PATCH_KWARGS, ids=[field for _, field in BAD_PATCH_KWARGS])
def test_patch_discriminator_bad_arguments_raise_config_error(name, changes, field):
    kwargs = {"in_channels": 3, "resolution": PATCH_RESOLUTION, **SMALL_PATCH_KWARGS.get(name, {}), **changes}
    with pytest.raises(ConfigError, match=field):
        build_patch_discriminator(name, **kwargs)


def test_patchgan_refuses_a_resolution_that_leaves_no_logit():
    with pytest.raises(ConfigError, match="resolution >= 24"):
        build_patch_discriminator("patchgan", in_channels=3, resolution=16)   # 16 // 8 - 2 = 0 logits
    smaller = build_patch_discriminator("patchgan", in_channels=3, resolution=16, n_layers=2, width=4)
    assert smaller.min_size == 12 and smaller(images(3, 16)).shape == (BATCH, 2, 2)


@pytest.mark.parametrize("n_layers", [1, 2, 3])
def test_patchgan_sizes_and_receptive_field(n_layers):
    """The logit map follows patchgan_output_size (30x30 at 256 for the 70x70 PatchGAN), and one interior
    logit depends on exactly a receptive_field x receptive_field window (norm "none": instance norm would
    couple every pixel)."""
    assert patchgan_output_size(256, 3) == 30 and patchgan_receptive_field(3) == 70
    field = patchgan_receptive_field(n_layers)
    size = 2 * field + 2**n_layers * 2
    torch.manual_seed(0)
    model = build_patch_discriminator("patchgan", in_channels=1, resolution=size, width=2, max_width=4,
                                      n_layers=n_layers, norm="none")
    assert model.receptive_field == field
    x = images(1, size, n=1).requires_grad_(True)
    logits = model(x)
    assert logits.shape == (1, patchgan_output_size(size, n_layers), patchgan_output_size(size, n_layers))
    middle = logits.shape[1] // 2
    logits[0, middle, middle].backward()
    rows = x.grad[0, 0].abs().sum(dim=1).nonzero().flatten()
    columns = x.grad[0, 0].abs().sum(dim=0).nonzero().flatten()
    assert rows.max() - rows.min() + 1 == field
    assert columns.max() - columns.min() + 1 == field
