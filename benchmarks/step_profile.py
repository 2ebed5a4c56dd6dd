"""Profile: where the time of one training iteration goes, per architecture preset (host vs GPU).

    python benchmarks/step_profile.py --out step-profile.json [--archs dcgan,resnet,stylegan2,progan] [--set K=V]

Builds each architecture with the presets benchmarks/architectures.py trains (class-conditional, 32x32,
batch 64; health monitor off, no augmentation) on random images, times `trainer.step()` after a warm-up (wall
clock, synchronised), and
profiles a few iterations with torch.profiler: the GPU's busy time per iteration (sum of kernel times) against
the wall time says whether the step waits for the GPU or for the host (Python, launches, syncs). Prints the
heaviest kernels. Progressive growing is profiled fully grown (its most expensive level). --out writes every row
as JSON with the provenance block of duelo.io.provenance (git commit, command, device, versions).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from duelo.io.provenance import write_result

sys.path.insert(0, str(Path(__file__).resolve().parent))    # benchmarks/ (not src/): the presets it trains
from architectures import ARCHS  # noqa: E402


def session_for(arch: str, data: Path, extra: list[str]):
    from duelo.cli.options import parse_assignments
    from duelo.tasks import task_config
    from duelo.tasks.presets import load_preset
    from duelo.tasks.runner import build_session

    args = ARCHS[arch]
    config = load_preset(args[1]) if args[0] == "--preset" else task_config("image-gan")
    overrides = {"model.name": args[1]} if args[0] == "--model" else {}
    overrides.update({"data.dataset": str(data), "model.conditional": True, "data.resolution": 32,
                      "train.batch": 64, "health.enabled": False, "augment.name": "none",
                      "run.out": tempfile.mkdtemp()})
    overrides.update(parse_assignments(extra))          # the same dotted names as `duelo train --set`
    return build_session(config.with_overrides(overrides), stream=open("/dev/null", "w"), live_progress=False)


def profile(arch: str, data: Path, iterations: int, extra: list[str]) -> dict:
    session = session_for(arch, data, extra)
    trainer = session.trainer
    for schedule in trainer.schedules:                   # progressive growing: profile the full network
        trainer.counters.nimg = 10**9
        schedule(trainer)
        trainer.counters.nimg = 0
    trainer.schedules.clear()
    for _ in range(32):                        # warm-up; both windows below start at the same phase of the
        trainer.step()                         # lazy regularisation (every 16) and hold whole periods of it
    torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(iterations):
        trainer.step()
    torch.cuda.synchronize()
    wall_ms = 1000 * (time.perf_counter() - started) / iterations
    steps = 32
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU,
                                            torch.profiler.ProfilerActivity.CUDA]) as prof:
        for _ in range(steps):
            trainer.step()
        torch.cuda.synchronize()
    events = prof.key_averages()
    kernels = [e for e in events if e.device_type == torch.autograd.DeviceType.CUDA]
    gpu_ms = sum(e.self_device_time_total for e in kernels) / 1000 / steps
    launches = sum(e.count for e in kernels) / steps
    top = sorted(kernels, key=lambda e: e.self_device_time_total, reverse=True)[:6]
    images = trainer.settings.batch * session.config.train.d_steps
    row = {"arch": arch, "wall_ms_per_iteration": round(wall_ms, 2), "gpu_busy_ms_per_iteration": round(gpu_ms, 2),
           "gpu_busy_fraction": round(gpu_ms / wall_ms, 3), "kernels_per_iteration": round(launches),
           "img_per_s": round(images / wall_ms * 1000),
           "top_kernels": [(e.key[:90], round(e.self_device_time_total / 1000 / steps, 3)) for e in top],
           "device": session.trainer.runtime.describe()}
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archs", default=",".join(ARCHS))
    parser.add_argument("--iterations", type=int, default=96, help="timed iterations (a multiple of 16)")
    parser.add_argument("--set", dest="extra", action="append", default=[], help="config override, repeatable")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp()) / "random.npz"
    rng = np.random.default_rng(0)
    np.savez(data, images=rng.integers(0, 256, (4096, 28, 28), dtype=np.uint8),
             labels=rng.integers(0, 10, 4096))
    rows = [profile(arch, data, args.iterations, args.extra) for arch in args.archs.split(",")]
    if args.out:
        write_result(args.out, {"rows": rows, "torch": torch.__version__, "date": time.strftime("%Y-%m-%d"),
                                "gpu": torch.cuda.get_device_name(0), "extra": args.extra})


if __name__ == "__main__":
    main()
