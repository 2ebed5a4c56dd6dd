"""duelo's own contender: its Trainer on random uint8 images, assembled from the same config path as
`duelo train` (duelo.tasks.image_gan.parts.assemble), so stabilisers, lazy R1 and the lazy Adam rescale are the
real ones.

`variant` selects how duelo runs, e.g. {"precision": "bf16", "cuda_graph": True}; keys not handled
here raise Unsupported, so a variant name never silently measures the default. A second builder runs
duelo's trainer on torch-mimicry's own G and D modules (thin adapters below): the same architecture as the
mimicry row, so that pair of rows isolates the training loop.
"""

from __future__ import annotations

import torch
from torch import nn

from benchmarks.peers.common import CHANNELS, RESOLUTION, Contender, Unsupported, check_task, resolution_of

# task -> config overrides (dotted names, as `duelo train --set` takes them)
TASK_CONFIGS: dict[str, dict] = {
    "dcgan32": {"model.name": "dcgan", "model.width": 64, "loss.name": "bce",
                "optim.g_lr": 2e-4, "optim.d_lr": 2e-4, "optim.beta1": 0.5, "optim.beta2": 0.999},
    "sngan32": {"model.name": "resnet", "model.width": 128, "model.g_kwargs": {"width": 256},
                "loss.name": "hinge", "train.d_steps": 5,
                "optim.g_lr": 2e-4, "optim.d_lr": 2e-4, "optim.beta1": 0.0, "optim.beta2": 0.9},
    "stylegan2-32": {"model.name": "stylegan2", "model.g_kwargs": {"mapping_layers": 2}, "loss.name": "bce",
                     "optim.g_lr": 0.0025, "optim.d_lr": 0.0025, "optim.beta1": 0.0, "optim.beta2": 0.99,
                     "stabilise.r1_gamma": 0.01, "stabilise.reg_interval": 16},
    # from 64 px on: the stylegan2 preset (8-layer mapping, gamma = 0.0002 x H x W / batch)
    **{f"stylegan2-{r}": {"model.name": "stylegan2", "loss.name": "bce", "optim.g_lr": 0.0025, "optim.d_lr": 0.0025,
                          "optim.beta1": 0.0, "optim.beta2": 0.99, "stabilise.r1_per_pixel": 0.0002,
                          "stabilise.reg_interval": 16} for r in (64, 128, 256)},
}
NOTES = {
    "dcgan32": "duelo dcgan width 64 (G 256-128-64, D 64-128-256), BCE, fresh z for the G step",
    "sngan32": "duelo resnet G 256 / D 128 ch, spectral norm built in, D downsamples to 4x4 (mimicry's "
               "stays at 8x8), hinge, n_dis 5",
    "stylegan2-32": "duelo stylegan2 (256 ch at every resolution, z=w=128, 2 mapping layers, mbstd), BCE, "
                    "lazy R1 gamma 0.01 every 16 iterations",
    **{f"stylegan2-{r}": f"duelo stylegan2 at {r}px (widths min(8192/res, 256), z=w=128, 8 mapping layers, mbstd, "
                         f"FIR downsampling), BCE, lazy R1 (0.0002 x H x W / batch) every 16 iterations"
       for r in (64, 128, 256)},
}
# cuda_graph: replay each iteration as one CUDA graph (default off)
VARIANT_KEYS = {"precision", "cuda_graph", "channels_last"}


def _trainer(config, G: nn.Module | None, D: nn.Module | None, batch: int, device: torch.device,
             cuda_graph: bool = False, channels_last: bool = False, resolution: int = RESOLUTION):
    """Build duelo's Trainer for `config` (models from the registry unless G and D are given)."""
    from duelo.tasks.image_gan.parts import assemble
    from duelo.losses import LOSSES
    from duelo.objectives import GANObjective
    from duelo.training.feed import BatchFeed
    from duelo.training.protocols import Player
    from duelo.training.runtime import Runtime
    from duelo.training.trainer import Trainer, TrainerSettings

    runtime = Runtime.create(str(device), config.train.precision, cuda_graph=cuda_graph)
    images = torch.randint(0, 256, (max(4096, 4 * batch), CHANNELS, resolution, resolution), dtype=torch.uint8)
    feed = BatchFeed(images, None, batch, seed=0, device=runtime.device)
    torch.manual_seed(0)
    if G is None:
        parts = assemble(config, feed, len(images), resolution, CHANNELS, 0, runtime.device)
        players, objective, schedules = parts.players, parts.objective, parts.schedules
    else:
        betas = (config.optim.beta1, config.optim.beta2)
        players = {"G": Player(G, torch.optim.Adam(G.parameters(), config.optim.g_lr, betas=betas), ema=True),
                   "D": Player(D, torch.optim.Adam(D.parameters(), config.optim.d_lr, betas=betas))}
        objective = GANObjective(G, D, LOSSES.get(config.loss.name), d_steps=config.train.d_steps)
        schedules = []
    trainer = Trainer(objective, players, feed, runtime, TrainerSettings(batch=batch), seed=0)
    trainer.schedules.extend(schedules)
    if channels_last:   # NHWC activations: what cuDNN's tensor-core convolutions prefer (parameters change in place)
        for net in (trainer.nets["G"], trainer.nets["D"], trainer.G_ema):
            net.to(memory_format=torch.channels_last)
    if cuda_graph:      # every iteration kind (lazy phases: every interval-th) warmed up and captured
        for _ in range(4 * max(phase.interval for phase in objective.phases) + 1):
            trainer.step()
    return trainer, runtime


def _config(task: str, variant: dict | None):
    from duelo.tasks import task_config

    variant = dict(variant or {})
    unknown = sorted(set(variant) - VARIANT_KEYS)
    if unknown:
        raise Unsupported(f"duelo_contender does not implement variant key(s) {', '.join(unknown)} yet")
    overrides = dict(TASK_CONFIGS[task])
    overrides["train.precision"] = variant.get("precision", "auto")
    return task_config("image-gan", overrides, source="benchmark")


def _mode(runtime) -> str:
    return "graph" if runtime.graphs_off_reason() is None else "eager"


def build(task: str, batch: int, device: torch.device, variant: dict | None = None) -> Contender:
    check_task(task, tuple(TASK_CONFIGS), "duelo")
    config = _config(task, variant)
    graph = bool((variant or {}).get("cuda_graph", False))
    if graph and device.type != "cuda":
        raise Unsupported("cuda_graph needs a CUDA device")
    layout = bool((variant or {}).get("channels_last", False))
    side = resolution_of(task)
    trainer, runtime = _trainer(config, None, None, batch, device, cuda_graph=graph, channels_last=layout,
                                resolution=side)
    flop_step = None
    if _mode(runtime) == "graph":      # a replay hides its operators from the FLOP counter: count an eager twin
        flop_step = _trainer(config, None, None, batch, device, cuda_graph=False, resolution=side)[0].step
    return Contender(name=f"duelo ({_mode(runtime)}, {runtime.precision}{', channels-last' if layout else ''})",
                     step=trainer.step,
                     real_images_per_step=batch * config.train.d_steps,
                     notes=f"{NOTES[task]}; {runtime.precision}, {_mode(runtime)}", flop_step=flop_step)


# -- duelo's trainer on torch-mimicry's networks -------------------------------------------------------
class MimicryGenerator(nn.Module):
    """Presents a mimicry generator (forward(z) -> images) as a duelo generator."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net
        self.z_dim, self.c_dim, self.resolution, self.channels = net.nz, 0, RESOLUTION, CHANNELS

    def sample_latents(self, n: int, generator: torch.Generator | None = None, device=None) -> torch.Tensor:
        device = device or (generator.device if generator is not None else next(self.parameters()).device)
        return torch.randn(n, self.z_dim, generator=generator, device=device)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z)                                    # (N, 3, 32, 32)


class MimicryDiscriminator(nn.Module):
    """Presents a mimicry discriminator (logits (N, 1)) as a duelo discriminator (logits (N,))."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net
        self.c_dim, self.resolution, self.channels = 0, RESOLUTION, CHANNELS

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(images).flatten()                     # (N,)


def build_on_mimicry(task: str, batch: int, device: torch.device, variant: dict | None = None) -> Contender:
    from benchmarks.peers import mimicry

    netG, netD, _, n_dis = mimicry.networks(task, device)     # raises Unsupported for stylegan2-32
    config = _config(task, variant).with_overrides({"loss.name": "bce" if task == "dcgan32" else "hinge",
                                                    "train.d_steps": n_dis}, source="benchmark")
    graph = bool((variant or {}).get("cuda_graph", False))
    layout = bool((variant or {}).get("channels_last", False))
    trainer, runtime = _trainer(config, MimicryGenerator(netG), MimicryDiscriminator(netD), batch, device,
                                cuda_graph=graph, channels_last=layout)
    flop_step = None
    if _mode(runtime) == "graph":      # count an eager twin on fresh copies of the same modules
        twin_G, twin_D, _, _ = mimicry.networks(task, device)
        flop_step = _trainer(config, MimicryGenerator(twin_G), MimicryDiscriminator(twin_D), batch, device)[0].step
    return Contender(name=f"duelo on mimicry's modules ({_mode(runtime)}, {runtime.precision}"
                          f"{', channels-last' if layout else ''})", step=trainer.step,
                     real_images_per_step=batch * n_dis, flop_step=flop_step,
                     notes=f"mimicry {task} G/D inside duelo's trainer (same arithmetic as the mimicry row, "
                           f"plus duelo's G EMA); {runtime.precision}, {_mode(runtime)}")
