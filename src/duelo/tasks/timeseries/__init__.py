"""Synthetic time series (task "timeseries"): see task.py."""

from duelo.io.hub_formats import HUB_FORMATS
from duelo.tasks.registry import TASKS
from duelo.tasks.timeseries.task import TimeSeries

TASKS.add(TimeSeries.name, TimeSeries())


def _hub_format():
    """Its saved models on the Hub (duelo.io.hub_formats); imported on first use, so the task stays cheap to import."""
    from duelo.tasks.timeseries.model_io import hub_format

    return hub_format()


HUB_FORMATS.add("duelo-series-generator", _hub_format)
