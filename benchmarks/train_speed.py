"""Benchmark: training throughput of duelo's trainer (eager, the foundation's step) on random data.

    python benchmarks/train_speed.py --device cuda --models dcgan --batches 64,256,1024 --precisions tf32,bf16 \\
        --graphs off,on --seconds 4 --out train-speed.json

Times whole iterations (one D step + one G step, real images counted) of DCGAN-32 and MLP after a warm-up
(eager, or captured in CUDA graphs: --graphs on,off),
for each batch size and precision, and prints a markdown table with the counted FLOPs of an iteration
(duelo.training.flops), model FLOPs utilisation against the measured dense bf16 matmul rate, and peak memory
(CUDA-graph memory pools included). Writes every row as JSON (--out, with the provenance block of
duelo.io.provenance: git commit, command, device, versions). Random uint8 images stand in for a
dataset: throughput does not depend on pixel content. Issue 8 builds the side-by-side peer harness; this
is the baseline the later speed work is measured against.
"""

from __future__ import annotations

import argparse
import time

import torch

from duelo.io.provenance import write_result
from duelo.losses import LOSSES
from duelo.models import build_discriminator, build_generator
from duelo.objectives import GANObjective
from duelo.training.feed import BatchFeed
from duelo.training.flops import count_flops, measure_matmul_rate
from duelo.training.protocols import Player
from duelo.training.runtime import Runtime
from duelo.training.trainer import Trainer, TrainerSettings


def measure(model: str, batch: int, precision: str, device: str, seconds: float, conditional: bool,
            graphs: bool) -> dict:
    runtime = Runtime.create(device, precision, cuda_graph=graphs)
    torch.manual_seed(0)
    c_dim = 10 if conditional else 0
    G = build_generator(model, resolution=32, channels=1, c_dim=c_dim).to(runtime.device)
    D = build_discriminator(model, resolution=32, channels=1, c_dim=c_dim).to(runtime.device)
    images = torch.randint(0, 256, (max(4096, 4 * batch), 1, 32, 32), dtype=torch.uint8)
    labels = torch.randint(0, 10, (images.shape[0],)) if conditional else None
    feed = BatchFeed(images, labels, batch, seed=0, device=runtime.device)
    players = {"G": Player(G, torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999)), ema=True),
               "D": Player(D, torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999)))}
    objective = GANObjective(G, D, LOSSES.get("bce"), label_pool=feed.labels)
    trainer = Trainer(objective, players, feed, runtime, TrainerSettings(batch=batch), seed=0)

    def sync() -> None:
        if runtime.device.type == "cuda":
            torch.cuda.synchronize()

    flops = count_flops(trainer.step).total  # the first iteration (always eager): G and D, forward and backward
    sync()
    # The peak is counted from here, before the warm-up: a CUDA graph's private memory pool is allocated while
    # the graph is captured (in the warm-up) and replays allocate nothing, so resetting the counter after the
    # capture (as this script did before) left the graph rows' working memory out of "peak GiB".
    if runtime.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(runtime.device)
    for _ in range(20):                     # warm-up: allocator, cuDNN autotune, lazy inits, graph capture
        trainer.step()
    sync()
    steps, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(10):
            trainer.step()
        steps += 10
        sync()
    elapsed = time.perf_counter() - started
    trainer.check_finite()
    losses = trainer.stats.read()
    peak = torch.cuda.max_memory_allocated(runtime.device) if runtime.device.type == "cuda" else None
    return {"model": model, "batch": batch, "precision": runtime.precision, "img_per_s": steps * batch / elapsed,
            "graphs": trainer.graphs is not None, "graphs_off": trainer.graphs_off_reason,
            "ms_per_iteration": 1000 * elapsed / steps, "loss_D": losses.get("loss_D"),
            "gflop_per_iteration": flops / 1e9, "tflop_per_s": flops * steps / elapsed / 1e12,
            "peak_memory_gib": None if peak is None else peak / 2**30, "device": runtime.describe()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batches", default="64,256,1024")
    parser.add_argument("--models", default="dcgan,mlp")
    parser.add_argument("--precisions", default="auto")
    parser.add_argument("--conditional", action="store_true")
    parser.add_argument("--graphs", default="on", help="on, off or on,off: the CUDA-graph-captured step")
    parser.add_argument("--out", default=f"train-speed-{time.strftime('%Y-%m-%d')}.json",
                        help="JSON file for every row, with its provenance (default: %(default)s)")
    args = parser.parse_args()
    rows = []
    for model in args.models.split(","):
        for precision in args.precisions.split(","):
            for batch in map(int, args.batches.split(",")):
                for graphs in args.graphs.split(","):
                    row = measure(model, batch, precision, args.device, args.seconds, args.conditional,
                                  graphs == "on")
                    rows.append(row)
                    print(row, flush=True)
    device = Runtime.create(args.device).device
    rate = measure_matmul_rate(device, torch.bfloat16, size=8192 if device.type == "cuda" else 1024)
    print(f"\ndevice: {rows[0]['device']}; torch {torch.__version__}; {time.strftime('%Y-%m-%d')}; measured dense "
          f"bf16 matmul rate {rate / 1e12:.0f} TFLOP/s (MFU below is against it)")
    print("| model | batch | precision | step | img/s | ms/iteration | GFLOP/iteration (counted) | MFU | peak GiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        peak = "—" if row["peak_memory_gib"] is None else f"{row['peak_memory_gib']:.2f}"
        step = "CUDA graph" if row["graphs"] else "eager"
        print(f"| {row['model']} | {row['batch']} | {row['precision']} | {step} | {row['img_per_s']:,.0f} | "
              f"{row['ms_per_iteration']:.2f} | {row['gflop_per_iteration']:.2f} | "
              f"{100 * row['tflop_per_s'] * 1e12 / rate:.1f}% | {peak} |")
    for row in rows:
        row["mfu"] = row["tflop_per_s"] * 1e12 / rate
    path = write_result(args.out, {"torch": torch.__version__, "date": time.strftime("%Y-%m-%d"),
                                   "seconds": args.seconds, "conditional": args.conditional,
                                   "matmul_bf16_flop_per_s": rate, "rows": rows})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
