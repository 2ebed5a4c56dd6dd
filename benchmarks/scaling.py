"""Benchmark: weak scaling of duelo's data-parallel trainer (a fixed batch per GPU, 1 to N GPUs).

    # one GPU, then two (nvidia-h200-x2); process 0 prints one JSON line and appends it to --out
    torchrun --standalone --nproc-per-node 1 benchmarks/scaling.py --model dcgan --batch-per-gpu 64 --out scaling.json
    torchrun --standalone --nproc-per-node 2 benchmarks/scaling.py --model dcgan --batch-per-gpu 64 --out scaling.json

Every process runs duelo's Trainer on random uint8 images (its share of each global batch), with the default
runtime (CUDA graphs, gradients averaged across processes inside the captured step). Images per second
are global: all processes' real images over the wall time of process 0, after a warm-up.

--out collects the rows of several invocations (1 and 2 GPUs, graphs on and off) in one JSON file with the
provenance block of duelo.io.provenance; each row also keeps its own command line. Rows of a different code
version (git commit or dirty flag) are refused rather than mixed into one file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from duelo.io.provenance import code_version, write_result
from duelo.tasks import task_config


def append_row(path: Path, row: dict) -> Path:
    """Add `row` to the rows of `path` (created if missing) and rewrite it with a fresh provenance block."""
    rows = []
    if path.exists():
        previous = json.loads(path.read_text())
        old, new = previous.get("provenance", {}), code_version()
        if (old.get("git_commit"), old.get("git_dirty")) != (new["git_commit"], new["git_dirty"]):
            raise SystemExit(f"{path} holds rows of commit {old.get('git_commit')} (dirty {old.get('git_dirty')}); "
                             f"this is {new['git_commit']} (dirty {new['git_dirty']}): write to another --out")
        rows = previous.get("rows", [])
    return write_result(path, {"rows": [*rows, row]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="dcgan", help="dcgan, or a preset name (sngan, stylegan2)")
    parser.add_argument("--batch-per-gpu", type=int, default=64)
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--graphs", default="on", choices=["on", "off"])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=Path(f"scaling-{time.strftime('%Y-%m-%d')}.json"),
                        help="JSON file the row is appended to (default: %(default)s)")
    args = parser.parse_args()

    from duelo.tasks.image_gan.parts import assemble
    from duelo.tasks.presets import load_preset
    from duelo.training.feed import BatchFeed
    from duelo.training.runtime import Runtime
    from duelo.training.trainer import Trainer, TrainerSettings

    config = load_preset(args.model) if args.model in ("sngan", "stylegan2") else \
        task_config("image-gan", {"model.name": args.model})
    runtime = Runtime.create("cuda", args.precision, cuda_graph=args.graphs == "on")
    world = runtime.world_size
    images = torch.randint(0, 256, (max(8192, 8 * args.batch_per_gpu * world), 3, 32, 32), dtype=torch.uint8,
                           generator=torch.Generator().manual_seed(0))
    feed = BatchFeed(images, None, args.batch_per_gpu, seed=0, device=runtime.device, rank=runtime.rank,
                     world_size=world)
    torch.manual_seed(0)
    parts = assemble(config, feed, len(images), 32, 3, 0, runtime.device)
    trainer = Trainer(parts.objective, parts.players, feed, runtime, TrainerSettings(batch=args.batch_per_gpu),
                      seed=0)
    warmup = 4 * max(phase.interval for phase in parts.objective.phases) + 10
    for _ in range(warmup):
        trainer.step()
    torch.cuda.synchronize()
    runtime.barrier()
    start_nimg, started, steps = trainer.counters.nimg, time.perf_counter(), 0
    while True:
        for _ in range(20):
            trainer.step()
        steps += 20
        torch.cuda.synchronize()
        elapsed = time.perf_counter() - started
        if runtime.any_true(elapsed >= args.seconds):
            break
    runtime.barrier()
    elapsed = time.perf_counter() - started
    if runtime.is_main:
        row = {"model": args.model, "gpus": world, "batch_per_gpu": args.batch_per_gpu,
               "precision": runtime.precision, "step": trainer.step_mode(),
               "img_per_s": (trainer.counters.nimg - start_nimg) / elapsed,
               "ms_per_iteration": 1000 * elapsed / steps, "device": torch.cuda.get_device_name(),
               "torch": torch.__version__, "date": time.strftime("%Y-%m-%d")}
        print(json.dumps(row), flush=True)
        path = append_row(args.out, {**row, "command": " ".join([sys.executable, *sys.argv])})
        print(f"wrote {path}", flush=True)
    if world > 1:
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
