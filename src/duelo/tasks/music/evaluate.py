"""`duelo eval` on a music run: the windows its summary scored (the same latents and modes), scored again against
the run's held-out windows (scoring.py), printed and written to RUN/eval.json."""

from __future__ import annotations

from pathlib import Path


def score_model(G, data, n: int, seed: int, device) -> dict:
    """The summary's scores of n windows of G (model_io.rolls_for_scores); seed: the run's."""
    from duelo.tasks.music.model_io import rolls_for_scores
    from duelo.tasks.music.scoring import score_rolls

    rolls, modes = rolls_for_scores(G, n, data.train.modes, device)
    return score_rolls(data, rolls, modes, seed)


def evaluate_music_run(run: Path, num_samples: int | None, device: str, out: Path | None,
                       force: bool) -> tuple[dict, Path]:
    """num_samples: generated windows; None = the run's music.eval_pieces."""
    from duelo.tasks.music.data import load_music_data
    from duelo.tasks.music.model_io import load_music_model
    from duelo.tasks.rescoring import rescore_run

    def score(config, runtime, count: int) -> dict:
        G, _ = load_music_model(run, str(runtime.device))
        return score_model(G, load_music_data(config), count, config.train.seed, runtime.device)

    return rescore_run(run, run, "music", "windows", lambda config: config.music.eval_pieces, num_samples, device,
                       out, force, score)
