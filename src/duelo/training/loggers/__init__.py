"""Loggers besides metrics.jsonl: TensorBoard and MLflow (docs/logging.md), chosen with run.loggers (--log-to).

One module per logger registers a class in LOGGERS (duelo.training.loggers.base); the mirror
(duelo.training.loggers.mirror) hands each one what the run folder records. Importing this package imports no
logger's own package: that happens when a run asks for the logger.
"""

from duelo.training.loggers import mlflow_logger, tensorboard_logger  # noqa: F401 - they register themselves
from duelo.training.loggers.base import LOGGERS, Logger, LoggerInfo, Sample, check_available

__all__ = ["LOGGERS", "Logger", "LoggerInfo", "Sample", "check_available"]
