"""Class-conditional batch normalisation for generators (de Vries et al. 2017, "Modulating early visual
processing by language"; used per class by Miyato & Koyama 2018 and, from a shared embedding, by Brock
et al. 2019, BigGAN).

The features are normalised by a BatchNorm2d without its own affine part, then every sample is scaled
and shifted by a gain and a bias looked up from its class: y = gain[label] * BN(x) + bias[label].
"""

from __future__ import annotations

import torch
from torch import nn

from duelo.errors import ConfigError


class ConditionalBatchNorm2d(nn.Module):
    """(N, C, H, W), labels (N,) int64 -> (N, C, H, W): BatchNorm2d(affine=False), then a per-class gain
    and bias from two nn.Embedding tables of shape (num_classes, C).

    The gains start at 1 and the biases at 0, as in the SNGAN projection code, plus N(0, init_std) noise.
    The noise is there on purpose: with exact constants every class would share one affine map, so at
    initialisation (and in any test run before a training step) the generator would ignore its labels.
    init_std=0 gives the exact constants.
    """

    def __init__(self,
        num_features: int,                  # channels C of the normalised feature map
        num_classes:  int,                  # number of classes (the model's c_dim), > 0
        init_std:     float = 0.02,         # spread of the initial gains around 1 and biases around 0
        eps:          float = 1e-5,         # BatchNorm2d epsilon
        momentum:     float = 0.1,          # BatchNorm2d running-statistics momentum
    ):
        super().__init__()
        for field, value in (("num_features", num_features), ("num_classes", num_classes)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"ConditionalBatchNorm2d: {field} must be an integer >= 1 (got {value!r})")
        if not init_std >= 0:
            raise ConfigError(f"ConditionalBatchNorm2d: init_std must be >= 0 (got {init_std!r})")
        self.norm = nn.BatchNorm2d(num_features, eps=eps, momentum=momentum, affine=False)
        self.gain = nn.Embedding(num_classes, num_features)
        self.bias = nn.Embedding(num_classes, num_features)
        nn.init.normal_(self.gain.weight, mean=1.0, std=init_std)
        nn.init.normal_(self.bias.weight, mean=0.0, std=init_std)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        n, c = x.shape[0], x.shape[1]
        gain = self.gain(labels).view(n, c, 1, 1)
        bias = self.bias(labels).view(n, c, 1, 1)
        return self.norm(x) * gain + bias
