"""`duelo eval` on a video run: clips of its averaged generator against clips of the run's held-out digits,
scored by duelo.tasks.video.scoring; written to RUN/eval.json."""

from __future__ import annotations

import json
from pathlib import Path

from duelo.errors import ConfigError


def evaluate_video_run(run: Path, num_samples: int | None, device: str, out: Path | None,
                       force: bool) -> tuple[dict, Path]:
    """num_samples: generated clips; None = the run's video.eval_clips."""
    from duelo.io.atomic import atomic_write_json
    from duelo.io.outputs import output_files
    from duelo.tasks import config_from_dict
    from duelo.tasks.video.data import load_video_data
    from duelo.tasks.video.model_io import load_video_model
    from duelo.tasks.video.scoring import score_clips
    from duelo.training.runtime import Runtime

    if not (run / "config.json").is_file():
        raise ConfigError(f"{run}: give the run folder (its config.json says which clips to compare with), not "
                          f"its model/ folder")
    config = config_from_dict(json.loads((run / "config.json").read_text()), source=str(run / "config.json"))
    num_samples = config.video.eval_clips if num_samples is None else num_samples
    if num_samples < 16:
        raise ConfigError(f"--num-samples {num_samples}: score at least 16 clips")
    target = out or run / "eval.json"
    (target,) = output_files([target], force=force, owned=("eval.json",))
    runtime = Runtime.create(device, "fp32")
    G, _ = load_video_model(run, str(runtime.device))
    data = load_video_data(config, runtime.device)
    import torch

    generator = torch.Generator(device=runtime.device).manual_seed(1_000_000)
    labels = None
    if G.c_dim:              # drawn like the run's summary does: in the digits' class proportions
        pool = data.train.labels
        labels = pool[torch.randint(0, len(pool), (num_samples,), generator=generator, device=runtime.device)]
    with torch.no_grad():
        clips = torch.cat([G(G.sample_latents(len(part), generator), None if labels is None else labels[part])
                           for part in torch.arange(num_samples, device=runtime.device).split(256)])
    scores = score_clips(data, clips.to(runtime.device), labels, config.video.score_steps, config.train.seed,
                         runtime.device)
    result = {"run": run.name, "task": "video", "num_samples": num_samples, "scores": scores}
    atomic_write_json(target, result)
    return result, target
