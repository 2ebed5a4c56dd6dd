"""The `image2image` section of CycleGAN: two unpaired domains and the paper's weights (Zhu et al. 2017)."""

from __future__ import annotations

from dataclasses import dataclass

from duelo.config.fields import nonnegative, nonnegative_int, positive_int, setting


@dataclass(frozen=True)
class CycleConfig:
    source:          str | None = setting(None, "domain A: a dataset name or a folder of images (--dataset is "
                                          "domain B)", cli="--source")
    source_channels: int | None = setting(None, "force gray (1) or colour (3) images in domain A; none = its own",
                                          choices=(1, 3))
    cycle_weight:    float = setting(10.0, "weight of the cycle-consistency terms (λ, eq. 2)", check=nonnegative)
    identity_weight: float = setting(0.5, "identity terms, as a fraction of cycle_weight (§5.2); 0 = off",
                                     check=nonnegative)
    history_pool:    int = setting(50, "past fakes each D is shown half of its batch from (§4); 0 = off",
                                   check=nonnegative_int)
    eval_images:     int = setting(1000, "held-out images per domain behind the summary's metrics",
                                   check=positive_int)
    fid:             str = setting("auto", "FID to each target domain in the summary: auto (on CUDA) | on | off",
                                   choices=("auto", "on", "off"))
