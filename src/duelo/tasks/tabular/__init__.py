"""Tables (task "tabular"): see task.py; the scikit-learn estimator is duelo.tabular.TabularGAN."""

from duelo.io.hub_formats import HUB_FORMATS
from duelo.tasks.registry import TASKS
from duelo.tasks.tabular.task import Tabular

TASKS.add(Tabular.name, Tabular())


def _hub_format():
    """Its saved models on the Hub (duelo.io.hub_formats); imported on first use, so the task stays cheap to import."""
    from duelo.tasks.tabular.persistence import hub_format

    return hub_format()


HUB_FORMATS.add("duelo.tabular.TabularGAN", _hub_format)
