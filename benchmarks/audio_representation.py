"""Benchmark: how much pitch a spectral picture keeps when a generator draws it imperfectly (issue 20).

SpecGAN-class models draw a log magnitude and an instantaneous frequency (IF) picture (duelo.tasks.audio.spectral).
The conditional notes' pitch accuracy stalls below the goal; this asks whether the picture itself is to blame.
Real held-out notes are encoded in each transform (n_fft, hop), given errors of the kinds a generator makes, decoded,
and read by the same scoring classifier the runs use (trained on the real training notes, cached):

    none         encode and decode only
    if-noise     independent Gaussian noise on every IF pixel (sigma in the picture's [-1, 1] units)
    if-offset    one Gaussian offset per clip and frequency bin, held over time: a steady pitch error
    mag-noise    independent Gaussian noise on every log-magnitude pixel
    mag-blur     the log magnitude blurred along frequency (a Gaussian of sigma bins): smeared harmonics

An IF error of e moves a bin's frequency by e * rate / (2 * hop) Hz, so a longer hop tolerates more; a longer
window parts the harmonics of neighbouring semitones (7.8 Hz apart at C3; SpecGAN's bins are 31 Hz wide).

    python benchmarks/audio_representation.py --out benchmarks/results/audio-representation-DATE.json

Needs the notes (`duelo datasets fetch notes`); trains the scoring classifier once (a few minutes on a CPU).
"""

from __future__ import annotations

import argparse
import time

import torch

from duelo.io.provenance import write_result

FORMATS = ((512, 128), (1024, 256), (2048, 512))
ERRORS = (("none", 0.0), ("if-noise", 0.05), ("if-noise", 0.1), ("if-noise", 0.2), ("if-offset", 0.02),
          ("if-offset", 0.05), ("if-offset", 0.1), ("mag-noise", 0.05), ("mag-noise", 0.1), ("mag-blur", 1.0),
          ("mag-blur", 2.0))


def perturb(pictures: torch.Tensor, kind: str, size: float, generator: torch.Generator) -> torch.Tensor:
    out = pictures.clone()
    if kind == "if-noise":
        out[:, 1] += size * torch.randn(out[:, 1].shape, generator=generator)
    elif kind == "if-offset":
        out[:, 1] += size * torch.randn(out[:, 1, :, :1].shape, generator=generator)
    elif kind == "mag-noise":
        out[:, 0] += size * torch.randn(out[:, 0].shape, generator=generator)
    elif kind == "mag-blur":
        radius = int(3 * size)
        taps = torch.exp(-0.5 * (torch.arange(-radius, radius + 1) / size) ** 2)
        taps = (taps / taps.sum()).view(1, 1, -1, 1)
        magnitude = out[:, :1]
        padded = torch.nn.functional.pad(magnitude, (0, 0, radius, radius), mode="replicate")
        out[:, :1] = torch.nn.functional.conv2d(padded, taps)
    elif kind != "none":
        raise ValueError(kind)
    if kind.startswith("if"):            # wrapped back into (-1, 1], as a phase advance is
        out[:, 1] = torch.remainder(out[:, 1] + 1, 2) - 1
    return out.clamp(-1, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--dataset", default="notes")
    parser.add_argument("--scorer-epochs", type=int, default=30, help="as the runs' audio.scorer_epochs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from duelo.tasks.audio.data import read_clips, split
    from duelo.tasks.audio.scorer import predict, scorer_for
    from duelo.tasks.audio.spectral import SpecFormat

    clips = read_clips(args.dataset)
    held = split(clips, 0.2, args.seed)
    train, heldout = clips.subset((~held).nonzero()[0]), clips.subset(held.nonzero()[0])
    scorer = scorer_for(train, args.scorer_epochs, args.seed, "cpu")
    waves = torch.from_numpy(heldout.floats())
    truth = torch.from_numpy(heldout.labels)
    pitch = list(heldout.factors).index("pitch")
    instrument = list(heldout.factors).index("instrument")
    rows = []
    for n_fft, hop in FORMATS:
        form = SpecFormat(n_fft, hop)
        pictures = form.encode(waves)
        for kind, size in ERRORS:
            started = time.perf_counter()
            generator = torch.Generator().manual_seed(args.seed)
            back = form.decode(perturb(pictures, kind, size, generator), waves.shape[1])
            _, probabilities = predict(scorer, back, "cpu")
            asked = probabilities[pitch].argmax(1)
            miss = (asked - truth[:, pitch]).abs()
            row = {"n_fft": n_fft, "hop": hop, "picture": list(form.shape(waves.shape[1])[1:]), "error": kind,
                   "size": size, "pitch_accuracy": round(float((miss == 0).double().mean()), 4),
                   "pitch_within_semitone": round(float((miss <= 1).double().mean()), 4),
                   "instrument_accuracy": round(float((probabilities[instrument].argmax(1)
                                                        == truth[:, instrument]).double().mean()), 4),
                   "relative_error": round(float(((back - waves) ** 2).sum() / (waves ** 2).sum()), 4),
                   "seconds": round(time.perf_counter() - started, 2)}
            rows.append(row)
            print(f"{n_fft:5d}/{hop:3d} {kind:9s} {size:5.2f}: pitch {row['pitch_accuracy']:.3f} (+-1 "
                  f"{row['pitch_within_semitone']:.3f}), instrument {row['instrument_accuracy']:.3f}", flush=True)
    write_result(args.out, {"benchmark": "audio-representation", "dataset": args.dataset,
                            "heldout_clips": len(heldout), "scorer_epochs": args.scorer_epochs, "rows": rows})


if __name__ == "__main__":
    main()
