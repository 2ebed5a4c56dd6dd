"""The auxiliary classifier head (AC-GAN) that every conditional image discriminator can carry (classify=True):
its cross-entropy reads the features of the projection term, it leaves the logits as they are, it trains, and
the training objective and config use it (model.aux_weight)."""

from __future__ import annotations

import pytest
import torch

from duelo.errors import ConfigError
from duelo.models import DISCRIMINATORS, build_discriminator
from tests.models.test_conformance import BATCH, NUM_CLASSES, SMALL_KWARGS, real_images, resolution_of

FAMILIES = [name for name in DISCRIMINATORS.names() if name in SMALL_KWARGS]


def _discriminator(name: str, classify: bool, c_dim: int = NUM_CLASSES):
    torch.manual_seed(0)
    return build_discriminator(name, resolution=resolution_of(name), channels=3, c_dim=c_dim, classify=classify,
                               **SMALL_KWARGS[name][1])


@pytest.mark.parametrize("name", FAMILIES)
def test_class_loss_is_per_image_and_leaves_the_logits_alone(name):
    D = _discriminator(name, classify=True).eval()
    images = real_images(3, name=name)
    labels = torch.arange(BATCH) % NUM_CLASSES
    logits, loss = D.forward_with_class_loss(images, labels)
    assert logits.shape == (BATCH,) and loss.shape == (BATCH,)
    torch.testing.assert_close(logits, D(images, labels))
    assert not D.projection._forward_hooks                      # the hook lives for the one call only
    # the loss is the classifier's cross-entropy of the asked class: another label gives another loss
    _, other = D.forward_with_class_loss(images, (labels + 1) % NUM_CLASSES)
    assert not torch.allclose(loss, other)
    assert torch.all(loss > 0)


@pytest.mark.parametrize("name", FAMILIES)
def test_the_head_and_the_body_learn_from_the_class_loss(name):
    D = _discriminator(name, classify=True).train()
    images = real_images(3, name=name)
    _, loss = D.forward_with_class_loss(images, torch.zeros(BATCH, dtype=torch.long))
    loss.mean().backward()
    head = [p for n, p in D.named_parameters() if n.startswith("classifier")]    # spectral norm: the originals
    assert head and all(p.grad is not None and p.grad.abs().sum() > 0 for p in head)
    body = [p for n, p in D.named_parameters() if not n.startswith(("classifier", "projection"))]
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in body)


def test_a_discriminator_without_the_head_has_none_and_says_so():
    D = _discriminator("dcgan", classify=False)
    assert D.classifier is None
    assert not any(n.startswith("classifier") for n, _ in D.named_parameters())   # checkpoints unchanged
    with pytest.raises(ValueError, match="classify=False"):
        D.forward_with_class_loss(real_images(3), torch.zeros(BATCH, dtype=torch.long))


def test_an_unconditional_discriminator_refuses_the_head():
    with pytest.raises(ConfigError, match="--conditional"):
        _discriminator("dcgan", classify=True, c_dim=0)


def test_the_config_builds_the_head_and_the_objective_term():
    from duelo.tasks.image_gan.parts import model_kwargs
    from duelo.tasks.registry import TASKS

    config = TASKS.get("image-gan").default_config().with_overrides(
        {"model.conditional": True, "model.aux_weight": 0.5}, source="test")
    _, d_kwargs = model_kwargs(config, 32, 1, NUM_CLASSES)
    assert d_kwargs["classify"] is True
    plain = config.with_overrides({"model.aux_weight": 0.0}, source="test")
    assert "classify" not in model_kwargs(plain, 32, 1, NUM_CLASSES)[1]     # saved specs of plain runs unchanged


def test_the_config_refuses_the_term_without_labels_and_under_privacy():
    from duelo.privacy.settings import private_config
    from duelo.tasks.registry import TASKS

    config_type = TASKS.get("image-gan").default_config
    with pytest.raises(ConfigError, match="aux_weight"):
        config_type().with_overrides({"model.conditional": False, "model.aux_weight": 1.0}, source="test")
    private = config_type().with_overrides({"model.conditional": True, "model.aux_weight": 1.0,
                                            "privacy.epsilon": 3.0}, source="test")
    with pytest.raises(ConfigError, match="auxiliary classifier"):
        private_config(private)


def test_fastgan_self_supervision_and_the_classifier_term_are_refused_together():
    from types import SimpleNamespace

    from duelo.tasks.image_gan.parts import check_pairing

    D = _discriminator("fastgan", classify=True)
    assert D.self_supervised
    with pytest.raises(ConfigError, match="recon_weight"):
        check_pairing(None, D, SimpleNamespace(gp_weight=0.0, aux_weight=1.0))
    torch.manual_seed(0)
    quiet = build_discriminator("fastgan", resolution=32, channels=3, c_dim=NUM_CLASSES, classify=True,
                                recon_weight=0.0, **SMALL_KWARGS["fastgan"][1])
    with pytest.raises(AttributeError):         # past the refusal: the (absent) G is asked for images
        check_pairing(None, quiet, SimpleNamespace(gp_weight=0.0, aux_weight=1.0))
