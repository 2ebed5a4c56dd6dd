#!/usr/bin/env bash
# CUDA correctness checks of the trainer (not a speed benchmark): run on a GPU machine from the repo root.
#   bash benchmarks/cuda_checks.sh OUT_DIR
# 1. a tiny conditional run killed by SIGKILL right after its 2nd checkpoint, re-run, compared with an
#    uninterrupted run (bitwise, and by max abs difference if cuDNN picked non-deterministic kernels);
# 2. Ctrl-C (SIGINT) mid-run: checkpoint written, exit 130, resume completes;
# 3. resuming a CUDA run with --device cpu is refused with a clear message.
# duelo must be installed for $PYTHON (docs/benchmarks.md, "Provenance"): src/ is never put on PYTHONPATH.
set -u
out=${1:-/tmp/cuda-checks}; mkdir -p "$out"; cd "$(dirname "$0")/.."
export DUELO_CACHE_DIR="$out/cache"
args=(train --dataset mnist-5k --resolution 32 --width 16 --conditional --batch 64 --kimg 2.56
      --snapshot-kimg 0.64 --log-kimg 0.32 --device cuda)
py=${PYTHON:-python3}
$py -m duelo "${args[@]}" --out "$out/a" --name run 2>&1 | tail -2
DUELO_FAULT=checkpoint-committed:2 $py -m duelo "${args[@]}" --out "$out/b" --name run >/dev/null 2>&1; echo "killed rc=$?"
$py -m duelo "${args[@]}" --out "$out/b" --name run 2>&1 | grep -E "resuming|done"
DUELO_FAULT=iteration:17:SIGINT $py -m duelo "${args[@]}" --out "$out/c" --name run 2>&1 | tail -1; echo "sigint rc=${PIPESTATUS[0]}"
$py -m duelo "${args[@]}" --out "$out/c" --name run 2>&1 | grep -E "resuming|done"
$py -m duelo "${args[@]}" --out "$out/c" --name run --device cpu 2>&1 | tail -1
$py - "$out" <<'PY'
import sys, torch
from pathlib import Path
from safetensors.torch import load_file
out = Path(sys.argv[1])
def last(run): return load_file(str(sorted((run / "checkpoints").glob("ckpt-*"))[-1] / "state.safetensors"))
a = last(out / "a" / "run")
for name in ("b", "c"):
    b = last(out / name / "run")
    differ = [k for k in a if not torch.equal(a[k], b[k])]
    worst = max((float((a[k].float() - b[k].float()).abs().max()) for k in differ if a[k].is_floating_point()), default=0.0)
    print(f"{name}: {len(differ)} of {len(a)} tensors differ from the uninterrupted run; max abs difference {worst:.3g}")
PY
