"""Benchmark: does a trained conditional audio run's D, and does the judge, care whether a note dies away (issue 20)?
The latest diagnosis found G's piano, bass, trumpet and saxophone holding their level where the real notes decay or
stop, and the judge naming them flutes. For each run folder (its model/ and discriminator.safetensors, as
benchmarks/audio_diagnose.py --extract writes them), the held-out real notes are read three ways:

    real        as they are
    held        the same notes with their decay taken out: from the loudest moment to the release (HOLD_S, the
                set's note length) every 256-sample frame is brought up to the loudest frame's level (at most
                MAX_GAIN_DB), the release keeps its shape from there, and the clip is scaled back to its own peak
    real, G's envelope        the real notes given G's: per instrument, the difference between G's clips' and the
                              real clips' mean level in each 256-sample frame (dB) applied to every real note
    generated   G's clips of the same labels (latent seed 0)
    generated, real envelope  the other way round: G's clips given the real notes' mean envelope
    real, G's attack          each real note's first ATTACK_S replaced by G's clip of the same instrument and pitch
                              (crossfaded over 10 ms)
    generated, real attack    each of G's clips with the real note's first ATTACK_S
    real, G's spectral balance          per instrument, the difference of G's and the real clips' mean log
                                        magnitude per frequency bin (1024-point STFT) applied to every real note
    generated, real spectral balance    the other way round
    real partials, G's between          each real note's harmonic lobes (partial_index, 1024-point STFT) with
                                        everything else, magnitude and phase, from G's clip of the same labels
    G's partials, real between          the other way round: G's lobes, the real note's rest
    real, G's partial envelopes         each real note's partials brought, frame by frame, to the levels of
                                        the same partials in G's clip of the same labels (partial_envelopes)
    generated, real partial envelopes   the other way round: each of G's partials rises and decays as the
                                        real note's does, at its own frequencies
    generated, real partial levels      each of G's partials given one gain, to the real note's partial's energy
                                        over the clip: the real balance of partials, G's shapes in time
    generated, real partial envelopes in the first 0.15 s (from 0.15 s to the release, after the release)
                                        the real partial envelopes in one span of the note only (WINDOWS)
    generated, smoothed along time      G's pictures as drawn with the log magnitude smoothed along time by
                                        (1, 2, 1) / 4, which takes out a frame-to-frame checkerboard, decoded;
                                        beside it, how the loud cells of both sets' pictures step from frame to
                                        frame

and for each: the judge's instrument accuracy (and what it names instead), D's realness logit (its main output,
with the asked labels) and D's auxiliary head's instrument accuracy, per instrument and in all. If the judge names
the held notes wrongly while D scores them as real as the real ones, D has no reason to teach G the decay; if the
judge names G's clips right once they have the real envelope, the envelope is what it misses in them. Beside them,
per instrument, the median levels of the real and of G's notes' first PARTIALS partials and of what lies between
them (dB against the strongest partial, 0.1-0.7 s into the note), and how fast each partial falls while the note is
held (dB per second, from 0.1-0.3 s to 0.5-0.7 s) and its course (dB under its own loudest frame at COURSE_S).

    python benchmarks/audio_envelope_probe.py RUN --out benchmarks/results/audio-envelope-probe-DATE.json
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from audio_partials import (MAX_GAIN_DB, exchanged, flicker, istft, partial_envelopes,
                            partial_profile, smoothed, stft)
from duelo.io.provenance import write_result

FRAME = 256
ATTACK_S = 0.05                          # the onset the attack variants swap
FADE = 160                               # 10 ms at 16 kHz
WINDOWS = {"in the first 0.15 s": (0.0, 0.15), "from 0.15 s to the release": (0.15, 0.75),
           "after the release": (0.75, 2.0)}        # spans the windowed partial-envelope variants move


def held(waves: torch.Tensor, hold: int) -> torch.Tensor:
    """(N, L) clips with their level held from the loudest frame until sample `hold` (module docstring)."""
    n, length = waves.shape
    frames = length // FRAME
    level = waves[:, :frames * FRAME].reshape(n, frames, FRAME).pow(2).mean(2).sqrt().clamp_min(1e-6)   # (N, F)
    last = max(1, hold // FRAME)
    gain = torch.ones(n, frames)
    for i in range(n):
        top = int(level[i, :last].argmax())
        wanted = level[i, top] / level[i, top:last]
        gain[i, top:last] = wanted.clamp(max=10 ** (MAX_GAIN_DB / 20))
        gain[i, last:] = gain[i, last - 1]
    centres = (np.arange(frames) + 0.5) * FRAME
    smooth = torch.from_numpy(np.stack([np.interp(np.arange(length), centres, row) for row in gain.numpy()]))
    out = waves * smooth.to(waves.dtype)
    peak = waves.abs().amax(1, keepdim=True) / out.abs().amax(1, keepdim=True).clamp_min(1e-9)
    return out * peak


def frame_db(waves: torch.Tensor) -> torch.Tensor:
    """(N, L) -> (N, L // FRAME) each frame's RMS level in dB FS (floored at -120)."""
    n, length = waves.shape
    frames = waves[:, :length // FRAME * FRAME].reshape(n, -1, FRAME)
    return 10 * torch.log10(frames.double().pow(2).mean(2).clamp_min(1e-12))


def apply_db(waves: torch.Tensor, gain_db: torch.Tensor) -> torch.Tensor:
    """(N, L) clips times a per-frame gain (N, F) in dB, interpolated between frame centres sample by sample."""
    n, length = waves.shape
    centres = (np.arange(gain_db.shape[1]) + 0.5) * FRAME
    gain = np.stack([np.interp(np.arange(length), centres, row) for row in gain_db.clamp(-MAX_GAIN_DB, MAX_GAIN_DB)
                     .numpy()])
    return waves * torch.from_numpy(10 ** (gain / 20)).to(waves.dtype)


def swapped(source: torch.Tensor, target: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """`source` clips given `target`'s envelope: per class, the difference of the two sets' mean frame levels (dB)
    applied to every source clip of that class (its own fine structure, the other set's shape and level)."""
    mine, theirs = frame_db(source), frame_db(target)
    gain = torch.zeros_like(mine)
    for k in classes.unique():
        rows = classes == k
        gain[rows] = theirs[rows].mean(0) - mine[rows].mean(0)
    return apply_db(source, gain)


def spliced(body: torch.Tensor, head: torch.Tensor, samples: int) -> torch.Tensor:
    """Each `body` clip with its first `samples` taken from the `head` clip of the same row (the same instrument and
    pitch), crossfaded over FADE samples after them."""
    weight = torch.zeros(body.shape[1], dtype=body.dtype)
    weight[:samples] = 1.0
    weight[samples:samples + FADE] = torch.linspace(1.0, 0.0, FADE, dtype=body.dtype)
    return head * weight + body * (1 - weight)


def balanced(source: torch.Tensor, target: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """`source` clips given `target`'s spectral balance: per class, the difference of the two sets' mean log
    magnitude in each frequency bin (N_FFT-point STFT, over every frame and clip of the class; averaged over the
    class's pitches, so the harmonics average out) applied to every source clip as a fixed filter."""
    mine, theirs = stft(source), stft(target)
    log_mine, log_theirs = (20 * torch.log10(x.abs().clamp_min(1e-7)) for x in (mine, theirs))
    gain = torch.zeros(len(source), mine.shape[1], 1, dtype=torch.float64)
    for k in classes.unique():
        rows = classes == k
        gain[rows] = (log_theirs[rows].mean((0, 2)) - log_mine[rows].mean((0, 2))).clamp(-MAX_GAIN_DB, MAX_GAIN_DB)[
            :, None]
    return istft(mine * 10 ** (gain / 20), source)


@torch.no_grad()
def probe(folder: Path, data, scorer) -> dict:
    from audio_diagnose import load_discriminator

    from duelo.tasks.audio.levels import to_peak
    from duelo.tasks.audio.model_io import generate_samples, generate_waves, load_audio_model
    from duelo.tasks.audio.models import AUDIO_MODELS
    from duelo.tasks.audio.networks import split_labels
    from duelo.tasks.audio.notes import HOLD_S, NOTE_PITCHES
    from duelo.tasks.audio.scorer import predict
    from duelo.tasks.audio.scoring import envelope_db

    G, meta = load_audio_model(folder)
    loaded = load_discriminator(folder, meta)
    if loaded is None:
        raise SystemExit(f"{folder}: no discriminator.safetensors (benchmarks/audio_diagnose.py --extract RUN)")
    D, kimg = loaded
    model, factors = meta["kwargs"]["model"], tuple(meta["kwargs"]["factors"])
    labels = data.combined(data.heldout)
    asked = split_labels(labels, factors)[0]
    real = torch.from_numpy(data.heldout.floats())
    generated = generate_waves(G.float(), meta["kwargs"], meta["length"], len(labels), labels, 0, "cpu").float()
    variants = {"real": real, "held": held(real, int(HOLD_S * data.heldout.rate)),
                "real, G's envelope": swapped(real, generated, asked), "generated": generated,
                "generated, real envelope": swapped(generated, real, asked)}
    attack = int(ATTACK_S * data.heldout.rate)
    variants["real, G's attack"] = spliced(real, generated, attack)
    variants["generated, real attack"] = spliced(generated, real, attack)
    variants["real, G's spectral balance"] = balanced(real, generated, asked)
    variants["generated, real spectral balance"] = balanced(generated, real, asked)
    names = data.heldout.class_names[0]
    out = {"run": folder.name, "model": model, "kimg": kimg, "variants": {}, "partials": {}}
    midis = [NOTE_PITCHES[int(p)] for p in split_labels(labels, factors)[1]]
    rate = data.heldout.rate
    variants["real partials, G's between"] = exchanged(real, generated, midis, rate)
    variants["G's partials, real between"] = exchanged(generated, real, midis, rate)
    variants["real, G's partial envelopes"] = partial_envelopes(real, generated, midis, rate)
    variants["generated, real partial envelopes"] = partial_envelopes(generated, real, midis, rate)
    variants["generated, real partial levels"] = partial_envelopes(generated, real, midis, rate, over_time=False)
    for label, seconds in WINDOWS.items():
        variants[f"generated, real partial envelopes {label}"] = partial_envelopes(generated, real, midis, rate,
                                                                                   seconds=seconds)
    drawn = torch.cat([p.float() for p in generate_samples(G.float(), len(labels), labels, 0, "cpu")])
    if drawn.dim() == 4:                                  # spectral pictures (the same latents as `generated`)
        form = AUDIO_MODELS.get(model)
        out["flicker"] = {"real": flicker(form.encode(real)), "generated": flicker(drawn)}
        variants["generated, smoothed along time"] = to_peak(form.decode(
            smoothed(drawn), real.shape[1], refine=meta["kwargs"].get("refine", 0)), meta["kwargs"].get("peak"))
    for i, name in enumerate(names):
        mine = (asked == i).numpy()
        chosen = [m for m, keep in zip(midis, mine) if keep]
        out["partials"][name] = {"real": partial_profile(real[mine], chosen, data.heldout.rate),
                                 "generated": partial_profile(generated[mine], chosen, data.heldout.rate)}
    for variant, waves in variants.items():
        _, probabilities = predict(scorer, waves, "cpu")
        judged = probabilities[0].argmax(1)
        pictures = torch.cat([AUDIO_MODELS.get(model).encode(chunk) for chunk in waves.float().split(128)])
        realness, head = [], []
        for chunk, chunk_labels in zip(pictures.split(128), labels.split(128)):
            h = D.features(chunk)
            realness.append(D._logits(h, chunk_labels).float())
            head.append(D.classifier.head(h)[:, :factors[0]].argmax(1))
        realness, head = torch.cat(realness), torch.cat(head)
        rows = []
        for i, name in enumerate(names):
            mine = asked == i
            wrong = torch.bincount(judged[mine], minlength=len(names))
            wrong[i] = -1
            rows.append({"instrument": name, "judge_accuracy": round(float((judged[mine] == i).double().mean()), 3),
                         "judge_names_instead": names[int(wrong.argmax())] if wrong.max() > 0 else None,
                         "d_realness": round(float(realness[mine].mean()), 3),
                         "d_head_accuracy": round(float((head[mine] == i).double().mean()), 3),
                         "envelope_db": [round(float(v), 1) for v in envelope_db(waves[mine])]})
        out["variants"][variant] = {"judge_accuracy": round(float((judged == asked).double().mean()), 4),
                                    "d_realness": round(float(realness.mean()), 3),
                                    "d_realness_spread": round(float(realness.std()), 3),
                                    "d_head_accuracy": round(float((head == asked).double().mean()), 4),
                                    "instruments": rows}
        print(f"{folder.name} {variant}: judge {out['variants'][variant]['judge_accuracy']}, D realness "
              f"{out['variants'][variant]['d_realness']}, D head {out['variants'][variant]['d_head_accuracy']}",
              flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--out", required=True)
    parser.add_argument("--scorer-epochs", type=int, default=30, help="as the runs' audio.scorer_epochs")
    args = parser.parse_args()

    from duelo.tasks.audio.data import read_clips, split, split_data
    from duelo.tasks.audio.scorer import scorer_for

    clips = read_clips("notes")
    data = split_data(clips, split(clips, 0.2, 0), "notes")
    scorer = scorer_for(data.train, args.scorer_epochs, 0, "cpu")
    write_result(args.out, {"benchmark": "audio-envelope-probe", "frame": FRAME, "max_gain_db": MAX_GAIN_DB,
                            "heldout_clips": len(data.heldout), "runs": [probe(f, data, scorer) for f in args.runs]})


if __name__ == "__main__":
    main()
