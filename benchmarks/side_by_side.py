"""Benchmark: training speed of duelo side by side with peer GAN codebases, on random data.

    python benchmarks/side_by_side.py --device cuda --tasks dcgan32,sngan32,stylegan2-32 \\
        --batches 64,256 --contenders all --seconds 10 --out side-by-side.json

For each (task, batch, contender) it builds the contender (benchmarks/peers), warms it up, counts the FLOPs
of an iteration (the mean over 16, a lazy-regularisation cycle) with duelo.training.flops (matrix products and
convolutions, forward and backward), then
loops its step for at least --seconds, synchronising only around the timed region (and every --sync-every
steps, to read the clock). It reports real images per second seen by D, ms per iteration, peak memory and
MFU (counted FLOP/s over the measured dense bf16 matmul rate of this device), then a markdown table and a
JSON file with every number and the provenance block of duelo.io.provenance (git commit, command, device,
versions). A contender that fails prints its error in its row; the run goes on. duelo is the installed
package; peers are installed from wheels: benchmarks/peers/README.md.
"""

from __future__ import annotations

import argparse
import gc
import platform
import sys
import time
import traceback
from pathlib import Path

import torch

from duelo.io.provenance import write_result
from duelo.training.flops import count_flops, measure_matmul_rate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))          # the repo root (not src/): `benchmarks.peers`

from benchmarks.peers import CONTENDERS, DUELO_PREFIX, PLAIN, TASKS, Unsupported  # noqa: E402


FLOP_ITERATIONS = 16    # iterations the FLOP count averages over: one cycle of lazy R1 at its default interval


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def free_memory(device: torch.device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


def measure(builder, task: str, batch: int, device: torch.device, seconds: float, warmup: int,
            sync_every: int) -> dict:
    """Build, warm up, count FLOPs of one iteration, then time >= `seconds` of iterations."""
    contender = builder(task, batch, device)
    row = {"contender": contender.name, "notes": contender.notes,
           "real_images_per_step": contender.real_images_per_step}
    for _ in range(warmup):                     # allocator, cuDNN autotune, lazy inits, graph capture
        contender.step()
    sync(device)
    # the mean over a whole lazy-regularisation cycle (R1 every 16 iterations, a peer's GP every 4): one
    # iteration alone over- or under-counts depending on whether a lazy step happened to be due
    counted = contender.flop_step or contender.step
    flops = count_flops(lambda: [counted() for _ in range(FLOP_ITERATIONS)])
    flops = type(flops)(flops.total / FLOP_ITERATIONS,
                        {op: n / FLOP_ITERATIONS for op, n in flops.by_operator.items()})
    contender.flop_step = None                  # an eager twin (graph contenders) is not kept while timing
    free_memory(device)
    sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    steps, started = 0, time.perf_counter()
    while True:
        for _ in range(sync_every):
            contender.step()
        steps += sync_every
        sync(device)
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            break
    peak = torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None
    del contender
    row.update(steps=steps, seconds=elapsed, ms_per_iteration=1000 * elapsed / steps,
               img_per_s=steps * row["real_images_per_step"] / elapsed,
               gflop_per_iteration=flops.total / 1e9, tflop_per_s=flops.total * steps / elapsed / 1e12,
               flops_by_operator=flops.by_operator,
               peak_memory_gib=None if peak is None else peak / 2**30)
    return row


def run_one(name: str, task: str, batch: int, device: torch.device, args) -> dict:
    row = {"task": task, "batch": batch, "registry_name": name, "contender": name}
    try:
        row.update(measure(CONTENDERS[name], task, batch, device, args.seconds, args.warmup, args.sync_every))
    except Unsupported as error:
        row.update(status="unsupported", error=str(error))
    except Exception as error:                  # a peer's failure is a result, not the end of the run
        row.update(status="error", error=f"{type(error).__name__}: {error}",
                   traceback=traceback.format_exc(limit=8))
        if device.type == "cuda":
            torch.cuda.synchronize(device)
    else:
        row["status"] = "ok"
    free_memory(device)
    return row


def add_ratios(rows: list[dict], rate: float) -> None:
    """Speed-up over plain eager of the same (task, batch), best duelo row over this row, and MFU."""
    for row in rows:
        if row["status"] != "ok":
            continue
        same = [r for r in rows if (r["task"], r["batch"]) == (row["task"], row["batch"]) and r["status"] == "ok"]
        plain = [r for r in same if r["registry_name"] == PLAIN]
        duelo = [r["img_per_s"] for r in same if r["registry_name"].startswith(DUELO_PREFIX)]
        row["vs_plain"] = row["img_per_s"] / plain[0]["img_per_s"] if plain else None
        row["duelo_best_vs_this"] = max(duelo) / row["img_per_s"] if duelo else None
        row["mfu"] = row["tflop_per_s"] * 1e12 / rate


def _x(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def table(rows: list[dict]) -> str:
    lines = ["| task | batch | contender | img/s | vs plain eager | duelo-best / this | ms/iter | GFLOP/iter | "
             "MFU | peak GiB | notes |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["status"] != "ok":
            lines.append(f"| {r['task']} | {r['batch']} | {r['contender']} | {r['status']} | | | | | | | "
                         f"{r['error'].replace('|', '/')} |")
            continue
        peak = "—" if r["peak_memory_gib"] is None else f"{r['peak_memory_gib']:.2f}"
        lines.append(f"| {r['task']} | {r['batch']} | {r['contender']} | {r['img_per_s']:,.0f} | "
                     f"{_x(r['vs_plain'])} | {_x(r['duelo_best_vs_this'])} | {r['ms_per_iteration']:.2f} | "
                     f"{r['gflop_per_iteration']:.2f} | {100 * r['mfu']:.1f}% | {peak} | "
                     f"{r['notes'].replace('|', '/')} |")
    return "\n".join(lines)


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU ({platform.processor() or platform.machine()}), {torch.get_num_threads()} threads"


def parse_list(text: str, choices, what: str) -> list[str]:
    items = list(choices) if text == "all" else [item.strip() for item in text.split(",") if item.strip()]
    unknown = [item for item in items if item not in choices]
    if unknown:
        raise SystemExit(f"unknown {what} {', '.join(map(repr, unknown))}; choose from: {', '.join(choices)}")
    return items


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="cuda, cuda:N or cpu (cpu: smoke tests)")
    parser.add_argument("--tasks", default=",".join(TASKS), help=f"comma-separated, of {', '.join(TASKS)}")
    parser.add_argument("--batches", default="64,256")
    parser.add_argument("--contenders", default="all", help=f"all, or comma-separated of: {', '.join(CONTENDERS)}")
    parser.add_argument("--seconds", type=float, default=10.0, help="minimum timed seconds per row")
    parser.add_argument("--warmup", type=int, default=15, help="untimed iterations before counting and timing")
    parser.add_argument("--sync-every", type=int, default=20, help="iterations between clock reads")
    parser.add_argument("--out", default=None, help="JSON file for every number (default: none)")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    tasks = parse_list(args.tasks, TASKS, "task")
    names = parse_list(args.contenders, list(CONTENDERS), "contender")
    batches = [int(b) for b in args.batches.split(",")]
    rate = measure_matmul_rate(device, torch.bfloat16, size=8192 if device.type == "cuda" else 512)
    print(f"{device_name(device)}; torch {torch.__version__}; dense bf16 matmul {rate / 1e12:.1f} TFLOP/s "
          f"(MFU is against it)", flush=True)
    rows = []
    for task in tasks:
        for batch in batches:
            for name in names:
                row = run_one(name, task, batch, device, args)
                rows.append(row)
                summary = f"{row['img_per_s']:,.0f} img/s" if row["status"] == "ok" else row["error"]
                print(f"{task} batch {batch} {row['contender']}: {summary}", flush=True)
    add_ratios(rows, rate)
    report = {"device": device_name(device), "torch": torch.__version__, "cuda": torch.version.cuda,
              "date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "command": " ".join(sys.argv),
              "matmul_bf16_flop_per_s": rate, "seconds": args.seconds, "warmup": args.warmup, "rows": rows}
    print(f"\n{report['device']}; torch {report['torch']}; {report['date']}\n")
    print(table(rows))
    if args.out:
        write_result(args.out, report)
    return rows


if __name__ == "__main__":
    main()
