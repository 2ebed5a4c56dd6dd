"""Image synthesis under differential privacy (--dp-epsilon; docs/privacy.md): the data split into training records,
kept behind the accountant's Poisson sampler (duelo.privacy.records), and an evaluation split the run scores its
samples against (never trained on, and not covered by the guarantee); D trained by DP-SGD
(duelo.objectives.private), G as usual. duelo.privacy.settings has what the configuration refuses and changes."""

from __future__ import annotations

import math

import torch

from duelo.config import Config
from duelo.health.heldout import Split
from duelo.privacy.records import PrivacyError, PrivacyPlan, PrivateRecords
from duelo.tasks.base import Parts

EVAL_SEED = 20_221


class PrivateImages:
    """What the run may see of a private image set: shapes, names, counts, the evaluation split. The training
    records are in `records`; reading `images` or `labels` raises PrivacyError."""

    def __init__(self, dataset, fraction: float):
        rest, held = dataset.split(fraction, EVAL_SEED)
        self.records = PrivateRecords(rest.images, rest.labels, torch.device("cpu"))
        self.evaluation = held
        self.report, self.name, self.class_names = dataset.report, dataset.name, dataset.class_names
        self.channels, self.size, self.num_classes = dataset.channels, dataset.size, dataset.num_classes

    def __len__(self) -> int:
        return len(self.records)

    @property
    def images(self):
        raise PrivacyError("the private training images were read outside the accountant (dataset.images); only "
                           "DP-SGD's Poisson sampler may read them")

    @property
    def labels(self):
        raise PrivacyError("the private training labels were read outside the accountant (dataset.labels)")

    def fingerprint(self) -> str:
        return self.evaluation.fingerprint()


def build_private(config: Config, data: PrivateImages, runtime, assemble, resolution: int) -> Parts:
    """The parts of a private run: the Poisson feed over the records, the private objective, the plan."""
    from duelo.objectives.private import PrivateGANObjective
    from duelo.privacy.records import PoissonFeed
    from duelo.privacy.settings import check_processes
    from duelo.training.feed import decode

    check_processes(runtime.world_size)
    batch, p = config.train.batch, config.privacy
    d_steps = config.train.d_steps                                      # each D step counts one batch of images
    steps = math.ceil(config.train.total_kimg * 1000 / (batch * d_steps)) * d_steps
    plan = PrivacyPlan.make(p.epsilon, p.delta, p.clip, batch, len(data.records), steps)
    records = data.records.to(runtime.device)
    feed = PoissonFeed(records, plan, batch, data.num_classes, decode)
    parts = assemble(config, feed, len(records), resolution, data.channels, data.num_classes, runtime.device,
                     objective_type=PrivateGANObjective, objective_extra={"privacy": plan})
    parts.extras["split"] = Split(data.records, None, None, None)
    parts.extras["privacy"] = plan
    return parts
