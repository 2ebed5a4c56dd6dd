"""Benchmark: which notes a trained conditional audio generator gets wrong, and how (issue 20). For each run folder
(`duelo train --task audio --dataset notes --conditional`), one clip per held-out note's label (instrument and
pitch), read by the runs' judge (duelo.tasks.audio.scorer, cached), beside the held-out notes themselves:

    per instrument   accuracy, the instrument the judge names most often instead, loudness (dB FS), and the
                     envelope: the level of each eighth of the clip (dB FS, mean over clips; the summary's
                     envelope_error_db is the mean absolute difference, duelo.tasks.audio.scoring)
    confusion        asked instrument x named instrument counts

    python benchmarks/audio_diagnose.py RUN [RUN ...] --out benchmarks/results/audio-diagnose-DATE.json

Needs the notes (`duelo datasets fetch notes`); trains the judge once if it is not cached (minutes on a CPU).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from duelo.io.provenance import write_result


def diagnose(folder: Path, data, scorer) -> dict:
    """data: duelo.tasks.audio.data.AudioData of the notes (its held-out clips are drawn and read)."""
    from duelo.tasks.audio.model_io import generate_waves, load_audio_model
    from duelo.tasks.audio.networks import split_labels
    from duelo.tasks.audio.scorer import predict
    from duelo.tasks.audio.scoring import envelope_db, envelope_error_db, loudness_db

    def envelope(waves: torch.Tensor) -> list[float]:
        return [round(float(v), 1) for v in envelope_db(waves)]

    G, meta = load_audio_model(folder)
    heldout, factors = data.heldout, data.factors
    if tuple(G.factors) != factors:
        raise SystemExit(f"{folder}: a generator of factors {G.factors}, not the notes' {factors}")
    labels = data.combined(heldout)
    waves = generate_waves(G.float(), meta["kwargs"], meta["length"], len(labels), labels, 0, "cpu")
    real = torch.from_numpy(heldout.floats())
    _, probabilities = predict(scorer, waves, "cpu")
    asked, pitch = split_labels(labels, factors)
    named = probabilities[0].argmax(1)
    confusion = torch.zeros(factors[0], factors[0], dtype=torch.long)
    confusion.index_put_((asked, named), torch.ones_like(asked), accumulate=True)
    rows = []
    for i, name in enumerate(heldout.class_names[0]):
        mine, wrong = asked == i, confusion[i].clone()
        wrong[i] = -1
        rows.append({"instrument": name, "clips": int(mine.sum()),
                     "accuracy": round(float((named[mine] == i).double().mean()), 3),
                     "named_instead": heldout.class_names[0][int(wrong.argmax())] if wrong.max() > 0 else None,
                     "loudness_db": round(loudness_db(waves[mine]), 1),
                     "loudness_db_real": round(loudness_db(real[mine]), 1),
                     "envelope_db": envelope(waves[mine]), "envelope_db_real": envelope(real[mine])})
    return {"run": folder.name, "model": meta["kwargs"]["model"],
            "instrument_accuracy": round(float((named == asked).double().mean()), 4),
            "pitch_accuracy": round(float((probabilities[1].argmax(1) == pitch).double().mean()), 4),
            "envelope_error_db": round(envelope_error_db(waves, asked, real, asked), 2),
            "instruments": rows, "confusion": confusion.tolist()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--out", required=True)
    parser.add_argument("--scorer-epochs", type=int, default=30, help="as the runs' audio.scorer_epochs")
    args = parser.parse_args()

    from duelo.tasks.audio.data import read_clips, split, split_data
    from duelo.tasks.audio.scorer import RANGE_DB, scorer_for

    clips = read_clips("notes")
    data = split_data(clips, split(clips, 0.2, 0), "notes")
    scorer = scorer_for(data.train, args.scorer_epochs, 0, "cpu")
    results = []
    for folder in args.runs:
        results.append(diagnose(folder, data, scorer))
        print(f"{folder.name}: instrument {results[-1]['instrument_accuracy']}, pitch {results[-1]['pitch_accuracy']}",
              flush=True)
    write_result(args.out, {"benchmark": "audio-diagnose", "judge_range_db": RANGE_DB,
                            "heldout_clips": len(data.heldout), "class_names": data.heldout.class_names[0],
                            "runs": results})


if __name__ == "__main__":
    main()
