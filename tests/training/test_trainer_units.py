"""Trainer mechanics in isolation: EMA arithmetic, data position, accumulation, phases, runtime."""

import copy

import pytest
import torch

from duelo.errors import ConfigError, DataError
from duelo.losses import LOSSES
from duelo.objectives import GANObjective
from duelo.models import build_discriminator, build_generator
from duelo.training.ema import ema_beta, recalibrate_batchnorm, update_ema
from duelo.training.feed import BatchFeed
from duelo.training.runtime import Runtime
from duelo.training.protocols import Phase, Player, Terms
from duelo.training.trainer import Trainer, TrainerSettings


def test_ema_beta_halves_after_one_halflife():
    # 10 kimg half-life, no ramp-up: after 10,000 images in steps of 100, the old weight counts 1/2.
    beta = ema_beta(100, 50_000, halflife_kimg=10.0, rampup=None)
    assert beta ** 100 == pytest.approx(0.5)
    # ramp-up caps the half-life at rampup * images seen: 0.05 * 2,000 = 100 images
    assert ema_beta(100, 2_000, halflife_kimg=10.0, rampup=0.05) == pytest.approx(0.5)
    assert ema_beta(100, 0, halflife_kimg=10.0, rampup=0.05) == 0.0


def test_update_ema_interpolates_parameters_and_copies_buffers():
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    ema = copy.deepcopy(net)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)
        net[1].running_mean.fill_(7.0)
    before = [p.clone() for p in ema.parameters()]
    update_ema(ema, net, beta=0.75)
    for old, new, live in zip(before, ema.parameters(), net.parameters()):
        torch.testing.assert_close(new, 0.75 * old + 0.25 * live)
    assert torch.equal(ema[1].running_mean, torch.full((2,), 7.0))


def test_recalibrate_batchnorm_is_deterministic_and_leaves_global_rng_alone():
    G = build_generator("dcgan", resolution=8, channels=1, width=8, z_dim=8)
    sample = lambda n, gen: (torch.randn(n, 8, generator=gen), None)  # noqa: E731
    state = torch.get_rng_state()
    recalibrate_batchnorm(G, sample, batches=2, batch=16, seed=5)
    first = G.body[1].running_var.clone()
    recalibrate_batchnorm(G, sample, batches=2, batch=16, seed=5)
    assert torch.equal(first, G.body[1].running_var)
    assert torch.equal(state, torch.get_rng_state())
    assert G.body[1].momentum == 0.1


def test_feed_is_deterministic_resumable_and_drops_partial_batches():
    images = torch.arange(10, dtype=torch.uint8).view(10, 1, 1, 1).expand(10, 1, 2, 2).contiguous()
    labels = torch.arange(10)
    feed = BatchFeed(images, labels, batch=4, seed=1, device=torch.device("cpu"))
    seen = [feed.next()[1].tolist() for _ in range(2)]           # one epoch = 2 batches of 4 (2 dropped)
    assert len(set(seen[0] + seen[1])) == 8
    state = feed.state_dict()
    upcoming = [feed.next()[1].tolist() for _ in range(3)]
    other = BatchFeed(images, labels, batch=4, seed=1, device=torch.device("cpu"))
    other.load_state_dict(state)
    assert [other.next()[1].tolist() for _ in range(3)] == upcoming
    image, label = BatchFeed(images, labels, batch=4, seed=1, device=torch.device("cpu")).next()
    assert image.dtype == torch.float32 and image.min() >= -1 and image.max() <= 1
    torch.testing.assert_close(image[:, 0, 0, 0], label.float() / 127.5 - 1)   # images travel with labels


def test_feed_errors():
    images = torch.zeros(3, 1, 2, 2, dtype=torch.uint8)
    with pytest.raises(DataError, match="fewer than one batch"):
        BatchFeed(images, None, batch=4, seed=0, device=torch.device("cpu"))
    feed = BatchFeed(images, None, batch=2, seed=0, device=torch.device("cpu"))
    with pytest.raises(DataError, match="data changed"):
        feed.load_state_dict({**feed.state_dict(), "size": 99})


def make_trainer(batch=16, accum=1, d_steps=1, seed=0):
    torch.manual_seed(seed)
    G = build_generator("mlp", resolution=4, channels=1, width=16, depth=2, z_dim=4)
    D = build_discriminator("mlp", resolution=4, channels=1, width=16, depth=2)
    images = torch.randint(0, 256, (64, 1, 4, 4), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    feed = BatchFeed(images, None, batch // accum, seed=0, device=torch.device("cpu"))
    optimizers = {"G": torch.optim.SGD(G.parameters(), lr=0.1), "D": torch.optim.SGD(D.parameters(), lr=0.1)}
    objective = GANObjective(G, D, LOSSES.get("bce"), d_steps=d_steps)
    return Trainer(objective, players(G, D, optimizers), feed, Runtime.create("cpu"),
                   TrainerSettings(batch=batch, accum_rounds=accum), seed=seed)


def players(G, D, optimizers) -> dict[str, Player]:
    return {"G": Player(G, optimizers["G"], ema=True), "D": Player(D, optimizers["D"])}


def test_phases_count_real_images_and_iterations():
    trainer = make_trainer(batch=16, d_steps=3)
    trainer.step()
    assert trainer.counters.nimg == 48 and trainer.counters.iteration == 1
    assert trainer.feed.cursor == 48


def test_accumulation_averages_round_gradients_exactly():
    trainer = make_trainer(batch=16, accum=2)
    D = trainer.nets["D"]
    phase = trainer.objective.phases[0]
    torch.manual_seed(0)
    reals = [torch.rand(8, 1, 4, 4) * 2 - 1 for _ in range(2)]
    z = torch.randn(16, 4)
    reference = copy.deepcopy(D)
    G = trainer.nets["G"]
    with torch.no_grad():
        fakes = G(z, None)
    loss = LOSSES.get("bce").d_loss(reference(torch.cat(reals), None), reference(fakes, None)).mean()
    loss.backward()
    # the trainer's rounds: feed the same tensors through the objective by hand, as step() does
    trainer.optimizers["D"].zero_grad()
    for i in range(2):
        out = LOSSES.get("bce").d_loss(D(reals[i], None), D(fakes[8 * i:8 * i + 8], None)).mean()
        (out / 2).backward()
    for p, r in zip(D.parameters(), reference.parameters()):
        torch.testing.assert_close(p.grad, r.grad)
    assert phase.uses_real


def test_runtime_choices():
    runtime = Runtime.create("cpu", "auto")
    assert runtime.amp_dtype is None and runtime.check_every == 1 and runtime.is_main
    with pytest.raises(ConfigError, match="tf32 is for CUDA"):
        Runtime.create("cpu", "tf32")
    assert Runtime.create("cpu", "bf16").amp_dtype == torch.bfloat16        # CPU autocast (tables use it)
    with pytest.raises(ConfigError, match="not a device"):
        Runtime.create("toaster")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no usable CUDA"):
            Runtime.create("cuda")


class SquareObjective:
    """A deterministic objective (no random numbers): D minimises mean(D(x)^2) over real images."""

    def __init__(self, D):
        self.D = D
        self.phases = (Phase("D", ("D",), self.terms, uses_real=True),)

    def state_modules(self):
        return {}

    def terms(self, batch, generator, n):
        real, _ = batch
        return Terms({"D": self.D(real, None).square().mean()})


def accumulated_step(accum: int) -> list[torch.Tensor]:
    torch.manual_seed(0)
    G = build_generator("mlp", resolution=4, channels=1, width=8, depth=1, z_dim=4)
    D = build_discriminator("mlp", resolution=4, channels=1, width=16, depth=2)
    images = torch.randint(0, 256, (64, 1, 4, 4), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    feed = BatchFeed(images, None, 16 // accum, seed=0, device=torch.device("cpu"))
    optimizers = {"G": torch.optim.SGD(G.parameters(), lr=0.1), "D": torch.optim.SGD(D.parameters(), lr=0.5)}
    trainer = Trainer(SquareObjective(D), players(G, D, optimizers), feed, Runtime.create("cpu"),
                      TrainerSettings(batch=16, accum_rounds=accum), seed=0)
    trainer.step()
    assert trainer.counters.nimg == 16
    return [p.detach().clone() for p in D.parameters()]


def test_step_with_accumulation_equals_one_big_batch():
    """Two rounds of 8 (the same 16 images: the feed's order depends on (seed, epoch) only) must give the
    update of one batch of 16, which needs each round's loss divided by the number of rounds."""
    for whole, split in zip(accumulated_step(1), accumulated_step(2)):
        torch.testing.assert_close(whole, split, rtol=1e-5, atol=1e-6)
    for whole, split in zip(accumulated_step(1), accumulated_step(4)):
        torch.testing.assert_close(whole, split, rtol=1e-5, atol=1e-6)


def test_resume_on_another_device_or_precision_is_refused():
    from duelo.errors import CheckpointError

    trainer = make_trainer()
    tensors, meta = trainer.state({})
    meta["runtime"] = {"device_type": "cuda", "precision": "bf16"}
    with pytest.raises(CheckpointError, match="trained on cuda in bf16"):
        make_trainer().load_state(tensors, meta)
    make_trainer().load_state(*trainer.state({}))   # the same runtime resumes


def test_update_ema_with_a_device_tensor_decay_matches_the_float_decay():
    """The captured step passes beta as a 0-dim tensor (read at every replay); the arithmetic is the same."""
    net = torch.nn.Linear(3, 3)
    ema_float, ema_tensor = copy.deepcopy(net), copy.deepcopy(net)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(2.0)
    update_ema(ema_float, net, 0.8)
    update_ema(ema_tensor, net, torch.tensor(0.8))
    for a, b in zip(ema_float.parameters(), ema_tensor.parameters()):
        torch.testing.assert_close(a, b)
        assert not torch.equal(a, net.weight if a.shape == net.weight.shape else net.bias)


def test_staged_batches_and_process_shares_are_those_of_one_process():
    """stage(k) then next() x k gives the batches next() alone gives; two processes' shares of a global batch
    of 8 are the two halves one process with batch 8 sees, across epochs."""
    images = torch.arange(20, dtype=torch.uint8).view(20, 1, 1, 1).expand(20, 1, 2, 2).contiguous()
    labels = torch.arange(20)
    plain = BatchFeed(images, labels, batch=4, seed=2, device=torch.device("cpu"))
    staged = BatchFeed(images, labels, batch=4, seed=2, device=torch.device("cpu"))
    for _ in range(3):
        staged.stage(3)
        for _ in range(3):
            assert torch.equal(staged.next()[1], plain.next()[1])
    whole = BatchFeed(images, labels, batch=8, seed=2, device=torch.device("cpu"))
    shares = [BatchFeed(images, labels, batch=4, seed=2, device=torch.device("cpu"), rank=r, world_size=2)
              for r in range(2)]
    for _ in range(5):                                   # 2 global batches per epoch: crosses epochs
        together = torch.cat([share.next()[1] for share in shares])
        assert torch.equal(together, whole.next()[1])
    assert shares[1].state_dict() == whole.state_dict()  # the position is global: resumable on either set-up
