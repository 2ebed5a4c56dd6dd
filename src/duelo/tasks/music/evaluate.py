"""`duelo eval` on a music run: the windows its summary scored (the same latents and modes), scored again against
the run's held-out windows (scoring.py), printed and written to RUN/eval.json."""

from __future__ import annotations

from pathlib import Path

from duelo.errors import ConfigError

MIN_WINDOWS = 16


def score_model(G, data, n: int, seed: int, device) -> dict:
    """The summary's scores of n windows of G (model_io.rolls_for_scores); seed: the run's."""
    from duelo.tasks.music.model_io import rolls_for_scores
    from duelo.tasks.music.scoring import score_rolls

    rolls, modes = rolls_for_scores(G, n, data.train.modes, device)
    return score_rolls(data, rolls, modes, seed)


def evaluate_music_run(run: Path, num_samples: int | None, device: str, out: Path | None,
                       force: bool) -> tuple[dict, Path]:
    """num_samples: generated windows; None = the run's music.eval_pieces."""
    from duelo.io.atomic import atomic_write_json
    from duelo.io.outputs import output_files
    from duelo.tasks import run_config
    from duelo.tasks.music.data import load_music_data
    from duelo.tasks.music.model_io import load_music_model
    from duelo.training.runtime import Runtime

    config = run_config(run, "windows")
    num_samples = config.music.eval_pieces if num_samples is None else num_samples
    if num_samples < MIN_WINDOWS:
        raise ConfigError(f"--num-samples {num_samples}: score at least {MIN_WINDOWS} windows")
    target = out or run / "eval.json"
    (target,) = output_files([target], force=force, owned=("eval.json",))
    runtime = Runtime.create(device, "fp32")
    G, _ = load_music_model(run, str(runtime.device))
    data = load_music_data(config)
    scores = score_model(G, data, num_samples, config.train.seed, runtime.device)
    result = {"run": run.name, "task": "music", "num_samples": num_samples, "scores": scores}
    atomic_write_json(target, result)
    return result, target
