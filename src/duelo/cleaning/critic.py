"""The discriminator scores of `duelo clean --run RUN`: a trained image run's D judges every image of the data
being checked, brought to the run's channels and size as `duelo train` would bring them (transparency flattened
onto white, as `duelo clean` reads images, whatever the run's data.alpha). Higher = more like the
run's training images; a conditional D gives its best score over the classes, so a wrong label alone does not
lower an image's score (the mislabel check is the classifier's)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from duelo.errors import ConfigError

COMMAND = "duelo clean --run"


def run_scores(run: Path, images: torch.Tensor, device: str = "auto", log=None) -> np.ndarray:
    """One score per image of `images` ((N, C, H, W) uint8) from the newest checkpoint of the image run `run`."""
    from duelo.data.transforms import convert_channels, resize_images
    from duelo.tasks.image_gan.run_models import load_run_networks, realness

    say = log or (lambda text: None)
    session, G, D, source = load_run_networks(Path(run), device, COMMAND)
    config = session.config
    target = session.trainer.runtime.device
    channels = session.data.channels
    if images.shape[1] not in (1, 3) or channels not in (1, 3):
        raise ConfigError(f"--run {run}: its D takes {channels}-channel images and the data has "
                          f"{images.shape[1]}; only gray and colour (1 or 3 channels) convert")
    x = resize_images(convert_channels(images, channels), session.data.size, config.data.resize)
    say(f"clean: scoring {len(x):,} images with the discriminator of {source}")
    return realness(D, x, G.c_dim, target).numpy().astype(np.float64)
