"""A generator's clips scored against the real held-out ones (scoring.py), as a run's summary reads them and as
`duelo eval RUN` reads them again later (written to RUN/eval.json): the clips from fixed latents and labels drawn
like the training clips', decoded as the model records (its Griffin-Lim rounds, its peak level), and, where the
model decodes another way too, the same clips decoded as drawn (`*_unrefined`, `*_as_drawn`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from duelo.errors import ConfigError

SAMPLE_SEED = 1_000_000
MIN_CLIPS = 16


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
    from duelo.io.atomic import atomic_write_json
    from duelo.io.outputs import output_files
    from duelo.tasks import run_config
    from duelo.tasks.audio.data import load_audio_data
    from duelo.io.model_folders import split_run_and_model
    from duelo.tasks.audio.model_io import FORMAT, load_audio_model
    from duelo.tasks.audio.scorer import scorer_for
    from duelo.training.runtime import Runtime

    run, model = split_run_and_model(run, FORMAT)       # RUN/best: the run's clips, its lowest-FD model
    config = run_config(run, "clips")
    num_samples = config.audio.eval_clips if num_samples is None else num_samples
    if num_samples < MIN_CLIPS:
        raise ConfigError(f"--num-samples {num_samples}: score at least {MIN_CLIPS} clips")
    target = out or model / "eval.json"
    (target,) = output_files([target], force=force, owned=("eval.json",))
    runtime = Runtime.create(device, "fp32")
    G, meta = load_audio_model(model, str(runtime.device))
    data = load_audio_data(config)
    scorer = scorer_for(data.train, config.audio.scorer_epochs, config.train.seed, runtime.device)
    scores = score_generator(G, meta["kwargs"], data, scorer, num_samples, config.train.seed, runtime.device)
    result = {"run": run.name, "model_folder": str(model.relative_to(run)), "task": "audio",
              "num_samples": num_samples, "scores": scores}
    atomic_write_json(target, result)
    return result, target
