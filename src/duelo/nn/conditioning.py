"""Class conditioning for GANs: a label code for the generator and a projection term for the discriminator.

Both are tiny wrappers around `nn.Embedding`, kept here so that every architecture family conditions
the same way and documents the same initialisation.
"""

from __future__ import annotations

import torch
from torch import nn


class LabelEmbedding(nn.Module):
    """Learned class code for a generator: labels (N,) -> (N, embed_dim), concatenated with z by the caller.

    Equivalent to a one-hot label followed by a linear layer (Mirza & Osindero 2014, "Conditional GANs"),
    without materialising the one-hot vector. Initialised N(0, init_std); the default std 1 gives the code
    the same scale as z ~ N(0, I), so the labels move the output from the first step instead of being
    drowned by z (a 0.02 code would be ~50x quieter than the latent it sits next to).
    """

    def __init__(self,
        num_classes: int,                   # number of classes (the model's c_dim), > 0
        embed_dim:   int,                   # size of the code concatenated with z
        init_std:    float  = 1.0,          # std of the N(0, std) initialisation
    ):
        super().__init__()
        self.embedding = nn.Embedding(num_classes, embed_dim)
        nn.init.normal_(self.embedding.weight, mean=0.0, std=init_std)

    @property
    def embed_dim(self) -> int:
        return self.embedding.embedding_dim

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        return self.embedding(labels)                               # (N, embed_dim)


class ClassProjection(nn.Module):
    """The class term of a projection discriminator: <embed(y), phi(x)> per sample.

    Miyato & Koyama 2018, "cGANs with projection discriminator", eq. (3):
        logit(x, y) = psi(phi(x)) + embed(y)^T phi(x)
    The caller computes the unconditional part psi(phi(x)) and adds this term. Initialised N(0, init_std),
    the std of the other discriminator weights in DCGAN.
    """

    def __init__(self,
        num_classes:  int,                  # number of classes (the model's c_dim), > 0
        feature_dim:  int,                  # size F of the discriminator features phi(x)
        init_std:     float = 0.02,         # std of the N(0, std) initialisation
    ):
        super().__init__()
        self.embedding = nn.Embedding(num_classes, feature_dim)
        nn.init.normal_(self.embedding.weight, mean=0.0, std=init_std)

    def forward(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        # features (N, F), labels (N,) int64
        return (self.embedding(labels) * features).sum(dim=1)      # (N,)


def split_labels(labels: torch.Tensor, factors: tuple[int, ...]) -> list[torch.Tensor]:
    """Combined labels (N,) -> one (N,) tensor per factor (the last factor varies fastest): a label that stands
    for several factors (an audio note's instrument and pitch) is sum of factor_k * stride_k."""
    out, rest = [], labels
    for size in reversed(factors):
        out.append(rest % size)
        rest = torch.div(rest, size, rounding_mode="floor")
    return out[::-1]


class ClassifierHead(nn.Module):
    """An auxiliary classifier on a discriminator's features (AC-GAN, Odena et al. 2017): features (N, F) and the
    true labels (N,) -> (N,) the cross-entropy of each sample's class. D is trained to name the classes of real
    samples and G to make samples D names as the class they were drawn for, which makes a conditional G follow
    its labels more closely than a projection term alone does when the data are few.

    Labels that stand for several factors (`num_classes` a tuple, see `split_labels`) get one head per factor
    and the sum of their cross-entropies, so "violin" and "C4" are each named once.

    With `twin`, each factor's K classes come twice, real and generated (ADC-GAN, Hou et al. 2022): D is trained
    to name a generated sample's class among the generated ones (`fake=True`), so G, trained towards the real
    class, cannot satisfy the head with cues that only its own samples carry."""

    def __init__(self,
        num_classes:  int | tuple[int, ...],  # number of classes (the model's c_dim), or the sizes of its factors
        feature_dim:  int,                    # size F of the discriminator features
        twin:         bool = False,           # K real and K generated classes per factor (ADC-GAN)
    ):
        super().__init__()
        self.factors = (int(num_classes),) if isinstance(num_classes, int) else tuple(int(f) for f in num_classes)
        self.twin = bool(twin)
        self.head = nn.Linear(feature_dim, sum(self.factors) * (2 if self.twin else 1))

    def forward(self, features: torch.Tensor, labels: torch.Tensor, fake: bool = False) -> torch.Tensor:
        if fake and not self.twin:
            raise ValueError("only a twin classifier head names generated samples' classes (twin=True)")
        widths = tuple(k * (2 if self.twin else 1) for k in self.factors)
        logits = self.head(features).float().split(widths, dim=1)             # one (N, K_f or 2 K_f) per factor
        return sum(nn.functional.cross_entropy(part, truth + (size if fake else 0), reduction="none")
                   for part, truth, size in zip(logits, split_labels(labels, self.factors), self.factors))  # (N,)
