"""Applications: task-level compositions of datasets, registered models, objectives and the trainer.

Each task registers a `train(config) -> summary` function in TASKS; `duelo train --task NAME` picks it.
Later tasks (translation, inpainting, tabular) arrive as new entries, not as branches in the CLI.
"""

from duelo.registry import Registry

TASKS: Registry = Registry("task")

from duelo.apps import image_gan  # noqa: E402,F401  (registers "image-gan")
from duelo.apps import image2image  # noqa: E402,F401  (registers translate, inpaint, denoise, superres, cyclegan)

__all__ = ["TASKS"]
