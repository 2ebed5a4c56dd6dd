"""Minibatch standard deviation inside the discriminators: shapes, the batch statistic is really used,
defaults unchanged, teaching errors, graph capture, save/load."""

from __future__ import annotations

import pytest
import torch

from duelo.errors import ConfigError
from duelo.io.pretrained import load_pretrained, save_pretrained
from duelo.models import build_discriminator

RESOLUTION = 16
NUM_CLASSES = 5
SMALL = {"mlp": {"width": 32, "depth": 2}, "dcgan": {"width": 8}}  # batch norm: eval mode below
HEAD_WIDTH = {"mlp": 32, "dcgan": 16}  # features before to_logit: mlp width; dcgan 4x4 channels 8 * 16 / 8


def make(name: str, c_dim: int, seed: int = 0, **kwargs):
    torch.manual_seed(seed)
    kwargs = {**SMALL[name], **kwargs}
    return build_discriminator(name, resolution=RESOLUTION, channels=3, c_dim=c_dim, **kwargs)


def batch(n: int, c_dim: int, seed: int = 1):
    rng = torch.Generator().manual_seed(seed)
    images = torch.rand(n, 3, RESOLUTION, RESOLUTION, generator=rng) * 2 - 1
    labels = torch.randint(0, c_dim, (n,), generator=rng) if c_dim > 0 else None
    return images, labels


CASES = [pytest.param(name, c_dim, n, id=f"{name}-c{c_dim}-n{n}")
         for name in ("mlp", "dcgan") for c_dim in (0, NUM_CLASSES) for n in (2, 8)]


@pytest.mark.parametrize(("name", "c_dim", "n"), CASES)
def test_logits_shape_and_batch_statistic_is_used(name, c_dim, n):
    critic = make(name, c_dim, mbstd_group=4).eval()
    assert critic.mbstd is not None and critic.mbstd.group_size == 4
    images, labels = batch(n, c_dim)
    with torch.no_grad():
        logits = critic(images, labels)
        assert logits.shape == (n,) and torch.isfinite(logits).all()
        changed = images.clone()
        changed[0] = -changed[0]                                 # change sample 0 only
        new_logits = critic(changed, labels)
    # groups of 4 (n = 8: {0, 2, 4, 6} and {1, 3, 5, 7}) or of 2 (n = 2: {0, 1}); sample 0's group mates
    # see a different statistic, so their logits move although their own images did not change
    m = n // min(n, 4)
    mates = list(range(m, n, m))
    assert mates and not torch.allclose(new_logits[mates], logits[mates])
    others = [i for i in range(n) if i % m != 0]                 # the other group is untouched (eval mode)
    torch.testing.assert_close(new_logits[others], logits[others])


@pytest.mark.parametrize("name", ["mlp", "dcgan"])
def test_without_mbstd_samples_do_not_interact(name):
    critic = make(name, 0).eval()
    images, _ = batch(8, 0)
    with torch.no_grad():
        logits = critic(images)
        changed = images.clone()
        changed[0] = -changed[0]
        torch.testing.assert_close(critic(changed)[1:], logits[1:])


@pytest.mark.parametrize("name", ["mlp", "dcgan"])
def test_head_grows_by_mbstd_channels_and_projection_does_not(name):
    critic = make(name, NUM_CLASSES, mbstd_group=4, mbstd_channels=2)
    head = critic.to_logit
    head_in = head.in_features if name == "mlp" else head.in_channels
    assert head_in == HEAD_WIDTH[name] + 2
    assert critic.projection.embedding.weight.shape == (NUM_CLASSES, HEAD_WIDTH[name])
    images, labels = batch(8, NUM_CLASSES)
    critic(images, labels).sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in critic.parameters())


@pytest.mark.parametrize("name", ["mlp", "dcgan"])
def test_default_is_off_and_unchanged(name):
    default = make(name, NUM_CLASSES)
    explicit = make(name, NUM_CLASSES, mbstd_group=0, mbstd_channels=1)
    assert default.mbstd is None
    head = default.to_logit
    assert (head.in_features if name == "mlp" else head.in_channels) == HEAD_WIDTH[name]
    assert default.state_dict().keys() == explicit.state_dict().keys()
    assert all(torch.equal(v, explicit.state_dict()[k]) for k, v in default.state_dict().items())
    # turning it on changes only the head's input width; every other tensor has the same name and shape
    on = make(name, NUM_CLASSES, mbstd_group=4).state_dict()
    assert on.keys() == default.state_dict().keys()
    differ = {k for k, v in default.state_dict().items() if v.shape != on[k].shape}
    assert differ == {"to_logit.weight"}


@pytest.mark.parametrize("name", ["mlp", "dcgan"])
@pytest.mark.parametrize(("kwargs", "field"), [({"mbstd_group": -1}, "mbstd_group"),
                                               ({"mbstd_group": 2.5}, "mbstd_group"),
                                               ({"mbstd_group": 4, "mbstd_channels": 0}, "mbstd_channels"),
                                               ({"mbstd_group": 4, "mbstd_channels": 3}, "mbstd_channels")])
def test_bad_arguments_are_config_errors(name, kwargs, field):
    with pytest.raises(ConfigError, match=field):
        make(name, 0, **kwargs)


@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf:UserWarning")
@pytest.mark.parametrize("name", ["mlp", "dcgan"])
def test_forward_is_one_graph(name):
    critic = make(name, NUM_CLASSES, mbstd_group=4)
    images, labels = batch(6, NUM_CLASSES)                       # 6: groups of 3
    torch._dynamo.reset()
    traced = torch.compile(critic, backend="eager", fullgraph=True)
    traced(images, labels).mean().backward()


@pytest.mark.parametrize("name", ["mlp", "dcgan"])
def test_save_load_keeps_mbstd(name, tmp_path):
    critic = make(name, NUM_CLASSES, mbstd_group=4, mbstd_channels=2).eval()
    loaded = load_pretrained(save_pretrained(critic, tmp_path / name))
    assert loaded.mbstd is not None and loaded.mbstd.num_channels == 2
    images, labels = batch(8, NUM_CLASSES)
    with torch.no_grad():
        assert torch.equal(loaded(images, labels), critic(images, labels))
