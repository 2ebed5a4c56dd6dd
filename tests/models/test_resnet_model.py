"""ResNet (SNGAN/BigGAN-style) specifics: shapes, conditional batch norm and projection really use the
labels, self-attention starts as the identity, spectral norm built into D, minibatch std, argument
errors, save/load, and a short training run through the CLI."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from duelo.errors import ConfigError
from duelo.io.pretrained import load_pretrained, save_pretrained
from duelo.models import build_discriminator, build_generator
from duelo.nn.attention import SelfAttention2d
from duelo.nn.conditional_norm import ConditionalBatchNorm2d

SMALL_G = {"width": 16, "z_dim": 16}
SMALL_D = {"width": 16}
NUM_CLASSES = 5


def make_g(resolution=16, channels=3, c_dim=0, seed=0, **kwargs):
    torch.manual_seed(seed)
    return build_generator("resnet", resolution=resolution, channels=channels, c_dim=c_dim,
                           **{**SMALL_G, **kwargs})


def make_d(resolution=16, channels=3, c_dim=0, seed=0, **kwargs):
    torch.manual_seed(seed)
    return build_discriminator("resnet", resolution=resolution, channels=channels, c_dim=c_dim,
                               **{**SMALL_D, **kwargs})


def images(n, channels=3, resolution=16, seed=1):
    rng = torch.Generator().manual_seed(seed)
    return torch.rand(n, channels, resolution, resolution, generator=rng) * 2 - 1


@pytest.mark.parametrize("resolution", [16, 32])
@pytest.mark.parametrize("c_dim", [0, NUM_CLASSES])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes(resolution, c_dim, channels):
    generator = make_g(resolution, channels, c_dim)
    discriminator = make_d(resolution, channels, c_dim)
    labels = torch.arange(4) % c_dim if c_dim else None
    with torch.no_grad():
        fakes = generator(generator.sample_latents(4), labels)
        logits = discriminator(fakes, labels)
    assert fakes.shape == (4, channels, resolution, resolution)
    assert logits.shape == (4,)
    blocks = resolution.bit_length() - 3                       # doublings 4 -> R, halvings R -> 4
    norm_type = ConditionalBatchNorm2d if c_dim else nn.BatchNorm2d
    assert sum(isinstance(m, norm_type) for m in generator.modules()) == 2 * blocks + (0 if c_dim else 1)
    assert len(discriminator.blocks) == blocks


def test_conditional_batch_norm_uses_the_labels():
    generator = make_g(c_dim=NUM_CLASSES).eval()
    norms = [m for m in generator.modules() if isinstance(m, ConditionalBatchNorm2d)]
    assert norms and not any(isinstance(m, nn.BatchNorm2d) and m.affine for m in generator.blocks.modules())
    z = generator.sample_latents(1, generator=torch.Generator().manual_seed(3)).expand(2, -1)
    labels = torch.tensor([1, 2])
    with torch.no_grad():
        out = generator(z, labels)
        assert not torch.allclose(out[0], out[1])
        for norm in norms:                                     # give class 2 the gain and bias of class 1
            norm.gain.weight[2] = norm.gain.weight[1]
            norm.bias.weight[2] = norm.bias.weight[1]
        same = generator(z, labels)
    torch.testing.assert_close(same[0], same[1])


def test_conditional_batch_norm_starts_near_identity_affine():
    norm = ConditionalBatchNorm2d(8, 3)
    assert abs(norm.gain.weight.mean().item() - 1) < 0.05 and abs(norm.bias.weight.mean().item()) < 0.05
    exact = ConditionalBatchNorm2d(8, 3, init_std=0.0)
    assert torch.equal(exact.gain.weight, torch.ones(3, 8)) and not exact.bias.weight.any()


def test_projection_term_uses_the_labels():
    discriminator = make_d(c_dim=NUM_CLASSES).eval()
    x = images(1).expand(2, -1, -1, -1)
    with torch.no_grad():
        logits = discriminator(x, torch.tensor([0, 3]))
        assert logits[0] != logits[1]
        discriminator.projection = None                       # the unconditional part alone
        plain = discriminator(x, torch.tensor([0, 3]))
    assert plain[0] == plain[1]


@pytest.mark.parametrize("network", ["generator", "discriminator"])
def test_attention_is_inserted_and_starts_as_identity(network):
    if network == "generator":
        model = make_g(c_dim=NUM_CLASSES, attention_at=8).eval()
        z = model.sample_latents(3, generator=torch.Generator().manual_seed(4))
        sample = (z, torch.tensor([0, 1, 2]))
    else:
        model = make_d(c_dim=NUM_CLASSES, attention_at=8).eval()
        sample = (images(3), torch.tensor([0, 1, 2]))
    attention = [i for i, m in enumerate(model.blocks) if isinstance(m, SelfAttention2d)]
    assert len(attention) == 1 and model.blocks[attention[0]].gamma.item() == 0
    without = copy.deepcopy(model)
    without.blocks[attention[0]] = nn.Identity()
    with torch.no_grad():
        assert torch.equal(model(*sample), without(*sample))
        model.blocks[attention[0]].gamma.fill_(1.0)           # the block does something once gamma moves
        assert not torch.allclose(model(*sample), without(*sample))
    assert not any(isinstance(m, SelfAttention2d) for m in make_g().modules())


def test_attention_at_resolution_sizes():
    assert isinstance(make_g(resolution=32, attention_at=32).blocks[-1], SelfAttention2d)
    assert isinstance(make_g(attention_at=4).blocks[0], SelfAttention2d)
    assert isinstance(make_d(resolution=32, attention_at=16).blocks[1], SelfAttention2d)


def test_discriminator_has_spectral_norm_everywhere_and_no_batch_norm():
    discriminator = make_d(c_dim=NUM_CLASSES, attention_at=8)
    weighted = [m for m in discriminator.modules() if isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding))]
    assert len(weighted) > 10
    assert all(parametrize.is_parametrized(m, "weight") for m in weighted)
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in discriminator.modules())
    plain = make_d(c_dim=NUM_CLASSES, spectral_norm=False)
    assert not any(parametrize.is_parametrized(m) for m in plain.modules())


def test_minibatch_std_sees_the_other_samples():
    discriminator = make_d(mbstd_group=4).eval()
    assert discriminator.to_logit.in_features == 16 + 1
    x = images(4)
    changed = x.clone()
    changed[3] = -changed[3]
    with torch.no_grad():
        before, after = discriminator(x), discriminator(changed)
        assert not torch.allclose(before[:3], after[:3])      # samples 0-2 unchanged, logits moved
        plain = make_d().eval()
        torch.testing.assert_close(plain(x)[:3], plain(changed)[:3])


@pytest.mark.parametrize(("build", "kwargs", "field"), [
    (build_generator, {"resolution": 8}, "resolution"),
    (build_generator, {"resolution": 24}, "resolution"),
    (build_discriminator, {"resolution": 12}, "resolution"),
    (build_generator, {"width": 0}, "width"),
    (build_discriminator, {"width": -4}, "width"),
    (build_generator, {"z_dim": 0}, "z_dim"),
    (build_generator, {"attention_at": 64}, "attention_at"),
    (build_generator, {"attention_at": 6}, "attention_at"),
    (build_discriminator, {"attention_at": 16}, "attention_at"),   # D never holds a 16x16 map at R=16
    (build_discriminator, {"attention_at": 8, "width": 4}, "attention_at"),
    (build_discriminator, {"spectral_norm": "yes"}, "spectral_norm"),
    (build_discriminator, {"mbstd_group": -1}, "mbstd_group"),
    (build_discriminator, {"mbstd_group": 4, "mbstd_channels": 3}, "mbstd_channels"),
    (build_generator, {"widht": 16}, "widht"),
])
def test_bad_arguments_name_the_argument(build, kwargs, field):
    kwargs = {"resolution": 16, "channels": 3, **kwargs}
    with pytest.raises(ConfigError, match=field):
        build("resnet", **kwargs)


def test_save_load_round_trip(tmp_path):
    generator = make_g(c_dim=NUM_CLASSES, attention_at=8)
    z, labels = generator.sample_latents(4), torch.tensor([0, 1, 2, 3])
    with torch.no_grad():
        generator(z, labels)                                   # move the batch-norm running statistics
    loaded = load_pretrained(save_pretrained(generator, tmp_path / "g"))
    generator.eval()
    with torch.no_grad():
        assert torch.equal(loaded(z, labels), generator(z, labels))


def test_training_smoke_through_the_cli(tmp_path, monkeypatch):
    from duelo.cli.main import main

    monkeypatch.chdir(tmp_path)
    assert main(["train", "--dataset", "digits", "--resolution", "16", "--model", "resnet", "--width", "16",
                 "--z-dim", "16", "--batch", "32", "--kimg", "0.64", "--snapshot-kimg", "0.32",
                 "--out", str(tmp_path / "rn"), "--name", "t", "--conditional"]) == 0
    assert (tmp_path / "rn" / "t" / "summary.json").exists()
