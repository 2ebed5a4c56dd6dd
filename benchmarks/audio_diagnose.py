"""Benchmark: which notes a trained conditional audio generator gets wrong, and how (issue 20). For each run folder
(`duelo train --task audio --dataset notes --conditional`), one clip per held-out note's label (instrument and
pitch), read by the runs' judge (duelo.tasks.audio.scorer, cached), beside the held-out notes themselves:

    per instrument   accuracy, the instrument the judge names most often instead, loudness (dB FS), and the
                     envelope: the level of each eighth of the clip (dB FS, mean over clips; the summary's
                     envelope_error_db is the mean absolute difference, duelo.tasks.audio.scoring)
    confusion        asked instrument x named instrument counts
    D's head         where RUN/discriminator.safetensors exists (`--extract` writes it from the run's newest
                     checkpoint, on the machine that trained it; the checkpoint itself is too big to travel): the
                     accuracy of D's auxiliary classifier (the `audio.aux_weight` term) on the training clips, the
                     held-out clips and G's clips of the asked labels, per factor. A head that names the training
                     clips and not the held-out ones has memorised them; one that names G's clips better than the
                     judge does is satisfied by cues the judge does not hear. A run trained with
                     audio.d_floor_db (its RUN/config.json) has D read the pictures behind that quiet floor.
    pictures         spectral models: G's pictures as drawn beside the held-out notes' (before any decoding): the
                     loudest cell's level (mean; share of clips at the output's ceiling, tanh's 1), the share of
                     cells at that ceiling and the share under a quiet floor FLOOR dB below each clip's loudest
                     (the run's audio.d_floor_db, else --floor-db) -- where a floored D gives G no gradient.

    python benchmarks/audio_diagnose.py RUN [RUN ...] [--floor-db 50] --out benchmarks/results/audio-diagnose-DATE.json
    python benchmarks/audio_diagnose.py --extract RUN [RUN ...]

Needs the notes (`duelo datasets fetch notes`); trains the judge once if it is not cached (minutes on a CPU).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from duelo.io.provenance import write_result


D_FILE = "discriminator.safetensors"
CEILING = 0.99                  # a log-magnitude cell at least this high sits at G's tanh ceiling (1)


def run_floor_db(folder: Path) -> float:
    """The run's audio.d_floor_db from RUN/config.json (0 where it has none)."""
    import json

    path = folder / "config.json"
    return float(json.loads(path.read_text()).get("audio", {}).get("d_floor_db", 0.0)) if path.is_file() else 0.0


def quiet_floor(floor_db: float, model: str):
    """The D-input stage of audio.d_floor_db for `model`'s pictures (duelo.tasks.audio.quiet_floor)."""
    from duelo.tasks.audio.models import AUDIO_MODELS
    from duelo.tasks.audio.quiet_floor import QuietFloor

    spec = AUDIO_MODELS.get(model)
    return QuietFloor(floor_db, spec.gain_scales[0], spec.silence)


def extract_discriminator(folder: Path) -> Path:
    """FOLDER/discriminator.safetensors: D's weights from the run's newest checkpoint (its net.D.* tensors)."""
    from safetensors.torch import save_file

    from duelo.training.checkpoint import latest_checkpoint

    checkpoint = latest_checkpoint(folder / "checkpoints")
    if checkpoint is None:
        raise SystemExit(f"{folder}: no checkpoint to take D from")
    weights = {key[len("net.D."):]: tensor.contiguous() for key, tensor in checkpoint.tensors.items()
               if key.startswith("net.D.")}
    if not any(key.startswith("classifier.") for key in weights):
        raise SystemExit(f"{folder}: D has no classifier head (trained without audio.aux_weight)")
    save_file(weights, str(folder / D_FILE), metadata={"nimg": str(checkpoint.nimg)})
    return folder / D_FILE


def load_discriminator(folder: Path, meta: dict):
    """(D, its kimg) from FOLDER/discriminator.safetensors, in eval mode; None without the file."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    from duelo.tasks.audio.models import AUDIO_MODELS

    path = folder / D_FILE
    if not path.is_file():
        return None
    kwargs = meta["kwargs"]
    factors = tuple(kwargs["factors"])
    weights = load_file(str(path))
    head_rows = [w.shape[0] for key, w in weights.items() if key.startswith("classifier.head.") and w.ndim == 2]
    twin = bool(head_rows) and head_rows[0] == 2 * sum(factors)              # audio.aux_fakes (ADC-GAN)
    D = AUDIO_MODELS.get(kwargs["model"]).discriminator(tuple(kwargs["shape"]), kwargs["width"], factors,
                                                         classify=True, twin=twin)
    try:
        D.load_state_dict(weights)
    except RuntimeError as error:      # e.g. a D built with other settings (spectral norm) than the plain one here
        raise SystemExit(f"{path}: not a plain {kwargs['model']} discriminator of this run's shape ({error})")
    D.eval()
    with safe_open(str(path), "pt") as handle:
        return D, int(handle.metadata().get("nimg", 0)) / 1000


@torch.no_grad()
def head_accuracy(folder: Path, data, G, meta: dict) -> dict | None:
    """Per factor, the accuracy of D's classifier head on the training clips, the held-out clips and G's clips of
    the held-out labels (None without FOLDER/discriminator.safetensors)."""
    from duelo.tasks.audio.networks import split_labels
    from duelo.tasks.audio.parts import encode_clips

    loaded = load_discriminator(folder, meta)
    if loaded is None:
        return None
    D, kimg = loaded
    kwargs = meta["kwargs"]
    factors = tuple(kwargs["factors"])
    twin = D.classifier.twin
    floor_db = run_floor_db(folder)
    shown = quiet_floor(floor_db, kwargs["model"]) if floor_db > 0 else (lambda x: x)

    def named(pictures: torch.Tensor) -> list[torch.Tensor]:
        """Per factor, the logits (N, K) or, for a twin head, (N, 2K): real classes, then generated ones."""
        logits = torch.cat([D.classifier.head(D.features(shown(chunk))).float() for chunk in pictures.split(128)])
        return list(logits.split([k * (2 if twin else 1) for k in factors], dim=1))

    def scores(pictures: torch.Tensor, labels: torch.Tensor) -> dict:
        """Per factor, the accuracy among the real classes; for a twin head also the share named generated."""
        out = {}
        for name, part, truth, k in zip(data.heldout.factors, named(pictures), split_labels(labels, factors),
                                        factors):
            out[name] = round(float((part[:, :k].argmax(1) == truth).double().mean()), 4)
            if twin:
                out[f"{name}_named_generated"] = round(float((part.argmax(1) >= k).double().mean()), 4)
        return out

    labels = data.combined(data.heldout)
    z = G.sample_latents(len(labels), generator=torch.Generator().manual_seed(1))
    fakes = torch.cat([G(part_z, part_labels) for part_z, part_labels in zip(z.split(128), labels.split(128))])
    return {"kimg": kimg, "d_floor_db": floor_db,
            "train": scores(encode_clips(kwargs["model"], data.train, "cpu"), data.combined(data.train)),
            "heldout": scores(encode_clips(kwargs["model"], data.heldout, "cpu"), labels),
            "generated": scores(fakes.float(), labels)}


@torch.no_grad()
def picture_levels(G, meta: dict, data, floor_db: float) -> dict | None:
    """G's log-magnitude pictures as drawn (one per held-out label) beside the held-out notes' (module doc)."""
    from duelo.tasks.audio.model_io import generate_samples
    from duelo.tasks.audio.parts import encode_clips

    model = meta["kwargs"]["model"]
    if model == "wavegan":
        return None
    depth = quiet_floor(floor_db, model).depth

    def levels(pictures: torch.Tensor) -> dict:
        magnitude = pictures[:, 0].flatten(1).float()
        peak = magnitude.amax(1)
        return {"peak_mean": round(float(peak.mean()), 3),
                "clips_at_ceiling": round(float((peak >= CEILING).double().mean()), 4),
                "cells_at_ceiling": round(float((magnitude >= CEILING).double().mean()), 4),
                "cells_under_floor": round(float((magnitude < peak[:, None] - depth).double().mean()), 4)}

    labels = data.combined(data.heldout)
    drawn = torch.cat(list(generate_samples(G.float(), len(labels), labels, 0, "cpu")))
    return {"floor_db": floor_db, "generated": levels(drawn),
            "heldout": levels(encode_clips(model, data.heldout, "cpu"))}


def diagnose(folder: Path, data, scorer, floor_db: float = 50.0) -> dict:
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
            "instruments": rows, "confusion": confusion.tolist(), "d_head": head_accuracy(folder, data, G, meta),
            "pictures": picture_levels(G, meta, data, run_floor_db(folder) or floor_db)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--out", help="the result file (not with --extract)")
    parser.add_argument("--extract", action="store_true", help=f"write each RUN/{D_FILE} and stop")
    parser.add_argument("--scorer-epochs", type=int, default=30, help="as the runs' audio.scorer_epochs")
    parser.add_argument("--floor-db", type=float, default=50.0,
                        help="the quiet floor the pictures' reading counts cells under, for runs trained without one")
    args = parser.parse_args()
    if not 0 < args.floor_db <= 120:
        parser.error(f"--floor-db {args.floor_db}: give a number of dB in (0, 120]")
    if args.extract:
        for folder in args.runs:
            print(f"wrote {extract_discriminator(folder)}", flush=True)
        return
    if not args.out:
        parser.error("--out is required (or --extract)")

    from duelo.tasks.audio.data import read_clips, split, split_data
    from duelo.tasks.audio.scorer import RANGE_DB, scorer_for

    clips = read_clips("notes")
    data = split_data(clips, split(clips, 0.2, 0), "notes")
    scorer = scorer_for(data.train, args.scorer_epochs, 0, "cpu")
    results = []
    for folder in args.runs:
        results.append(diagnose(folder, data, scorer, args.floor_db))
        print(f"{folder.name}: instrument {results[-1]['instrument_accuracy']}, pitch {results[-1]['pitch_accuracy']}",
              flush=True)
    write_result(args.out, {"benchmark": "audio-diagnose", "judge_range_db": RANGE_DB,
                            "heldout_clips": len(data.heldout), "class_names": data.heldout.class_names[0],
                            "runs": results})


if __name__ == "__main__":
    main()
