#!/usr/bin/env bash
# benchmarks/tune.py for Fashion-MNIST alone on one GPU machine (issue 21), from the repository root: a search
# (unless SEARCH names an earlier search result in the tree), then the final runs, one process per seed at once.
# Carry WHEELS (platformdirs, mlxtend; with a search also optuna, alembic, colorlog, mako and sqlalchemy for the
# machine's Python) and .device-carry/tune (fashion-10k.npz from tune.prepare; optionally classifiers/, a judge
# cache made here, so that no GPU time goes to training the judge on the CPU). Results under $OUT. FINAL_S bounds
# each seed's process (its arms one after the other; 1,000 + 2,550 kimg took 102 + 177 s on a shared H100).
#   DUELO_GIT_COMMIT=<sha> DUELO_GIT_DIRTY=0 [SEARCH=FILE] [SEARCH_MIN=2] [FINAL_KIMG=K] [FINAL_S=S] \
#       [ARMS=tuned,preset_equal_total] bash benchmarks/tune_fashion_gpu.sh
set -u
out=${OUT:-/tmp/gpu-out}; mkdir -p "$out"
py=$(python3 -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
wheels=${WHEELS:-.whl}
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site "$wheels"/*.whl 2>/dev/null \
    || python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site "$wheels"/*-none-any.whl \
       "$wheels"/*-"$py"-*.whl || exit 1
export PYTHONPATH=$PWD/src:/tmp/site PYTHONUNBUFFERED=1 DUELO_CACHE_DIR=/tmp/duelo-tune-cache
mkdir -p /tmp/tune "$DUELO_CACHE_DIR" && cp .device-carry/tune/fashion-10k.npz /tmp/tune/
[ -d .device-carry/tune/classifiers ] && cp -r .device-carry/tune/classifiers "$DUELO_CACHE_DIR"/
search=${SEARCH:-}
if [ -z "$search" ]; then
    search=$out/tune-search-fashion.json
    minutes=${SEARCH_MIN:-2}
    # the warm-up (the judge, unless carried) comes before the search's clock; the file is written at the end
    timeout $(python3 -c "print(int($minutes * 60 + 130))") python3 benchmarks/tune.py search --set fashion \
        --minutes "$minutes" --work /tmp/tune --out "$search" > "$out/search.log" 2>&1
    tail -n 5 "$out/search.log"
fi
[ -s "$search" ] || { echo "no search result ($search): the finals need one" >&2; exit 1; }
final_kimg=()
[ -n "${FINAL_KIMG:-}" ] && final_kimg=(--final-kimg "$FINAL_KIMG")
for s in 0 1; do
  timeout "${FINAL_S:-420}" python3 benchmarks/tune.py final --set fashion --search "$search" --seeds 1 \
      --first-seed $s --arms "${ARMS:-tuned,preset_equal_total}" "${final_kimg[@]}" --work /tmp/tune \
      --out "$out/tune-final-fashion-s$s.json" > "$out/final-s$s.log" 2>&1 &
done
wait
tail -n 4 "$out"/final-s*.log
