"""Weight initialisations named after the paper that prescribes them."""

from __future__ import annotations

from torch import nn

_CONV_OR_LINEAR = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)
_BATCH_NORM = (nn.BatchNorm1d, nn.BatchNorm2d)


def dcgan_init_(module: nn.Module, std: float = 0.02) -> nn.Module:
    """Radford et al. 2015 (DCGAN), section 4: "All weights were initialized from a zero-centered Normal
    distribution with standard deviation 0.02." Convolution and linear weights ~ N(0, std), batch-norm
    scales ~ N(1, std), all biases 0. Embeddings are left alone: the conditioning layers in
    duelo.nn.conditioning initialise themselves. Works in place on every submodule; returns `module`.
    """
    for layer in module.modules():
        if isinstance(layer, _CONV_OR_LINEAR):
            nn.init.normal_(layer.weight, mean=0.0, std=std)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, _BATCH_NORM) and layer.affine:
            nn.init.normal_(layer.weight, mean=1.0, std=std)
            nn.init.zeros_(layer.bias)
    return module
