"""Image synthesis (task "image-gan"): see task.py."""

from duelo.tasks.image_gan.task import ImageGAN
from duelo.tasks.registry import TASKS

TASKS.add(ImageGAN.name, ImageGAN())
