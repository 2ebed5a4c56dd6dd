"""torch-mimicry 0.1.16 (Lee & Town 2020, "Mimicry: Towards the Reproducibility of GAN Research"), driven by
its own per-network `train_step` methods exactly as its Trainer.train() calls them.

Its top-level package imports the TensorFlow-based metrics, and its `training` package imports TensorBoard
and torchvision for logging; neither is part of a training step. So the packages are registered bare (their
`__init__` files are not run) and only the modules a step needs are imported: nets, modules and
training.metric_log. Nothing of mimicry is copied here.

One iteration mirrors mimicry's Trainer.train(): n_dis times {fetch a fresh real batch; netD.train_step},
and after the last D step netG.train_step, with a new MetricLog per iteration. Its steps call .item()
(four host synchronisations per D step, one per G step): that is their code's cost and is measured as is.
Not included: the trainer's logging/checkpoint hooks and its LR scheduler (constant LR by default).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

import torch

from benchmarks.peers.common import Contender, Unsupported, check_task, real_batches, require_module

VERSION = "0.1.16"

# task -> (module, generator class, discriminator class, Adam betas, n_dis); settings of mimicry's examples
RECIPES = {
    "dcgan32": ("torch_mimicry.nets.dcgan", "DCGANGenerator32", "DCGANDiscriminator32", (0.5, 0.999), 1),
    "sngan32": ("torch_mimicry.nets.sngan", "SNGANGenerator32", "SNGANDiscriminator32", (0.0, 0.9), 5),
}
NOTES = {
    "dcgan32": "mimicry's DCGAN-32 is a ResNet backbone (Kurach et al. 2019), not Radford's: G 256 ch, D 128 ch "
               "residual blocks without spectral norm, D last two blocks at 8x8; fp32; ns loss; .item() per step",
    "sngan32": "mimicry SNGAN-32: G 256 ch, D 128 ch (last two D blocks stay at 8x8); its own power-iteration "
               "spectral norm; hinge; n_dis 5, each D step a fresh real batch; fp32; .item() per step",
}


def _register_bare(name: str, path: str) -> None:
    """Make `name` an importable package whose __init__ is never run (it would import TensorFlow)."""
    if name in sys.modules:
        return
    module = types.ModuleType(name)
    module.__path__ = [path]
    sys.modules[name] = module


def load() -> None:
    """Register torch_mimicry and torch_mimicry.training bare; afterwards submodules import normally."""
    if "torch_mimicry" in sys.modules:
        return
    require_module("torch_mimicry", "torch_mimicry-0.1.16-py3-none-any.whl")
    spec = importlib.util.find_spec("torch_mimicry")
    root = list(spec.submodule_search_locations)[0]
    _register_bare("torch_mimicry", root)
    _register_bare("torch_mimicry.training", f"{root}/training")


def networks(task: str, device: torch.device) -> tuple[torch.nn.Module, torch.nn.Module, tuple, int]:
    """mimicry's own G and D for `task` on `device`, with its example's Adam betas and n_dis."""
    check_task(task, tuple(RECIPES), f"torch-mimicry {VERSION}")
    load()
    module_name, g_name, d_name, betas, n_dis = RECIPES[task]
    nets = importlib.import_module(module_name)
    torch.manual_seed(0)
    return getattr(nets, g_name)().to(device), getattr(nets, d_name)().to(device), betas, n_dis


def build(task: str, batch: int, device: torch.device) -> Contender:
    netG, netD, betas, n_dis = networks(task, device)
    try:
        from torch_mimicry.training.metric_log import MetricLog
    except ImportError as error:
        raise Unsupported(f"torch_mimicry.training.metric_log does not import: {error}") from None
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=betas)
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=betas)
    reals = real_batches(batch, device)
    labels = torch.zeros(batch, dtype=torch.long, device=device)   # mimicry batches are (images, labels)
    global_step = [0]

    def step() -> None:
        log_data = MetricLog()
        for i in range(n_dis):
            real_batch = (next(reals), labels)
            log_data = netD.train_step(real_batch=real_batch, netG=netG, optD=optD, log_data=log_data,
                                       global_step=global_step[0], device=device, scaler=None)
            if i == n_dis - 1:
                log_data = netG.train_step(real_batch=real_batch, netD=netD, optG=optG, log_data=log_data,
                                           global_step=global_step[0], device=device, scaler=None)
        global_step[0] += 1

    return Contender(name=f"torch-mimicry {VERSION}", step=step, real_images_per_step=batch * n_dis,
                     notes=NOTES[task])
