"""Faults of a set of sound clips (the audio task's store: one length, one rate), each clip given at most one
finding, the most serious: degenerate (silent, or clipped at full scale), duplicate (of an earlier clip), outlier
(unlike the rest), mislabelled (a classifier that never saw it is confident it is another class of the first
factor: a note's instrument, a drum's kind, a word's language). The detectors are the images' and series'
(cleaning/findings.py), in a view of sounds:

    picture     every clip's log-mel spectrogram (the audio task's spectral.log_mel, the judge's input, which the
                caller passes in) pooled to BANDS mel
                bands x STEPS time steps, in decibels relative to the clip's loudest cell, floored FLOOR_DB down:
                the shape of the sound, not its level
    features    the first PCA_DIMS principal components of the pictures, fitted on the data itself
    statistics  level (RMS and peak, dB FS), brightness (the spectral centroid, in mel bands), noisiness (the
                spectral flatness in dB: the bands' mean level against the level of their mean power, 0 for white
                noise, far below for a tone, over the steps that sound), zero-crossing rate, how long it sounds
                (the share of steps within 40 dB of its loudest) and where its loudest step is

* duplicates: exact ones by a hash of the samples; near ones are among each clip's CANDIDATES nearest neighbours
  in a sketch that a delay or a gain barely moves (the spectrum over time and the envelope, relative to the clip's
  loudest cell), and their waves correlate at least NEAR_CORRELATION at the best shift (any delay, any gain: an
  edited copy, trimmed or made louder); the shift and the level difference are named in the reason.
* outliers: an RMS level more than QUIET_DB below the median clip's (recorded with the gain far too low; in a set
  whose levels vary little, 40 dB is fewer than OUTLIER_Z robust deviations), or a statistic more than OUTLIER_Z
  robust standard deviations from the median clip's, named in the
  reason (a handful of interpretable statistics, unlike the images' and series' many: one far value is the
  finding), leaving out a statistic that most clips share exactly (one-shots that all start at once: no robust
  scale to measure it by).
* mislabels (two or more classes of the first factor): the cross-fitted RBF SVM on the features
  (findings.mislabels), the clip's own label given at most MISLABEL_OWN.

The thresholds are fixed; tests/cleaning/test_clean_clips.py plants each fault in a set of tones.
"""

from __future__ import annotations

import numpy as np

from duelo.cleaning.findings import Faults, Finding, exact_duplicates, mislabel_check, near_duplicates

BANDS, STEPS = 32, 16
FLOOR_DB = 80.0
PCA_DIMS = 50
SILENT_DB = -60.0                    # a clip whose loudest sample is quieter is silent
CLIP_LEVEL = 0.999                   # of full scale: a sample at least this loud is at the rail
CLIPPED_SHARE = 0.001                # of the samples held there, and at least CLIPPED_MIN of them
CLIPPED_MIN = 8
FLAT_RUN = 4                         # samples in a row held at one value at the rail: a clipped peak, however short
NEAR_CORRELATION = 0.99
CANDIDATES = 8                       # nearest sketches whose waves are compared for a near copy
ENVELOPE_MS, ENVELOPE_FRAMES = 8, 48 # the sketch's envelope: 8-ms frames from the onset on
QUIET_DB = 30.0                      # an RMS level this far below the median clip's is an outlier by itself
OUTLIER_Z = 10.0                     # in any one statistic; the real drums' largest is 4.9, the notes' 6.7 (the
                                     # clarinets' slow attack)
MISLABEL_OWN = 0.1                   # a classifier of a few hundred clips is less sure than one of many images
MAX_MISLABEL_ITEMS = 60_000
STATISTICS = (("RMS level", " dB FS"), ("peak", " dB FS"), ("brightness (spectral centroid)", " mel bands"),
              ("noisiness (spectral flatness)", " dB"), ("zero-crossing rate (log)", ""),
              ("sounding share", ""), ("onset", " of the clip"))


def pictures(waves: np.ndarray, rate: int, log_mel, batch: int = 256) -> np.ndarray:
    """(N, L) float waves -> (N, BANDS * STEPS) pooled log-mel pictures in dB below each clip's loudest cell;
    log_mel(waves (n, L) tensor, rate) -> (n, mels, frames) natural-log power (the audio task's spectral.log_mel,
    given by the caller: the cleaning layer knows no task)."""
    import torch
    import torch.nn.functional as F

    out = []
    for start in range(0, len(waves), batch):
        mel = log_mel(torch.from_numpy(np.ascontiguousarray(waves[start:start + batch])), rate)   # (n, MELS, T)
        db = 10.0 / np.log(10.0) * mel                                              # natural-log power -> dB
        pooled = F.adaptive_avg_pool2d(db[:, None], (BANDS, STEPS))[:, 0]
        top = pooled.flatten(1).amax(dim=1)[:, None, None]
        out.append((pooled - top).clamp_min(-FLOOR_DB).flatten(1).numpy())
    return np.concatenate(out) if out else np.zeros((0, BANDS * STEPS), np.float32)


def statistics(waves: np.ndarray, views: np.ndarray) -> np.ndarray:
    """(N, L) waves and their pictures -> (N, 7) per-clip statistics (the module docstring's)."""
    rms = np.sqrt(np.mean(waves.astype(np.float64) ** 2, axis=1))
    peak = np.abs(waves).max(axis=1)
    picture = views.reshape(len(views), BANDS, STEPS)
    power = 10.0 ** (picture / 10.0)
    centroid = (power * np.arange(BANDS)[None, :, None]).sum(axis=(1, 2)) / np.maximum(power.sum(axis=(1, 2)), 1e-12)
    per_step = picture.max(axis=1)                                       # (N, STEPS): each step's loudest band
    flat = picture.mean(axis=1) - 10.0 * np.log10(np.maximum(power.mean(axis=1), 1e-30))      # (N, STEPS), <= 0
    sounding = per_step >= -40.0
    flatness = (flat * sounding).sum(axis=1) / np.maximum(sounding.sum(axis=1), 1)
    crossings = np.mean(np.signbit(waves[:, 1:]) != np.signbit(waves[:, :-1]), axis=1)
    duration = sounding.mean(axis=1)
    onset = per_step.argmax(axis=1) / STEPS
    return np.column_stack([20 * np.log10(np.maximum(rms, 1e-9)), 20 * np.log10(np.maximum(peak, 1e-9)),
                            centroid, flatness, np.log(np.maximum(crossings, 1e-6)), duration, onset])


def sketch(waves: np.ndarray, views: np.ndarray, rate: int) -> np.ndarray:
    """What a delayed or louder copy keeps of its original: the spectrum averaged over time (relative to the clip's
    loudest cell) and the envelope (the level of ENVELOPE_MS frames relative to the loudest, from the first frame
    within 20 dB of it: a delay moves it by less than a frame); standardised per column."""
    frame = max(1, int(rate * ENVELOPE_MS / 1000))
    usable = waves.shape[1] // frame * frame
    level = 10 * np.log10(np.maximum(np.mean(waves[:, :usable].reshape(len(waves), -1, frame).astype(np.float64) ** 2,
                                             axis=2), 1e-12))
    level = np.maximum(level - level.max(axis=1, keepdims=True), -FLOOR_DB)
    envelope = np.full((len(waves), ENVELOPE_FRAMES), -FLOOR_DB)
    for i, row in enumerate(level):
        start = int(np.argmax(row >= -20.0))
        part = row[start:start + ENVELOPE_FRAMES]
        envelope[i, :len(part)] = part
    spectrum = views.reshape(len(views), BANDS, STEPS).mean(axis=2)
    parts = np.concatenate([spectrum, envelope], axis=1)
    return (parts - parts.mean(axis=0)) / np.maximum(parts.std(axis=0), 1e-9)


def far_statistics(stats: np.ndarray, faults: Faults, taken: np.ndarray) -> str:
    """Findings for clips whose RMS level (the first statistic) is more than QUIET_DB below the median clip's, then
    for clips with one statistic more than OUTLIER_Z robust standard deviations (1.4826 MAD) from the median
    clip's; a statistic most clips share exactly has no such scale and is left out. Returns what the check did, in
    words."""
    if len(stats) < 20:
        return "skipped: fewer than 20 clips"
    median = np.median(stats, axis=0)
    quiet = 0
    for i in np.nonzero(stats[:, 0] < median[0] - QUIET_DB)[0]:
        if not taken[i]:
            faults.findings.append(Finding(int(i), "outlier", float(median[0] - stats[i, 0]),
                                           f"far too quiet: its RMS level is {stats[i, 0]:.1f} dB FS, "
                                           f"{median[0] - stats[i, 0]:.0f} dB below the median clip's"))
            taken[i] = True
            quiet += 1
    scale = 1.4826 * np.median(np.abs(stats - median), axis=0)
    usable = scale > 1e-9
    z = np.zeros_like(stats)
    z[:, usable] = (stats[:, usable] - median[usable]) / scale[usable]
    found = 0
    for i in np.argsort(-np.abs(z).max(axis=1)):
        column = int(np.abs(z[i]).argmax())
        if abs(z[i, column]) <= OUTLIER_Z:
            break
        if not taken[i]:
            name, unit = STATISTICS[column]
            faults.findings.append(Finding(int(i), "outlier", float(abs(z[i, column])),
                                           f"unlike the bulk of the clips: its {name} is {stats[i, column]:.2f}{unit} "
                                           f"where the median clip's is {median[column]:.2f}{unit} (robust z "
                                           f"{z[i, column]:+.0f})"))
            taken[i] = True
            found += 1
    return (f"{quiet} clip(s) more than {QUIET_DB:g} dB quieter than the median clip; "
            f"{found} with a statistic beyond robust z {OUTLIER_Z:g} (of "
            f"{', '.join(name for (name, _), used in zip(STATISTICS, usable) if used)})")


def best_shift(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    """The largest normalised correlation of two waves, in size, over every shift of one against the other
    (zero-padded, so nothing wraps round; a copy with its polarity inverted correlates as much), and that shift in
    samples (positive: `a` is `b` delayed)."""
    n = len(a) + len(b) - 1
    size = 1 << (n - 1).bit_length()
    spectrum = np.fft.rfft(a, size) * np.conj(np.fft.rfft(b, size))
    correlation = np.fft.irfft(spectrum, size)
    norm = float(np.sqrt(np.sum(a.astype(np.float64) ** 2) * np.sum(b.astype(np.float64) ** 2)))
    if norm <= 0.0:
        return 0.0, 0
    index = int(np.argmax(np.abs(correlation)))
    shift = index if index < len(a) else index - size
    return abs(float(correlation[index])) / norm, shift


def degenerate(wave: np.ndarray) -> str | None:
    """Why one clip (L,) is silent or clipped, or None. Clipped: samples held at one value at the rail (two or more
    in a row), either many of them (a loud take cut at every peak) or FLAT_RUN in a row (a short click cut flat).
    A natural peak does not hold: a 20 Hz wave normalised to full scale and read at 16 bits does not repeat its top
    value on neighbouring samples at 16,000 Hz, though 440 of its samples lie within 0.1 % of it (a 10 Hz one,
    below hearing, holds it 3 samples). Not found: a high-pitched hit cut only at isolated samples (a cymbal's
    peaks are one sample wide)."""
    peak = float(np.abs(wave).max()) if len(wave) else 0.0
    if peak < 10 ** (SILENT_DB / 20):
        return f"silent: its loudest sample is {20 * np.log10(peak):.0f} dB FS" if peak > 0 else \
            "silent: every sample is zero"
    held = np.concatenate([[False], (np.abs(wave[1:]) >= CLIP_LEVEL) & (wave[1:] == wave[:-1]), [False]])
    edges = np.flatnonzero(np.diff(held.astype(np.int8)))             # where runs of held samples start and end
    runs = edges[1::2] - edges[::2] + 1                               # each run's samples, its first one included
    if runs.sum() >= max(CLIPPED_MIN, CLIPPED_SHARE * len(wave)):
        return f"clipped: {int(runs.sum()):,} samples held at full scale"
    if len(runs) and runs.max() >= FLAT_RUN:
        return f"clipped: {int(runs.max())} samples in a row held at full scale"
    return None


def _degenerate_and_copies(waves: np.ndarray, rate: int, log_mel) -> tuple[Faults, np.ndarray, np.ndarray]:
    """The degenerate and duplicate findings of waves (N, L) float32, the clips they took, and the pictures."""
    n = len(waves)
    faults = Faults([])
    taken = np.zeros(n, bool)

    for i in range(n):
        reason = degenerate(waves[i])
        if reason:
            faults.findings.append(Finding(i, "degenerate", 1.0, reason))
            taken[i] = True
    faults.checked["degenerate"] = f"{int(taken.sum())} silent or clipped clips"

    views = pictures(waves, rate, log_mel)
    exact = exact_duplicates((waves[i].tobytes() for i in range(n)), faults, taken)

    def copy_gap(i: int, j: int) -> float | None:
        correlation, _ = best_shift(waves[i], waves[j])
        return 1.0 - correlation if correlation >= NEAR_CORRELATION else None

    near = near_duplicates(sketch(waves, views, rate), copy_gap, faults, taken,
                           lambda j, gap: f"a near copy of clip {j} (the waves correlate {1 - gap:.3f} at the best "
                                          f"shift", CANDIDATES) if n > 1 else 0
    for finding in faults.findings:                # the shift and the level, now that both clips are known
        if finding.kind == "duplicate" and finding.reason.startswith("a near copy"):
            _, shift = best_shift(waves[finding.index], waves[finding.related])
            energy = [float(np.sum(waves[k].astype(np.float64) ** 2)) for k in (finding.index, finding.related)]
            level = 10 * np.log10(max(energy[0], 1e-18) / max(energy[1], 1e-18))
            finding.reason += f", {shift / rate * 1000:+.1f} ms later, {level:+.1f} dB)"
    faults.checked["duplicates"] = f"{exact} exact and {near} near copies"
    return faults, taken, views


def find_clip_copies(waves: np.ndarray, rate: int, log_mel) -> Faults:
    """The degenerate and duplicate findings alone, as find_clip_faults makes them (what Faults.copy_groups reads):
    no outlier or label check, so no PCA and no classifier."""
    faults, _, _ = _degenerate_and_copies(np.asarray(waves, np.float32), rate, log_mel)
    faults.findings.sort(key=lambda f: f.index)
    return faults


def find_clip_faults(waves: np.ndarray, rate: int, log_mel, labels: np.ndarray | None = None,
                     class_names: list[str] | None = None, seed: int = 0, log=None) -> Faults:
    """Every clip's most serious finding. waves (N, L) floats in [-1, 1] (clips.Clips.floats()); log_mel as
    pictures() takes it; labels (N,) the first factor's classes, or None."""
    from sklearn.decomposition import PCA

    say = log or (lambda text: None)
    waves = np.asarray(waves, np.float32)
    n = len(waves)
    faults, taken, views = _degenerate_and_copies(waves, rate, log_mel)
    dims = max(1, min(PCA_DIMS, n - 1, views.shape[1]))
    features = (PCA(dims, random_state=seed).fit_transform(views) if n > 1 and views.std(axis=0).max() > 0
                else np.zeros((n, 1)))
    features = features / max(float(features.std()), 1e-12)
    say(f"clean: {n:,} clips in a {dims}-d feature space")
    faults.checked["outliers"] = far_statistics(statistics(waves, views), faults, taken)
    mislabel_check(features, labels, class_names, taken, seed, MAX_MISLABEL_ITEMS, say, faults, MISLABEL_OWN)
    faults.findings.sort(key=lambda f: f.index)
    return faults
