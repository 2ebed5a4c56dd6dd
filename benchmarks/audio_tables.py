"""Renderers of docs/benchmarks.md's audio tables (issue 20), from benchmarks/audio.py results."""

from __future__ import annotations

SCORES = (("fd", "Fréchet distance (classifier features)", 2), ("score", "inception-like score", 2),
          ("instrument_accuracy", "instrument accuracy", 3), ("pitch_accuracy", "pitch accuracy", 3),
          ("kind_accuracy", "kind accuracy", 3), ("language_accuracy", "language accuracy", 3),
          ("instrument_spread", "instruments found (share)", 2), ("pitch_spread", "pitches found (share)", 2),
          ("kind_spread", "kinds found (share)", 2), ("language_spread", "languages found (share)", 2),
          ("loudness_db", "loudness (dB FS)", 1), ("floor_level", "floor level (a quarter of cells below)", 2),
          ("envelope_error_db", "envelope error (dB, per instrument or all clips)", 2),
          ("fd_unrefined", "Fréchet distance, decoded without Griffin-Lim rounds", 2),
          ("loudness_db_unrefined", "loudness without Griffin-Lim rounds (dB FS)", 1),
          ("instrument_accuracy_unrefined", "instrument accuracy without Griffin-Lim rounds", 3),
          ("pitch_accuracy_unrefined", "pitch accuracy without Griffin-Lim rounds", 3),
          ("kind_accuracy_unrefined", "kind accuracy without Griffin-Lim rounds", 3),
          ("fd_as_drawn", "Fréchet distance, clips at the levels drawn (not brought to the set's peak)", 2),
          ("loudness_db_as_drawn", "loudness at the levels drawn (dB FS)", 1),
          ("kind_accuracy_as_drawn", "kind accuracy at the levels drawn", 3),
          ("language_accuracy_as_drawn", "language accuracy at the levels drawn", 3))
VARIANTS = ("_unrefined", "_as_drawn")     # the same G's clips decoded another way: their real figure is the base's


def _real_key(key: str) -> str:
    """The held-out clips' figure beside `key` (fd_real for fd: as many training clips against the held-out ones)."""
    for suffix in VARIANTS:
        if key.endswith(suffix):
            return key[:-len(suffix)] + "_real"
    return key + "_real"


def audio_train(*results: dict) -> str:
    """Each run's scores beside the held-out real clips' own (the FD's: as many training clips vs held-out ones);
    runs that failed are named with their error's last line."""
    rows = [row for result in results for row in result["rows"]]
    runs = [row for row in rows if "scores" in row]
    header = "| score | " + " | ".join(f"{row['name']}: {row['kimg']:,.0f} kimg, {row['img_per_s']:,.0f} clips/s"
                                      for row in runs) + " | real held-out clips |"
    lines = [header, "| --- " * (len(runs) + 2) + "|"]
    for key, label, digits in SCORES:
        if not any(key in row["scores"] or (not key.endswith(VARIANTS) and key + "_real" in row["scores"])
                   for row in runs):
            continue                    # a variant's row of shared real figures alone, with no run's own: left out
        cells = [f"{row['scores'][key]:.{digits}f}" if key in row["scores"] else "" for row in runs]
        real_key = _real_key(key)
        real = sorted({f"{row['scores'][real_key]:.{digits}f}" for row in runs if real_key in row["scores"]})
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {' / '.join(real)} |")
    failed = [row for row in rows if "scores" not in row]
    if failed:
        lines.append("")
        lines += [f"Failed: {row['name']} ({(row.get('error') or '').strip().splitlines()[-1][:160]})"
                  for row in failed]
    return "\n".join(lines)


def _batch(command: str) -> int:
    """The batch a run's `duelo train` command asked for (the audio task's default, 64, when it names none)."""
    return int(_option(command, "--batch", "64"))


def _option(command: str, name: str, default: str) -> str:
    """The value a run's `duelo train` command gives option `name` (`default`, the task's, when it names none)."""
    words = command.split()
    return words[words.index(name) + 1] if name in words else default


def _seed(command: str) -> str:
    """A run's seed: `--seed N`, or `--set train.seed=N` (the last one given wins, as in duelo train), else 0."""
    words = command.split()
    seed = _option(command, "--seed", "0")
    for k, word in enumerate(words[:-1]):
        if word == "--set" and words[k + 1].startswith("train.seed="):
            seed = words[k + 1].split("=", 1)[1]
    return seed


def audio_steps(*results: dict) -> str:
    """Conditional runs by the optimiser steps they took (kimg x 1000 / batch), with how many runs shared the GPU
    (and "+ other work" where the file's other_gpu_work says what else did): whether a figure follows the images
    a run saw or its steps."""
    lines = ["| run | runs on the GPU at once | batch | kimg | steps (thousands) | instrument accuracy "
             "| pitch accuracy |", "| --- " * 7 + "|"]
    def together(result: dict) -> str:
        runs = str(result.get("parallel_runs", len(result["rows"])))
        return runs + " + other work" if result.get("other_gpu_work") else runs

    rows = [(together(result), row) for result in results for row in result["rows"]
            if "instrument_accuracy" in (row.get("scores") or {})]
    for shared, row in sorted(rows, key=lambda pair: pair[1]["kimg"] * 1000 / _batch(pair[1]["command"])):
        batch = _batch(row["command"])
        lines.append(f"| {row['name']} | {shared} | {batch} | {row['kimg']:,.0f} | {row['kimg'] / batch:.1f} | "
                     f"{row['scores']['instrument_accuracy']:.3f} | {row['scores']['pitch_accuracy']:.3f} |")
    return "\n".join(lines)


ERROR_LABELS = {"none": "none (encode, decode)", "if-noise": "IF noise", "if-offset": "IF offset held over time",
                "mag-noise": "log-magnitude noise", "mag-blur": "log magnitude blurred along frequency",
                "if-random": "IF drawn at random", "mag-floor": "noise floor at level",
                "mag-smear": "log magnitude blurred along time, ms", "hiss": "white noise on the wave, dB FS",
                "gain": "the wave louder or quieter, dB"}


def audio_representation(result: dict) -> str:
    """One row per error, one column per transform (and Griffin-Lim rounds, where measured). Notes: pitch /
    instrument accuracy; other clips: the first factor's accuracy / FD to the training clips / loudness."""
    rows = result["rows"]
    notes = any("pitch_accuracy" in row for row in rows)
    key = lambda row: (row["n_fft"], row["hop"], row.get("mel", False), row.get("refine", 0))  # noqa: E731
    columns = list(dict.fromkeys(key(row) for row in rows))
    errors = list(dict.fromkeys((row["error"], row["size"]) for row in rows))
    by = {(*key(row), row["error"], row["size"]): row for row in rows}
    factor = next(key for key in rows[0] if key.endswith("_accuracy") and key != "pitch_accuracy")
    head = []
    for n, h, mel, refine in columns:
        picture = " x ".join(map(str, next(r["picture"] for r in rows if r["n_fft"] == n)))
        head.append(f"{n} / {h}{' mel' if mel else ''} ({picture})" + (f", {refine} Griffin-Lim rounds" if refine
                                                                         else ""))

    def cell(row: dict) -> str:
        if notes:
            return f"{row['pitch_accuracy']:.3f} / {row['instrument_accuracy']:.3f}"
        return f"{row[factor]:.3f} / {row['fd_to_train']:.2f} / {row['loudness_db']:.1f}"

    lines = ["| error (size) | " + " | ".join(head) + " |", "| --- " * (len(columns) + 1) + "|"]
    for kind, size in errors:
        label = ERROR_LABELS[kind] + (f" ({size:g})" if kind not in ("none", "if-random") else "")
        lines.append(f"| {label} | " + " | ".join(cell(by[(*column, kind, size)]) if (*column, kind, size) in by
                                                  else "—" for column in columns) + " |")
    if not notes:
        lines.append(f"| real held-out clips | {result['fd_floor']:.2f} (FD floor), "
                     f"{result['loudness_db_real']:.1f} dB | " + " | ".join("" for _ in columns[1:]) + " |")
    return "\n".join(lines)


def audio_judge(*results: dict) -> str:
    """The same errors read by judges of different hearing ranges (one result file each, one transform): one column
    per judge, each cell pitch / instrument accuracy and the Fréchet distance to the training clips."""
    columns = [(result["judge_range_db"], {(r["error"], r["size"]): r for r in result["rows"]}) for result in results]
    errors = list(dict.fromkeys((row["error"], row["size"]) for result in results for row in result["rows"]))
    lines = ["| error (size) | " + " | ".join(f"judge hearing {db:g} dB: pitch / instrument / FD" for db, _ in columns)
             + " |", "| --- " * (len(columns) + 1) + "|"]
    for kind, size in errors:
        label = ERROR_LABELS[kind] + (f" ({size:g})" if kind not in ("none", "if-random") else "")
        cells = [f"{by[(kind, size)]['pitch_accuracy']:.3f} / {by[(kind, size)]['instrument_accuracy']:.3f} / "
                 f"{by[(kind, size)]['fd_to_train']:.2f}" if (kind, size) in by else "—" for _, by in columns]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def audio_diagnose(result: dict) -> str:
    """Per run and instrument: the judge's accuracy, what it names instead most often, loudness and envelope (the
    level of each eighth of the clip) of the generated notes against the real held-out ones."""
    lines = ["| run | instrument | accuracy | named instead | loudness dB: generated / real | envelope dB, generated "
             "| envelope dB, real |", "| --- " * 7 + "|"]
    for run in result["runs"]:
        for row in run["instruments"]:
            lines.append(f"| {run['run']} ({run['model']}) | {row['instrument']} | {row['accuracy']:.2f} | "
                         f"{row['named_instead'] or ''} | {row['loudness_db']:.1f} / {row['loudness_db_real']:.1f} | "
                         f"{' '.join(f'{v:.0f}' for v in row['envelope_db'])} | "
                         f"{' '.join(f'{v:.0f}' for v in row['envelope_db_real'])} |")
    return "\n".join(lines)


def audio_head(result: dict) -> str:
    """Per run with D's weights: the judge's instrument and pitch accuracy on G's clips beside the accuracy of D's
    own classifier head on the training clips, the held-out clips and G's clips (instrument / pitch); for a twin
    head (audio.aux_fakes) also the share of G's clips it names as generated."""
    lines = ["| run | kimg | judge on G's clips | D's head: training clips | D's head: held-out clips | "
             "D's head: G's clips | G's clips D names as generated |", "| --- " * 7 + "|"]
    for run in result["runs"]:
        head = run.get("d_head")
        if not head:
            continue

        def pair(where: str) -> str:
            return f"{head[where]['instrument']:.3f} / {head[where]['pitch']:.3f}"

        generated = head["generated"]
        named = (f"{generated['instrument_named_generated']:.3f} / {generated['pitch_named_generated']:.3f}"
                 if "instrument_named_generated" in generated else "— (one class per label)")
        lines.append(f"| {run['run']} | {head['kimg']:,.0f} | {run['instrument_accuracy']:.3f} / "
                     f"{run['pitch_accuracy']:.3f} | {pair('train')} | {pair('heldout')} | {pair('generated')} | "
                     f"{named} |")
    return "\n".join(lines)


def audio_pictures(result: dict) -> str:
    """Per spectral run: G's log-magnitude pictures as drawn beside the held-out notes' (audio_diagnose's
    "pictures"): the loudest cell (mean; share of clips at tanh's ceiling), the share of cells at that ceiling and
    the share under the quiet floor, with the judge's accuracy on G's clips."""
    lines = ["| run | judge on G's clips: instrument / pitch | loudest cell: G / real | clips at the ceiling: G / "
             "real | cells at the ceiling: G / real | cells under a floor of | cells under it: G / real |",
             "| --- " * 7 + "|"]
    for run in result["runs"]:
        pictures = run.get("pictures")
        if not pictures:
            continue
        drawn, real = pictures["generated"], pictures["heldout"]

        def pair(key: str, form: str = ".3f") -> str:
            return f"{drawn[key]:{form}} / {real[key]:{form}}"

        lines.append(f"| {run['run']} | {run['instrument_accuracy']:.3f} / {run['pitch_accuracy']:.3f} | "
                     f"{pair('peak_mean', '.2f')} | {pair('clips_at_ceiling')} | {pair('cells_at_ceiling', '.4f')} | "
                     f"{pictures['floor_db']:g} dB | {pair('cells_under_floor')} |")
    return "\n".join(lines)


def audio_trajectory(*results: dict) -> str:
    """Runs scored every audio.score_kimg (the row's "trajectory", eval.jsonl): the instrument accuracy at every
    scoring, its largest fall from one scoring to the next (how much a single look can mislead), where the run
    stopped, and the lowest-FD scoring (the model kept in best/) with its instrument accuracy."""
    lines = ["| run | seed | instrument accuracy at each scoring (kimg) | largest fall between scorings | "
             "at the end: instrument / FD | lowest FD of the scorings, kept in best/ (kimg): instrument |",
             "| --- " * 6 + "|"]
    for result in results:
        for row in result["rows"]:
            points = row.get("trajectory")
            if not points or "instrument_accuracy" not in points[0]:    # unscored, or not notes (drums: kinds)
                continue
            seed = _seed(row["command"])
            accuracy = [p["instrument_accuracy"] for p in points]
            steps = " → ".join(f"{a:.2f}" for a in accuracy)
            fall = max([0.0] + [a - b for a, b in zip(accuracy, accuracy[1:])])
            best = min(points, key=lambda p: p["fd"])
            end = row["scores"]
            lines.append(f"| {row['name']} | {seed} | {steps} ({points[0]['kimg']:.0f} .. {points[-1]['kimg']:.0f}) | "
                         f"{fall:.3f} | {end['instrument_accuracy']:.3f} / {end['fd']:.1f} at {row['kimg']:.0f} | "
                         f"{best['fd']:.1f} ({best['kimg']:.0f}): {best['instrument_accuracy']:.3f} |")
    return "\n".join(lines)


def _ratio(scores: dict, key: str) -> str:
    return f"{scores[key] / scores['fd_real']:.1f}" if key in scores else "—"


def audio_floor_ratio(*results: dict) -> str:
    """Runs' Fréchet distance as a multiple of their own judge's floor (each seed trains its own judge, so floors
    differ between runs): as scored, without the Griffin-Lim rounds and at the levels drawn (where the run has the
    variant), with the kind (or first factor's) accuracy beside the real clips', and the FD at each scoring."""
    lines = ["| run | seed | kimg | FD / floor | without the rounds | at the levels drawn | accuracy: G / real "
             "| FD at each scoring (kimg) |", "| --- " * 8 + "|"]
    for result in results:
        for row in result["rows"]:
            scores = row.get("scores")
            if not scores or "fd_real" not in scores:
                continue
            seed = _seed(row["command"])
            factor = next((k for k in scores if k.endswith("_accuracy") and not k.startswith("pitch")), None)
            accuracy = f"{scores[factor]:.3f} / {scores[factor + '_real']:.3f}" if factor else "—"
            points = row.get("trajectory") or []
            at = " .. ".join(f"{p['kimg']:.0f}" for p in (points[:1] + points[1:][-1:]))   # one, or first .. last
            path = " → ".join(f"{p['fd']:.1f}" for p in points) + f" ({at})" if points else "—"
            lines.append(f"| {row['name']} | {seed} | {row['kimg']:,.0f} | {scores['fd']:.2f} / {scores['fd_real']:.2f}"
                         f" = {_ratio(scores, 'fd')} | {_ratio(scores, 'fd_unrefined')} | "
                         f"{_ratio(scores, 'fd_as_drawn')} | {accuracy} | {path} |")
    return "\n".join(lines)


def audio_floor_copies(result: dict) -> str:
    """Per set: the held-out clips with a near copy among the training clips, and the judge's accuracy and the
    floor's Fréchet distance on all the held-out clips and on those without a copy (at that group's size)."""
    lines = ["| set | held-out clips with a copy in training | judge's accuracy: all / with a copy / without | "
             "FD to training, at the size of the group without copies: all / without copies |", "| --- " * 4 + "|"]
    for row in result["rows"]:
        every, copies, none = row["all"], row["with_copies"], row["without_copies"]

        def fd(part: dict) -> str:
            return f"{part['fd_to_training']:.2f} ± {part['fd_spread']:.2f}" if "fd_to_training" in part else "—"

        accuracy = " / ".join("—" if part["accuracy"] is None else f"{part['accuracy']:.3f}"
                              for part in (every, copies, none))
        lines.append(f"| {row['set']} ({row['factor']}) | {copies['clips']} of {row['heldout']} | {accuracy} | "
                     f"{fd(every)} / {fd(none)} ({row['compared_size']} clips) |")
    return "\n".join(lines)


def audio_splits(result: dict) -> str:
    """Per set and `data.split`: the real column a run reads (its judge's held-out accuracy and the FD floor), and the
    judge's accuracy on its own training clips."""
    lines = ["| set | data.split | held-out clips | judge's accuracy on them | on its training clips "
             "| FD floor (as many training clips) |", "| --- " * 6 + "|"]
    for row in result["rows"]:
        for name, part in row.get("splits", {}).items():
            taught = f"{part['train_accuracy']:.3f}" if "train_accuracy" in part else "—"       # files before it
            lines.append(f"| {row['set']} ({row['factor']}) | {name} | {part['heldout']} | {part['accuracy']:.3f} | "
                         f"{taught} | {part['fd_floor']:.2f} ± {part['fd_floor_spread']:.2f} |")
    return "\n".join(lines)


def audio_split_classes(result: dict) -> str:
    """Per class of the first factor: each split's judge's accuracy on the class's held-out clips, and the class it
    names most often instead."""
    lines = []
    for row in result["rows"]:
        splits = {name: part for name, part in row.get("splits", {}).items() if "by_class" in part}
        if not splits:
            continue
        lines += [f"| {row['set']}: {row['factor']} | " + " | ".join(f"data.split={name}: held-out clips, accuracy "
                                                                     f"(named instead)" for name in splits) + " |",
                  "| --- " * (1 + len(splits)) + "|"]
        for cls in next(iter(splits.values()))["by_class"]:
            cells = []
            for part in splits.values():
                figure = part["by_class"].get(cls)
                cells.append("—" if figure is None else f"{figure['clips']}, {figure['accuracy']:.2f}"
                             + (f" ({figure['named_instead']})" if figure["named_instead"] else ""))
            lines.append(f"| {cls} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def audio_envelope_probe(result: dict) -> str:
    """Per run: each way of reading the held-out notes (real, changed, G's) as the judge's instrument accuracy, D's
    mean realness and D's head's accuracy, then the judge's accuracy per instrument (what it names instead)."""
    lines = []
    for run in result["runs"]:
        order = sorted(run["variants"], key=lambda name: (name.startswith("generated"), name != "real",
                                                           name != "generated", name))
        variants = {name: run["variants"][name] for name in order}
        lines += [f"| {run['run']} ({run['kimg']:.0f} kimg): clips | judge: instrument accuracy | D: realness "
                  f"(mean ± sd) | D's head: instrument accuracy |", "| --- " * 4 + "|"]
        lines += [f"| {name} | {v['judge_accuracy']:.3f} | {v['d_realness']:+.2f} ± {v['d_realness_spread']:.2f} | "
                  f"{v['d_head_accuracy']:.3f} |" for name, v in variants.items()]
        names = list(variants)
        lines += ["", "| judge, per instrument | " + " | ".join(names) + " |", "| --- " * (1 + len(names)) + "|"]
        for k, row in enumerate(next(iter(variants.values()))["instruments"]):
            cells = []
            for v in variants.values():
                figure = v["instruments"][k]
                cells.append(f"{figure['judge_accuracy']:.2f}" + (f" ({figure['judge_names_instead']})"
                                                                  if figure["judge_accuracy"] < 0.9 else ""))
            lines.append(f"| {row['instrument']} | " + " | ".join(cells) + " |")
        if run.get("partials"):
            lines += ["", "| partials (dB against the strongest): instrument | real: partials 1-8 | G: partials 1-8 "
                      "| real: between them | G: between them |", "| --- " * 5 + "|"]
            for name, sides in run["partials"].items():
                cells = [" ".join(f"{v:.0f}" for v in sides[side][key]) for key in ("partials_db", "between_db")
                         for side in ("real", "generated")]
                lines.append(f"| {name} | " + " | ".join(cells) + " |")
            if all("decay_db_per_s" in sides["real"] for sides in run["partials"].values()):
                lines += ["", "| partials' fall while held (dB per second): instrument | real: partials 1-8 | G: "
                          "partials 1-8 |", "| --- " * 3 + "|"]
                for name, sides in run["partials"].items():
                    lines.append(f"| {name} | " + " | ".join(" ".join(f"{v:.0f}" for v in sides[side]["decay_db_per_s"])
                                                           for side in ("real", "generated")) + " |")
            if run.get("flicker"):
                lines += ["", "| loud cells from frame to frame | median step (dB) | share of steps that turn back | "
                          "even against odd frames (dB) |", "| --- " * 4 + "|"]
                for side, label in (("real", "real notes"), ("generated", "G's clips")):
                    f = run["flicker"][side]
                    lines.append(f"| {label} | {f['step_db']:.1f} | {f['turning_share']:.2f} | "
                                 f"{f['even_odd_db']:.1f} |")
            if all("course_db" in sides["real"] for sides in run["partials"].values()):
                times = "/".join(f"{t:g}" for t in next(iter(run["partials"].values()))["real"]["course_s"])
                lines += ["", f"| partials 1 and 5: dB under their loudest at {times} s | real: 1st | G: 1st | real: "
                          "5th | G: 5th |", "| --- " * 5 + "|"]
                for name, sides in run["partials"].items():
                    lines.append(f"| {name} | " + " | ".join(" ".join(f"{v:.0f}" for v in sides[side]["course_db"][k])
                                                           for k in (0, 4) for side in ("real", "generated")) + " |")
    return "\n".join(lines)


RENDERERS = {"audio-train": audio_train, "audio-trajectory": audio_trajectory, "audio-head": audio_head,
             "audio-representation": audio_representation, "audio-judge": audio_judge,
             "audio-diagnose": audio_diagnose, "audio-steps": audio_steps,
             "audio-floor-ratio": audio_floor_ratio, "audio-floor-copies": audio_floor_copies,
             "audio-splits": audio_splits, "audio-split-classes": audio_split_classes,
             "audio-envelope-probe": audio_envelope_probe, "audio-pictures": audio_pictures}
