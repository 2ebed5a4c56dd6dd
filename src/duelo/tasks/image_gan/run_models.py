"""The trained networks of an image run folder, for commands that read a finished (or interrupted) run rather than
train it: `duelo audit` (G_ema and D) and `duelo clean --run` (D's scores of other images, `run_scores`). The run
is rebuilt from its config.json, as `duelo train` would build it, and its newest readable checkpoint is loaded
into it, both networks in evaluation mode."""

from __future__ import annotations

from pathlib import Path

import torch

from duelo.errors import ConfigError


def check_run(run: Path, command: str):
    """The configuration of the image-gan run folder `run`, which has a checkpoint; ConfigError naming `command`
    otherwise. Cheap: nothing is built or loaded."""
    from duelo.tasks import run_config
    from duelo.training.checkpoint import list_checkpoints

    if not Path(run).is_dir():
        raise ConfigError(f"{command} {run}: no such folder; give the folder `duelo train` wrote")
    config = run_config(run, "records")
    if config.task != "image-gan":
        raise ConfigError(f"{run}: a {config.task} run; {command} reads image-gan runs")
    if not (Path(run) / "checkpoints").is_dir() or not list_checkpoints(Path(run) / "checkpoints"):
        raise ConfigError(f"{command} {run}: the run has no checkpoint yet; give a run that has trained to its "
                          f"first snapshot")
    return config


def load_run_networks(run: Path, device: str, command: str):
    """(session, G_ema, D, source) of the image-gan run folder `run` (check_run's refusals first)."""
    from duelo.data.errors import DataError
    from duelo.tasks.image_gan.finetune import load_into, read_source
    from duelo.tasks.runner import build_session

    config = check_run(run, command).with_overrides({"train.device": device}, source=command)
    try:                                           # the run is rebuilt as `duelo train` built it: from its data
        session = build_session(config, live_progress=False)
    except DataError as error:
        raise ConfigError(f"{command} {run}: rebuilding the run needs its training data, {config.data.dataset!r} "
                          f"in its config.json, as it was when it trained ({error}); run from the folder it was "
                          f"trained from, or put the data back") from None
    states, source = read_source(str(run), command)
    G, D = session.trainer.ema["G"], session.parts.players["D"].module
    load_into({"G_ema": G, "D": D}, {"G_ema": states["G_ema"], "D": states["D"]}, source)
    G.eval(), D.eval()
    return session, G, D, source


@torch.no_grad()
def d_logits(D, images: torch.Tensor, labels: torch.Tensor | None, device, chunk: int = 256) -> torch.Tensor:
    """D's mean logit per image ([-1, 1] floats, or uint8 mapped so), in chunks of `chunk`; `labels` for a
    conditional D. A short last chunk is filled up with the set's first images (their scores dropped), so that a
    D whose minibatch-stddev layer looks at an image's neighbours sees every chunk at the same size."""
    out = []
    for index in torch.arange(len(images)).split(chunk):
        real = len(index)
        if real < chunk and len(images) > real:
            index = torch.cat([index, torch.arange(min(chunk - real, len(images) - real))])
        batch = images[index]
        batch = batch.float().div(127.5).sub(1) if batch.dtype == torch.uint8 else batch.float()
        y = labels[index].to(device) if labels is not None else None
        out.append(D(batch.to(device), y).float().reshape(len(index), -1).mean(1)[:real].cpu())
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


def run_scores(run: Path, images: torch.Tensor, device: str, command: str, log=None):
    """D's score of every image of `images` ((N, C, H, W) uint8), from the newest checkpoint of the image run `run`:
    higher = more like the run's training images. The images are brought to the run's channels and size as `duelo
    train` brings its data (transparency as the caller read it); a conditional D gives its best score over the
    classes, so a wrong label alone does not lower an image's score. A float64 numpy array."""
    import numpy as np

    from duelo.data.transforms import convert_channels, resize_images

    session, G, D, source = load_run_networks(Path(run), device, command)
    channels = session.data.channels
    have = int(images.shape[1])
    if have != channels and (have not in (1, 3) or channels not in (1, 3)):
        raise ConfigError(f"{command} {run}: its D takes {channels}-channel images and the data has {have}; only "
                          f"gray and colour (1 or 3 channels) convert (RGBA: read the data with the run's --alpha)")
    x = resize_images(images if have == channels else convert_channels(images, channels), session.data.size,
                      session.config.data.resize)
    if log is not None:
        log(f"{command}: scoring {len(x):,} images with the discriminator of {source}")
    return realness(D, x, G.c_dim, session.trainer.runtime.device).numpy().astype(np.float64)
