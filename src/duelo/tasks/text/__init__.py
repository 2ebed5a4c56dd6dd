"""Text: lines at character or word level learned by a RelGAN-class GAN or the maximum-likelihood baseline
(task "text")."""

from duelo.io.hub_formats import HUB_FORMATS
from duelo.tasks.registry import TASKS
from duelo.tasks.text.task import Text

TASKS.add("text", Text())


def _hub_format():
    """Its saved models on the Hub (duelo.io.hub_formats); imported on first use, so the task stays cheap to import."""
    from duelo.tasks.text.model_io import hub_format

    return hub_format()


HUB_FORMATS.add("duelo-text-generator", _hub_format)
