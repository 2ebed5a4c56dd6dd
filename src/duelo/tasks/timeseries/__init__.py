"""Synthetic time series (task "timeseries"): see task.py."""

from duelo.tasks.registry import TASKS
from duelo.tasks.timeseries.task import TimeSeries

TASKS.add(TimeSeries.name, TimeSeries())
