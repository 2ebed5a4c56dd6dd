"""A light assert_close (torch.testing's costs a second of imports per test process on a slow machine), image
makers for square and non-square sizes, and ADA restricted to some of its transforms."""

import torch

from duelo.augment.ada import COLOUR, GEOMETRIC, AdaptiveAugment


def assert_close(actual, expected, atol=1e-6):
    expected = torch.as_tensor(expected, dtype=actual.dtype).expand_as(actual)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    difference = (actual - expected).abs().max().item() if actual.numel() else 0.0
    assert difference <= atol, f"max |actual - expected| = {difference:.3g} > {atol:g}"


def images(n, c, size, seed=0, dtype=torch.float32):
    """U[-1, 1) images (n, c, H, W); size is R (square) or (H, W)."""
    h, w = (size, size) if isinstance(size, int) else size
    return torch.rand(n, c, h, w, generator=torch.Generator().manual_seed(seed), dtype=dtype) * 2 - 1


class OnlyAda(AdaptiveAugment):
    """ADA with p = 1 for the transforms named in `names` (from ada.GEOMETRIC and ada.COLOUR) and 0 for the
    rest. Every draw is still taken, so the random stream is the full pipeline's."""

    def __init__(self, channels, names):
        unknown = set(names) - set(GEOMETRIC) - set(COLOUR)
        assert not unknown, unknown
        super().__init__(channels, p=1.0)
        self.names = frozenset(names)

    def _gate(self, name, n, like, generator, p=None):
        gate = super()._gate(name, n, like, generator, p)
        return gate if name in self.names else torch.zeros_like(gate)
