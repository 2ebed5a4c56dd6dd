"""Hook: evaluate the EMA generator every `run.eval_kimg` and keep the best one in `best/`.

The evaluation works on a copy of G_ema (batch-norm statistics re-estimated on the copy) with its own
seeded generators, so it never changes what training does next: a run with or without periodic
evaluation trains the same weights, and resume stays exact. Which figure ranks models, and which way is
better, is the metric's registry metadata (duelo.evaluation.context.MetricInfo).
"""

from __future__ import annotations

import copy
from typing import Any

from duelo.errors import ConfigError


class PeriodicEval:
    def __init__(self, session):
        from duelo.evaluation.metrics import METRICS, headline

        self.session = session
        config = session.config
        self.period_nimg = int(round(config.run.eval_kimg * 1000))
        self.metric = config.run.eval_metric
        info = METRICS.info(self.metric)                            # unknown names fail before training
        self.figure = headline(self.metric)
        if info.direction is None:
            rankable = [name for name in METRICS.names() if METRICS.info(name).direction]
            raise ConfigError(f"run.eval_metric {self.metric!r} cannot rank models; use one of "
                              f"{', '.join(rankable)}")
        if "labels" in info.needs and session.data.labels is None:
            raise ConfigError(f"run.eval_metric {self.metric} needs a labelled dataset; use --eval-metric fid "
                              f"for unlabelled data")
        if "conditional" in info.needs and not config.model.conditional:
            raise ConfigError(f"run.eval_metric {self.metric} judges a class-conditional model; this one is "
                              f"unconditional: use fd_domain or fid")
        if "inception" in info.needs:
            from duelo.evaluation.features import find_inception_weights
            find_inception_weights()
        self.best: float | None = session.run_dir.best_value()

    def __call__(self, trainer) -> None:
        from duelo.evaluation.metrics import EvalContext, evaluate, is_better
        from duelo.io.pretrained import save_pretrained
        from duelo.faults import fault_point
        from duelo.training.signals import interruptible
        from duelo.tasks.image_gan.snapshots import RECALIBRATION_BATCH, RECALIBRATION_BATCHES
        from duelo.training.ema import recalibrate_batchnorm

        session = self.session
        G = copy.deepcopy(trainer.G_ema)
        recalibrate_batchnorm(G, trainer.objective.sample_generator_inputs, RECALIBRATION_BATCHES,
                              RECALIBRATION_BATCH, seed=trainer.counters.nimg)
        dataset = session.data
        context = EvalContext(G=G, images=dataset.images, labels=dataset.labels, fingerprint=dataset.fingerprint(),
                              num_samples=session.config.run.eval_samples, device=str(trainer.runtime.device))
        with interruptible():                 # a Ctrl-C/SIGTERM stops a long evaluation at once, not after it
            fault_point("evaluation")
            results: dict[str, Any] = evaluate(context, [self.metric])
        value = results.get(self.figure)
        record = {"nimg": trainer.counters.nimg, "kimg": round(trainer.counters.nimg / 1000, 3),
                  **{k: v for k, v in results.items() if not isinstance(v, list)}}
        session.run_dir.append_jsonl(session.run_dir.eval_log_path, record)
        if value is None:
            return
        improved = is_better(self.metric, value, self.best)
        if improved:
            self.best = value
            run_dir = session.run_dir
            save_pretrained(G, run_dir.best, extra={
                run_dir.BEST_RECORD: run_dir.best_record(self.figure, value, trainer.counters.nimg)})
        session.log(f"eval at {record['kimg']:.1f} kimg: {self.figure} {value:.4f}"
                    f"{' (best so far, saved to best/)' if improved else f' (best {self.best:.4f})'}")

    def restart(self, nimg: int) -> None:
        """On resume, forget evaluations logged after the checkpoint (they are repeated identically)."""
        self.session.run_dir.truncate_jsonl(self.session.run_dir.eval_log_path, nimg)
