"""Audio: one-second sounds (instrument notes, drum hits, spoken words) learned by WaveGAN / SpecGAN (task
"audio")."""

from duelo.io.hub_formats import HUB_FORMATS
from duelo.tasks.audio.task import Audio
from duelo.tasks.registry import TASKS

TASKS.add("audio", Audio())


def _hub_format():
    """Its saved models on the Hub (duelo.io.hub_formats); imported on first use, so the task stays cheap to import."""
    from duelo.tasks.audio.model_io import hub_format

    return hub_format()


HUB_FORMATS.add("duelo-audio-generator", _hub_format)
