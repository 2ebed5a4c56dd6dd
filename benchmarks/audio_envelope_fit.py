"""Benchmark: can a spectral generator draw a note's shape over time? (issue 20) No adversary: G is fitted by
regression to the real training notes' log-magnitude pictures (L1, its label as the only input, z = 0), and its
pictures' envelopes (the level of each frame, dB, from the summed power of its bins) are compared with the real
notes' per instrument. The GAN runs' notes swell where the real piano decays (docs/benchmarks.md, "Under the new
judge"); a generator upsampled from one column in time (`specgan-h`: 32 frames from 1) may find a sharp onset
hard to draw at all. Each `--start-frames` value is one generator (networks.SpecGenerator's start_frames; 0: the
default frames / 32), fitted for the same steps from the same seed:

    python benchmarks/audio_envelope_fit.py --model specgan-h --start-frames 0,4,8 --out RESULT.json

Rows: the fit's L1 error and the mean absolute envelope error (dB) over all notes and per instrument, and the
piano's mean envelope (first frames) beside the real one. Needs the notes (`duelo datasets fetch notes`).
"""

from __future__ import annotations

import argparse
import time

import torch

from duelo.io.provenance import write_result


def frame_levels(magnitude: torch.Tensor) -> torch.Tensor:
    """(N, F, T) log-magnitude pictures in [-1, 1] -> (N, T) each frame's level in dB (summed power of its bins)."""
    from duelo.tasks.audio.spectral import LOG_CEIL, LOG_FLOOR

    log_magnitude = (magnitude.clamp(-1, 1) + 1) / 2 * (LOG_CEIL - LOG_FLOOR) + LOG_FLOOR
    return 10 * torch.log10((2 * log_magnitude).exp().sum(dim=1).clamp_min(1e-12))


def fit(pictures: torch.Tensor, labels: torch.Tensor, factors: tuple[int, ...], start_frames: int, args) -> dict:
    from duelo.tasks.audio.networks import SpecGenerator

    torch.manual_seed(args.seed)
    G = SpecGenerator(pictures.shape[2], pictures.shape[3], width=args.width, factors=factors,
                      start_frames=start_frames)
    optimiser = torch.optim.Adam(G.parameters(), lr=args.lr, betas=(0.5, 0.99))
    generator = torch.Generator().manual_seed(args.seed)
    started = time.perf_counter()
    for _ in range(args.steps):
        batch = torch.randint(0, len(pictures), (args.batch,), generator=generator)
        drawn = G(torch.zeros(args.batch, G.z_dim), labels[batch])[:, 0]
        loss = (drawn - pictures[batch, 0]).abs().mean()
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
    seconds = time.perf_counter() - started
    with torch.no_grad():
        drawn = torch.cat([G(torch.zeros(len(chunk), G.z_dim), labels[chunk])[:, 0]
                           for chunk in torch.arange(len(pictures)).split(64)])
    return {"start_frames": start_frames, "start_shape": list(G.start_shape[1:]),
            "parameters": sum(p.numel() for p in G.parameters()), "seconds": round(seconds, 1),
            "l1": round(float((drawn - pictures[:, 0]).abs().mean()), 4), "drawn": drawn}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--model", default="specgan-h", help="a spectral model of duelo.tasks.audio.models")
    parser.add_argument("--start-frames", default="0,4,8")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from duelo.tasks.audio.data import read_clips, split
    from duelo.tasks.audio.models import AUDIO_MODELS

    torch.set_num_threads(max(1, torch.get_num_threads()))
    clips = read_clips("notes")
    train = clips.subset((~split(clips, 0.2, args.seed)).nonzero()[0])
    factors = tuple(len(names) for names in train.class_names)
    labels = torch.from_numpy(train.labels[:, 0] * factors[1] + train.labels[:, 1]).long()
    encode = AUDIO_MODELS.get(args.model).encode
    pictures = torch.cat([encode(chunk) for chunk in torch.from_numpy(train.floats()).split(128)])
    real = frame_levels(pictures[:, 0])
    instrument = torch.from_numpy(train.labels[:, 0])
    names = train.class_names[0]
    rows = []
    for start_frames in (int(v) for v in args.start_frames.split(",")):
        row = fit(pictures, labels, factors, start_frames, args)
        levels = frame_levels(row.pop("drawn"))
        gap = (levels - real).abs()
        row["envelope_error_db"] = round(float(gap.mean()), 2)
        row["envelope_error_db_by_instrument"] = {name: round(float(gap[instrument == i].mean()), 2)
                                                  for i, name in enumerate(names)}
        piano = instrument == names.index("piano") if "piano" in names else instrument == 0
        row["first_frames_db"] = [round(float(v), 1) for v in levels[piano].mean(0)[:8]]
        row["first_frames_db_real"] = [round(float(v), 1) for v in real[piano].mean(0)[:8]]
        rows.append(row)
        print(f"start_frames {start_frames}: l1 {row['l1']}, envelope error {row['envelope_error_db']} dB, "
              f"{row['seconds']} s; piano {row['first_frames_db']} (real {row['first_frames_db_real']})", flush=True)
    write_result(args.out, {"benchmark": "audio-envelope-fit", "model": args.model, "steps": args.steps,
                            "batch": args.batch, "width": args.width, "lr": args.lr, "notes": len(train), "rows": rows})


if __name__ == "__main__":
    main()
