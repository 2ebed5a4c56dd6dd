"""`mlp`: the original fully-connected GAN (Goodfellow et al. 2014, "Generative Adversarial Nets").

Both networks are stacks of Linear -> LeakyReLU(0.2) layers of constant width; the paper's maxout units
are replaced by leaky ReLU, the modern default. Works at any resolution >= 4 because images are simply
flattened; it is the baseline to beat and the fastest model to smoke-test a pipeline with.

Conditioning: the generator concatenates a learned label code to z (duelo.nn.conditioning.LabelEmbedding);
the discriminator adds the projection term <embed(y), phi(x)> (Miyato & Koyama 2018).
Initialisation: PyTorch's default for Linear layers; embeddings as documented in duelo.nn.conditioning.
Optional minibatch standard deviation in D (Karras et al. 2018, section 3): `mbstd_group` > 0 appends
batch-statistic features before the final Linear (duelo.nn.minibatch_std.MinibatchStd).
"""

from __future__ import annotations

import torch
from torch import nn

from duelo.errors import ConfigError
from duelo.models.base import DISCRIMINATORS, GENERATORS, Discriminator, Generator, check_labels
from duelo.nn.conditioning import ClassProjection, LabelEmbedding
from duelo.nn.minibatch_std import MinibatchStd

_NEGATIVE_SLOPE = 0.2  # leaky ReLU slope used by both networks (Radford et al. 2015 popularised 0.2)


def _check_sizes(**sizes: int) -> None:
    """Teaching errors for the integer arguments shared by both networks (value, then minimum)."""
    minimums = {"resolution": 4, "channels": 1, "c_dim": 0, "z_dim": 1, "width": 1, "depth": 1,
                "embed_dim": 1, "mbstd_group": 0, "mbstd_channels": 1}
    for field, value in sizes.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < minimums[field]:
            raise ConfigError(f"mlp: {field} must be an integer >= {minimums[field]} (got {value!r})")


def _dense_stack(in_features: int, width: int, depth: int) -> nn.Sequential:
    """[Linear -> LeakyReLU(0.2)] x depth, every hidden layer `width` wide."""
    layers: list[nn.Module] = []
    for index in range(depth):
        layers += [nn.Linear(in_features if index == 0 else width, width), nn.LeakyReLU(_NEGATIVE_SLOPE)]
    return nn.Sequential(*layers)


@GENERATORS.register("mlp")
class MLPGenerator(Generator):
    """Dense generator: [z, label code] -> [Linear -> LeakyReLU] x depth -> Linear(C*R*R) -> tanh -> image.

    Goodfellow et al. 2014 (section 5, MNIST/TFD generators), with leaky ReLU in place of ReLU/sigmoid.
    """

    def __init__(self,
        resolution: int,                    # output height = width in pixels, >= 4
        channels:   int,                    # output channels (1 grey, 3 RGB)
        c_dim:      int         = 0,        # number of classes; 0 = unconditional
        z_dim:      int         = 64,       # latent size
        width:      int         = 256,      # units in every hidden layer
        depth:      int         = 3,        # number of hidden Linear -> LeakyReLU layers, >= 1
        embed_dim:  int         = 8,        # size of the label code concatenated with z (c_dim > 0); small on purpose:
                                            # a code as large as z lets G ignore z (intra-class collapse, measured)
    ):
        _check_sizes(resolution=resolution, channels=channels, c_dim=c_dim, z_dim=z_dim,
                     width=width, depth=depth, embed_dim=embed_dim)
        super().__init__(z_dim=z_dim, c_dim=c_dim, resolution=resolution, channels=channels)
        self.label_embedding = LabelEmbedding(c_dim, embed_dim) if c_dim > 0 else None
        in_features = z_dim + (embed_dim if c_dim > 0 else 0)
        self.body = _dense_stack(in_features, width, depth)
        self.to_pixels = nn.Linear(width, channels * resolution * resolution)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        n = z.shape[0]
        check_labels(self, labels, n)
        if self.label_embedding is not None:
            z = torch.cat([z, self.label_embedding(labels)], dim=1)  # (N, z_dim + embed_dim)
        hidden = self.body(z)                                         # (N, width)
        pixels = torch.tanh(self.to_pixels(hidden))                   # (N, C*R*R)
        return pixels.view(n, self.channels, self.resolution, self.resolution)  # (N, C, R, R)


@DISCRIMINATORS.register("mlp", mbstd="optional")
class MLPDiscriminator(Discriminator):
    """Dense discriminator: flatten -> [Linear -> LeakyReLU] x depth -> phi; logit = Linear(phi) + projection.

    Goodfellow et al. 2014 (maxout replaced by leaky ReLU); the class term is the projection of
    Miyato & Koyama 2018, eq. (3). With mbstd_group > 0 the final Linear reads [phi, minibatch std]
    (Karras et al. 2018, section 3); the projection term still uses phi alone.
    """

    def __init__(self,
        resolution:     int,                    # input height = width in pixels, >= 4
        channels:       int,                    # input channels (1 grey, 3 RGB)
        c_dim:          int         = 0,        # number of classes; 0 = unconditional
        width:          int         = 256,      # units in every hidden layer (= feature size F)
        depth:          int         = 3,        # number of hidden Linear -> LeakyReLU layers, >= 1
        mbstd_group:    int         = 0,        # minibatch-std group size (Karras et al. 2018); 0 = off
        mbstd_channels: int         = 1,        # features appended by minibatch std; must divide `width`
        classify:       bool = False,  # an auxiliary classifier head (AC-GAN): forward_with_class_loss
    ):
        _check_sizes(resolution=resolution, channels=channels, c_dim=c_dim, width=width, depth=depth,
                     mbstd_group=mbstd_group, mbstd_channels=mbstd_channels)
        if mbstd_group > 0 and width % mbstd_channels:
            raise ConfigError(f"mlp: mbstd_channels ({mbstd_channels}) must divide width ({width}): the "
                              f"features are split into that many slices, one appended feature each")
        super().__init__(c_dim=c_dim, resolution=resolution, channels=channels)
        self.body = _dense_stack(channels * resolution * resolution, width, depth)
        self.mbstd = MinibatchStd(mbstd_group, mbstd_channels) if mbstd_group > 0 else None
        self.to_logit = nn.Linear(width + (mbstd_channels if mbstd_group > 0 else 0), 1)
        self.projection = ClassProjection(c_dim, width) if c_dim > 0 else None
        self._classifier_head(classify, width)

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        n = images.shape[0]
        check_labels(self, labels, n)
        features = self.body(images.flatten(1))                      # (N, F)
        head_input = features if self.mbstd is None else self.mbstd(features)  # (N, F [+ k])
        logits = self.to_logit(head_input).squeeze(1)                 # (N,)
        if self.projection is not None:
            logits = logits + self.projection(features, labels)       # (N,)
        return logits
