"""MLflow: one MLflow run per run folder, in a local file store (RUN/mlruns by default, or run.mlflow_uri: a local
folder or file: URI shared by several runs). Nothing goes over the network: servers are refused by the
configuration and MLflow's usage reporting is switched off before it is imported.

Metrics are the metrics.jsonl fields (and health/, eval/ figures) at step nimg; the configuration is logged as
parameters once, when the MLflow run is made; every snapshot file is an artifact under samples/ (same names as
in the run folder), health events are artifacts under health/, and config.json and summary.json are artifacts.

MLflow keeps every value it was given and cannot delete any, so resuming is handled by skipping: RUN/mlflow.json
names the MLflow run of each store, and a resumed run logs only the steps the store does not hold yet (the lines
a resume writes again are identical but for wall-clock fields, docs/run-folder.md). After a divergence rollback
the re-trained values are new: MLflow then holds both at those steps (TensorBoard shows only the new ones).

The file store is in maintenance mode since MLflow 3 and refuses to open unless MLFLOW_ALLOW_FILE_STORE is set:
duelo sets it, because a database store needs SQLAlchemy and the full MLflow server package.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

from duelo.training.loggers.base import LOGGERS, Logger, Sample

RECORD = "mlflow.json"             # in the run folder: which MLflow run (and store) holds this run's records
DEFAULT_STORE = "mlruns"
BATCH = 1000                       # MLflow takes at most 1000 metrics and 100 parameters per call
PARAM_BATCH = 100
PARAM_LENGTH = 6000
KEY = re.compile(r"[^0-9A-Za-z_\-. /]")


def store_path(run_path: Path, uri: str | None) -> Path:
    """The tracking store's folder: RUN/mlruns, or the configured local folder / file: URI."""
    from duelo.config.common import local_store_path

    return (Path(run_path) / DEFAULT_STORE) if uri is None else local_store_path(uri, "run.mlflow_uri")


def flat_params(config: dict[str, Any]) -> dict[str, str]:
    """{"train.batch": "64", ...}: every configuration field as an MLflow parameter (text)."""
    params = {}
    for section, fields in config.items():
        if isinstance(fields, dict):
            for field, value in fields.items():
                text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
                params[f"{section}.{field}"] = text[:PARAM_LENGTH]
        else:
            params[section] = str(fields)[:PARAM_LENGTH]
    return params


@LOGGERS.register("mlflow", extra="mlflow", modules=("mlflow",),
                  opens="MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri RUN/mlruns (or the "
                        "--mlflow-uri folder; the UI needs the full mlflow package)")
class MlflowLogger(Logger):
    @classmethod
    def prepare(cls) -> None:
        os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"          # no usage reports: duelo reaches no server
        os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"           # the local file store (see the module's notes)

    def __init__(self, run_path: Path, config: dict[str, Any]):
        self.prepare()
        from mlflow.tracking import MlflowClient

        self.run_path = Path(run_path)
        store = store_path(self.run_path, (config.get("run") or {}).get("mlflow_uri"))
        store.mkdir(parents=True, exist_ok=True)
        self.uri = store.resolve().as_uri()
        self.client = MlflowClient(tracking_uri=self.uri)
        self.run_id = self._find_or_create(config)
        self.logged: dict[str, int] | None = None     # per metric: the last step the store holds
        self.finished = False

    def _find_or_create(self, config: dict[str, Any]) -> str:
        """The MLflow run RUN/mlflow.json names in this store, or a new one (the configuration as parameters)."""
        from mlflow.entities import Param, RunTag
        from mlflow.exceptions import MlflowException

        from duelo import __version__
        from duelo.io.atomic import atomic_write_json

        runs = self._read_record()
        if isinstance(runs.get(self.uri), str):
            try:
                if self.client.get_run(runs[self.uri]).info.lifecycle_stage == "active":
                    return runs[self.uri]
            except MlflowException:
                pass                                   # deleted from the store: start a new MLflow run
        task = str(config.get("task", "run"))
        experiment = self.client.get_experiment_by_name(f"duelo-{task}")
        experiment_id = experiment.experiment_id if experiment else self.client.create_experiment(f"duelo-{task}")
        run = self.client.create_run(experiment_id, run_name=self.run_path.name,
                                     tags={"duelo.run_folder": str(self.run_path.resolve()), "duelo.task": task,
                                           "duelo.version": __version__})
        params = [Param(key, value) for key, value in flat_params(config).items()]
        for start in range(0, len(params), PARAM_BATCH):
            self.client.log_batch(run.info.run_id, params=params[start:start + PARAM_BATCH],
                                  tags=[RunTag("duelo.params", "config.json")] if start == 0 else [])
        atomic_write_json(self.run_path / RECORD, {"runs": {**runs, self.uri: run.info.run_id}})
        return run.info.run_id

    def _read_record(self) -> dict[str, Any]:
        """{tracking store URI: MLflow run id}: a run exported to a second store keeps its run in the first."""
        try:
            runs = json.loads((self.run_path / RECORD).read_text()).get("runs")
        except (OSError, ValueError, AttributeError):
            return {}
        return runs if isinstance(runs, dict) else {}

    def restart(self, nimg: int) -> int:
        self.client.update_run(self.run_id, status="RUNNING")
        if self.logged is None:                        # a new process: skip what the store already holds
            self.logged = {key: max((m.step for m in self.client.get_metric_history(self.run_id, key)), default=-1)
                           for key in self.client.get_run(self.run_id).data.metrics}
            last = self.logged.get("iteration")
            return 0 if last is None else min(last, nimg)
        self.logged = {key: min(step, nimg) for key, step in self.logged.items()}    # a rollback: new values
        return nimg

    def scalars(self, nimg: int, values: dict[str, float]) -> None:
        from mlflow.entities import Metric

        logged = self.logged if self.logged is not None else {}
        now = int(time.time() * 1000)
        metrics = [Metric(KEY.sub("_", key), float(value), now, nimg) for key, value in values.items()
                   if nimg > logged.get(KEY.sub("_", key), -1)]
        for start in range(0, len(metrics), BATCH):
            self.client.log_batch(self.run_id, metrics=metrics[start:start + BATCH])
        for metric in metrics:
            logged[metric.key] = nimg

    def sample(self, nimg: int, sample: Sample) -> None:
        self.client.log_artifact(self.run_id, str(sample.path), "samples")

    def event(self, nimg: int, record: dict[str, Any]) -> None:
        name = re.sub(r"[^0-9A-Za-z_-]", "_", str(record.get("event", "event")))
        text = f"{record.get('severity', '')}: {record.get('message', '')}\n"
        if record.get("remedy"):
            text += f"{'applied' if record.get('applied') else 'try'}: {record['remedy']}\n"
        self.client.log_text(self.run_id, text, f"health/{nimg:09d}-{name}.txt")

    def document(self, nimg: int, name: str, content: dict[str, Any]) -> None:
        self.client.log_dict(self.run_id, content, f"{name}.json")
        self.finished = self.finished or name == "summary"

    def close(self) -> None:
        self.client.set_terminated(self.run_id, status="FINISHED" if self.finished else "KILLED")
