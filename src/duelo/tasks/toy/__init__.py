"""2-D Gaussian mixtures (task "toy"): see task.py."""

from duelo.io.hub_formats import HUB_FORMATS
from duelo.tasks.registry import TASKS
from duelo.tasks.toy.task import Toy

TASKS.add(Toy.name, Toy())


def _hub_format():
    """Its saved models on the Hub (duelo.io.hub_formats); imported on first use, so the task stays cheap to import."""
    from duelo.tasks.toy.model_io import hub_format

    return hub_format()


HUB_FORMATS.add("duelo-toy-generator", _hub_format)
