"""Benchmark: symbolic music (issue 20).

`real`: the scores of the real chorales, the targets and floors every generated piece will be read against: the
even-numbered chorales against the odd ones (pitch-class histogram distance between the halves = the real-vs-real
floor), and the longest soprano run each chorale shares with the others (how much the corpus repeats itself, which
bounds what a memorisation score can mean).

`train`: `duelo train --task music` for the given kimg (and minutes cap), then the run's summary scores (generated
windows against held-out ones, each beside the held-out figure) and speed, one row per run.

    python benchmarks/music.py real [--dataset folk] --out benchmarks/results/music-real-DATE.json
    python benchmarks/music.py train --kimg 1000 --device cuda --runs /tmp/music --out RESULT.json

`rescore`: the summary's scores again, on this machine's CPU, for a run folder whose model/ came back from the GPU
machine (scores added after it trained, e.g. mode_accuracy); its samples come from the same seeds on another
device's random stream, so the figures it shares with the summary move within their sampling noise.

    python benchmarks/music.py rescore --run RUN --out RESULT.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from duelo.io.provenance import write_result
from duelo.tasks.music import corpus, scores


def real(args) -> dict:
    data = corpus.load(name=args.dataset)
    pieces = [(*data.piece(k), int(data.tonic[k]), int(data.mode[k])) for k in range(len(data))]
    halves = {"even": scores.mean_scores(pieces[::2]), "odd": scores.mean_scores(pieces[1::2])}
    floor = scores.histogram_distance(np.array(halves["even"]["pitch_class_histogram"]),
                                      np.array(halves["odd"]["pitch_class_histogram"]))
    melodies = [scores.melody(*data.piece(k)) for k in range(len(data))]
    runs = scores.SharedRuns(melodies)
    shared = [runs.longest_run(m, own=True) for m in melodies]
    lengths = [len(m) for m in melodies]
    return {"dataset": args.dataset, "pieces": len(data), "voices": int(data.pitch.shape[1]),
            "bars": int(len(data.pitch) // scores.BAR),
            "modes": {mode: int((data.mode == k).sum()) for k, mode in enumerate(corpus.MODES)},
            "halves": halves, "histogram_distance_between_halves": round(floor, 4),
            "longest_shared_soprano": {"median": float(np.median(shared)), "max": int(max(shared)),
                                       "whole_melody_share": round(float(np.mean(
                                           [s >= n for s, n in zip(shared, lengths)])), 4),
                                       "median_melody_notes": float(np.median(lengths))}}


def train(args) -> dict:
    command = [sys.executable, "-m", "duelo", "train", "--task", "music", "--kimg", str(args.kimg), "--minutes",
               str(args.minutes), "--device", args.device, "--out", str(args.runs), "--name", "music", "--set",
               f"run.snapshot_kimg={args.snapshot_kimg:g}", *args.extra]
    done = subprocess.run(command, capture_output=True, text=True)
    row = {"command": " ".join(["duelo", *command[3:]]), "returncode": done.returncode}
    summary = Path(args.runs) / "music" / "summary.json"
    if done.returncode or not summary.is_file():
        row["error"] = (done.stderr or done.stdout)[-1500:]
    else:
        data = json.loads(summary.read_text())
        row.update({k: data.get(k) for k in ("kimg", "train_time_s", "img_per_s", "step", "scores")})
    return {"rows": [row]}


def rescore(args) -> dict:
    from duelo.tasks import run_config
    from duelo.tasks.music.data import load_music_data
    from duelo.tasks.music.evaluate import score_model
    from duelo.tasks.music.model_io import load_music_model

    run = Path(args.run)
    config = run_config(run, "windows")
    if not (run / "model").is_dir():
        raise SystemExit(f"{run}: no model/ folder to rescore")
    data = load_music_data(config)
    G, _ = load_music_model(run / "model")
    summary = json.loads((run / "summary.json").read_text()) if (run / "summary.json").is_file() else {}
    row = {"command": f"rescore of a run trained by: {args.trained_by}" if args.trained_by else "rescore",
           **{k: summary.get(k) for k in ("kimg", "train_time_s", "img_per_s", "step")},
           "summary_scores": summary.get("scores"), "conditional": bool(config.data.conditional),
           "scores": score_model(G, data, config.music.eval_pieces, config.train.seed, "cpu")}
    return {"rows": [row]}


MODES = {"real": real, "train": train, "rescore": rescore}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=tuple(MODES))
    parser.add_argument("--out", required=True)
    parser.add_argument("--dataset", default="chorales", help="real: chorales or folk")
    parser.add_argument("--kimg", type=float, default=1000.0)
    parser.add_argument("--minutes", type=float, default=10.0, help="a cap on the training time")
    parser.add_argument("--snapshot-kimg", type=float, default=200.0)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--runs", default="/tmp/music-runs")
    parser.add_argument("--run", help="rescore: the run folder")
    parser.add_argument("--trained-by", default="", help="rescore: the command that trained the run (recorded)")
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="more `duelo train` options")
    args = parser.parse_args()
    if args.mode == "rescore" and not args.run:
        parser.error("rescore needs --run RUN (a music run folder with its model/)")
    result = {"benchmark": "music", "mode": args.mode, **MODES[args.mode](args)}
    write_result(args.out, result)
    print(result)


if __name__ == "__main__":
    main()
