"""Video: clips of moving digits learned by a MoCoGAN-class GAN (task "video")."""

from duelo.io.hub_formats import HUB_FORMATS
from duelo.tasks.registry import TASKS
from duelo.tasks.video.task import Video

TASKS.add("video", Video())


def _hub_format():
    """Its saved models on the Hub (duelo.io.hub_formats); imported on first use, so the task stays cheap to import."""
    from duelo.tasks.video.model_io import hub_format

    return hub_format()


HUB_FORMATS.add("duelo-video-generator", _hub_format)
