"""`duelo sample` and `duelo eval` on a text run: lines at a temperature (and a class) to stdout or a .txt
file; the scores of scoring.py at any temperature, written to RUN/eval.json."""

from __future__ import annotations

from pathlib import Path

from duelo.errors import ConfigError

MAX_LINES = 100_000


def _label_index(label: str | None, meta: dict) -> int | None:
    names = meta.get("class_names")
    if label is None:
        return None
    if not names:
        raise ConfigError("this text model is unconditional; drop --label")
    if label in names:
        return names.index(label)
    if label.isdigit() and int(label) < len(names):
        return int(label)
    raise ConfigError(f"--label {label}: this model's classes are {', '.join(names)} (or 0..{len(names) - 1})")


def sample_text(run_or_model: Path, count: int | None, seed: int, label: str | None, temperature: float,
                out: Path | None, device: str, force: bool) -> str:
    """The lines (and where they went): one per line, `class<TAB>line` for a conditional model."""
    from duelo.io.atomic import atomic_write_bytes
    from duelo.io.outputs import output_files
    from duelo.tasks.text.model_io import draw_lines, load_text_model
    from duelo.training.runtime import Runtime

    count = 20 if count is None else count
    if not 1 <= count <= MAX_LINES:
        raise ConfigError(f"-n {count}: draw between 1 and {MAX_LINES:,} lines per call")
    if temperature <= 0:
        raise ConfigError(f"--temperature {temperature}: give a positive temperature (1 = the model's own "
                          f"distribution, lower = safer and more repetitive)")
    runtime = Runtime.create(device, "fp32")
    G, vocab, meta = load_text_model(run_or_model, str(runtime.device))
    lines = draw_lines(G, vocab, meta, count, seed, _label_index(label, meta), temperature, runtime.device)
    text = "\n".join(lines) + "\n"
    if out is None:
        return text.rstrip("\n")
    if out.suffix.lower() != ".txt":
        raise ConfigError(f"--out {out}: text samples go to a .txt file (or leave --out out to print them)")
    (path,) = output_files([out], force=force)
    atomic_write_bytes(path, text.encode())
    return f"wrote {count} line(s) to {path}"


def sentence_embedder(device) -> tuple[object | None, str | None]:
    """MiniLM sentence features, or (None, why not) where its weights are not installed (the FD is then left
    out of the scores, with that note; every other score stands)."""
    from duelo.evaluation.features import ExtractorUnavailableError
    from duelo.evaluation.minilm import SentenceFeatures

    try:
        return SentenceFeatures(device), None
    except ExtractorUnavailableError as error:
        return None, str(error)


def evaluate_text_run(run: Path, num_samples: int | None, temperature: float | None, device: str,
                      out: Path | None, force: bool) -> tuple[dict, Path]:
    from duelo.io.atomic import atomic_write_json
    from duelo.io.outputs import output_files
    from duelo.tasks import run_config
    from duelo.tasks.text.data import load_text_data
    from duelo.io.model_folders import split_run_and_model
    from duelo.tasks.text.model_io import BEST, FORMAT, generate_ids, labels_like, load_text_model
    from duelo.tasks.text.scoring import score_lines
    from duelo.training.runtime import Runtime

    run, model = split_run_and_model(run, FORMAT, BEST)     # RUN/best: the run's lines, the best model
    config = run_config(run, "lines")
    num_samples = config.text.eval_samples if num_samples is None else num_samples
    temperature = config.text.temperature if temperature is None else temperature
    if num_samples < 16:
        raise ConfigError(f"--num-samples {num_samples}: score at least 16 lines")
    target = out or model / "eval.json"
    (target,) = output_files([target], force=force, owned=("eval.json",))
    runtime = Runtime.create(device, "fp32")
    G, vocab, _ = load_text_model(model, str(runtime.device))
    data = load_text_data(config)
    labels = labels_like(G, num_samples, data.train.labels, 1_000_000, runtime.device)
    ids = generate_ids(G, num_samples, labels, temperature, 1_000_000, runtime.device)
    embed, note = sentence_embedder(runtime.device)
    scores = score_lines(data, [vocab.decode(row) for row in ids], None if labels is None else labels.cpu(), G,
                         runtime.device, embed)
    if note:
        scores["embedding_fd_note"] = note
    result = {"run": run.name, "model_folder": str(model.relative_to(run)), "task": "text",
              "num_samples": num_samples, "temperature": temperature, "scores": scores}
    atomic_write_json(target, result)
    return result, target
