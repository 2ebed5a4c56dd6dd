"""A light assert_close: torch.testing's costs a second of imports per test process on a slow machine."""

import torch


def assert_close(actual, expected, atol=1e-6):
    expected = torch.as_tensor(expected, dtype=actual.dtype).expand_as(actual)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    difference = (actual - expected).abs().max().item() if actual.numel() else 0.0
    assert difference <= atol, f"max |actual - expected| = {difference:.3g} > {atol:g}"
