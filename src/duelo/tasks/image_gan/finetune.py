"""Fine-tuning: a new run that starts from trained weights, and FreezeD.

Transfer learning for GANs starts both networks from a model trained on other data and trains on the new images;
on small sets that beats training from scratch by a wide margin (Wang et al. 2018, "Transferring GANs"; Karras et
al. 2020, StyleGAN2-ADA, section 4). FreezeD (Mo, Cho & Shin 2020) keeps D's first stages — the ones that see
pixels, and hold generic low-level features — fixed and trains the rest: a cheap, strong baseline for few-shot
transfer.

`--resume-from PATH` takes
  * a run folder: G, D and G_ema from its newest readable checkpoint;
  * a saved model folder (`model/` of a run, or any save_pretrained output): G and G_ema; D starts fresh.
The weights are loaded into a run only before its first checkpoint: a fine-tuning run that was interrupted
resumes from its own checkpoint like any other. Architecture, resolution and aspect must match the source's.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from duelo.errors import ConfigError


def d_stages(D: nn.Module) -> list[tuple[str, nn.Module]]:
    """D's stages in the order an image meets them: the family's own `stages()` when it has one, else its
    top-level children (those of a Sequential or ModuleList one by one) that hold parameters."""
    if hasattr(D, "stages"):
        return list(D.stages())
    stages = []
    for name, child in D.named_children():
        parts = child.named_children() if isinstance(child, (nn.Sequential, nn.ModuleList)) else [("", child)]
        for sub, module in parts:
            if any(True for _ in module.parameters()):
                stages.append((f"{name}.{sub}" if sub else name, module))
    return stages


def trainable_d_parameters(D: nn.Module, freeze: int) -> list[nn.Parameter]:
    """D's parameters except those of its first `freeze` stages (FreezeD); ConfigError when that leaves none."""
    if freeze == 0:
        return list(D.parameters())
    stages = d_stages(D)
    if freeze >= len(stages):
        raise ConfigError(f"--freeze-d {freeze}: this discriminator has {len(stages)} stages "
                          f"({', '.join(name for name, _ in stages)}); freeze fewer than that")
    frozen = {id(p) for _, module in stages[:freeze] for p in module.parameters()}
    return [p for p in D.parameters() if id(p) not in frozen]


def frozen_stage_names(D: nn.Module, freeze: int) -> list[str]:
    return [name for name, _ in d_stages(D)[:freeze]]


def read_source(path: str, option: str = "--resume-from") -> tuple[dict[str, dict[str, torch.Tensor]], str]:
    """The state dicts a run starts from ({"G": ..., "G_ema": ..., and "D" for a run folder}) and a description;
    errors name `option` (the command's way of giving the path)."""
    from duelo.io.pretrained import CONFIG_NAME, load_pretrained
    from duelo.training.checkpoint import load_latest

    folder = Path(path).expanduser()
    if (folder / "checkpoints").is_dir():
        checkpoint = load_latest(folder / "checkpoints", warn=lambda message: None)
        if checkpoint is None:
            raise ConfigError(f"{option} {path}: the run folder has no checkpoint yet; train it first or give "
                              f"a saved model folder")
        states: dict[str, dict[str, torch.Tensor]] = {}
        for net in ("G", "D", "G_ema"):
            prefix = f"net.{net}."
            states[net] = {k[len(prefix):]: v for k, v in checkpoint.tensors.items() if k.startswith(prefix)}
        if not states["G"] or not states["D"]:
            raise ConfigError(f"{option} {path}: {checkpoint.path.name} holds no image GAN (no G and D); "
                              f"give the folder of an image-gan run or a saved generator")
        states["G_ema"] = states["G_ema"] or states["G"]
        return states, f"{path} ({checkpoint.path.name}, {checkpoint.nimg / 1000:.1f} kimg: G, D and G_ema)"
    if (folder / CONFIG_NAME).is_file():
        from duelo.errors import CheckpointError

        try:
            G = load_pretrained(folder)
        except CheckpointError as error:
            raise ConfigError(f"{option} {path}: {error}") from None
        state = G.state_dict()
        return {"G": state, "G_ema": state}, f"{path} (a saved generator: G and G_ema; D starts fresh)"
    raise ConfigError(f"{option} {path}: neither a run folder (with checkpoints/) nor a saved model folder "
                      f"(with {CONFIG_NAME}); give the folder of a finished run or its model/ folder")


def load_into(targets: dict[str, nn.Module], states: dict[str, dict[str, torch.Tensor]], source: str) -> None:
    """Copy the source's weights into the modules of the same names; ConfigError naming the first mismatch."""
    for name, state in states.items():
        module = targets[name]
        own = module.state_dict()
        problem = _mismatch(own, state)
        if problem:
            raise ConfigError(f"--resume-from {source}: its {name} does not fit this run's model ({problem}); "
                              f"use the source's --model, --resolution, --aspect, channels and --width")
        with torch.no_grad():
            for key, value in state.items():
                own[key].copy_(value.to(own[key].device))


def _mismatch(own: dict[str, torch.Tensor], state: dict[str, torch.Tensor]) -> str | None:
    missing = sorted(set(own) - set(state))
    extra = sorted(set(state) - set(own))
    if missing or extra:
        return f"missing {missing[:2]}" if missing else f"unexpected {extra[:2]}"
    for key, tensor in own.items():
        if tuple(state[key].shape) != tuple(tensor.shape):
            return f"{key} is {tuple(state[key].shape)} there, {tuple(tensor.shape)} here"
    return None
