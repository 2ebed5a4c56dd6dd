#!/usr/bin/env bash
# The text task on a GPU machine (issue 19), from the repository root with src/ on PYTHONPATH: the CUDA tests, then
# the training stage of benchmarks/text.py on names and on KJV verses (word level), every model of a dataset
# trained at once for the same minutes. Scoring runs afterwards where the MiniLM weights are (--stage eval).
# Carry .whl (platformdirs, mlxtend wheels) and .device-carry/text-cache (DUELO_CACHE_DIR with datasets/names and
# datasets/kjv fetched). Results under $OUT: cuda-tests.txt, text-names.json, text-kjv.json, runs-names.tgz and
# runs-kjv.tgz (the run folders without their checkpoints).
# NAMES_EXTRA / KJV_EXTRA: more `duelo train` options of each dataset (relgan's text.anneal_kimg, fitted to the
# kimg a time budget reaches).
#   DUELO_GIT_COMMIT=<sha> DUELO_GIT_DIRTY=0 bash benchmarks/text_gpu.sh tests|train MINUTES [MODELS]
set -u
stage=$1; minutes=${2:-5}; models=${3:-relgan,seqgan,mle}
out=${OUT:-/tmp/gpu-out}; mkdir -p "$out"
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/platformdirs-*.whl \
    .whl/mlxtend-*.whl || exit 1
export PYTHONPATH=$PWD/src:/tmp/site:$PWD/benchmarks PYTHONUNBUFFERED=1
rm -rf /tmp/runs /tmp/duelo-cache && cp -r .device-carry/text-cache /tmp/duelo-cache && export DUELO_CACHE_DIR=/tmp/duelo-cache
if [ "$stage" = tests ]; then
    timeout 420 python3 -m pytest -q -p no:cacheprovider -m cuda tests 2>&1 | tail -25 | tee "$out/cuda-tests.txt"
fi
kjv=(--level word --set data.max_vocab=2000 --max-len 32 --set text.pretrain_kimg=10)
python3 benchmarks/text.py --stage train --models "$models" --dataset names --minutes "$minutes" --device cuda \
    --threads 2 --parallel 3 --snapshot-kimg 50 --runs /tmp/runs/names --out "$out/text-names.json" \
    ${NAMES_EXTRA:+--extra $NAMES_EXTRA} > "$out/names.log" 2>&1 &
python3 benchmarks/text.py --stage train --models "$models" --dataset kjv --minutes "$minutes" --device cuda \
    --threads 2 --parallel 3 --snapshot-kimg 20 --runs /tmp/runs/kjv --out "$out/text-kjv.json" \
    --extra "${kjv[@]}" ${KJV_EXTRA:-} > "$out/kjv.log" 2>&1 &
wait
tail -n 3 "$out/names.log" "$out/kjv.log"
for name in names kjv; do tar czf "$out/runs-$name.tgz" --exclude=checkpoints -C /tmp "runs/$name"; done
