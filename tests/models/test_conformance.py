"""Every registered generator (and the discriminator of the same name) passes the same contract tests.

A newly registered model is picked up automatically from GENERATORS.names(); add small constructor
arguments for it to SMALL_KWARGS so that the suite stays fast (models run with their defaults otherwise).
"""

from __future__ import annotations

import json

import pytest
import torch

from duelo.io.pretrained import load_pretrained, save_pretrained
from duelo.models import DISCRIMINATORS, GENERATORS, build_discriminator, build_generator

RESOLUTION = 16
RESOLUTIONS = {"fastgan": 32}   # families whose smallest size is larger (FastGAN's D reads 16x16 features)
BATCH = 4
NUM_CLASSES = 10

# name -> (generator kwargs, discriminator kwargs): small widths keep the whole suite a few seconds long
SMALL_KWARGS: dict[str, tuple[dict, dict]] = {
    "mlp":   ({"width": 32, "depth": 2, "z_dim": 16, "embed_dim": 8}, {"width": 32, "depth": 2}),
    "dcgan": ({"width": 8, "z_dim": 16, "embed_dim": 8}, {"width": 8}),
    "resnet": ({"width": 16, "z_dim": 16}, {"width": 16}),
    "stylegan2": ({"channel_base": 128, "channel_max": 16, "z_dim": 16, "w_dim": 16, "embed_dim": 8,
                   "mapping_layers": 2}, {"channel_base": 128, "channel_max": 16}),
    # mid-growth (stage 16x16 fading in over 8x8), the path with the most layers in use
    "progan": ({"channel_base": 128, "channel_max": 16, "z_dim": 16, "embed_dim": 8, "level": 1.5},
               {"channel_base": 128, "channel_max": 16, "level": 1.5}),
    "fastgan": ({"channel_base": 256, "channel_max": 16, "z_dim": 16, "embed_dim": 8},
                {"channel_base": 256, "channel_max": 16}),
    "r3gan": ({"channel_base": 128, "channel_max": 16, "blocks_per_stage": 1, "z_dim": 16, "embed_dim": 8},
              {"channel_base": 128, "channel_max": 16, "blocks_per_stage": 1}),
}

CASES = [
    pytest.param(name, c_dim, channels, id=f"{name}-c{c_dim}-ch{channels}")
    for name in GENERATORS.names()
    for c_dim in (0, NUM_CLASSES)
    for channels in (1, 3)
]
pytestmark = pytest.mark.parametrize(("name", "c_dim", "channels"), CASES)


def make_generator(name: str, c_dim: int, channels: int, seed: int = 0):
    torch.manual_seed(seed)
    kwargs = SMALL_KWARGS.get(name, ({}, {}))[0]
    return build_generator(name, resolution=resolution_of(name), channels=channels, c_dim=c_dim, **kwargs)


def make_discriminator(name: str, c_dim: int, channels: int, seed: int = 0):
    if name not in DISCRIMINATORS:
        pytest.skip(f"no discriminator registered as {name!r}")
    torch.manual_seed(seed)
    kwargs = SMALL_KWARGS.get(name, ({}, {}))[1]
    return build_discriminator(name, resolution=resolution_of(name), channels=channels, c_dim=c_dim, **kwargs)


def inputs(generator, c_dim: int, seed: int = 1):
    """Reproducible latents and labels (labels None for unconditional models)."""
    rng = torch.Generator().manual_seed(seed)
    z = generator.sample_latents(BATCH, generator=rng)
    labels = torch.randint(0, c_dim, (BATCH,), generator=rng) if c_dim > 0 else None
    return z, labels


def resolution_of(name: str) -> int:
    return RESOLUTIONS.get(name, RESOLUTION)


def real_images(channels: int, seed: int = 2, name: str = "") -> torch.Tensor:
    rng = torch.Generator().manual_seed(seed)
    size = resolution_of(name)
    return torch.rand(BATCH, channels, size, size, generator=rng) * 2 - 1


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_generator_output_shape_dtype_and_range(name, c_dim, channels, mode):
    generator = make_generator(name, c_dim, channels).train(mode == "train")
    assert (generator.c_dim, generator.resolution, generator.channels) == (c_dim, resolution_of(name), channels)
    z, labels = inputs(generator, c_dim)
    with torch.no_grad():
        images = generator(z, labels)
    assert images.shape == (BATCH, channels, resolution_of(name), resolution_of(name))
    assert images.dtype == torch.float32
    assert torch.isfinite(images).all()
    if mode == "eval" or not GENERATORS.info(name).linear_output:
        assert images.min() >= -1 and images.max() <= 1


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_discriminator_returns_one_logit_per_image(name, c_dim, channels, mode):
    discriminator = make_discriminator(name, c_dim, channels).train(mode == "train")
    attributes = (discriminator.c_dim, discriminator.resolution, discriminator.channels)
    assert attributes == (c_dim, resolution_of(name), channels)
    labels = torch.arange(BATCH) % c_dim if c_dim > 0 else None
    with torch.no_grad():
        logits = discriminator(real_images(channels, name=name), labels)
    assert logits.shape == (BATCH,)
    assert logits.dtype == torch.float32
    assert torch.isfinite(logits).all()


def test_conditional_generator_output_depends_on_labels(name, c_dim, channels):
    if c_dim == 0:
        pytest.skip("unconditional")
    generator = make_generator(name, c_dim, channels).eval()
    z = generator.sample_latents(1, generator=torch.Generator().manual_seed(3)).expand(BATCH, -1)
    with torch.no_grad():
        images = generator(z, torch.arange(BATCH))             # same z, four different classes
    for index in range(1, BATCH):
        assert not torch.equal(images[0], images[index])


def test_labels_must_match_conditioning(name, c_dim, channels):
    generator = make_generator(name, c_dim, channels)
    discriminator = make_discriminator(name, c_dim, channels)
    z = generator.sample_latents(BATCH)
    images = real_images(channels, name=name)
    wrong = None if c_dim > 0 else torch.zeros(BATCH, dtype=torch.long)
    with pytest.raises(ValueError, match="c_dim"):
        generator(z, wrong)
    with pytest.raises(ValueError, match="c_dim"):
        discriminator(images, wrong)
    if c_dim > 0:
        with pytest.raises(ValueError, match="shape"):
            generator(z, torch.zeros(BATCH + 1, dtype=torch.long))


def test_save_load_round_trip_is_bitwise(name, c_dim, channels, tmp_path):
    generator = make_generator(name, c_dim, channels)
    discriminator = make_discriminator(name, c_dim, channels)
    z, labels = inputs(generator, c_dim)
    with torch.no_grad():  # one train-mode pass so that buffers (batch-norm statistics) differ from init
        discriminator(generator(z, labels), labels)
    for module, sample in ((generator, z), (discriminator, real_images(channels, name=name))):
        directory = save_pretrained(module, tmp_path / type(module).__name__)
        config = json.loads((directory / "config.json").read_text())
        assert config["name"] == name
        assert config["kwargs"]["resolution"] == resolution_of(name) and config["kwargs"]["c_dim"] == c_dim
        loaded = load_pretrained(directory)
        assert type(loaded) is type(module) and not loaded.training
        module.eval()
        with torch.no_grad():
            assert torch.equal(loaded(sample, labels), module(sample, labels))
        assert all(torch.equal(value, loaded.state_dict()[key]) for key, value in module.state_dict().items())


def test_same_seed_gives_same_weights_and_outputs(name, c_dim, channels):
    first, second = make_generator(name, c_dim, channels), make_generator(name, c_dim, channels)
    first_d, second_d = make_discriminator(name, c_dim, channels), make_discriminator(name, c_dim, channels)
    for a, b in ((first, second), (first_d, second_d)):
        assert a.state_dict().keys() == b.state_dict().keys()
        assert all(torch.equal(value, b.state_dict()[key]) for key, value in a.state_dict().items())
    z, labels = inputs(first, c_dim)
    with torch.no_grad():
        assert torch.equal(first(z, labels), second(z, labels))
        real = real_images(channels, name=name)
        assert torch.equal(first_d(real, labels), second_d(real, labels))


def test_every_parameter_gets_a_finite_gradient(name, c_dim, channels):
    generator = make_generator(name, c_dim, channels)
    discriminator = make_discriminator(name, c_dim, channels)
    z, labels = inputs(generator, c_dim)

    discriminator(generator(z, labels), labels).mean().backward()          # generator step
    discriminator.zero_grad(set_to_none=True)
    real = real_images(channels, name=name)
    if getattr(discriminator, "self_supervised", False):    # D's real step also trains its decoders (fastgan)
        logits, recon = discriminator.forward_with_reconstruction(real, labels, torch.Generator().manual_seed(3))
        (logits.mean() + recon).backward()                                 # discriminator step
    else:
        discriminator(real, labels).mean().backward()                      # discriminator step
    for kind, module in (("generator", generator), ("discriminator", discriminator)):
        # a growing network leaves the layers of other levels out, and says which (they must get nothing)
        inactive = module.inactive_parameter_names() if hasattr(module, "inactive_parameter_names") else set()
        assert inactive < {key for key, _ in module.named_parameters()}
        for key, parameter in module.named_parameters():
            if key in inactive:
                assert parameter.grad is None, f"{kind} parameter {key} is declared inactive but got a gradient"
                continue
            assert parameter.grad is not None, f"{kind} parameter {key} got no gradient"
            assert torch.isfinite(parameter.grad).all(), f"{kind} parameter {key}: non-finite gradient"


def test_sample_latents_shape_and_reproducibility(name, c_dim, channels):
    generator = make_generator(name, c_dim, channels)
    first = generator.sample_latents(5, generator=torch.Generator().manual_seed(7))
    second = generator.sample_latents(5, generator=torch.Generator().manual_seed(7))
    assert first.shape == (5, generator.z_dim) and first.dtype == torch.float32
    assert torch.equal(first, second)
    assert not torch.equal(first, generator.sample_latents(5, generator=torch.Generator().manual_seed(8)))


@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf:UserWarning")  # dynamo
def test_forward_is_one_graph_without_host_syncs(name, c_dim, channels):
    """DESIGN.md rule 6: forward must be pure tensor work (no .item(), no branching on tensor values) so that
    the training step can be captured in a CUDA graph. fullgraph=True fails on any graph break."""
    if channels == 1:
        pytest.skip("channel count does not change the control flow; checked once with channels=3")
    generator = make_generator(name, c_dim, channels)
    discriminator = make_discriminator(name, c_dim, channels)
    z, labels = inputs(generator, c_dim)
    torch._dynamo.reset()  # fresh caches: many instances of one class would hit the recompile limit
    traced_g = torch.compile(generator, backend="eager", fullgraph=True)
    traced_d = torch.compile(discriminator, backend="eager", fullgraph=True)
    traced_d(traced_g(z, labels), labels).mean().backward()


def test_onnx_export_matches_pytorch(name, c_dim, channels, tmp_path):
    """Every generator exports to ONNX with a free batch size and onnxruntime reproduces it to 1e-4."""
    pytest.importorskip("onnxruntime")
    if channels != 1:
        pytest.skip("channel count does not change the exported graph's structure; checked with channels=1")
    if c_dim == 0 and name != "mlp":   # an export takes 4-8 s on a 2-core machine: one per family and condition
        pytest.skip("every family exports conditionally (its graph holds the unconditional one's operations and "
                    "the label input); the unconditional signature, without a label input, is checked with mlp")
    from duelo.io.onnx_export import check_onnx, export_onnx

    G = make_generator(name, c_dim, channels)
    path = export_onnx(G, tmp_path / "g.onnx")
    assert check_onnx(G, path, n=5) <= 1e-4                 # exported with batch 2, run with batch 5
    import onnx
    meta = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert meta["duelo:c_dim"] == str(c_dim) and meta["duelo:z_dim"] == str(G.z_dim)
