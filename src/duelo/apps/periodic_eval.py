"""Hook: evaluate the EMA generator every `run.eval_kimg` and keep the best one in `best/`.

The evaluation works on a copy of G_ema (batch-norm statistics re-estimated on the copy) with its own
seeded generators, so it never changes what training does next: a run with or without periodic
evaluation trains the same weights, and resume stays exact.
"""

from __future__ import annotations

import copy
import json
from typing import Any

# Which way is better, per metric name (the figure with the metric's own name is compared).
LOWER_IS_BETTER = {"fd_domain", "fid", "kid", "class_histogram_tv", "intra_fd_domain", "intra_fid"}
HIGHER_IS_BETTER = {"class_accuracy", "tstr_accuracy", "domain_coverage", "coverage"}
METRIC_FIGURE = {"prdc_domain": "domain_coverage", "prdc": "coverage", "class_histogram": "class_histogram_tv",
                 "tstr": "tstr_accuracy"}


DOMAIN_METRICS = {"fd_domain", "prdc_domain", "intra_fd_domain", "class_accuracy", "class_histogram", "tstr"}
CONDITIONAL_METRICS = {"class_accuracy", "tstr", "intra_fd_domain", "intra_fid"}
INCEPTION_METRICS = {"fid", "kid", "prdc", "intra_fid"}


def figure_name(metric: str) -> str:
    return METRIC_FIGURE.get(metric, metric)


def is_better(name: str, value: float, best: float | None) -> bool:
    if best is None:
        return True
    return value < best if name in LOWER_IS_BETTER else value > best


class PeriodicEval:
    def __init__(self, session):
        from duelo.errors import ConfigError
        from duelo.evaluation.metrics import METRICS

        self.session = session
        self.metric = session.config.run.eval_metric
        METRICS.get(self.metric)                                   # unknown names fail before training
        self.figure = figure_name(self.metric)
        if self.figure not in LOWER_IS_BETTER | HIGHER_IS_BETTER:
            raise ConfigError(f"run.eval_metric {self.metric!r} cannot rank models; use one of "
                              f"{', '.join(sorted(LOWER_IS_BETTER | HIGHER_IS_BETTER | set(METRIC_FIGURE)))}")
        dataset = session.dataset
        if self.metric in DOMAIN_METRICS and dataset.labels is None:
            raise ConfigError(f"run.eval_metric {self.metric} needs a labelled dataset; use --eval-metric fid "
                              f"for unlabelled data")
        if self.metric in CONDITIONAL_METRICS and not session.config.model.conditional:
            raise ConfigError(f"run.eval_metric {self.metric} judges a class-conditional model; this one is "
                              f"unconditional: use fd_domain or fid")
        if self.metric in INCEPTION_METRICS:
            from duelo.evaluation.features import find_inception_weights
            find_inception_weights()
        record = session.run_dir.best / "best.json"
        self.best: float | None = json.loads(record.read_text())["value"] if record.exists() else None

    def __call__(self, trainer) -> None:
        from duelo.apps.snapshots import RECALIBRATION_BATCH, RECALIBRATION_BATCHES
        from duelo.evaluation.metrics import EvalContext, evaluate
        from duelo.io.atomic import atomic_write_json
        from duelo.io.pretrained import save_pretrained
        from duelo.training.ema import recalibrate_batchnorm

        session = self.session
        G = copy.deepcopy(trainer.G_ema)
        recalibrate_batchnorm(G, trainer.objective.sample_generator_inputs, RECALIBRATION_BATCHES,
                              RECALIBRATION_BATCH, seed=trainer.counters.nimg)
        dataset = session.dataset
        context = EvalContext(G=G, images=dataset.images, labels=dataset.labels, fingerprint=dataset.fingerprint(),
                              num_samples=session.config.run.eval_samples, device=str(trainer.runtime.device))
        results: dict[str, Any] = evaluate(context, [self.metric])
        value = results.get(self.figure)
        record = {"nimg": trainer.counters.nimg, "kimg": round(trainer.counters.nimg / 1000, 3),
                  **{k: v for k, v in results.items() if not isinstance(v, list)}}
        session.run_dir.append_jsonl(session.run_dir.eval_log_path, record)
        if value is None:
            return
        improved = is_better(self.figure, value, self.best)
        if improved:
            self.best = value
            save_pretrained(G, session.run_dir.best)
            atomic_write_json(session.run_dir.best / "best.json",
                              {"metric": self.figure, "value": value, "nimg": trainer.counters.nimg})
        session.log(f"eval at {record['kimg']:.1f} kimg: {self.figure} {value:.4f}"
                    f"{' (best so far, saved to best/)' if improved else f' (best {self.best:.4f})'}")

    def truncate(self, nimg: int) -> None:
        """On resume, forget evaluations logged after the checkpoint (they are repeated identically)."""
        self.session.run_dir.truncate_jsonl(self.session.run_dir.eval_log_path, nimg)
