#!/usr/bin/env bash
# The GPU measurements of one device call, from the repository root on a GPU machine (nvidia-h200 here):
# duelo installed from its wheel (built here: `python -m pip wheel --no-deps -w .whl .`), the CUDA tests, then
# the benchmarks whose results docs/benchmarks.md and the README quote. Carry .whl (duelo, platformdirs,
# mlxtend wheels) and .device-carry (inception-fp16.pt from benchmarks/inception_fp16.py make, demo-model/ from
# benchmarks/demo_cpu.py, adult/train.csv from benchmarks/tabular.py prepare). Results go to $OUT.
#   DUELO_GIT_COMMIT=<sha> DUELO_GIT_DIRTY=0 bash benchmarks/gpu_session.sh
set -u
out=${OUT:-/tmp/gpu-out}; mkdir -p "$out"
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/platformdirs-*.whl \
    .whl/mlxtend-*.whl || exit 1
export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1 DUELO_CACHE_DIR=/tmp/duelo-cache
python3 -m pip install -q --no-index --no-deps .whl/duelo-*.whl || exit 1
python3 -c "import duelo, torch; print('duelo', duelo.__version__, duelo.__file__, 'torch', torch.__version__)"
python3 -m pytest -q -p no:cacheprovider -m cuda tests 2>&1 | tail -25 | tee "$out/cuda-tests.txt"
python3 benchmarks/side_by_side.py --device cuda --tasks dcgan32 --batches 64 --seconds 4 --warmup 10 \
    --contenders "plain eager,duelo,duelo graph,duelo graph bf16 channels-last" --out "$out/side-by-side.json" \
    2>&1 | tail -12
python3 benchmarks/train_speed.py --device cuda --models dcgan --batches 64,1024 --graphs off,on --seconds 4 \
    --out "$out/train-speed.json" 2>&1 | tail -8
python3 benchmarks/inception_fp16.py upcast --copy .device-carry/inception-fp16.pt --out /tmp/inception.pt
python3 benchmarks/fid_speed.py --model .device-carry/demo-model --dataset mnist-5k --device cuda \
    --counts 10000,50000 --inception /tmp/inception.pt --out "$out/fid-speed.json" 2>&1 | tail -6
python3 benchmarks/tabular_gpu.py 3 --data .device-carry/adult --out "$out/tabular-gpu.json" 2>&1 | tail -12
