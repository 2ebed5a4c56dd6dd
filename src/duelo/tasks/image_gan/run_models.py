"""The trained networks of an image run folder, for commands that read a finished (or interrupted) run rather than
train it: `duelo audit` (G_ema and D) and `duelo clean --run` (D). The run is rebuilt from its config.json, as
`duelo train` would build it, and its newest readable checkpoint is loaded into it, both networks in evaluation
mode."""

from __future__ import annotations

from pathlib import Path

import torch

from duelo.errors import ConfigError


def load_run_networks(run: Path, device: str, command: str):
    """(session, G_ema, D, source) of the image-gan run folder `run`; ConfigError naming `command` for a folder
    that is not one."""
    from duelo.tasks import run_config
    from duelo.tasks.image_gan.finetune import load_into, read_source
    from duelo.tasks.runner import build_session

    config = run_config(run, "records").with_overrides({"train.device": device}, source=command)
    if config.task != "image-gan":
        raise ConfigError(f"{run}: a {config.task} run; {command} reads image-gan runs")
    session = build_session(config, live_progress=False)
    states, source = read_source(str(run))
    G, D = session.trainer.ema["G"], session.parts.players["D"].module
    load_into({"G_ema": G, "D": D}, {"G_ema": states["G_ema"], "D": states["D"]}, source)
    G.eval(), D.eval()
    return session, G, D, source


@torch.no_grad()
def d_logits(D, images: torch.Tensor, labels: torch.Tensor | None, device, chunk: int = 256) -> torch.Tensor:
    """D's mean logit per image ([-1, 1] floats, or uint8 mapped so), in chunks; `labels` for a conditional D."""
    out = []
    for index in torch.arange(len(images)).split(chunk):
        batch = images[index]
        batch = batch.float().div(127.5).sub(1) if batch.dtype == torch.uint8 else batch.float()
        y = labels[index].to(device) if labels is not None else None
        out.append(D(batch.to(device), y).float().reshape(len(index), -1).mean(1).cpu())
    return torch.cat(out) if out else torch.zeros(0)


def realness(D, images: torch.Tensor, classes: int, device) -> torch.Tensor:
    """How much D takes each image for one of its training images, whatever the image's own label: D's logit, or
    for a conditional D (`classes` > 0) its largest logit over the classes, so that a wrong label does not make a
    good image look unreal."""
    if not classes:
        return d_logits(D, images, None, device)
    best = None
    for c in range(classes):
        scores = d_logits(D, images, torch.full((len(images),), c, dtype=torch.long), device)
        best = scores if best is None else torch.maximum(best, scores)
    return best
