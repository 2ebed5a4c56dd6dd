#!/usr/bin/env bash
# The GPU calls of issue 18's measurements (each phase fits one 10-minute device call):
#   bash benchmarks/timeseries_gpu.sh setup sines cuda    # sines: conv and timegan; then pytest -m cuda
#   bash benchmarks/timeseries_gpu.sh setup real          # stocks: conv and timegan; two labelled UCR sets
#   bash benchmarks/timeseries_gpu.sh setup video         # Moving MNIST, frame FID/KID with Inception
#   MINUTES=4 bash benchmarks/timeseries_gpu.sh setup series cuda  # all six jobs at once (small models share the GPU)
#   MINUTES=4 bash benchmarks/timeseries_gpu.sh setup sweep cuda   # the conv model's design choices, eight at once
#   MINUTES=3 bash benchmarks/timeseries_gpu.sh setup both pack     # series and video at once, then one archive
# Carried: .whl/ (duelo's wheel and its missing dependencies), .device-pkgs/ (pmdarima and aeon wheels, the
# sources of the real sets: benchmarks/timeseries.py says how to fetch them), for `video`
# .device-carry/inception-fp16.pt (benchmarks/inception_fp16.py). Results go to $OUT. Export PYTHONUNBUFFERED
# stays on: a call cut by its time limit keeps the output printed so far.
set -u
export PYTHONUNBUFFERED=1 DUELO_CACHE_DIR=/tmp/duelo-cache DUELO_PACKAGE_DIR=$PWD/.device-pkgs
P=python3
MINUTES=${MINUTES:-2}
COMMON=(--minutes "$MINUTES" --device cuda --plots "$OUT/plots" --extra --set run.snapshot_kimg=1000)

setup() {
    $P -m pip install -q --no-index --no-deps --no-compile .whl/*.whl 2>&1 | tail -n 3
    nvidia-smi --query-gpu=name,memory.used,utilization.gpu --format=csv,noheader
}

sines() {
    $P benchmarks/timeseries.py --jobs sines:conv,sines:timegan --kimg 20000 --runs /tmp/runs-ts \
        --out "$OUT/timeseries-sines.json" "${COMMON[@]}"
}

real() {
    $P benchmarks/timeseries.py --jobs stocks:conv,stocks:timegan --kimg 20000 --runs /tmp/runs-ts \
        --out "$OUT/timeseries-stocks.json" "${COMMON[@]}"
    MINUTES=1 $P benchmarks/timeseries.py --jobs gunpoint:conv,italypowerdemand:conv --kimg 20000 \
        --runs /tmp/runs-ts --out "$OUT/timeseries-ucr.json" --minutes 1 --device cuda --plots "$OUT/plots" \
        --extra --set run.snapshot_kimg=1000
}

series() {
    # sines, stocks (conv and timegan) and two labelled UCR sets, six processes sharing the one GPU
    $P benchmarks/timeseries.py --jobs sines:conv,sines:timegan,stocks:conv,stocks:timegan,gunpoint:conv,italypowerdemand:conv \
        --parallel 6 --kimg 100000 --runs /tmp/runs-ts --out "$OUT/timeseries-all.json" "${COMMON[@]}"
}

sweep() {
    # the conv model's design choices on sines and stocks (benchmarks/timeseries.py VARIANTS), and the UCR sets
    $P benchmarks/timeseries.py --jobs sines:conv,sines:conv:no-step-noise,sines:conv:no-positions,sines:conv:no-sn,stocks:conv,stocks:conv:no-step-noise,gunpoint:conv,italypowerdemand:conv \
        --parallel 8 --kimg 100000 --runs /tmp/runs-ts --out "$OUT/timeseries-sweep.json" "${COMMON[@]}"
}

video() {
    [ -f /tmp/inception.pt ] || $P benchmarks/inception_fp16.py upcast --copy .device-carry/inception-fp16.pt \
        --out /tmp/inception.pt
    $P benchmarks/video.py --configs default,conditional --minutes "$MINUTES" --device cuda \
        --inception /tmp/inception.pt --runs /tmp/runs-video --out "$OUT/video.json" --gifs "$OUT/gifs" --parallel 2
}

ablate() {
    # which of G's activation, D's pooling and G's position features helps, on sines and GunPoint, eight at once
    $P benchmarks/timeseries.py --jobs sines:conv,sines:conv:relu,sines:conv:mean-pool,sines:conv:old,gunpoint:conv,gunpoint:conv:relu,gunpoint:conv:mean-pool,gunpoint:conv:old \
        --parallel 8 --kimg 100000 --runs /tmp/runs-ts --out "$OUT/timeseries-ablate.json" "${COMMON[@]}"
}

both() {
    # the six time-series jobs and the two video runs at once (one device call instead of two)
    series > "$OUT/series.txt" 2>&1 &
    video
    wait
    tail -n 30 "$OUT/series.txt"
}

pack() {
    # a call brings back at most 8 files: everything else travels as one archive
    tar czf "$OUT/runs.tgz" -C /tmp $(cd /tmp && ls -d runs-ts/*.log runs-ts/*/summary.json runs-ts/*/samples/series-*.png \
        runs-video/*.log runs-video/*/summary.json 2>/dev/null) -C "$OUT" plots gifs 2>/dev/null
    rm -rf "$OUT/plots" "$OUT/gifs"
    ls -la "$OUT"
}

cuda() {
    bash benchmarks/colour_gpu.sh cuda          # the one definition of the CUDA test phase
}

for phase in "$@"; do
    echo "== $phase $(date +%T)"
    "$phase"
done
echo "== done $(date +%T)"
