#!/usr/bin/env bash
# What the GPU calls carry, rebuilt on a new checkout of this machine (all of it is gitignored), one phase per
# argument; a phase whose files are already there does nothing. From the repository root, after `make install`:
#   bash benchmarks/device_carry.sh colour inception fidref wheels   # issue 17's (benchmarks/colour_gpu.sh)
#   bash benchmarks/device_carry.sh music audio                  # issue 20's (music.py, audio_gpu.sh)
# Phases:
#   colour     .device-carry/colour/: the Fluent 3D emoji (npm @lobehub/fluent-emoji-3d) at 64 px, split into 3,000
#              training and 391 held-out images (benchmarks/colour.py prepare)
#   inception  .device-carry/inception-fp16.pt: the FID Inception weights in float16, 44 MB instead of 87
#   fidref     .device-carry/fidref/emoji64-heldout.npz: the first 100 held-out emoji (0.5 MB), what `colour_gpu.sh
#              setup fid128` trains and measures on beside the Inception copy (the 391 do not fit that call)
#   wheels     .device-carry/whl-min/ (platformdirs, mlxtend: what duelo lacks on the GPU machine) and .whl/ (the
#              same, plus lucidrains' peers and their dependencies, as benchmarks/peers/README.md lists them)
#   music      .device-carry/music-cache/: a DUELO_CACHE_DIR with the chorales parsed (about 4 minutes)
#   audio      .device-carry/audio-cache/: a DUELO_CACHE_DIR with the notes and drums fetched
# A call carries at most 64 MiB with the tracked tree (about 19 MB): the Inception copy and the colour files do not
# fit one call together (colour_gpu.sh says how to split them).
set -euo pipefail
PY=${PY:-.venv/bin/python}
DUELO=${DUELO:-.venv/bin/duelo}
mkdir -p .device-carry

colour() {
    [ -f .device-carry/colour/emoji64-train.npy.xz ] && [ -f .device-carry/colour/emoji64-heldout.npz ] && return
    local folder; folder=$(mktemp -d)
    (cd "$folder" && npm pack -q @lobehub/fluent-emoji-3d@1.1.0 >/dev/null)
    $PY benchmarks/colour.py prepare --tarball "$folder"/lobehub-fluent-emoji-3d-1.1.0.tgz --out .device-carry/colour
    rm -rf "$folder"
}

fidref() {
    [ -f .device-carry/fidref/emoji64-heldout.npz ] && return
    colour
    mkdir -p .device-carry/fidref
    $PY -c "import numpy as np
images = np.load('.device-carry/colour/emoji64-heldout.npz')['images'][:100]
np.savez_compressed('.device-carry/fidref/emoji64-heldout.npz', images=images)"
}

inception() {
    local copy=.device-carry/inception-fp16.pt
    [ -f $copy ] || $PY benchmarks/inception_fp16.py make --out $copy
}

wheels() {
    local min=.device-carry/whl-min
    ls $min/platformdirs-*.whl >/dev/null 2>&1 || $PY -m pip download -q --no-deps -d $min platformdirs mlxtend
    ls .whl/stylegan2_pytorch-*.whl >/dev/null 2>&1 && return
    $PY -m pip download -q --no-deps -d .whl stylegan2_pytorch==1.9.0 lightweight_gan==1.2.1
    local sdists; sdists=$(mktemp -d)
    $PY -m pip download -q --no-deps --no-binary :all: -d "$sdists" vector-quantize-pytorch==0.1.0
    $PY -m pip wheel -q --no-deps -w .whl "$sdists"/*.tar.gz      # an sdist only: built into a pure wheel
    $PY -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform any -d .whl \
        kornia==0.9.0 kornia_rs==0.2.0 fire==0.7.1 termcolor==3.3.0 adabelief-pytorch==0.2.1 tabulate==0.10.0 \
        colorama==0.4.6
    cp $min/*.whl .whl/
    rm -rf "$sdists"
}

music() {
    DUELO_CACHE_DIR=$PWD/.device-carry/music-cache $DUELO datasets fetch chorales
}

audio() {
    $PY -c "import tinysoundfont" 2>/dev/null || $PY -m pip install -q --no-deps tinysoundfont   # renders the notes
    for name in notes drums; do DUELO_CACHE_DIR=$PWD/.device-carry/audio-cache $DUELO datasets fetch "$name"; done
}

for phase in "$@"; do
    case "$phase" in
        colour|inception|fidref|wheels|music|audio) echo "== $phase"; "$phase" ;;
        *) echo "unknown phase '$phase': colour, inception, fidref, wheels, music or audio" >&2; exit 2 ;;
    esac
done
du -sh .device-carry/* .whl 2>/dev/null || true
