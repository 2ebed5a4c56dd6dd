"""A generator's clips scored against the real held-out ones (scoring.py), as a run's summary reads them and as
`duelo eval RUN` reads them again later (written to RUN/eval.json): the clips from fixed latents and labels drawn
like the training clips', decoded as the model records (its Griffin-Lim rounds, its peak level), and, where the
model decodes another way too, the same clips decoded as drawn (`*_unrefined`, `*_as_drawn`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SAMPLE_SEED = 1_000_000


def score_generator(G, kwargs: dict, data, scorer, n: int, seed: int, device) -> dict[str, Any]:
    """The scores of n clips of G (kwargs: its recorded arguments, parts.generator_kwargs), with the variants its
    decoding calls for; seed: the run's (the scorer's draw of training clips)."""
    from duelo.tasks.audio.model_io import generate_waves, labels_like
    from duelo.tasks.audio.scoring import score_clips

    labels = labels_like(G, n, data.combined(data.train), SAMPLE_SEED)

    def scored(**decoding) -> dict[str, Any]:
        waves = generate_waves(G, kwargs, data.length, n, labels, SAMPLE_SEED, device, **decoding)
        return score_clips(data, scorer, waves, labels, device, seed)

    scores = scored()
    if kwargs.get("refine", 0):          # the same G's clips decoded as drawn: what the rounds changed
        scores.update(_variant(scored(refine=0), "_unrefined"))
    if kwargs.get("peak") is not None:   # the same G's clips at the levels drawn: what audio.peak changed
        scores.update(_variant(scored(as_drawn=True), "_as_drawn"))
        scores["peak"] = kwargs["peak"]
    return scores


def _variant(scores: dict[str, Any], suffix: str) -> dict[str, Any]:
    """The scores of the same G's clips decoded another way that say what the decoding changed (the distance, the
    inception-like score, the level and every factor's accuracy), under `suffix`."""
    return {f"{key}{suffix}": value for key, value in scores.items()
            if key in ("fd", "score", "loudness_db") or key.endswith("_accuracy")}


def evaluate_audio_run(run: Path, num_samples: int | None, device: str, out: Path | None,
                       force: bool) -> tuple[dict, Path]:
    """`run`: a run folder, or its best/ (audio.score_kimg's lowest-FD model; the scores go to RUN/best/eval.json);
    num_samples: generated clips; None = the run's audio.eval_clips."""
    from duelo.io.model_folders import split_run_and_model
    from duelo.tasks.audio.data import load_audio_data
    from duelo.tasks.audio.model_io import FORMAT, load_audio_model
    from duelo.tasks.audio.scorer import scorer_for
    from duelo.tasks.rescoring import rescore_run

    run, model = split_run_and_model(run, FORMAT)       # RUN/best: the run's clips, its lowest-FD model

    def score(config, runtime, count: int) -> dict[str, Any]:
        G, meta = load_audio_model(model, str(runtime.device))
        data = load_audio_data(config)
        scorer = scorer_for(data.train, config.audio.scorer_epochs, config.train.seed, runtime.device)
        return score_generator(G, meta["kwargs"], data, scorer, count, config.train.seed, runtime.device)

    return rescore_run(run, model, "audio", "clips", lambda config: config.audio.eval_clips, num_samples, device,
                       out, force, score)
