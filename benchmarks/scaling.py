"""Benchmark: weak scaling of duelo's data-parallel trainer (a fixed batch per GPU, 1 to N GPUs).

    # one GPU, then two (nvidia-h200-x2); each prints one JSON line from process 0
    torchrun --standalone --nproc-per-node 1 benchmarks/scaling.py --model dcgan --batch-per-gpu 64
    torchrun --standalone --nproc-per-node 2 benchmarks/scaling.py --model dcgan --batch-per-gpu 64

Every process runs duelo's Trainer on random uint8 images (its share of each global batch), with the default
runtime (CUDA graphs, gradients averaged across processes inside the captured step). Images per second
are global: all processes' real images over the wall time of process 0, after a warm-up.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from duelo.tasks import task_config  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="dcgan", help="dcgan, or a preset name (sngan, stylegan2)")
    parser.add_argument("--batch-per-gpu", type=int, default=64)
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--graphs", default="on", choices=["on", "off"])
    parser.add_argument("--seconds", type=float, default=10.0)
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
    parts = assemble(config, len(images), 32, 3, 0, None, runtime.device)
    trainer = Trainer(parts.objective, parts.G, parts.D, parts.optimizers, feed, runtime,
                      TrainerSettings(batch=args.batch_per_gpu), seed=0)
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
        print(json.dumps({"model": args.model, "gpus": world, "batch_per_gpu": args.batch_per_gpu,
                          "precision": runtime.precision, "step": trainer.step_mode(),
                          "img_per_s": (trainer.counters.nimg - start_nimg) / elapsed,
                          "ms_per_iteration": 1000 * elapsed / steps, "device": torch.cuda.get_device_name(),
                          "torch": torch.__version__, "date": time.strftime("%Y-%m-%d")}), flush=True)
    if world > 1:
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
