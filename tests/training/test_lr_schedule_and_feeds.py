"""The linear learning-rate decay of pix2pix/CycleGAN, and the feeds of paired and unpaired data."""

from __future__ import annotations

import pytest
import torch

from duelo.errors import DataError
from duelo.training.feed import BatchFeed, PairedFeed, UnpairedFeed
from duelo.training.lr_schedule import LinearDecay


class _Trainer:
    def __init__(self, optimizers, nimg=0, lr_scale=1.0):
        self.optimizers = optimizers
        self.lr_scale = lr_scale
        self.counters = type("Counters", (), {"nimg": nimg})()


def _optimizers():
    p = torch.nn.Parameter(torch.zeros(1))
    return {"G": torch.optim.Adam([p], lr=2e-4), "D": torch.optim.Adam([p], lr=1e-4)}


def test_decay_is_constant_then_linear_to_zero():
    decay = LinearDecay(_optimizers(), total_nimg=1000, start_fraction=0.5)
    assert [decay.factor(n) for n in (0, 250, 500, 750, 1000, 1200)] == [1.0, 1.0, 1.0, 0.5, 0.0, 0.0]


def test_decay_sets_each_rate_from_its_own_base_and_the_rollback_scale():
    optimizers = _optimizers()
    decay = LinearDecay(optimizers, total_nimg=1000, start_fraction=0.5)
    trainer = _Trainer(optimizers, nimg=750, lr_scale=0.5)
    decay(trainer)
    decay(trainer)                                       # idempotent: from the base, not the current rate
    assert optimizers["G"].param_groups[0]["lr"] == pytest.approx(2e-4 * 0.5 * 0.5)
    assert optimizers["D"].param_groups[0]["lr"] == pytest.approx(1e-4 * 0.5 * 0.5)
    trainer.counters.nimg = 100
    decay(trainer)
    assert optimizers["G"].param_groups[0]["lr"] == pytest.approx(2e-4 * 0.5)


def test_paired_feed_keeps_pairs_together():
    source = torch.arange(10, dtype=torch.uint8).view(10, 1, 1, 1).expand(10, 1, 2, 2).contiguous()
    target = (source * 2).expand(10, 3, 2, 2).contiguous()
    feed = PairedFeed(source, target, batch=4, seed=0, device=torch.device("cpu"))
    for _ in range(5):                                  # across an epoch boundary
        a, b = feed.next()
        assert a.shape == (4, 1, 2, 2) and b.shape == (4, 3, 2, 2)
        assert torch.equal(((b[:, :1] + 1) * 127.5).round(), 2 * ((a + 1) * 127.5).round())


def test_paired_feed_refuses_mismatched_sides():
    with pytest.raises(DataError, match="paired images"):
        PairedFeed(torch.zeros(4, 1, 2, 2, dtype=torch.uint8), torch.zeros(5, 1, 2, 2, dtype=torch.uint8), 2, 0,
                   torch.device("cpu"))


def test_unpaired_feed_sides_are_independent_and_resume_exactly():
    a = torch.randint(0, 256, (12, 1, 2, 2), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    b = torch.randint(0, 256, (7, 3, 2, 2), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    feed = UnpairedFeed(a, b, batch=3, seed=5, device=torch.device("cpu"))
    alone = BatchFeed(a, None, 3, 5, torch.device("cpu"))
    for _ in range(3):
        x, y = feed.next()
        assert torch.equal(x, alone.next()[0]) and y.shape == (3, 3, 2, 2)
    state = feed.state_dict()
    upcoming = [feed.next() for _ in range(4)]
    other = UnpairedFeed(a, b, batch=3, seed=5, device=torch.device("cpu"))
    other.load_state_dict(state)
    for (x, y), (u, v) in zip(upcoming, [other.next() for _ in range(4)]):
        assert torch.equal(x, u) and torch.equal(y, v)
    with pytest.raises(DataError, match="two-domain"):
        other.load_state_dict(alone.state_dict())
