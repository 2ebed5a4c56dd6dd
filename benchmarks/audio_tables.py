"""Renderers of docs/benchmarks.md's audio tables (issue 20), from benchmarks/audio.py results."""

from __future__ import annotations

SCORES = (("fd", "Fréchet distance (classifier features)", 2), ("score", "inception-like score", 2),
          ("instrument_accuracy", "instrument accuracy", 3), ("pitch_accuracy", "pitch accuracy", 3),
          ("kind_accuracy", "kind accuracy", 3), ("instrument_spread", "instruments found (share)", 2),
          ("pitch_spread", "pitches found (share)", 2), ("kind_spread", "kinds found (share)", 2),
          ("loudness_db", "loudness (dB FS)", 1))
REAL = {"fd": "fd_real"}                    # the floor: training clips against held-out ones


def audio_train(*results: dict) -> str:
    """Each run's scores beside the held-out real clips' own (the FD's: as many training clips vs held-out ones);
    runs that failed are named with their error's last line."""
    rows = [row for result in results for row in result["rows"]]
    runs = [row for row in rows if "scores" in row]
    header = "| score | " + " | ".join(f"{row['name']}: {row['kimg']:,.0f} kimg, {row['img_per_s']:,.0f} clips/s"
                                      for row in runs) + " | real held-out clips |"
    lines = [header, "| --- " * (len(runs) + 2) + "|"]
    for key, label, digits in SCORES:
        if not any(key in row["scores"] or REAL.get(key, key + "_real") in row["scores"] for row in runs):
            continue
        cells = [f"{row['scores'][key]:.{digits}f}" if key in row["scores"] else "" for row in runs]
        real = sorted({f"{row['scores'][REAL.get(key, key + '_real')]:.{digits}f}" for row in runs
                       if REAL.get(key, key + "_real") in row["scores"]})
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {' / '.join(real)} |")
    failed = [row for row in rows if "scores" not in row]
    if failed:
        lines.append("")
        lines += [f"Failed: {row['name']} ({(row.get('error') or '').strip().splitlines()[-1][:160]})"
                  for row in failed]
    return "\n".join(lines)


ERROR_LABELS = {"none": "none (encode, decode)", "if-noise": "IF noise", "if-offset": "IF offset held over time",
                "mag-noise": "log-magnitude noise", "mag-blur": "log magnitude blurred along frequency"}


def audio_representation(result: dict) -> str:
    """One row per error, one column pair (pitch / instrument accuracy) per transform."""
    rows = result["rows"]
    forms = list(dict.fromkeys((row["n_fft"], row["hop"]) for row in rows))
    errors = list(dict.fromkeys((row["error"], row["size"]) for row in rows))
    by = {(row["n_fft"], row["hop"], row["error"], row["size"]): row for row in rows}
    head = [f"{n} / {h} ({' x '.join(map(str, next(r['picture'] for r in rows if r['n_fft'] == n)))})"
            for n, h in forms]
    lines = ["| error (size) | " + " | ".join(head) + " |", "| --- " * (len(forms) + 1) + "|"]
    for kind, size in errors:
        cells = [f"{by[(n, h, kind, size)]['pitch_accuracy']:.3f} / {by[(n, h, kind, size)]['instrument_accuracy']:.3f}"
                 for n, h in forms]
        label = ERROR_LABELS[kind] + (f" ({size:g})" if kind != "none" else "")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


RENDERERS = {"audio-train": audio_train, "audio-representation": audio_representation}
