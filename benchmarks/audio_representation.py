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
    if-random    the IF replaced by uniform noise (size 1): a phase drawn with no care for it
    mag-floor    a broadband noise floor: every log-magnitude pixel below the level (in the picture's [-1, 1]
                 units) raised to it, with noise of 0.05 (a guess at the generated notes' hiss; their measured
                 floor_level later matched the real notes')
    mag-smear    the log magnitude blurred along time (a Gaussian of sigma milliseconds, so alike in every
                 format): softened onsets and releases
    hiss         white noise added to the decoded wave at size dB full scale (RMS): what the judge makes of
                 sound no listener hears (-90, -80) or barely hears (-70) under notes at about -24 dB
    gain         the decoded wave scaled by size dB: a clip as quiet as the generated drums (-6.6 dB) or
                 louder, to tell what the level alone costs in the judge's features

Each row has the classifier's accuracy per label factor, the Fréchet distance of its features to the training
clips' (the real held-out clips' own is the floor) and the loudness. `--refine N` adds rows decoded with N
Griffin-Lim rounds from the drawn phase (duelo.tasks.audio.spectral.SpecFormat.decode's refine). `--range-db`
picks the judge's hearing range (duelo.tasks.audio.scorer.RANGE_DB; 107.8 reads like version 1).

An IF error of e moves a bin's frequency by e * rate / (2 * hop) Hz, so a longer hop tolerates more; a longer
window parts the harmonics of neighbouring semitones (7.8 Hz apart at C3; SpecGAN's bins are 31 Hz wide).

    python benchmarks/audio_representation.py --out benchmarks/results/audio-representation-DATE.json
    python benchmarks/audio_representation.py --dataset drums --refine 8 --out ...
    python benchmarks/audio_representation.py --formats 2048/512 --errors none,hiss,mag-floor --range-db 107.8 ...

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
          ("mag-blur", 2.0), ("if-random", 1.0), ("mag-floor", -0.7), ("mag-floor", -0.5), ("mag-floor", -0.3),
          ("mag-smear", 16.0), ("mag-smear", 48.0), ("hiss", -90.0), ("hiss", -80.0), ("hiss", -70.0),
          ("hiss", -60.0), ("gain", -3.0), ("gain", -6.6), ("gain", -10.0), ("gain", 3.0))


def _blur(magnitude: torch.Tensor, sigma: float, dim: int) -> torch.Tensor:
    """(N, 1, F, T) blurred by a Gaussian of sigma pixels along dim (2: frequency, 3: time), edges replicated."""
    radius = max(1, int(3 * sigma))
    taps = torch.exp(-0.5 * (torch.arange(-radius, radius + 1) / sigma) ** 2)
    taps = taps / taps.sum()
    if dim == 2:
        padded = torch.nn.functional.pad(magnitude, (0, 0, radius, radius), mode="replicate")
        return torch.nn.functional.conv2d(padded, taps.view(1, 1, -1, 1))
    padded = torch.nn.functional.pad(magnitude, (radius, radius, 0, 0), mode="replicate")
    return torch.nn.functional.conv2d(padded, taps.view(1, 1, 1, -1))


def perturb(pictures: torch.Tensor, kind: str, size: float, generator: torch.Generator,
            frame_ms: float = 8.0) -> torch.Tensor:
    """pictures with one error of `kind` and `size` (module docstring); frame_ms: the hop in milliseconds."""
    out = pictures.clone()
    if kind == "if-noise":
        out[:, 1] += size * torch.randn(out[:, 1].shape, generator=generator)
    elif kind == "if-offset":
        out[:, 1] += size * torch.randn(out[:, 1, :, :1].shape, generator=generator)
    elif kind == "mag-noise":
        out[:, 0] += size * torch.randn(out[:, 0].shape, generator=generator)
    elif kind == "mag-blur":
        out[:, :1] = _blur(out[:, :1], size, dim=2)
    elif kind == "mag-floor":
        floor = size + 0.05 * torch.randn(out[:, 0].shape, generator=generator)
        out[:, 0] = torch.maximum(out[:, 0], floor)
    elif kind == "mag-smear":
        out[:, :1] = _blur(out[:, :1], size / frame_ms, dim=3)
    elif kind == "if-random":
        out[:, 1] = 2 * torch.rand(out[:, 1].shape, generator=generator) - 1
    elif kind not in ("none", "hiss", "gain"):          # hiss, gain: on the decoded wave (wave_error)
        raise ValueError(kind)
    if kind.startswith("if"):            # wrapped back into (-1, 1], as a phase advance is
        out[:, 1] = torch.remainder(out[:, 1] + 1, 2) - 1
    return out.clamp(-1, 1)


def wave_error(waves: torch.Tensor, kind: str, size: float, generator: torch.Generator) -> torch.Tensor:
    """waves with the errors made on the decoded wave: hiss (white noise of RMS `size` dB full scale) and gain
    (scaled by `size` dB); other kinds unchanged."""
    if kind == "gain":
        return waves * 10 ** (size / 20)
    if kind != "hiss":
        return waves
    return waves + 10 ** (size / 20) * torch.randn(waves.shape, generator=generator)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--dataset", default="notes")
    parser.add_argument("--formats", default=",".join(f"{n}/{h}" for n, h in FORMATS),
                        help="N_FFT/HOP[/mel],...: /mel spaces the picture's rows on the mel scale")
    parser.add_argument("--refine", type=int, default=0, help="also decode with this many Griffin-Lim rounds")
    parser.add_argument("--scorer-epochs", type=int, default=30, help="as the runs' audio.scorer_epochs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--errors", help="only these error kinds, e.g. none,mag-floor (default: all)")
    parser.add_argument("--range-db", type=float, help="the judge's hearing range (default: the scorer's RANGE_DB)")
    args = parser.parse_args()

    from duelo.evaluation.frechet import FeatureStats, frechet_distance
    from duelo.tasks.audio.data import read_clips, split
    from duelo.tasks.audio.scorer import RANGE_DB, predict, scorer_for
    from duelo.tasks.audio.scoring import loudness_db
    from duelo.tasks.audio.spectral import SpecFormat

    clips = read_clips(args.dataset)
    held = split(clips, 0.2, args.seed)
    train, heldout = clips.subset((~held).nonzero()[0]), clips.subset(held.nonzero()[0])
    range_db = RANGE_DB if args.range_db is None else args.range_db
    scorer = scorer_for(train, args.scorer_epochs, args.seed, "cpu", range_db=range_db)
    waves = torch.from_numpy(heldout.floats())
    truth = torch.from_numpy(heldout.labels)
    train_stats = FeatureStats.from_features(predict(scorer, torch.from_numpy(train.floats()), "cpu")[0])
    floor = frechet_distance(FeatureStats.from_features(predict(scorer, waves, "cpu")[0]), train_stats)
    forms = [SpecFormat(int(text.split("/")[0]), int(text.split("/")[1]), mel=text.endswith("/mel"))
             for text in args.formats.split(",")]
    rows = []
    for form in forms:
        n_fft, hop = form.n_fft, form.hop
        pictures = form.encode(waves)
        for kind, size in [(k, v) for k, v in ERRORS if not args.errors or k in args.errors.split(",")]:
            for refine in sorted({0, args.refine}):
                started = time.perf_counter()
                generator = torch.Generator().manual_seed(args.seed)
                drawn = perturb(pictures, kind, size, generator, frame_ms=1000 * hop / heldout.rate)
                back = wave_error(form.decode(drawn, waves.shape[1], refine=refine), kind, size, generator)
                features, probabilities = predict(scorer, back, "cpu")
                row = {"n_fft": n_fft, "hop": hop, "mel": form.mel, "picture": list(form.shape(waves.shape[1])[1:]),
                       "error": kind, "size": size, "refine": refine,
                       "fd_to_train": round(frechet_distance(FeatureStats.from_features(features), train_stats), 3),
                       "loudness_db": round(loudness_db(back), 2),
                       "relative_error": round(float(((back - waves) ** 2).sum() / (waves ** 2).sum()), 4)}
                for f, factor in enumerate(heldout.factors):
                    asked = probabilities[f].argmax(1)
                    row[f"{factor}_accuracy"] = round(float((asked == truth[:, f]).double().mean()), 4)
                    if factor == "pitch":
                        row["pitch_within_semitone"] = round(float(((asked - truth[:, f]).abs() <= 1)
                                                                   .double().mean()), 4)
                row["seconds"] = round(time.perf_counter() - started, 2)
                rows.append(row)
                name = f"{n_fft:5d}/{hop:3d}" + ("/mel" if form.mel else "    ")
                print(f"{name} {kind:9s} {size:5.2f} refine {refine}: " + ", ".join(
                    f"{k} {v}" for k, v in row.items() if k.endswith("_accuracy") or k in ("fd_to_train",
                                                                                             "loudness_db")),
                      flush=True)
    write_result(args.out, {"benchmark": "audio-representation", "dataset": args.dataset,
                            "heldout_clips": len(heldout), "scorer_epochs": args.scorer_epochs,
                            "judge_range_db": round(range_db, 1),
                            "fd_floor": round(floor, 3), "loudness_db_real": round(loudness_db(waves), 2),
                            "rows": rows})


if __name__ == "__main__":
    main()
