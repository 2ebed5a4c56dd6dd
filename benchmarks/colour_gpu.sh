#!/usr/bin/env bash
# The GPU calls of issue 17's measurements, one phase per argument (each phase fits one 10-minute device call):
#   bash benchmarks/colour_gpu.sh setup duelo     # duelo presets on the 3,000 Fluent emoji at equal training time
#   bash benchmarks/colour_gpu.sh setup peers     # lucidrains' peers, same data, time and judge
#   bash benchmarks/colour_gpu.sh setup speed     # img/s at 128/256 px beside stylegan2-pytorch
#   bash benchmarks/colour_gpu.sh setup fewshot   # 100 images: fastgan vs stylegan2 presets
#   bash benchmarks/colour_gpu.sh setup fid128    # FID-50k time at 128 px
#   bash benchmarks/colour_gpu.sh setup cuda      # pytest -m cuda
# On a machine of several GPUs (kind nvidia-h100-x8 or -x4), the equal-time comparison in two calls, every
# configuration alone on its own GPU for MINUTES (at most ~8: a call ends at 600 s), judged in the next call:
#   MINUTES=8 GPUS=8 bash benchmarks/colour_gpu.sh setup equal_train
#   GPUS=8 bash benchmarks/colour_gpu.sh setup equal_judge      # right after, while the machine is warm
# Where only one-GPU kinds are lent, the same comparison one configuration per call, each alone on the GPU for
# MINUTES (at most ~7 with judging in the same call), over several sessions on the same kind of card (name it):
#   bash benchmarks/colour_gpu.sh setup            # first call: carry .device-carry/inception-fp16.pt and
#       .device-carry/whl-min (with .device-carry/fidref as well for `setup fid128`: the 391 held-out images do
#       not fit beside the Inception copy, 100 of them do)
#   CONFIGS=stylegan2 MINUTES=7 bash benchmarks/colour_gpu.sh setup alone      # next, on the warm machine:
#       carry .whl, .device-carry/colour/emoji64-heldout.npz and .device-carry/colour/emoji64-train.npy.xz
#       (`benchmarks/colour.py prepare` writes both)
#   CONFIGS=dcgan MINUTES=10 TRAIN_ONLY=1 DEADLINE=540 bash benchmarks/colour_gpu.sh setup alone   # 10 minutes:
#   CONFIGS=dcgan MINUTES=10 JUDGE_POINTS=12 bash benchmarks/colour_gpu.sh setup alone   # next call: finish, judge
#   CONFIGS=stylegan2 MINUTES=7 bash benchmarks/colour_gpu.sh setup alone probe   # the same, then probe the run:
#       noise strengths, KID with fixed / fresh / no noise, ADA's p (benchmarks/colour_probe.py; not yet timed)
# Carried (benchmarks/peers/README.md, benchmarks/colour.py, benchmarks/inception_fp16.py): .whl/ (the missing
# dependencies: platformdirs and the peers' wheels; duelo itself runs from src/), .whl-peers/ if the peers' wheels
# are kept apart, .device-carry/ (inception-fp16.pt, the colour files) unless a previous call on the same machine
# left /tmp/inception.pt and /tmp/colour. All of them together exceed one call's 64 MiB: carry the Inception copy
# in one call and the rest in the next. Results go to $OUT.
# On a new checkout, `bash benchmarks/device_carry.sh colour inception wheels` builds everything carried here.
set -u
export PYTHONPATH=$PWD/src:/tmp/site PYTHONUNBUFFERED=1 DUELO_CACHE_DIR=/tmp/duelo-cache   # duelo from the tree
P=python3
MINUTES=${MINUTES:-1.5}

setup() {
    # the wheels carried: .whl/ (duelo's missing dependencies and the peers'), else .device-carry/whl-min/ (duelo's
    # alone, 1.4 MB: what a call carrying the Inception copy has room for)
    wheels=$(ls .whl/*.whl .whl-peers/*.whl 2>/dev/null || true)
    [ -n "$wheels" ] || wheels=$(ls .device-carry/whl-min/*.whl 2>/dev/null || true)
    [ -z "$wheels" ] || $P -m pip install -q --no-index --no-deps --no-compile --target /tmp/site $wheels 2>&1 \
        | tail -n 3
    if [ ! -f /tmp/inception.pt ] && [ -f .device-carry/inception-fp16.pt ]; then
        $P benchmarks/inception_fp16.py upcast --copy .device-carry/inception-fp16.pt --out /tmp/inception.pt
    fi
    mkdir -p /tmp/colour
    [ -f /tmp/colour/emoji64-heldout.npz ] || [ ! -d .device-carry/colour ] || cp .device-carry/colour/emoji64-heldout.npz /tmp/colour/
    # the training images travel as an xz-compressed .npy (12 MB instead of 16.5) to fit a call's 64 MiB
    [ -f /tmp/colour/emoji64-train.npz ] || [ ! -d .device-carry/colour ] || $P -c "import io, lzma, numpy as np
a = np.load(io.BytesIO(lzma.decompress(open('.device-carry/colour/emoji64-train.npy.xz', 'rb').read())))
np.savez(open('/tmp/colour/emoji64-train.npz', 'wb'), images=a)"
    nvidia-smi --query-gpu=name,memory.used,utilization.gpu --format=csv,noheader
}

duelo() {
    $P benchmarks/colour.py train --data /tmp/colour --configs stylegan2,fastgan,dcgan --minutes "$MINUTES" \
        --snapshot-kimg 25 --samples 2000 --inception /tmp/inception.pt --out "$OUT" --runs /tmp/runs-duelo \
        --label equal-time-duelo --deadline-s 480
}

peers() {
    $P benchmarks/colour.py train --data /tmp/colour --configs lucidrains-stylegan2,lightweight-gan \
        --minutes "$MINUTES" --samples 2000 --inception /tmp/inception.pt --out "$OUT" --runs /tmp/runs-peers \
        --label equal-time-peers --deadline-s 300
}

EQUAL="stylegan2,fastgan,dcgan,r3gan-lazy,lucidrains-stylegan2,lightweight-gan"
equal() {
    $P benchmarks/colour.py train --data /tmp/colour --configs "$EQUAL" --minutes "$MINUTES" --gpus "${GPUS:-8}" \
        --snapshot-kimg 100 --samples 2000 --inception /tmp/inception.pt --out "$OUT" --runs /tmp/runs-equal \
        --label equal-time-gpus --deadline-s 540 "$@"   # + the stop grace (45 s) < 600
}
alone() {
    # one configuration (or a few, one after the other) alone on the GPU, judged in the same call. A run longer
    # than one call: TRAIN_ONLY=1 DEADLINE=540 stops it with a checkpoint at the deadline, and the same command
    # without TRAIN_ONLY in the next call (same machine) continues it to MINUTES of training, then judges it
    $P benchmarks/colour.py train --data /tmp/colour --configs "${CONFIGS:?CONFIGS=name[,name]}" \
        --minutes "$MINUTES" --snapshot-kimg "${SNAPSHOT:-100}" --samples 2000 --inception /tmp/inception.pt \
        --out "$OUT" --runs /tmp/runs-alone --label "equal-time-alone-${CONFIGS//,/-}" \
        --deadline-s "${DEADLINE:-520}" --judge-points "${JUDGE_POINTS:-0}" ${TRAIN_ONLY:+--train-only}
}

probe() {
    # after `alone`: the noise inputs and ADA's p of each run just trained (benchmarks/colour_probe.py)
    : "${CONFIGS:?CONFIGS=name[,name]}"
    for name in ${CONFIGS//,/ }; do
        $P benchmarks/colour_probe.py "/tmp/runs-alone/$name" --out "$OUT" --inception /tmp/inception.pt \
            --heldout /tmp/colour/emoji64-heldout.npz --samples 2000
    done
}

equal_train() { equal --train-only; tar czf "$OUT/equal-logs.tgz" -C /tmp/runs-equal $(cd /tmp/runs-equal && ls *.log); }
equal_judge() { equal --judge-only; }

speed() {
    # img/s at 128 and 256 px alone on the GPU (no training run beside it); inception and data not needed
    $P benchmarks/side_by_side.py --device cuda --tasks stylegan2-128,stylegan2-256 --batches 64 \
        --seconds 2 --warmup 5 --contenders "duelo graph,stylegan2-pytorch (lucidrains)" \
        --out "$OUT/side-by-side-128-256.json"
}

fewshot() {
    $P benchmarks/colour.py train --data /tmp/colour --configs fastgan,stylegan2 --train-count 100 \
        --minutes "$MINUTES" --snapshot-kimg 20 --samples 2000 --inception /tmp/inception.pt --out "$OUT" \
        --runs /tmp/runs-fewshot --label fewshot-100 --deadline-s 300
}

fid128() {
    # FID-50k at 128 px: the time does not depend on how far G trained, so a 0.5-kimg stylegan2 run stands in
    # (trained on the held-out images, or the 100 of .device-carry/fidref when the 391 were not carried)
    [ -f /tmp/colour/emoji64-heldout.npz ] || cp .device-carry/fidref/emoji64-heldout.npz /tmp/colour/fidref.npz
    local data=/tmp/colour/emoji64-heldout.npz; [ -f "$data" ] || data=/tmp/colour/fidref.npz
    $P -m duelo train --dataset "$data" --resolution 128 --preset stylegan2 --kimg 0.5 \
        --snapshot-kimg 0.5 --out /tmp/runs-128 --name g128 --device cuda > "$OUT/g128.log" 2>&1
    # the reference: the training images when carried, else the held-out ones (the time is the generated side's)
    ref=/tmp/colour/emoji64-train.npz; [ -f "$ref" ] || ref=$data
    $P benchmarks/fid_speed.py --model /tmp/runs-128/g128/model --dataset "$ref" \
        --counts 10000,50000 --inception /tmp/inception.pt --out "$OUT/fid50k-128.json"
}

cuda() {
    $P -m pytest -q -m cuda -p no:cacheprovider tests > "$OUT/cuda-tests.txt" 2>&1
    tail -n 5 "$OUT/cuda-tests.txt"
}

for phase in "$@"; do
    echo "== $phase $(date +%T)"
    "$phase"
done
echo "== done $(date +%T)"
