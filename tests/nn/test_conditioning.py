"""The label pieces every conditional model shares (duelo.nn.conditioning)."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from duelo.nn.conditioning import ClassifierHead, split_labels


def test_split_labels_inverts_the_combined_label():
    factors = (3, 4, 5)
    parts = [torch.randint(0, size, (50,)) for size in factors]
    combined = (parts[0] * 4 + parts[1]) * 5 + parts[2]
    for got, want in zip(split_labels(combined, factors), parts):
        assert torch.equal(got, want)


def test_one_factor_head_is_plain_cross_entropy():
    head = ClassifierHead(7, 16)
    features, labels = torch.randn(9, 16), torch.randint(0, 7, (9,))
    want = F.cross_entropy(head.head(features), labels, reduction="none")
    torch.testing.assert_close(head(features, labels), want)
    assert head.head.out_features == 7


def test_factor_heads_add_one_cross_entropy_per_factor():
    head = ClassifierHead((2, 3), 8)
    features = torch.randn(6, 8)
    labels = torch.tensor([0, 1, 2, 3, 4, 5])                    # (0,0) (0,1) (0,2) (1,0) (1,1) (1,2)
    logits = head.head(features)
    want = (F.cross_entropy(logits[:, :2], labels // 3, reduction="none")
            + F.cross_entropy(logits[:, 2:], labels % 3, reduction="none"))
    torch.testing.assert_close(head(features, labels), want)
    loss = head(features, labels).sum()
    loss.backward()
    assert head.head.weight.grad.abs().sum() > 0
