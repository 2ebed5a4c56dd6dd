#!/usr/bin/env bash
# `duelo tune` against the presets on one GPU machine (issue 21, part 2), from the repository root: the three
# sets of benchmarks/tune.py at once, each a search of SEARCH_MINUTES then the final comparison (SEEDS seeds per
# arm), beside the CUDA tests. Carry .whl (platformdirs, mlxtend, optuna, alembic, colorlog, mako, sqlalchemy
# wheels), .device-carry/tune (fashion-10k.npz from `benchmarks/tune.py`'s prepare, cache/datasets/gunpoint) and
# .bench/adult. Results under $OUT: tune-{search,final}-SET.json, cuda-tests.txt, logs.tgz (logs and studies).
#   DUELO_GIT_COMMIT=<sha> DUELO_GIT_DIRTY=0 [ARMS=preset,tuned,preset_equal_total] [SETS="adult gunpoint"] \
#       bash benchmarks/tune_gpu.sh [SEARCH_MINUTES [SEEDS]]
# ARMS: the final phase's arms (preset_equal_total: the preset for the search's kimg plus the final length).
# Of the sqlalchemy wheels in .whl (one per Python version), the one for this machine's python3 is installed.
set -u
minutes=${1:-3.5}; seeds=${2:-2}; arms=${ARMS:-preset,tuned}; sets=${SETS:-fashion adult gunpoint}
out=${OUT:-/tmp/gpu-out}; mkdir -p "$out"
py=$(python3 -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/platformdirs-*.whl \
    .whl/mlxtend-*.whl .whl/optuna-*.whl .whl/alembic-*.whl .whl/colorlog-*.whl .whl/mako-*.whl \
    .whl/sqlalchemy-*-"$py"-*.whl || exit 1
export PYTHONPATH=$PWD/src:/tmp/site PYTHONUNBUFFERED=1 DUELO_CACHE_DIR=/tmp/duelo-cache
logs=/tmp/tune-logs; mkdir -p /tmp/tune "$logs" "$DUELO_CACHE_DIR" && cp .device-carry/tune/fashion-10k.npz /tmp/tune/ \
    && cp -r .device-carry/tune/cache/datasets "$DUELO_CACHE_DIR/"
(DUELO_CACHE_DIR=/tmp/cuda-cache timeout 500 python3 -m pytest -q -p no:cacheprovider -m cuda tests \
    > "$out/cuda-tests.txt" 2>&1) &
for set in $sets; do
    (timeout 560 python3 benchmarks/tune.py search --set "$set" --minutes "$minutes" --work /tmp/tune \
         --out "$out/tune-search-$set.json" > "$logs/tune-search-$set.log" 2>&1
     timeout 330 python3 benchmarks/tune.py final --set "$set" --search "$out/tune-search-$set.json" \
         --seeds "$seeds" --arms "$arms" --work /tmp/tune --out "$out/tune-final-$set.json" \
         > "$logs/tune-final-$set.log" 2>&1) &
done
wait
cp /tmp/tune/*.db "$logs/" 2>/dev/null
tar czf "$out/logs.tgz" -C "$logs" .
tail -n 3 "$logs"/tune-*.log; tail -n 12 "$out/cuda-tests.txt"
