"""lucidrains' stylegan2-pytorch and lightweight-gan, each driven by its own Trainer.train() (one call = one
iteration: a D step, a G step, and its own periodic work), fed random batches already on the GPU.

Their trainers read `next(self.loader).cuda(rank)`; `self.loader` is set to an endless iterator of device
batches instead of calling set_data_src(folder), so no files are decoded and no copy happens (the same
data path the other rows get). Nothing in their files is changed. Both hard-code CUDA (.cuda(rank) in
the step; both assert a GPU at import), so on the CPU these rows say Unsupported.

Their iteration counter starts at 20001: below that both evaluate (write sample grids through
torchvision) every 100 iterations, which is bookkeeping, not training; from there on the step is their
steady state (G EMA every 10 iterations, gradient penalty every 4). Checkpoints and FID are switched off by
intervals no run reaches. Optional extras are off: no apex (fp16=False), no aim logging (log=False /
use_aim=False), no contrastive or quantisation layers.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import tempfile
import types

import torch

from benchmarks.peers.common import (Contender, check_task, real_batches, require_cuda, require_module,
                                     resolution_of)

STEADY_STATE_ITERATION = 20001     # past both trainers' early "evaluate every 100 iterations" window
NEVER = 10**12                     # save_every / evaluate_every that no benchmark reaches

STYLEGAN2_SETTINGS = dict(         # closest to StyleGAN2-32 that the package offers
    image_size=32,
    network_capacity=16,           # the package default: G 256-256-128-64-32 ch, D 64-128-256-512-512
    latent_dim=128,                # duelo's z = w = 128 (package default 512)
    style_depth=2,                 # 2 mapping layers, as StyleGAN2-ADA's CIFAR config and duelo's preset
    no_pl_reg=True,                # no path-length regulariser (StyleGAN2-ADA CIFAR: pl_weight 0)
    fp16=False,                    # its mixed precision needs NVIDIA apex
    log=False,                     # no aim session
)
STYLEGAN2_NOTES = ("lucidrains StyleGAN2 at 32px, network_capacity 16 (G 256->32 ch, D 64->512 ch; duelo: 256 "
                   "everywhere), z=w=128, 2 mapping layers; hinge loss (not BCE); non-lazy GP weight 10 on real "
                   "AND fake every 4 iterations (not R1/16); style mixing 0.9; fp32; .item() each step")
LIGHTWEIGHT_NOTES = ("lightweight-gan (Liu et al. 2021 FastGAN-style: skip-layer excitation, self-supervised "
                     "decoder in D) at 32px, package defaults (latent 256, fmap_max 512); NOT StyleGAN2: a peer's "
                     "own 32px recipe; hinge + GP every 4 iterations; fp32; .item() each step")


def _without_aim() -> None:
    """stylegan2_pytorch does `import aim` at module level but uses it only when log=True; aim is a large
    optional tracker (not on the GPU machine), so an empty module stands in when it is missing."""
    # sys.modules first: once the stand-in is there, find_spec("aim") raises (a module without __spec__), which is
    # what broke the second StyleGAN2 row of one benchmark run
    if "aim" not in sys.modules and importlib.util.find_spec("aim") is None:
        sys.modules["aim"] = types.ModuleType("aim")


def _drive(trainer, batch: int, device: torch.device, resolution: int = 32) -> callable:
    """Point `trainer` at device-resident random batches and return its one-iteration step."""
    trainer.loader = real_batches(batch, device, resolution=resolution)
    trainer.init_GAN()
    trainer.steps = STEADY_STATE_ITERATION
    return trainer.train


def build_stylegan2(task: str, batch: int, device: torch.device) -> Contender:
    check_task(task, ("stylegan2-32", "stylegan2-64", "stylegan2-128", "stylegan2-256"), "stylegan2-pytorch")
    resolution = resolution_of(task)
    # from 64 px on: the paper's 8-layer mapping, as duelo's stylegan2 preset (the package default is 8 too)
    settings = {**STYLEGAN2_SETTINGS, "image_size": resolution, "style_depth": 2 if resolution == 32 else 8}
    require_cuda(device, "stylegan2-pytorch", "it asserts a GPU at import and calls .cuda(rank) in its step")
    require_module("stylegan2_pytorch", "stylegan2_pytorch-1.9.0-py3-none-any.whl")
    _without_aim()
    module = importlib.import_module("stylegan2_pytorch.stylegan2_pytorch")
    version = importlib.import_module("stylegan2_pytorch.version").__version__
    torch.manual_seed(0)
    trainer = module.Trainer(name="bench", base_dir=tempfile.mkdtemp(prefix="stylegan2-pytorch-"),
                             batch_size=batch, save_every=NEVER, evaluate_every=NEVER, rank=device.index or 0,
                             **settings)
    step = _drive(trainer, batch, device, resolution)
    notes = STYLEGAN2_NOTES.replace("at 32px", f"at {resolution}px").replace(
        "2 mapping layers", f"{settings['style_depth']} mapping layers")
    return Contender(name=f"stylegan2-pytorch {version}", step=step, real_images_per_step=batch, notes=notes)


def build_lightweight_gan(task: str, batch: int, device: torch.device) -> Contender:
    check_task(task, ("stylegan2-32", "stylegan2-64", "stylegan2-128", "stylegan2-256"), "lightweight-gan")
    resolution = resolution_of(task)
    require_cuda(device, "lightweight-gan", "it asserts torch.cuda.is_available() at import")
    require_module("lightweight_gan", "lightweight_gan-1.2.1-py3-none-any.whl")
    module = importlib.import_module("lightweight_gan.lightweight_gan")
    version = importlib.import_module("lightweight_gan.version").__version__
    torch.manual_seed(0)
    trainer = module.Trainer(name="bench", base_dir=tempfile.mkdtemp(prefix="lightweight-gan-"),
                             image_size=resolution, batch_size=batch, save_every=NEVER, evaluate_every=NEVER,
                             rank=device.index or 0, amp=False, log=False, use_aim=False)
    step = _drive(trainer, batch, device, resolution)
    return Contender(name=f"lightweight-gan {version}", step=step, real_images_per_step=batch,
                     notes=LIGHTWEIGHT_NOTES.replace("at 32px", f"at {resolution}px"))
