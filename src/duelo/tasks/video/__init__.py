"""Video: clips of moving digits learned by a MoCoGAN-class GAN (task "video")."""

from duelo.tasks.registry import TASKS
from duelo.tasks.video.task import Video

TASKS.add("video", Video())
