"""`duelo eval` on a time-series run: the run's held-out windows (the same split as in training) against
windows of its averaged generator, scored by duelo.tasks.timeseries.scoring; written to RUN/eval.json."""

from __future__ import annotations

from pathlib import Path

import torch

from duelo.errors import ConfigError


def evaluate_series_run(run: Path, num_samples: int, score_steps: int | None, device: str, out: Path | None,
                        force: bool) -> tuple[dict, Path]:
    from duelo.io.atomic import atomic_write_json
    from duelo.io.outputs import output_files
    from duelo.tasks import run_config
    from duelo.tasks.timeseries.model_io import load_series_model
    from duelo.tasks.timeseries.scoring import score_windows
    from duelo.tasks.timeseries.task import TimeSeries
    from duelo.training.runtime import Runtime

    config = run_config(run, "windows")
    if num_samples < 16:
        raise ConfigError(f"--num-samples {num_samples}: score at least 16 windows")
    target = out or run / "eval.json"
    (target,) = output_files([target], force=force, owned=("eval.json",))
    runtime = Runtime.create(device, "fp32")
    G, _ = load_series_model(run, str(runtime.device))
    data = TimeSeries().load_data(config, runtime, lambda message: None)
    generator = torch.Generator(device=runtime.device).manual_seed(1_000_000)
    labels = None
    if G.c_dim:
        pool = data.label_pool().to(runtime.device)
        labels = pool[torch.randint(0, len(pool), (num_samples,), generator=generator, device=runtime.device)]
    with torch.no_grad():
        fake = G(G.sample_latents(num_samples, generator), labels).float().cpu()
    lengths = None
    if data.masked:
        from duelo.tasks.timeseries.masking import split_mask_channel

        fake, lengths = split_mask_channel(fake, data.min_length)
    scored, training_reference = data.scored()
    scores = score_windows(scored, fake, score_steps or config.series.score_steps, config.train.seed,
                           str(runtime.device), None if labels is None else labels.cpu(), lengths, training_reference,
                           config.series.discriminative_on)
    result = {"run": run.name, "task": "timeseries", "num_samples": num_samples, "heldout": len(scored.heldout),
              "scores": scores}
    atomic_write_json(target, result)
    return result, target
