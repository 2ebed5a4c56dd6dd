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
import math
from pathlib import Path

import numpy as np
import torch

from duelo.io.provenance import write_result

FRAME = 256
MAX_GAIN_DB = 40.0
ATTACK_S = 0.05                          # the onset the attack variants swap
FADE = 160                               # 10 ms at 16 kHz
N_FFT = 1024
PARTIALS = 8
LOBE_BINS, LOBE_SHARE = 2.0, 0.015       # a partial's lobe: a Hann window's main lobe, widened for inharmonicity
LOBE_CAP = 0.25                          # ... by at most this share of f0, so the middle of each gap stays between
COURSE_S = (0.03, 0.1, 0.2, 0.4, 0.7, 0.9)   # when partial_courses reads each partial's level
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


def _stft(waves: torch.Tensor) -> torch.Tensor:
    """(N, L) -> (N, N_FFT / 2 + 1, frames) complex, hop N_FFT / 4, Hann window, in float64."""
    return torch.stft(waves.double(), N_FFT, N_FFT // 4, window=torch.hann_window(N_FFT, dtype=torch.float64),
                      return_complex=True)


def _istft(spec: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """The inverse of _stft, as long and of the dtype of `like`."""
    return torch.istft(spec, N_FFT, N_FFT // 4, window=torch.hann_window(N_FFT, dtype=torch.float64),
                       length=like.shape[1]).to(like.dtype)


def balanced(source: torch.Tensor, target: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """`source` clips given `target`'s spectral balance: per class, the difference of the two sets' mean log
    magnitude in each frequency bin (N_FFT-point STFT, over every frame and clip of the class; averaged over the
    class's pitches, so the harmonics average out) applied to every source clip as a fixed filter."""
    mine, theirs = _stft(source), _stft(target)
    log_mine, log_theirs = (20 * torch.log10(x.abs().clamp_min(1e-7)) for x in (mine, theirs))
    gain = torch.zeros(len(source), mine.shape[1], 1, dtype=torch.float64)
    for k in classes.unique():
        rows = classes == k
        gain[rows] = (log_theirs[rows].mean((0, 2)) - log_mine[rows].mean((0, 2))).clamp(-MAX_GAIN_DB, MAX_GAIN_DB)[
            :, None]
    return _istft(mine * 10 ** (gain / 20), source)


def hz(midi: int) -> float:
    """A MIDI pitch's fundamental frequency (A4 = 69 = 440 Hz, equal temperament)."""
    return 440.0 * 2 ** ((midi - 69) / 12)


def partial_index(midis: list[int], bins: int, rate: int) -> torch.Tensor:
    """(N, bins) the partial k (1, 2, ...) whose harmonic lobe each bin lies in (LOBE_BINS, LOBE_SHARE, LOBE_CAP),
    0 between the lobes, up to the Nyquist."""
    width = rate / 2 / (bins - 1)                                            # Hz per bin
    centre = torch.arange(bins, dtype=torch.float64) * width
    index = torch.zeros(len(midis), bins, dtype=torch.long)
    for row, midi in enumerate(midis):
        f0 = hz(midi)
        k = torch.round(centre / f0).clamp_min(1)
        inside = (centre - k * f0).abs() <= LOBE_BINS * width + (LOBE_SHARE * k).clamp(max=LOBE_CAP) * f0
        index[row] = torch.where(inside, k.long(), 0)
    return index


def lobes(midis: list[int], bins: int, rate: int) -> torch.Tensor:
    """(N, bins, 1) True in the bins of each note's harmonic lobes (partial_index)."""
    return (partial_index(midis, bins, rate) > 0)[:, :, None]


def partial_envelopes(source: torch.Tensor, target: torch.Tensor, midis: list[int], rate: int,
                      over_time: bool = True, seconds: tuple[float, float] | None = None) -> torch.Tensor:
    """Each `source` clip with every partial's level over time taken from the `target` clip of the same row: in
    each frame, the bins of partial k's lobe (partial_index) scaled by the root of the target's and the source's
    energy ratio there (at most MAX_GAIN_DB either way). The source keeps its partials' frequencies and fine
    structure and everything between them; the target gives each partial's rise and decay. over_time False: one
    gain per partial from the energies summed over the whole clip (the partials' balance, the source's shapes).
    seconds (start, stop): only the frames whose centres lie in that span are moved."""
    mine, theirs = _stft(source), _stft(target)
    index = partial_index(midis, mine.shape[1], rate)
    limit = 10 ** (MAX_GAIN_DB / 20)
    centres = torch.arange(mine.shape[2]) * (N_FFT // 4) / rate
    moved = torch.ones_like(centres, dtype=torch.bool) if seconds is None else (
        (centres >= seconds[0]) & (centres < seconds[1]))
    out = mine.clone()
    for row in range(len(source)):
        for k in index[row].unique().tolist():
            if k == 0:
                continue
            bins = index[row] == k
            axes = 0 if over_time else (0, 1)
            ratio = theirs[row, bins].abs().pow(2).sum(axes) / mine[row, bins].abs().pow(2).sum(axes).clamp_min(1e-20)
            gain = ratio.sqrt().clamp(1 / limit, limit)
            out[row, bins] = mine[row, bins] * torch.where(moved, gain, torch.ones_like(gain))
    return _istft(out, source)


def smoothed(pictures: torch.Tensor) -> torch.Tensor:
    """Spectral pictures with the log magnitude smoothed along time by (1, 2, 1) / 4, which takes out a pattern that
    alternates from frame to frame."""
    out = pictures.clone()
    padded = torch.nn.functional.pad(pictures[:, :1], (1, 1, 0, 0), mode="replicate")
    out[:, 0] = (0.25 * padded[..., :-2] + 0.5 * padded[..., 1:-1] + 0.25 * padded[..., 2:])[:, 0]
    return out


def flicker(pictures: torch.Tensor) -> dict:
    """How the loud cells of spectral pictures (within 30 dB of each one's loudest, 0.1-0.7 of the way through)
    move from frame to frame: the median step (dB), the share of steps that turn back, and the median difference
    of each row's even and odd frames (dB) -- a stride-2 layer's checkerboard along time shows in the last two."""
    from duelo.tasks.audio.spectral import LOG_GAIN_SCALE

    unit = 20 / math.log(10) / LOG_GAIN_SCALE                                   # dB per unit of the picture
    frames = pictures.shape[3]
    span = pictures[:, 0, :, round(0.1 * frames):round(0.7 * frames)]
    loud = span > span.flatten(1).amax(1).view(-1, 1, 1) - 30 / unit
    steps = span.diff(dim=2)
    both = loud[:, :, 1:] & loud[:, :, :-1]
    turns = (steps[:, :, 1:] * steps[:, :, :-1] < 0)[both[:, :, 1:] & both[:, :, :-1]]
    pairs = span.shape[2] // 2 * 2
    even_odd = (span[:, :, 0:pairs:2] - span[:, :, 1:pairs:2]).mean(2)[loud.any(2)]
    return {"step_db": round(float(steps.abs()[both].median()) * unit, 2),
            "turning_share": round(float(turns.double().mean()), 3),
            "even_odd_db": round(float(even_odd.abs().median()) * unit, 2)}


def exchanged(partials_from: torch.Tensor, between_from: torch.Tensor, midis: list[int], rate: int) -> torch.Tensor:
    """Each clip of `partials_from` keeping its harmonic lobes (lobes()) and taking the rest of its N_FFT-point STFT,
    magnitude and phase, from the clip of the same row of `between_from` (the same instrument and pitch)."""
    mine, theirs = _stft(partials_from), _stft(between_from)
    return _istft(torch.where(lobes(midis, mine.shape[1], rate), mine, theirs), partials_from)


def _spectrum(wave: np.ndarray, rate: int, start: float, stop: float) -> tuple[np.ndarray, np.ndarray]:
    """The power spectrum (Hann window) of seconds start .. stop of a wave, and its frequencies."""
    part = wave[int(start * rate):int(stop * rate)]
    return np.abs(np.fft.rfft(part * np.hanning(len(part)))) ** 2, np.fft.rfftfreq(len(part), 1 / rate)


def _peaks_db(power: np.ndarray, freq: np.ndarray, f0: float) -> list[float]:
    """Partials 1..PARTIALS: the peak power within 3 % of k * f0, in dB."""
    return [10 * np.log10(power[(freq > f0 * k * 0.97) & (freq < f0 * k * 1.03)].max() + 1e-20)
            for k in range(1, PARTIALS + 1)]


def partial_decays(wave: np.ndarray, midi: int, rate: int) -> list[float]:
    """How fast each of a note's partials 1..PARTIALS falls while the note is held: its peak level in 0.1-0.3 s
    less that in 0.5-0.7 s, in dB per second (positive: it dies away)."""
    early, late = (_peaks_db(*_spectrum(wave, rate, start, start + 0.2), hz(midi)) for start in (0.1, 0.5))
    return [(a - b) / 0.4 for a, b in zip(early, late)]


def partials(wave: np.ndarray, midi: int, rate: int) -> tuple[list[float], list[float]]:
    """One note's partials 1..PARTIALS (the peak within 3 % of k * f0) and the level between each pair (the median
    over k + 0.3 .. k + 0.7 times f0), in dB against its strongest partial, from the held part (0.1-0.7 s)."""
    power, freq = _spectrum(wave, rate, 0.1, 0.7)
    f0 = hz(midi)
    peaks = _peaks_db(power, freq, f0)
    between = [10 * np.log10(np.median(power[(freq > f0 * (k + 0.3)) & (freq < f0 * (k + 0.7))]) + 1e-20)
               for k in range(1, PARTIALS)]
    top = max(peaks)
    return [p - top for p in peaks], [b - top for b in between]


def partial_courses(waves: torch.Tensor, midis: list[int], rate: int) -> np.ndarray:
    """(N, PARTIALS, len(COURSE_S)) each note's partials' levels at the COURSE_S seconds, in dB under that partial's
    own loudest frame: the energy of its harmonic lobe (partial_index) in the frame nearest each time."""
    spec = _stft(waves)
    index = partial_index(midis, spec.shape[1], rate)
    at = [min(spec.shape[2] - 1, round(t * rate / (N_FFT // 4))) for t in COURSE_S]
    out = np.full((len(waves), PARTIALS, len(COURSE_S)), np.nan)
    for row in range(len(waves)):
        for k in range(1, PARTIALS + 1):
            bins = index[row] == k
            if bins.any():
                level = 10 * torch.log10(spec[row, bins].abs().pow(2).sum(0) + 1e-20)
                out[row, k - 1] = (level[at] - level.max()).numpy()
    return out


def partial_profile(waves: torch.Tensor, midis: list[int], rate: int) -> dict:
    """The median over a set's notes of partials(), partial_decays() and partial_courses()."""
    waves = waves.double().numpy()
    rows = [partials(w, m, rate) for w, m in zip(waves, midis)]
    decays = [partial_decays(w, m, rate) for w, m in zip(waves, midis)]
    courses = np.nanmedian(partial_courses(torch.from_numpy(waves), midis, rate), axis=0)
    return {"course_s": list(COURSE_S), "course_db": [[round(float(v), 1) for v in row] for row in courses],
            "decay_db_per_s": [round(float(v), 1) for v in np.median(decays, axis=0)],
            "partials_db": [round(float(v), 1) for v in np.median([r[0] for r in rows], axis=0)],
            "between_db": [round(float(v), 1) for v in np.median([r[1] for r in rows], axis=0)]}


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
