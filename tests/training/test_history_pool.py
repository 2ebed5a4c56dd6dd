"""HistoryPool (Shrivastava et al. 2017, section 2.3): mixing, ring buffer, labels, state, gradients."""

from __future__ import annotations

import pytest
import torch

from duelo.errors import ConfigError
from duelo.training.history_pool import HistoryPool

SHAPE = (1, 2, 2)


def constant_batch(values, dtype=torch.float32) -> torch.Tensor:
    """Images whose every pixel is the given value: identifies each image by one number."""
    return torch.tensor(values, dtype=dtype).view(-1, 1, 1, 1).expand(-1, *SHAPE).clone()


def ids(images: torch.Tensor) -> list[float]:
    return images.flatten(1)[:, 0].tolist()


def rng(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_first_call_returns_the_input_and_fills_the_pool():
    pool = HistoryPool(8, SHAPE, conditional=True)
    fake, labels = constant_batch([1, 2, 3, 4]), torch.tensor([5, 6, 7, 8])
    mixed, mixed_labels = pool.mix(fake, labels, rng())
    assert torch.equal(mixed, fake) and torch.equal(mixed_labels, labels)
    assert pool.seen.item() == 4
    assert ids(pool.images) == [1, 2, 3, 4, 0, 0, 0, 0]
    assert pool.labels.tolist() == [5, 6, 7, 8, 0, 0, 0, 0]


def test_half_the_batch_comes_from_earlier_batches():
    pool = HistoryPool(100, SHAPE)
    pool.mix(constant_batch([10, 11]), None, rng())              # only two images in a pool of 100
    for step in range(5):
        current = constant_batch([20 + step * 6 + i for i in range(6)])
        before = set(ids(pool.images[: pool.seen.item()]))
        mixed, labels = pool.mix(current, None, rng(step))
        assert labels is None
        assert set(ids(mixed[:3])) <= before                     # drawn from the filled part only (never 0)
        assert torch.equal(mixed[3:], current[3:])               # the second half is the current batch
    assert pool.seen.item() == 2 + 5 * 6
    # uniform over the filled part: many draws from a pool holding ids 0..9 hit every one of them
    pool = HistoryPool(10, SHAPE)
    pool.mix(constant_batch(list(range(10))), None, rng())
    mixed, _ = pool.mix(constant_batch([50.0] * 400), None, rng(1))
    assert set(ids(mixed[:200])) == set(range(10))


def test_odd_batch_replaces_floor_half():
    pool = HistoryPool(4, SHAPE)
    pool.mix(constant_batch([1, 1, 1]), None, rng())
    mixed, _ = pool.mix(constant_batch([2, 3, 4]), None, rng())
    assert ids(mixed) == [1, 3, 4]


def test_ring_buffer_wraps_around():
    pool = HistoryPool(4, SHAPE, conditional=True)
    pool.mix(constant_batch([1, 2, 3]), torch.tensor([1, 2, 3]), rng())    # slots 0, 1, 2
    pool.mix(constant_batch([4, 5, 6]), torch.tensor([4, 5, 6]), rng())    # slots 3, 0, 1
    assert ids(pool.images) == [5, 6, 3, 4]
    assert pool.labels.tolist() == [5, 6, 3, 4]
    assert pool.seen.item() == 6


def test_batch_larger_than_the_pool_keeps_the_last_images():
    pool = HistoryPool(4, SHAPE)
    pool.mix(constant_batch([9]), None, rng())                   # seen = 1
    pool.mix(constant_batch([1, 2, 3, 4, 5, 6]), None, rng())    # image i -> slot (1 + i) % 4; 3..6 stay
    assert ids(pool.images) == [4, 5, 6, 3]
    assert pool.seen.item() == 7


def test_labels_follow_their_images():
    pool = HistoryPool(16, SHAPE, conditional=True)
    for step in range(4):
        values = [step * 10 + i for i in range(4)]
        mixed, labels = pool.mix(constant_batch(values), torch.tensor(values) % 7, rng(step))
        assert torch.equal(labels, torch.tensor(ids(mixed)).long() % 7)


def test_state_dict_round_trip():
    pool = HistoryPool(6, SHAPE, conditional=True)
    for step in range(3):
        pool.mix(constant_batch([step * 4 + i for i in range(4)]), torch.arange(4) + step, rng(step))
    assert set(pool.state_dict()) == {"images", "labels", "seen"}
    copy = HistoryPool(6, SHAPE, conditional=True)
    copy.load_state_dict(pool.state_dict())
    fake, labels = constant_batch([90, 91, 92, 93]), torch.tensor([0, 1, 2, 3])
    expected = pool.mix(fake, labels, rng(7))
    got = copy.mix(fake, labels, rng(7))
    assert torch.equal(got[0], expected[0]) and torch.equal(got[1], expected[1])
    assert torch.equal(copy.images, pool.images) and copy.seen.item() == pool.seen.item() == 16


def test_gradients_reach_the_kept_half_only():
    pool = HistoryPool(8, SHAPE)
    first = constant_batch([1, 2, 3, 4]).requires_grad_(True)
    pool.mix(first, None, rng())[0].sum().backward()
    assert torch.equal(first.grad, torch.ones_like(first))      # empty pool: the whole batch is current
    assert not pool.images.requires_grad                        # stored detached

    second = constant_batch([5, 6, 7, 8]).requires_grad_(True)
    mixed, _ = pool.mix(second, None, rng())
    (mixed * 3).sum().backward()
    assert torch.equal(second.grad[:2], torch.zeros(2, *SHAPE))
    assert torch.equal(second.grad[2:], torch.full((2, *SHAPE), 3.0))


def test_keeps_the_fake_dtype():
    pool = HistoryPool(4, SHAPE)
    pool.mix(constant_batch([1, 2], torch.float64), None, rng())
    mixed, _ = pool.mix(constant_batch([3, 4], torch.float64), None, rng())
    assert mixed.dtype == torch.float64 and pool.images.dtype == torch.float32


def test_mix_with_draws_is_one_graph_and_matches_mix():
    pool = HistoryPool(5, SHAPE, conditional=True)
    eager = HistoryPool(5, SHAPE, conditional=True)
    torch._dynamo.reset()
    traced = torch.compile(pool.mix_with_draws, backend="eager", fullgraph=True)
    for step in range(3):
        fake, labels = constant_batch([step * 4 + i for i in range(4)]), torch.arange(4)
        draws = torch.rand(2, generator=rng(step))               # what mix draws from the same generator
        got, expected = traced(fake, labels, draws), eager.mix(fake, labels, rng(step))
        assert torch.equal(got[0], expected[0]) and torch.equal(got[1], expected[1])
    assert torch.equal(pool.images, eager.images) and torch.equal(pool.seen, eager.seen)


def test_draws_pick_slots_by_floor():
    pool = HistoryPool(8, SHAPE)
    pool.mix(constant_batch([1, 2, 3, 4]), None, rng())          # 4 slots filled: slot = floor(4 * draw)
    mixed, _ = pool.mix_with_draws(constant_batch([0] * 8), None, torch.tensor([0.0, 0.249, 0.25, 0.99999]))
    assert ids(mixed[:4]) == [1, 1, 2, 4]


def test_errors():
    for kwargs, field in (({"size": 0, "shape": SHAPE}, "size"), ({"size": 4, "shape": (0, 2)}, "shape")):
        with pytest.raises(ConfigError, match=field):
            HistoryPool(**kwargs)
    with pytest.raises(ValueError, match="shape"):
        HistoryPool(4, SHAPE).mix(torch.zeros(2, 3, 2, 2), None, rng())
    with pytest.raises(ValueError, match="labels"):
        HistoryPool(4, SHAPE, conditional=True).mix(constant_batch([1, 2]), None, rng())
    with pytest.raises(ValueError, match="labels=None"):
        HistoryPool(4, SHAPE).mix(constant_batch([1, 2]), torch.tensor([0, 1]), rng())
