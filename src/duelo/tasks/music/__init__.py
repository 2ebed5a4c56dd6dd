"""Music: Bach chorales as four-voice piano rolls learned by a MuseGAN-class GAN (task "music")."""

from duelo.io.hub_formats import HUB_FORMATS
from duelo.tasks.music.task import Music
from duelo.tasks.registry import TASKS

TASKS.add("music", Music())


def _hub_format():
    """Its saved models on the Hub (duelo.io.hub_formats); imported on first use, so the task stays cheap to import."""
    from duelo.tasks.music.model_io import hub_format

    return hub_format()


HUB_FORMATS.add("duelo-music-generator", _hub_format)
