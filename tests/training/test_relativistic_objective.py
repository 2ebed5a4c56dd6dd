"""The relativistic pairing loss (rpgan) in the GAN objective: G's step draws a real batch that does not count
towards kimg, pairs fake i with real i (same labels), the health probe feeds it the reals' logits, and the
tasks whose objectives cannot do that refuse it."""

import pytest
import torch
import torch.nn.functional as F

from duelo.errors import ConfigError
from duelo.losses import LOSSES
from duelo.models import build_discriminator, build_generator
from duelo.objectives import GANObjective
from duelo.training.feed import BatchFeed
from duelo.training.runtime import Runtime
from duelo.training.trainer import Trainer, TrainerSettings
from tests.training.test_trainer_units import players


def nets(c_dim=0, seed=0):
    torch.manual_seed(seed)
    G = build_generator("mlp", resolution=4, channels=1, c_dim=c_dim, width=16, depth=2, z_dim=4)
    D = build_discriminator("mlp", resolution=4, channels=1, c_dim=c_dim, width=16, depth=2)
    return G, D


def test_only_a_relativistic_loss_gives_g_a_real_batch():
    G, D = nets()
    plain = {p.name: p for p in GANObjective(G, D, LOSSES.get("bce")).phases}
    assert not plain["G"].uses_real and plain["G"].counted           # unchanged for every other loss
    paired = {p.name: p for p in GANObjective(G, D, LOSSES.get("rpgan")).phases}
    assert paired["G"].uses_real and not paired["G"].counted
    assert [p.name for p in paired.values()] == ["D", "G"]


def test_generator_step_draws_an_uncounted_batch():
    G, D = nets()
    images = torch.randint(0, 256, (64, 1, 4, 4), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    feed = BatchFeed(images, None, 16, seed=0, device=torch.device("cpu"))
    optimizers = {"G": torch.optim.SGD(G.parameters(), lr=0.1), "D": torch.optim.SGD(D.parameters(), lr=0.1)}
    trainer = Trainer(GANObjective(G, D, LOSSES.get("rpgan"), d_steps=2), players(G, D, optimizers), feed,
                      Runtime.create("cpu"), TrainerSettings(batch=16), seed=0)
    trainer.step()
    assert trainer.counters.nimg == 32 and trainer.feed.cursor == 48   # 2 D batches counted, G's one not
    trainer.check_finite()


def test_generator_loss_pairs_each_fake_with_a_real_of_its_class():
    G, D = nets(c_dim=3)
    objective = GANObjective(G, D, LOSSES.get("rpgan"), label_pool=torch.arange(3))
    real = torch.rand(6, 1, 4, 4) * 2 - 1
    labels = torch.tensor([0, 1, 2, 2, 1, 0])
    seen = []
    forward = G.forward
    G.forward = lambda z, labels=None: seen.append(labels) or forward(z, labels)
    phase = objective.phases[-1]
    terms = phase.terms((real, labels), torch.Generator().manual_seed(3), 6)
    assert torch.equal(seen[0], labels)                                 # fakes take the reals' labels
    z = G.sample_latents(6, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        expected = F.softplus(D(real, labels) - D(forward(z, labels), labels)).mean()
    torch.testing.assert_close(terms.losses["G"].detach(), expected)
    terms.losses["G"].backward()
    assert all(p.grad is not None for p in G.parameters())


def test_health_probe_feeds_the_reals_logits_to_a_relativistic_loss():
    from duelo.health.signals import _gradient_norms

    G, D = nets()
    objective = GANObjective(G, D, LOSSES.get("rpgan"))
    norms = _gradient_norms(G, D, objective, torch.rand(8, 1, 4, 4) * 2 - 1, None, torch.Generator().manual_seed(0))
    assert norms["grad_norm_G"] > 0 and norms["grad_norm_D"] > 0


@pytest.mark.parametrize("task", ["cyclegan", "translate"])
def test_image_to_image_tasks_refuse_a_relativistic_loss(task):
    from duelo.tasks import TASKS

    config = TASKS.get(task).default_config().with_overrides({"loss.name": "rpgan"})
    with pytest.raises(ConfigError, match="'rpgan' is relativistic.*use lsgan"):
        TASKS.get(task).check(config)


class _Recorder(torch.nn.Module):
    """A stand-in for the augmentation pipeline: passes images through, records what ADA would observe."""

    def __init__(self):
        super().__init__()
        self.observed = []

    def forward(self, images, generator):
        return images

    def observe(self, logits):
        self.observed.append(logits.detach().clone())

    def status(self):
        return {}


@pytest.mark.parametrize("loss", ["rpgan", "bce"])
def test_ada_reads_the_pair_differences_of_a_relativistic_d(loss):
    G, D = nets()
    recorder = _Recorder()
    objective = GANObjective(G, D, LOSSES.get(loss), d_inputs=recorder)
    real = torch.rand(4, 1, 4, 4) * 2 - 1
    objective.phases[0].terms((real, None), torch.Generator().manual_seed(5), 4)
    z = G.sample_latents(4, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        real_logits, fake_logits = D(real, None), D(G(z, None), None)
    expected = real_logits - fake_logits if loss == "rpgan" else real_logits
    torch.testing.assert_close(recorder.observed[0], expected)
