#!/usr/bin/env bash
# The audio task on a GPU machine (issue 20), from the repository root: benchmarks/audio.py's runs at once for
# MINUTES each. Carry .whl (platformdirs wheel) and .device-carry/audio-cache (DUELO_CACHE_DIR with
# datasets/notes and datasets/drums fetched). Results under $OUT: audio.json, the runs' logs and runs.tgz (run
# folders without checkpoints and models: spectrograms, WAV files, summaries).
#   DUELO_GIT_COMMIT=<sha> DUELO_GIT_DIRTY=0 bash benchmarks/audio_gpu.sh MINUTES [more benchmarks/audio.py options]
set -u
minutes=${1:-6}; shift
out=${OUT:-/tmp/gpu-out}; mkdir -p "$out"
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site "${WHEELS:-.whl}"/platformdirs-*.whl \
    || exit 1
export PYTHONPATH=$PWD/src:/tmp/site:$PWD/benchmarks PYTHONUNBUFFERED=1
rm -rf /tmp/runs /tmp/duelo-cache && mkdir -p /tmp/runs && cp -r .device-carry/audio-cache /tmp/duelo-cache
export DUELO_CACHE_DIR=/tmp/duelo-cache
python3 benchmarks/audio.py --minutes "$minutes" --device cuda --runs /tmp/runs/audio --out "$out/audio.json" "$@" \
    > "$out/audio.log" 2>&1
tail -n 60 "$out/audio.log"; tail -n 4 /tmp/runs/audio-*.log
cp /tmp/runs/audio-*.log "$out/" 2>/dev/null
tar czf "$out/runs.tgz" --exclude=checkpoints --exclude=model -C /tmp/runs audio
