#!/usr/bin/env bash
# The audio task on a GPU machine (issue 20), from the repository root: benchmarks/audio.py's runs at once for
# MINUTES each. Carry .whl (platformdirs wheel) and .device-carry/audio-cache (DUELO_CACHE_DIR with
# datasets/notes and datasets/drums fetched; `bash benchmarks/device_carry.sh wheels audio` builds both;
# AUDIO_CACHE=DIR carries another such folder, e.g. one with the drums alone when the call's 64 MiB is short). Results
# under $OUT: audio.json, the runs' logs and runs.tgz (run folders without checkpoints and models, best/ too: spectrograms,
# WAV files, summaries, the runs' logs). KEEP_MODELS=1 also
# brings each run's model folder and D's weights (benchmarks/audio_diagnose.py --extract) back, as models.tar cut
# into 15 MiB parts (models.tar.part-aa, -ab, ...: `cat models.tar.part-* | tar x`) for audio_diagnose.py here;
# KEEP_MODELS=NAME[,NAME] only those runs'. A specgan-m run's G and D are about 35 MiB and a call brings back 64 MiB
# in all (files past that, in name order, stay behind: runs.tgz first), so keep at most one run's beside runs.tgz.
#   DUELO_GIT_COMMIT=<sha> DUELO_GIT_DIRTY=0 [KEEP_MODELS=1] bash benchmarks/audio_gpu.sh MINUTES [audio.py options]
set -u
minutes=${1:-6}; shift
out=${OUT:-/tmp/gpu-out}; mkdir -p "$out"
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site "${WHEELS:-.whl}"/platformdirs-*.whl \
    || exit 1
export PYTHONPATH=$PWD/src:/tmp/site:$PWD/benchmarks PYTHONUNBUFFERED=1
rm -rf /tmp/runs /tmp/duelo-cache && mkdir -p /tmp/runs && cp -r "${AUDIO_CACHE:-.device-carry/audio-cache}" /tmp/duelo-cache
export DUELO_CACHE_DIR=/tmp/duelo-cache
python3 benchmarks/audio.py --minutes "$minutes" --device cuda --runs /tmp/runs/audio --out "$out/audio.json" "$@" \
    > "$out/audio.log" 2>&1
tail -n 60 "$out/audio.log"; tail -n 4 /tmp/runs/audio-*.log
cp /tmp/runs/audio-*.log /tmp/runs/audio/ 2>/dev/null
tar czf "$out/runs.tgz" --exclude=checkpoints --exclude=model --exclude=best --exclude=discriminator.safetensors -C /tmp/runs audio
keep=${KEEP_MODELS:-0}
if [ "$keep" != 0 ]; then
    [ "$keep" = 1 ] && keep=$(cd /tmp/runs/audio && ls -d */ | tr -d /)
    paths=()
    for name in ${keep//,/ }; do
        python3 benchmarks/audio_diagnose.py --extract "/tmp/runs/audio/$name" \
            && paths+=("audio/$name/model" "audio/$name/discriminator.safetensors" "audio/$name/config.json")
    done
    if [ ${#paths[@]} -gt 0 ]; then
        (cd /tmp/runs && tar cf - "${paths[@]}") | split -b 15M - "$out/models.tar.part-"
    else
        echo "KEEP_MODELS=$KEEP_MODELS: no run's D could be extracted; nothing kept" >&2
    fi
fi
